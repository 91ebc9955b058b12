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
