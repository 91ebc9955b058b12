package service_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// wantBadLink checks the one answer for an unknown, used, replaced or
// expired link.
func wantBadLink(t *testing.T, what string, err error) {
	t.Helper()
	wantErr(t, what, err, userdb.EINVALID, "sptoken")
}

// TestVerification: registration with verification required makes a
// PENDING user who cannot sign in and gets a link; a new link replaces the
// old one; the link works once and enables the user; an expired one does
// nothing.
func TestVerification(t *testing.T) {
	e := newEnv(t) // RequireVerification, VerifyTTL 24h
	ctx := context.Background()

	u, l, err := e.svc.Register(ctx, service.NewUser{Email: "bob@example.com", Password: "secret pass 1", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if l != nil || u.Status != userdb.StatusPending || u.EmailVerifiedAt != nil || len(u.Roles) != 0 {
		t.Fatalf("registered %+v, signed in %v; want PENDING, unverified, without the roles asked for, not signed in", u, l != nil)
	}
	_, _, err = e.svc.Register(ctx, service.NewUser{Email: "BOB@example.com", Password: "secret pass 1"})
	wantErr(t, "registering a taken email", err, userdb.ECONFLICT, "")
	e.refusedFor("a PENDING user", "bob@example.com", "secret pass 1", userdb.ReasonEmailNotVerified)
	first := e.token("bob@example.com", service.EmailVerification)

	if err := e.svc.ResendVerification(ctx, "bob@example.com"); err != nil {
		t.Fatal(err)
	}
	second := e.token("bob@example.com", service.EmailVerification)
	if second == first {
		t.Fatal("a resend sent the same link")
	}
	_, err = e.svc.Verify(ctx, first)
	wantBadLink(t, "the replaced link", err)

	v, err := e.svc.Verify(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if v.Status != userdb.StatusEnabled || v.EmailVerifiedAt == nil || !v.EmailVerifiedAt.Equal(e.clock.Now()) {
		t.Fatalf("verified user %+v", v)
	}
	_, err = e.svc.Verify(ctx, second)
	wantBadLink(t, "the used link", err)
	e.mustLogin("bob@example.com", "secret pass 1")
	for _, kind := range []string{service.EmailVerificationSucceeded, service.EmailWelcome} {
		if n := len(e.emails("bob@example.com", kind)); n != 1 {
			t.Errorf("%d %s emails, want 1", n, kind)
		}
	}
	if ev := e.events("user.verified", u); len(ev) != 1 {
		t.Errorf("%d user.verified events", len(ev))
	}

	// A verified user gets no new link; nor does an unknown one.
	for _, login := range []string{"bob@example.com", "nobody@example.com"} {
		if err := e.svc.ResendVerification(ctx, login); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.emails("bob@example.com", service.EmailVerification)); n != 2 {
		t.Errorf("%d verification emails to a verified user, want the 2 sent before", n)
	}
	if n := len(e.emails("nobody@example.com", service.EmailVerification)); n != 0 {
		t.Errorf("%d verification emails to an unknown user", n)
	}

	// An expired link: the user stays PENDING.
	cy, _, err := e.svc.Register(ctx, service.NewUser{Email: "cy@example.com", Password: "secret pass 1"})
	if err != nil {
		t.Fatal(err)
	}
	tok := e.token("cy@example.com", service.EmailVerification)
	e.clock.Add(24*time.Hour + time.Second)
	_, err = e.svc.Verify(ctx, tok)
	wantBadLink(t, "an expired link", err)
	if got := e.reload(cy); got.Status != userdb.StatusPending || got.EmailVerifiedAt != nil {
		t.Fatalf("after an expired link: %s, verified at %v", got.Status, got.EmailVerifiedAt)
	}
}

// TestRegistrationRules: registration may be off; without verification the
// user is enabled and signed in at once.
func TestRegistrationRules(t *testing.T) {
	off := newEnv(t, func(o *service.Options) { o.RegistrationEnabled = false })
	_, _, err := off.svc.Register(context.Background(), service.NewUser{Email: "bob@example.com", Password: "secret pass 1"})
	wantErr(t, "registration switched off", err, userdb.EFORBIDDEN, "")

	e := newEnv(t, func(o *service.Options) { o.RequireVerification = false })
	u, l, err := e.svc.Register(context.Background(), service.NewUser{Email: "bob@example.com", Password: "secret pass 1"})
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != userdb.StatusEnabled || l == nil || !e.signedIn(l) {
		t.Fatalf("registered %s, signed in %v", u.Status, l != nil)
	}
	if n := len(e.emails("bob@example.com", service.EmailVerification)); n != 0 {
		t.Errorf("%d verification emails without verification", n)
	}
}

// TestPasswordReset: Forgot sends a link to a known, not disabled user and
// nothing to others; a newer link replaces the older; the link expires
// after ResetTTL; a reset sets the password, ends every session, unlocks a
// locked user and enables and verifies a pending one, and uses the link up.
func TestPasswordReset(t *testing.T) {
	e := newEnv(t) // ResetTTL 1h
	ctx := context.Background()
	ann := e.user("", "ann@example.com", "secret pass 1")
	dis := e.user("", "dis@example.com", "secret pass 1")
	if _, err := e.svc.AdminSetUserStatus(sys(), dis.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	for _, login := range []string{"ann@example.com", "dis@example.com", "nobody@example.com"} {
		if err := e.svc.Forgot(ctx, login); err != nil {
			t.Fatalf("Forgot(%s): %v", login, err)
		}
	}
	for addr, want := range map[string]int{"ann@example.com": 1, "dis@example.com": 0, "nobody@example.com": 0} {
		if n := len(e.emails(addr, service.EmailForgotPassword)); n != want {
			t.Errorf("%d reset emails to %s, want %d", n, addr, want)
		}
	}
	first := e.token("ann@example.com", service.EmailForgotPassword)
	if got, err := e.svc.ResetTokenUser(ctx, first); err != nil || got.ID != ann.ID {
		t.Fatalf("ResetTokenUser: %v, %v", got, err)
	}

	// A newer link replaces it.
	if err := e.svc.Forgot(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	second := e.token("ann@example.com", service.EmailForgotPassword)
	wantBadLink(t, "the replaced link", e.svc.CheckResetToken(ctx, first))
	_, err := e.svc.ResetPassword(ctx, first, "secret pass 2")
	wantBadLink(t, "a reset with the replaced link", err)

	// Locked, with two sessions: the reset ends both and unlocks.
	here := e.mustLogin("ann@example.com", "secret pass 1")
	there := e.mustLogin("ann@example.com", "secret pass 1")
	for range 3 {
		e.refused("wrong password", "ann@example.com", "wrong pass 1")
	}
	if u := e.reload(ann); u.Status != userdb.StatusLocked {
		t.Fatalf("not locked: %s", u.Status)
	}
	got, err := e.svc.ResetPassword(ctx, second, "secret pass 2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != userdb.StatusEnabled || got.FailedLogins != 0 {
		t.Fatalf("after the reset: %s, %d failures", got.Status, got.FailedLogins)
	}
	if e.signedIn(here) || e.signedIn(there) {
		t.Fatal("a session survived the reset")
	}
	e.mustLogin("ann@example.com", "secret pass 2")
	_, err = e.svc.ResetPassword(ctx, second, "secret pass 3")
	wantBadLink(t, "the used link", err)
	if ev := e.events("password.reset", ann); len(ev) != 1 {
		t.Errorf("%d password.reset events", len(ev))
	}
	if n := len(e.emails("ann@example.com", service.EmailPasswordResetDone)); n != 1 {
		t.Errorf("%d password-reset-successful emails", n)
	}

	// An expired link.
	if err := e.svc.Forgot(ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	tok := e.token("ann@example.com", service.EmailForgotPassword)
	e.clock.Add(time.Hour)
	wantBadLink(t, "an expired link", e.svc.CheckResetToken(ctx, tok))
	_, err = e.svc.ResetPassword(ctx, tok, "secret pass 3")
	wantBadLink(t, "a reset with an expired link", err)
	e.mustLogin("ann@example.com", "secret pass 2")

	// A PENDING user: the reset proves the address.
	if _, _, err := e.svc.Register(ctx, service.NewUser{Email: "pen@example.com", Password: "secret pass 1"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Forgot(ctx, "pen@example.com"); err != nil {
		t.Fatal(err)
	}
	got, err = e.svc.ResetPassword(ctx, e.token("pen@example.com", service.EmailForgotPassword), "secret pass 2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != userdb.StatusEnabled || got.EmailVerifiedAt == nil {
		t.Fatalf("a PENDING user after a reset: %s, verified at %v", got.Status, got.EmailVerifiedAt)
	}
}

// TestLinksAreSingleUse: many uses of one link at once, one succeeds. (Each
// link is a user's own: a reset ends the user's other links.)
func TestLinksAreSingleUse(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, _, err := e.svc.Register(ctx, service.NewUser{Email: "bob@example.com", Password: "secret pass 1"}); err != nil {
		t.Fatal(err)
	}
	verify := e.token("bob@example.com", service.EmailVerification)
	e.user("", "cy@example.com", "secret pass 1")
	if err := e.svc.Forgot(ctx, "cy@example.com"); err != nil {
		t.Fatal(err)
	}
	reset := e.token("cy@example.com", service.EmailForgotPassword)

	uses := []struct {
		name string
		use  func(i int) error
	}{
		{"verify", func(int) error { _, err := e.svc.Verify(ctx, verify); return err }},
		{"reset", func(i int) error {
			_, err := e.svc.ResetPassword(ctx, reset, fmt.Sprintf("new secret %d", i))
			return err
		}},
	}
	for _, u := range uses {
		name, use := u.name, u.use
		const n = 10
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = use(i) })
		}
		wg.Wait()
		wins := 0
		for _, err := range errs {
			if err == nil {
				wins++
			} else {
				wantBadLink(t, "a losing "+name, err)
			}
		}
		if wins != 1 {
			t.Errorf("%s: %d uses of one link succeeded, want 1", name, wins)
		}
	}
}
