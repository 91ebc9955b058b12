package service_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// signedIn returns the context of a request from device whose session
// cookie is l's.
func (e *env) session(device string, l *service.Login) context.Context {
	ctx := service.WithDevice(context.Background(), device)
	ctx = service.WithMeta(ctx, service.Meta{IP: "192.0.2.7", Session: l.Secret})
	return service.WithActor(ctx, service.UserActor(l.User))
}

// code is the TOTP code of secret at the test clock's time plus d.
func (e *env) code(secret string, d time.Duration) string {
	e.t.Helper()
	c, err := totp.GenerateCode(secret, e.clock.Now().Add(d))
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// enrolTOTP signs u in and adds an authenticator app; it returns the key
// and the recovery codes.
func (e *env) enrolTOTP(login, pw string) (string, []string) {
	e.t.Helper()
	l, err := e.svc.Login(browser("dev-A", ""), login, pw)
	if err != nil || l.Session == nil {
		e.t.Fatalf("sign-in before enrolment: %v %+v", err, l)
	}
	ctx := e.session("dev-A", l)
	en, err := e.svc.BeginTOTP(ctx, l.User)
	if err != nil {
		e.t.Fatal(err)
	}
	done, err := e.svc.ConfirmTOTP(ctx, l.User, en.FactorID, e.code(en.Secret, 0))
	if err != nil {
		e.t.Fatal(err)
	}
	e.clock.Add(30 * time.Second) // the next sign-in uses the next step
	return en.Secret, done.RecoveryCodes
}

// pending signs in with the password and returns the pending MFA state.
func (e *env) pending(device, login, pw string) (context.Context, *service.Pending) {
	e.t.Helper()
	l, err := e.svc.Login(browser(device, ""), login, pw)
	if err != nil {
		e.t.Fatal(err)
	}
	if l.Pending == nil || l.Pending.Stage != userdb.PendingMFA {
		e.t.Fatalf("sign-in of a user with a factor: %+v", l)
	}
	ctx := browser(device, l.Pending.Secret)
	p, err := e.svc.FindPending(ctx, userdb.PendingMFA)
	if err != nil {
		e.t.Fatal(err)
	}
	return ctx, p
}

// TestTOTPSignIn: enrolment is confirmed by a first code and gives ten
// recovery codes; then a sign-in asks for a code, a wrong one counts as a
// failed sign-in, the right one gives a session with amr pwd+otp+mfa, and
// the same code is refused the second time; a code of the step before or
// after is accepted, two steps off is not.
func TestTOTPSignIn(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.LockAfter = 10 })
	ann := e.user("", "ann@example.com", "secret pass 1")
	secret, codes := e.enrolTOTP("ann@example.com", "secret pass 1")
	if len(codes) != 10 || len(codes[0]) != 19 {
		t.Fatalf("recovery codes %q", codes)
	}
	if len(e.emails("ann@example.com", service.EmailFactorAdded)) != 1 || len(e.events("mfa.factor_added", ann)) != 1 {
		t.Fatal("no email or event of the factor added")
	}
	st, err := e.svc.MFAStatusOf(context.Background(), ann)
	if err != nil || len(st.Factors) != 1 || st.RecoveryCodesLeft != 10 || st.Factors[0].Kind != "totp" {
		t.Fatalf("status %+v %v", st, err)
	}

	ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
	if m, _ := e.svc.Methods(ctx, p.User); !slices.Equal(m, []string{"totp", "recovery_code"}) {
		t.Fatalf("methods %v", m)
	}
	_, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: "000000"})
	wantErr(t, "a wrong code", err, userdb.EUNAUTHORIZED, "")
	if u := e.reload(ann); u.FailedLogins != 1 {
		t.Fatalf("a wrong code counted %d failures", u.FailedLogins)
	}
	_, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: e.code(secret, -60*time.Second)})
	wantErr(t, "a code two steps old", err, userdb.EUNAUTHORIZED, "")

	good := e.code(secret, 0)
	l, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: good})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(l.Session.AMR, []string{"pwd", "otp", "mfa"}) || !e.signedIn(l) {
		t.Fatalf("session %+v", l.Session)
	}
	if u := e.reload(ann); u.FailedLogins != 0 {
		t.Fatalf("after the sign-in %d failures", u.FailedLogins)
	}

	// The same code again, in a new sign-in within its step: refused.
	ctx, p = e.pending("dev-A", "ann@example.com", "secret pass 1")
	_, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: good})
	wantErr(t, "a replayed code", err, userdb.EUNAUTHORIZED, "")
	// The next step's code (a phone a little ahead) is fine.
	if _, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: e.code(secret, 30*time.Second)}); err != nil {
		t.Fatalf("the next step's code: %v", err)
	}
}

