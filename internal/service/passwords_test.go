package service_test

import (
	"context"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// TestPasswordHistory: with History 2, a new password may be neither the
// current one nor the one before it, whichever way it is set (a change, an
// expired password's renewal, a reset link); the third-last is free again.
// A refused password changes nothing and leaves a reset link working.
func TestPasswordHistory(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.History = 2 })
	ctx := context.Background()
	ann := e.user("", "ann@example.com", "secret pass 1")
	l := e.mustLogin("ann@example.com", "secret pass 1")

	change := func(current, pw string) error {
		return e.svc.ChangePassword(ctx, e.reload(ann), l.Session, current, pw)
	}
	err := change("secret pass 1", "secret pass 1")
	wantErr(t, "the current password again", err, userdb.EINVALID, "password")
	if err := change("secret pass 1", "secret pass 2"); err != nil {
		t.Fatal(err)
	}
	if err := change("secret pass 2", "secret pass 3"); err != nil {
		t.Fatal(err)
	}
	err = change("secret pass 3", "secret pass 2")
	wantErr(t, "the password before the current one", err, userdb.EINVALID, "password")
	if !strings.Contains(userdb.ErrorMessage(err), "last 2 passwords") {
		t.Errorf("message %q does not say how many passwords count", userdb.ErrorMessage(err))
	}
	e.mustLogin("ann@example.com", "secret pass 3") // the refusal changed nothing

	// A reset link checks the history too, and survives a refusal.
	if err := e.svc.Forgot(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	tok := e.token("ann@example.com", service.EmailForgotPassword)
	_, err = e.svc.ResetPassword(ctx, tok, "secret pass 2")
	wantErr(t, "a reset to a recent password", err, userdb.EINVALID, "password")
	_, err = e.svc.ResetPassword(ctx, tok, "short")
	wantErr(t, "a reset to a password the policy refuses", err, userdb.EINVALID, "")
	if _, err := e.svc.ResetPassword(ctx, tok, "secret pass 1"); err != nil {
		t.Fatalf("a reset to the third-last password: %v", err)
	}
	e.mustLogin("ann@example.com", "secret pass 1")
}

// TestChangePassword: the current password is required and checked (a
// wrong one is recorded and changes nothing); the change ends every other
// session of the user, keeps the one it came from, records
// password.changed and emails the user.
func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ann := e.user("", "ann@example.com", "secret pass 1")
	here := e.mustLogin("ann@example.com", "secret pass 1")
	there := e.mustLogin("ann@example.com", "secret pass 1")

	err := e.svc.ChangePassword(ctx, ann, here.Session, "", "secret pass 2")
	wantErr(t, "no current password", err, userdb.EINVALID, "currentPassword")
	err = e.svc.ChangePassword(ctx, ann, here.Session, "wrong pass 1", "secret pass 2")
	wantErr(t, "a wrong current password", err, userdb.EINVALID, "currentPassword")
	if ev := e.events("password.change_failed", ann); len(ev) != 1 {
		t.Fatalf("%d password.change_failed events", len(ev))
	}
	err = e.svc.ChangePassword(ctx, ann, here.Session, "secret pass 1", "nodigits")
	wantErr(t, "a password the policy refuses", err, userdb.EINVALID, "")
	if !e.signedIn(there) {
		t.Fatal("a refused change ended a session")
	}
	e.mustLogin("ann@example.com", "secret pass 1")

	if err := e.svc.ChangePassword(ctx, ann, here.Session, "secret pass 1", "secret pass 2"); err != nil {
		t.Fatal(err)
	}
	if !e.signedIn(here) || e.signedIn(there) {
		t.Fatalf("after the change: this session %v, the other %v; want true, false", e.signedIn(here), e.signedIn(there))
	}
	e.refused("the old password", "ann@example.com", "secret pass 1")
	e.mustLogin("ann@example.com", "secret pass 2")
	if ev := e.events("password.changed", ann); len(ev) != 1 {
		t.Fatalf("%d password.changed events", len(ev))
	}
	if n := len(e.emails("ann@example.com", service.EmailPasswordResetDone)); n != 1 {
		t.Fatalf("%d password-changed emails", n)
	}
	if u := e.reload(ann); u.PasswordChangedAt == nil || !u.PasswordChangedAt.Equal(e.clock.Now()) {
		t.Fatalf("password changed at %v, want %v", u.PasswordChangedAt, e.clock.Now())
	}
}
