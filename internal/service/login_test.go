package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// TestLockout: consecutive failures are counted, the LockAfter-th locks the
// user (one user.locked event), a locked user is refused even with the
// right password, and the lock lifts at the first attempt UnlockAfter
// later, not before. A success resets the count.
func TestLockout(t *testing.T) {
	e := newEnv(t) // LockAfter 3, UnlockAfter 15m
	ann, err := e.svc.AdminCreateUser(sys(), service.NewUser{Username: "ann", Email: "ann@example.com", Password: "secret pass 1"})
	if err != nil {
		t.Fatal(err)
	}

	// Two failures, then a success: the count starts again.
	e.refused("wrong password", "ann@example.com", "wrong pass 1")
	e.refused("wrong password", "ANN", "wrong pass 1") // by username too, in any case
	if u := e.reload(ann); u.FailedLogins != 2 || u.Status != userdb.StatusEnabled {
		t.Fatalf("after 2 failures: %d counted, %s", u.FailedLogins, u.Status)
	}
	e.mustLogin("ann@example.com", "secret pass 1")
	if u := e.reload(ann); u.FailedLogins != 0 {
		t.Fatalf("a success left %d failures counted", u.FailedLogins)
	}

	for i := 1; i <= 3; i++ {
		e.refused("wrong password", "ann@example.com", "wrong pass 1")
	}
	u := e.reload(ann)
	if u.Status != userdb.StatusLocked || u.FailedLogins != 3 || u.LockedAt == nil || !u.LockedAt.Equal(e.clock.Now()) {
		t.Fatalf("after 3 failures: %s, %d counted, locked at %v", u.Status, u.FailedLogins, u.LockedAt)
	}
	if ev := e.events("user.locked", ann); len(ev) != 1 || ev[0].Details["failures"] != float64(3) {
		t.Fatalf("user.locked events %+v", ev)
	}
	e.refusedFor("the right password while locked", "ann@example.com", "secret pass 1", userdb.ReasonUserLocked)
	if ev := e.events("login.failed", ann); len(ev) == 0 || ev[0].Details["reason"] != "locked" {
		t.Fatalf("the refusal while locked recorded as %+v", ev)
	}

	e.clock.Add(15*time.Minute - time.Second)
	e.refusedFor("a second before the lock lifts", "ann@example.com", "secret pass 1", userdb.ReasonUserLocked)
	e.clock.Add(time.Second)
	l := e.mustLogin("ann@example.com", "secret pass 1")
	if l.User.Status != userdb.StatusEnabled || l.User.FailedLogins != 0 {
		t.Fatalf("after the lock lifted: %s, %d failures", l.User.Status, l.User.FailedLogins)
	}
	if ev := e.events("user.unlocked", ann); len(ev) != 1 || ev[0].Details["by"] != "auto" {
		t.Fatalf("user.unlocked events %+v", ev)
	}
}

// TestLockoutConcurrent: failures at once are all counted, and exactly one
// of them locks.
func TestLockoutConcurrent(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.LockAfter = 5 })
	ann := e.user("", "ann@example.com", "secret pass 1")
	const n = 12
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() { e.login("ann@example.com", "wrong pass 1") })
	}
	wg.Wait()
	if u := e.reload(ann); u.FailedLogins != n || u.Status != userdb.StatusLocked {
		t.Fatalf("after %d concurrent failures: %d counted, %s", n, u.FailedLogins, u.Status)
	}
	if ev := e.events("user.locked", ann); len(ev) != 1 {
		t.Fatalf("%d user.locked events, want 1", len(ev))
	}
}

// TestLockoutRules: without UnlockAfter a lock lasts until an administrator
// lifts it; LockAfter 0 never locks; an unknown user's failures are recorded
// about nobody; a disabled user is not locked by failures.
func TestLockoutRules(t *testing.T) {
	t.Run("admin unlock only", func(t *testing.T) {
		e := newEnv(t, func(o *service.Options) { o.UnlockAfter = 0 })
		ann := e.user("", "ann@example.com", "secret pass 1")
		for range 3 {
			e.refused("wrong password", "ann@example.com", "wrong pass 1")
		}
		e.clock.Add(365 * 24 * time.Hour)
		e.refusedFor("a year later", "ann@example.com", "secret pass 1", userdb.ReasonUserLocked)
		if _, err := e.svc.AdminUnlockUser(sys(), ann.ID); err != nil {
			t.Fatal(err)
		}
		e.mustLogin("ann@example.com", "secret pass 1")
		_, err := e.svc.AdminUnlockUser(sys(), ann.ID)
		wantErr(t, "unlocking a user that is not locked", err, userdb.EINVALID, "")
	})
	t.Run("never", func(t *testing.T) {
		e := newEnv(t, func(o *service.Options) { o.LockAfter = 0 })
		ann := e.user("", "ann@example.com", "secret pass 1")
		for range 10 {
			e.refused("wrong password", "ann@example.com", "wrong pass 1")
		}
		if u := e.reload(ann); u.Status != userdb.StatusEnabled || u.FailedLogins != 10 {
			t.Fatalf("LockAfter 0: %s after %d failures", u.Status, u.FailedLogins)
		}
		e.mustLogin("ann@example.com", "secret pass 1")
	})
	t.Run("unknown user", func(t *testing.T) {
		e := newEnv(t)
		e.refused("an unknown user", "nobody@example.com", "secret pass 1")
		ev := e.events("login.failed", nil)
		if len(ev) != 1 || ev[0].UserID != "" || ev[0].Details["reason"] != "unknown_user" {
			t.Fatalf("login.failed events %+v", ev)
		}
	})
	t.Run("disabled user", func(t *testing.T) {
		e := newEnv(t)
		ann := e.user("", "ann@example.com", "secret pass 1")
		if _, err := e.svc.AdminSetUserStatus(sys(), ann.ID, userdb.StatusDisabled); err != nil {
			t.Fatal(err)
		}
		for range 4 {
			e.refused("a disabled user", "ann@example.com", "wrong pass 1")
		}
		e.refusedFor("a disabled user, right password", "ann@example.com", "secret pass 1", userdb.ReasonUserDisabled)
		if u := e.reload(ann); u.Status != userdb.StatusDisabled {
			t.Fatalf("failures changed a disabled user to %s", u.Status)
		}
	})
}