// TestRecoveryCodes: a recovery code signs in once (an event and an
// email), in any case and with or without dashes; regenerating voids the
// old set.
func TestRecoveryCodes(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	_, codes := e.enrolTOTP("ann@example.com", "secret pass 1")

	ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
	l, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodRecovery, Code: " " + codes[0] + " "})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(l.Session.AMR, "mfa") {
		t.Fatalf("amr %v", l.Session.AMR)
	}
	if len(e.emails("ann@example.com", service.EmailRecoveryUsed)) != 1 {
		t.Fatal("no email of the recovery code used")
	}
	if ev := e.events("mfa.recovery_code_used", ann); len(ev) != 1 || ev[0].Details["left"] != float64(9) {
		t.Fatalf("events %+v", ev)
	}
	ctx, p = e.pending("dev-A", "ann@example.com", "secret pass 1")
	_, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodRecovery, Code: codes[0]})
	wantErr(t, "a used recovery code", err, userdb.EUNAUTHORIZED, "")
	// Upper case, no dashes: the same code; guessed as a recovery code by its length.
	upper := strings.ToUpper(strings.ReplaceAll(codes[1], "-", ""))
	if _, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: upper}); err != nil {
		t.Fatalf("a code in upper case without dashes: %v", err)
	}

	ctx, p = e.pending("dev-A", "ann@example.com", "secret pass 1")
	l, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodRecovery, Code: codes[2]})
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := e.svc.RegenerateRecoveryCodes(e.session("dev-A", l), l.User)
	if err != nil || len(fresh) != 10 {
		t.Fatalf("regenerate: %v %d", err, len(fresh))
	}
	ctx, p = e.pending("dev-A", "ann@example.com", "secret pass 1")
	_, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodRecovery, Code: codes[3]})
	wantErr(t, "an old code after regenerating", err, userdb.EUNAUTHORIZED, "")
}

// TestTOTPGuessesCountedExactly: 100 concurrent wrong codes for one user
// are each counted toward the lockout, exactly, and lock it once.
func TestTOTPGuessesCountedExactly(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.LockAfter = 1000 })
	ann := e.user("", "ann@example.com", "secret pass 1")
	e.enrolTOTP("ann@example.com", "secret pass 1")
	ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
	const n = 100
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: "12345" + string(rune('0'+i%10))})
		})
	}
	wg.Wait()
	refused := 0
	for _, err := range errs {
		if userdb.ErrorMessage(err) == "Invalid code." {
			refused++
		}
	}
	// One of the ten codes tried may be right by chance (1 in 100,000
	// per step): then its call signs in and the rest are still counted.
	if u := e.reload(ann); u.FailedLogins != refused || refused < n-10 {
		t.Fatalf("%d codes refused, %d failures counted", refused, u.FailedLogins)
	}
	if got := len(e.events("mfa.failed", ann)); got != refused {
		t.Fatalf("%d mfa.failed events for %d refusals", got, refused)
	}
}

// TestTOTPGuessesLock: wrong codes lock the user at the threshold, and the
// pending sign-in then goes no further even with the right code.
func TestTOTPGuessesLock(t *testing.T) {
	e := newEnv(t) // LockAfter 3
	ann := e.user("", "ann@example.com", "secret pass 1")
	secret, _ := e.enrolTOTP("ann@example.com", "secret pass 1")
	ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
	for range 3 {
		_, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: "000000"})
		wantErr(t, "a wrong code", err, userdb.EUNAUTHORIZED, "")
	}
	if u := e.reload(ann); u.Status != userdb.StatusLocked {
		t.Fatalf("after 3 wrong codes: %s", u.Status)
	}
	_, err := e.svc.FindPending(ctx, userdb.PendingMFA)
	if err == nil {
		p2, _ := e.svc.FindPending(ctx, userdb.PendingMFA)
		_, err = e.svc.VerifyMFA(ctx, p2, service.MFAProof{Code: e.code(secret, 0)})
	}
	wantErr(t, "the right code once locked", err, userdb.EUNAUTHORIZED, "")
}

