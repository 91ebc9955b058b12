package service_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// browser is the context of a request from a browser with a device cookie
// and, when pending is not "", a pending sign-in cookie.
func browser(device, pending string) context.Context {
	ctx := service.WithDevice(context.Background(), device)
	return service.WithMeta(ctx, service.Meta{IP: "192.0.2.7", UserAgent: "test", Pending: pending})
}

func wantGone(t *testing.T, what string, err error) {
	t.Helper()
	if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || userdb.ErrorMessage(err) != "Your sign-in has expired. Please sign in again." {
		t.Fatalf("%s: %v, want the pending sign-in refused", what, err)
	}
}

// TestPendingSignIn: a sign-in that stops at a stage gives a pending state,
// not a session, and keeps the failure count; only the browser that
// started it finds it, at its stage, before it expires; completing it
// starts the session once, with the amr of both steps.
func TestPendingSignIn(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	service.SetLoginStage(e.svc, func(*userdb.User) userdb.PendingStage { return userdb.PendingMFA })

	e.refused("wrong password", "ann@example.com", "wrong pass 1")
	l, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1")
	if err != nil {
		t.Fatal(err)
	}
	if l.Session != nil || l.Secret != "" || l.Pending == nil || l.Pending.Secret == "" || l.Pending.Stage != userdb.PendingMFA {
		t.Fatalf("sign-in at a stage: session %v, pending %+v", l.Session, l.Pending)
	}
	if !l.Pending.ExpiresAt.Equal(e.clock.Now().Add(5 * time.Minute)) {
		t.Fatalf("pending until %v, want 5 minutes", l.Pending.ExpiresAt)
	}
	if u := e.reload(ann); u.FailedLogins != 1 || u.LastLoginAt != nil {
		t.Fatalf("a pending sign-in changed the user: %d failures, last login %v", u.FailedLogins, u.LastLoginAt)
	}
	if ev := e.events("login.pending", ann); len(ev) != 1 || ev[0].Details["stage"] != "mfa" {
		t.Fatalf("login.pending events %+v", ev)
	}
	secret := l.Pending.Secret

	_, err = e.svc.FindPending(browser("dev-A", ""))
	wantGone(t, "no cookie", err)
	_, err = e.svc.FindPending(browser("dev-A", "made-up"))
	wantGone(t, "an unknown secret", err)
	_, err = e.svc.FindPending(browser("dev-B", secret))
	wantGone(t, "another browser", err)
	if ev := e.events("login.pending_refused", ann); len(ev) != 1 || ev[0].Details["reason"] != "other_device" {
		t.Fatalf("login.pending_refused events %+v", ev)
	}
	_, err = e.svc.FindPending(browser("dev-A", secret), userdb.PendingPasswordChange)
	wantGone(t, "another stage", err)

	ctx := browser("dev-A", secret)
	p, err := e.svc.FindPending(ctx, userdb.PendingMFA)
	if err != nil {
		t.Fatal(err)
	}
	if p.User.ID != ann.ID {
		t.Fatalf("pending of %s", p.User.ID)
	}
	done, err := e.svc.CompletePending(ctx, p, "otp")
	if err != nil {
		t.Fatal(err)
	}
	if done.Session == nil || !e.signedIn(done) || !slices.Equal(done.Session.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("completed: session %+v", done.Session)
	}
	if u := e.reload(ann); u.FailedLogins != 0 || u.LastLoginAt == nil {
		t.Fatalf("after completing: %d failures, last login %v", u.FailedLogins, u.LastLoginAt)
	}
	_, err = e.svc.CompletePending(ctx, p, "otp")
	wantGone(t, "completing twice", err)
	_, err = e.svc.FindPending(ctx)
	wantGone(t, "finding a completed one", err)
}

// TestPendingSignInExpires: five minutes after the password, the state is
// gone; the user has to sign in again.
func TestPendingSignInExpires(t *testing.T) {
	e := newEnv(t)
	e.user("", "ann@example.com", "secret pass 1")
	service.SetLoginStage(e.svc, func(*userdb.User) userdb.PendingStage { return userdb.PendingMFA })
	l, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser("dev-A", l.Pending.Secret)
	p, err := e.svc.FindPending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(5*time.Minute - time.Second)
	if _, err := e.svc.FindPending(ctx); err != nil {
		t.Fatalf("a second before expiry: %v", err)
	}
	e.clock.Add(time.Second)
	_, err = e.svc.FindPending(ctx)
	wantGone(t, "at expiry", err)
	_, err = e.svc.CompletePending(ctx, p, "otp")
	wantGone(t, "completing at expiry", err)
}

// TestPendingSignInStages: a state moves from one stage to the next (a
// second factor, then a new password), a user disabled meanwhile is
// refused, and cancelling ends the state.
func TestPendingSignInStages(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	bob := e.user("", "bob@example.com", "secret pass 2")
	service.SetLoginStage(e.svc, func(*userdb.User) userdb.PendingStage { return userdb.PendingMFA })

	l, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1")
	if err != nil {
		t.Fatal(err)
	}
	ctx := browser("dev-A", l.Pending.Secret)
	p, err := e.svc.FindPending(ctx, userdb.PendingMFA)
	if err != nil {
		t.Fatal(err)
	}
	next, err := e.svc.AdvancePending(ctx, p, userdb.PendingPasswordChange, "otp")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindPending(ctx)
	wantGone(t, "the first stage once advanced", err)
	ctx2 := browser("dev-A", next.Secret)
	p2, err := e.svc.FindPending(ctx2, userdb.PendingPasswordChange)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p2.AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("amr after the second factor: %v", p2.AMR)
	}
	if err := e.svc.CancelPending(ctx2); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindPending(ctx2)
	wantGone(t, "cancelled", err)

	lb, err := e.svc.Login(browser("dev-B", ""), "bob@example.com", "secret pass 2")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AdminSetUserStatus(sys(), bob.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.FindPending(browser("dev-B", lb.Pending.Secret))
	wantGone(t, "user disabled meanwhile", err)
	_ = ann
}