// TestPasswordExpiry: with a maximum age, a password older than it still
// proves the user but ends in the password-change stage, not a session;
// ChangePendingPassword renews it there, never to the same one. A
// signed-in user renews it with ChangeExpiredPassword, which needs the
// current one, only while it has expired. An administrator's
// AdminExpirePassword does the same for one user.
func TestPasswordExpiry(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.PasswordMaxAge = 90 * 24 * time.Hour })
	ann := e.user("", "ann@example.com", "secret pass 1")
	ctx := context.Background()

	if l := e.mustLogin("ann@example.com", "secret pass 1"); l.PasswordExpired || l.Session == nil {
		t.Fatal("a new password expired")
	}
	err := e.svc.ChangeExpiredPassword(ctx, ann, "secret pass 1", "secret pass 2")
	wantErr(t, "renewing a password that has not expired", err, userdb.EFORBIDDEN, "")

	e.clock.Add(90 * 24 * time.Hour)
	p, pctx := e.mustChangeAtSignIn("ann@example.com", "secret pass 1")
	_, err = e.svc.ChangePendingPassword(pctx, p, "secret pass 1")
	wantErr(t, "renewing with the same password", err, userdb.EINVALID, "password")
	l, err := e.svc.ChangePendingPassword(pctx, p, "secret pass 2")
	if err != nil {
		t.Fatal(err)
	}
	if !e.signedIn(l) || l.PasswordExpired {
		t.Fatal("the renewal of an expired password did not sign in")
	}
	_, err = e.svc.ChangePendingPassword(pctx, p, "secret pass 3")
	wantGone(t, "the pending sign-in used twice", err)
	if l := e.mustLogin("ann@example.com", "secret pass 2"); l.PasswordExpired || l.Session == nil {
		t.Fatal("the renewed password is expired")
	}
	e.refused("the old password", "ann@example.com", "secret pass 1")

	// An administrator expires it at once.
	if _, err := e.svc.AdminExpirePassword(sys(), ann.ID); err != nil {
		t.Fatal(err)
	}
	e.mustChangeAtSignIn("ann@example.com", "secret pass 2")
	if ev := e.events("password.expired", ann); len(ev) != 1 {
		t.Fatalf("%d password.expired events", len(ev))
	}
	// A signed-in user gives the current password as well.
	err = e.svc.ChangeExpiredPassword(ctx, ann, "", "secret pass 3")
	wantErr(t, "no current password", err, userdb.EINVALID, "currentPassword")
	err = e.svc.ChangeExpiredPassword(ctx, ann, "not the password", "secret pass 3")
	wantErr(t, "a wrong current password", err, userdb.EINVALID, "currentPassword")
	if err := e.svc.ChangeExpiredPassword(ctx, ann, "secret pass 2", "secret pass 3"); err != nil {
		t.Fatal(err)
	}
	if l := e.mustLogin("ann@example.com", "secret pass 3"); l.Session == nil {
		t.Fatal("the renewed password does not sign in")
	}
}

// TestSessions: each sign-in starts a session of its own, and logging out
// ends only its own; a session ends after the idle timeout without use, and
// at the end of its lifetime however much it is used.
func TestSessions(t *testing.T) {
	e := newEnv(t)
	e.user("", "ann@example.com", "secret pass 1")
	a := e.mustLogin("ann@example.com", "secret pass 1")
	b := e.mustLogin("ann@example.com", "secret pass 1")
	if a.Secret == b.Secret || a.Session.ID == b.Session.ID {
		t.Fatal("two sign-ins share a session")
	}
	if err := e.svc.Logout(context.Background(), a.User, a.Session); err != nil {
		t.Fatal(err)
	}
	if e.signedIn(a) || !e.signedIn(b) {
		t.Fatalf("after logging out a: a signed in %v, b %v; want false, true", e.signedIn(a), e.signedIn(b))
	}

	// The idle timeout and the lifetime, on the test clock.
	e2 := newEnv(t, func(o *service.Options) { o.SessionIdle = 30 * time.Minute; o.SessionLifetime = 2 * time.Hour })
	e2.user("", "bob@example.com", "secret pass 1")
	l := e2.mustLogin("bob@example.com", "secret pass 1")
	e2.clock.Add(29 * time.Minute)
	if !e2.signedIn(l) {
		t.Fatal("signed out before the idle timeout")
	}
	e2.clock.Add(29 * time.Minute) // used 29 minutes ago
	if !e2.signedIn(l) {
		t.Fatal("signed out although used within the idle timeout")
	}
	e2.clock.Add(31 * time.Minute)
	if e2.signedIn(l) {
		t.Fatal("still signed in after 31 idle minutes")
	}
	l = e2.mustLogin("bob@example.com", "secret pass 1")
	for range 4 {
		e2.clock.Add(25 * time.Minute)
		if !e2.signedIn(l) {
			t.Fatal("a session in use ended before its lifetime")
		}
	}
	e2.clock.Add(20 * time.Minute) // two hours after the sign-in
	if e2.signedIn(l) {
		t.Fatal("still signed in at the end of the session's lifetime")
	}
}