// TestASVS_2_6_2_RecoveryCodesSalted: recovery codes (79 bits, under
// ASVS's 112) are kept salted with their user's id, so the plain SHA-256
// of a code is no row; codes kept before the salt still work, once.
func TestASVS_2_6_2_RecoveryCodesSalted(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	_, codes := e.enrolTOTP("ann@example.com", "secret pass 1")
	plain := userdb.HashSecret(strings.ReplaceAll(codes[0], "-", ""))
	if err := e.store.UseRecoveryCode(context.Background(), ann.ID, plain, e.clock.Now()); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Fatalf("the unsalted hash of a code found a row: %v", err)
	}
	for _, c := range codes {
		if len(c) != 19 || strings.Trim(c, "abcdefghjkmnpqrstuvwxyz23456789-") != "" {
			t.Fatalf("code %q is not 16 characters of the alphabet in groups of four", c)
		}
	}

	legacy := userdb.HashSecret("abcdefghjkmnpqrs")
	if err := e.store.ReplaceRecoveryCodes(context.Background(), ann.ID, [][]byte{legacy}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
	if _, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodRecovery, Code: "ABCD-EFGH-JKMN-PQRS"}); err != nil {
		t.Fatalf("a code kept before the salt: %v", err)
	}
	ctx, p = e.pending("dev-A", "ann@example.com", "secret pass 1")
	_, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodRecovery, Code: "abcd-efgh-jkmn-pqrs"})
	wantErr(t, "the old code again", err, userdb.EUNAUTHORIZED, "")
}

// TestASVS_2_8_5_ReusedCodeIsLoggedAndNotified: a right TOTP code given
// again within its step is refused, counted like a wrong one, recorded as
// mfa.code_reused and mailed to the user; a wrong code is not "reused".
func TestASVS_2_8_5_ReusedCodeIsLoggedAndNotified(t *testing.T) {
	e := newEnv(t)
	ann := e.user("", "ann@example.com", "secret pass 1")
	secret, _ := e.enrolTOTP("ann@example.com", "secret pass 1")
	good := e.code(secret, 0)
	ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
	if _, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: good}); err != nil {
		t.Fatal(err)
	}
	ctx, p = e.pending("dev-B", "ann@example.com", "secret pass 1")
	_, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: "000000"})
	wantErr(t, "a wrong code", err, userdb.EUNAUTHORIZED, "")
	if len(e.events("mfa.code_reused", ann)) != 0 {
		t.Fatal("a wrong code was recorded as reused")
	}
	_, err = e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: good})
	wantErr(t, "the used code again", err, userdb.EUNAUTHORIZED, "")
	if len(e.events("mfa.code_reused", ann)) != 1 || len(e.emails("ann@example.com", service.EmailCodeReused)) != 1 {
		t.Fatal("no event or no email of the reused code")
	}
	if u := e.reload(ann); u.FailedLogins != 2 {
		t.Fatalf("%d failures counted, want 2 (the wrong and the reused code)", u.FailedLogins)
	}
}

// TestFirstFactorNeedsRecentSignIn: a session older than
// mfa.reauth_max_age cannot add a user's first factor (a stolen session
// would make its own authenticator the user's way in); a fresh sign-in
// can.
func TestFirstFactorNeedsRecentSignIn(t *testing.T) {
	e := newEnv(t, func(o *service.Options) { o.MFA.ReauthMaxAge = 15 * time.Minute })
	ann := e.user("", "ann@example.com", "secret pass 1")
	l, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1")
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Add(16 * time.Minute)
	_, err = e.svc.BeginTOTP(e.session("dev-A", l), ann)
	wantErr(t, "a first factor from an old session", err, userdb.EFORBIDDEN, "reauth")
	if st, _ := e.svc.MFAStatusOf(context.Background(), ann); len(st.Factors) != 0 {
		t.Fatalf("factors after the refusal: %+v", st.Factors)
	}
	l, err = e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.BeginTOTP(e.session("dev-A", l), ann); err != nil {
		t.Fatalf("a first factor from a fresh session: %v", err)
	}
}

// TestAdminGraceIsTheShorter: an administrator whose account also
// requires a second factor gets the shorter of mfa.grace and
// mfa.admins_grace, not the account's longer one.
func TestAdminGraceIsTheShorter(t *testing.T) {
	e := newEnv(t, func(o *service.Options) {
		o.MFA.Admins, o.MFA.AdminsGrace, o.MFA.Grace = userdb.MFARequired, 7*24*time.Hour, 90*24*time.Hour
	})
	if err := e.svc.AdminSetMFAPolicy(sys(), userdb.DefaultAccountID, userdb.MFARequired); err != nil {
		t.Fatal(err)
	}
	e.user("", "boss@example.com", "secret pass 1", "admin")
	if l, err := e.svc.Login(browser("dev-A", ""), "boss@example.com", "secret pass 1"); err != nil || l.Session == nil {
		t.Fatalf("an administrator in its grace: %+v %v", l, err)
	}
	e.clock.Add(8 * 24 * time.Hour)
	l, err := e.svc.Login(browser("dev-A", ""), "boss@example.com", "secret pass 1")
	if err != nil || l.Pending == nil || l.Pending.Stage != service.PendingMFAEnrol {
		t.Fatalf("an administrator after 8 days: %+v %v, want the enrolment stage (7 days, not the account's 90)", l, err)
	}
}
