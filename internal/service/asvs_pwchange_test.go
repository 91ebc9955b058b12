package service_test

import (
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// TestASVS_2_1_6_PasswordChangeFollowsSecondFactor: a sign-in that needs a
// second factor and a new password goes through both stages in turn; the
// second factor does not make the expired password good, and the session
// comes only with the new password, with the amr of every step. The
// pending sign-in of the change expires like any other.
func TestASVS_2_1_6_PasswordChangeFollowsSecondFactor(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	if _, err := e.svc.AdminExpirePassword(sys(), ann.ID); err != nil {
		t.Fatal(err)
	}
	service.SetLoginStage(e.svc, func(*userdb.User) userdb.PendingStage { return userdb.PendingMFA })
	l, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Pending == nil || l.Pending.Stage != userdb.PendingMFA {
		t.Fatalf("first stage %+v, want mfa", l.Pending)
	}
	ctx := browser("dev-A", l.Pending.Secret)
	p, err := e.svc.FindPending(ctx, userdb.PendingMFA)
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.svc.CompletePending(ctx, p, "otp")
	if err != nil {
		t.Fatal(err)
	}
	if next.Session != nil || next.Pending == nil || next.Pending.Stage != userdb.PendingPasswordChange {
		t.Fatalf("after the second factor: session %v, pending %+v, want the password stage", next.Session, next.Pending)
	}
	ctx = browser("dev-A", next.Pending.Secret)
	p, err = e.svc.FindPending(ctx, userdb.PendingPasswordChange)
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.svc.ChangePendingPassword(ctx, p, "secret pass 2")
	if err != nil {
		t.Fatal(err)
	}
	if !e.signedIn(done) || !slices.Equal(done.Session.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("signed in with amr %v", done.AMR)
	}
	if ev := e.events("password.changed", ann); len(ev) != 1 {
		t.Fatalf("%d password.changed events", len(ev))
	}
}

// TestASVS_2_3_1_PendingPasswordChangeExpires: the pending sign-in of a
// temporary password lasts PendingTTL; after it, the change is refused and
// nothing is written.
func TestASVS_2_3_1_PendingPasswordChangeExpires(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	if _, err := e.svc.AdminSetPassword(sys(), ann.ID, "temporary pass 1", true); err != nil {
		t.Fatal(err)
	}
	p, ctx := e.mustChangeAtSignIn("ann@example.com", "temporary pass 1")
	e.clock.Add(5*time.Minute + time.Second)
	_, err := e.svc.ChangePendingPassword(ctx, p, "secret pass 2")
	wantGone(t, "an expired pending sign-in", err)
	_, err = e.svc.FindPending(ctx, userdb.PendingPasswordChange)
	wantGone(t, "finding an expired pending sign-in", err)
	e.refused("the password never set", "ann@example.com", "secret pass 2")
	e.mustChangeAtSignIn("ann@example.com", "temporary pass 1")
}

// TestASVS_2_3_1_TemporaryPasswordExpires: a password an administrator set
// to be changed works for TemporaryPasswordTTL; after it, the right
// password is refused with a reason saying what to do, and nothing else
// changes. A password the user chose, or one an administrator only marked
// to change (expire-password), has no such limit.
func TestASVS_2_3_1_TemporaryPasswordExpires(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.TemporaryPasswordTTL = 72 * time.Hour })
	ann := e.user("", "ann@example.com", "secret pass 1")
	bob := e.user("", "bob@example.com", "secret pass 1")
	for _, u := range []*userdb.User{ann, bob} {
		if _, err := e.svc.AdminSetPassword(sys(), u.ID, "temporary pass 1", true); err != nil {
			t.Fatal(err)
		}
	}
	if !e.reload(ann).PasswordTemporary {
		t.Fatal("a --must-change password is not marked temporary")
	}
	e.clock.Add(71 * time.Hour)
	p, ctx := e.mustChangeAtSignIn("bob@example.com", "temporary pass 1")
	if _, err := e.svc.ChangePendingPassword(ctx, p, "bob's own pass 2"); err != nil {
		t.Fatal(err)
	}
	if e.reload(bob).PasswordTemporary {
		t.Fatal("the user's own password is still temporary")
	}

	e.clock.Add(time.Hour)
	_, err := e.login("ann@example.com", "temporary pass 1")
	if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || userdb.ErrorReason(err) != userdb.ReasonTemporaryPasswordExpired {
		t.Fatalf("an expired temporary password: %v", err)
	}
	if ev := e.events("login.failed", ann); len(ev) != 1 || ev[0].Details["reason"] != "temporary_password_expired" {
		t.Fatalf("login.failed events %+v", ev)
	}
	e.refused("a wrong password", "ann@example.com", "not the password")
	if l := e.mustLogin("bob@example.com", "bob's own pass 2"); l.Session == nil {
		t.Fatal("the user's own password stopped working")
	}

	// Marked to change, not temporary: no limit.
	if _, err := e.svc.AdminExpirePassword(sys(), bob.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(30 * 24 * time.Hour)
	e.mustChangeAtSignIn("bob@example.com", "bob's own pass 2")
}
