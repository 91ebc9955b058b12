package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

const annPassword = "correct horse battery"

var (
	uriField     = regexp.MustCompile(`name="uri" value="([^"]+)"`)
	recoveryCode = regexp.MustCompile(`<li><code>([a-z0-9-]+)</code></li>`)
)

// code is the TOTP code of secret at the site's clock plus d.
func code(s *site, secret string, d time.Duration) string {
	s.T.Helper()
	c, err := totp.GenerateCode(secret, s.Clock.Now().Add(d))
	if err != nil {
		s.T.Fatal(err)
	}
	return c
}

// shownKey reads the key an enrolment page shows, from the form that goes
// back with it, and checks the page shows it as a QR code and as text.
func shownKey(t *testing.T, p page) (uri, secret string) {
	t.Helper()
	m := uriField.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no key on the page:\n%s", p.Body)
	}
	uri = html.UnescapeString(m[1])
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	secret = u.Query().Get("secret")
	grouped := ""
	for i := 0; i < len(secret); i += 4 {
		grouped += secret[i:min(i+4, len(secret))] + " "
	}
	wantText(t, p, `<img class="totp-qr" src="data:image/png;base64,`, `<code class="totp-secret" id="totp-secret">`+strings.TrimSpace(grouped)+`</code>`)
	if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src 'self' data:") {
		t.Fatalf("the QR code is not allowed by the CSP %q", csp)
	}
	return uri, secret
}

// shownCodes reads the recovery codes a page shows.
func shownCodes(t *testing.T, p page) []string {
	t.Helper()
	var codes []string
	for _, m := range recoveryCode.FindAllStringSubmatch(p.Body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown:\n%s", len(codes), p.Body)
	}
	return codes
}

// enrolOnProfile adds an authenticator app on the profile page of b,
// signed in, and returns its key and the recovery codes; the clock then
// moves to the next step, so that sign-ins have a code not used yet.
func enrolOnProfile(s *site, b *browser) (string, []string) {
	t := s.T
	t.Helper()
	p := b.Post("/profile/mfa/totp", url.Values{"intent": {"begin"}})
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "<h1>Set up an authenticator app</h1>", `autocomplete="one-time-code" inputmode="numeric"`)
	uri, secret := shownKey(t, p)
	factor := regexp.MustCompile(`name="factor_id" value="([^"]+)"`).FindStringSubmatch(p.Body)[1]
	p = b.Post("/profile/mfa/totp", url.Values{"intent": {"confirm"}, "factor_id": {factor}, "uri": {uri}, "code": {code(s, secret, 0)}})
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "<h1>Save your recovery codes</h1>", `href="/profile">Back to your profile</a>`)
	codes := shownCodes(t, p)
	s.Clock.Add(30 * time.Second)
	return secret, codes
}

// annWithApp starts a site whose user Ann has added an authenticator app
// on her profile, and returns its key and recovery codes.
func annWithApp(t *testing.T, configure ...func(*server.Config)) (*site, *userdb.User, string, []string) {
	t.Helper()
	s := newSite(t, configure...)
	ann := s.AddUser("ann@example.com", annPassword, "")
	b := s.Browser()
	b.SignIn("ann@example.com", annPassword)
	secret, codes := enrolOnProfile(s, b)
	return s, ann, secret, codes
}

// startSignIn posts the sign-in form of a new browser with next= and
// wants it sent to the challenge.
func startSignIn(s *site, next string) *browser {
	s.T.Helper()
	b := s.Browser()
	p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {annPassword}, "next": {next}})
	wantRedirect(s.T, p, "/signin/mfa?next="+url.QueryEscape(next))
	if b.Cookie("userdb") != "" || b.Cookie("userdb_pending") == "" {
		s.T.Fatalf("after the password: session %q, pending %q", b.Cookie("userdb"), b.Cookie("userdb_pending"))
	}
	return b
}

// TestMFAChallenge: a user with an authenticator app signs in on the
// hosted page: the password leads to the challenge (next= carried along),
// a wrong code and a code used already are refused with a message and
// change nothing but the failure count, the right code signs in with amr
// pwd+otp+mfa and goes on to next=, and "remember this device" skips the
// challenge on that browser only.
func TestMFAChallenge(t *testing.T) {
	s, ann, secret, _ := annWithApp(t)

	b := startSignIn(s, "/profile/sessions")
	p := b.Get("/signin/mfa?next=%2Fprofile%2Fsessions")
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "<h1>Two-step verification</h1>",
		`<input id="f-code" name="code" type="text" autocomplete="one-time-code" inputmode="numeric" maxlength="64" required autofocus>`,
		`<input type="hidden" name="next" value="/profile/sessions">`,
		`<label for="f-remember">Remember this device for 30 days</label>`,
		`href="/signin/mfa?method=recovery_code&amp;next=%2fprofile%2fsessions">Use a recovery code instead</a>`,
		`Cancel and sign in again`)
	if m := inlineCode.FindString(p.Body); m != "" {
		t.Fatalf("inline code %q would break the CSP", m)
	}

	// A wrong code: the page again, with the message; counted; no session.
	p = b.Post("/signin/mfa", url.Values{"code": {"000000"}, "next": {"/profile/sessions"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `<p class="field-error" id="f-code-error">That code did not work.`, `aria-invalid="true"`)
	if b.Cookie("userdb") != "" {
		t.Fatal("a wrong code started a session")
	}
	if u := user(s, ann.ID); u.FailedLogins != 1 {
		t.Fatalf("a wrong code counted %d failures", u.FailedLogins)
	}

	// The right code, remembering the device: on to next=.
	good := code(s, secret, 0)
	p = b.Post("/signin/mfa", url.Values{"code": {good}, "remember": {"true"}, "next": {"/profile/sessions"}})
	wantRedirect(t, p, "/profile/sessions")
	if b.Cookie("userdb") == "" || b.Cookie("userdb_pending") != "" || b.Cookie("userdb_mfa") == "" {
		t.Fatalf("cookies after the code: session %q pending %q remembered %q", b.Cookie("userdb"), b.Cookie("userdb_pending"), b.Cookie("userdb_mfa"))
	}
	wantStatus(t, b.Get("/profile/sessions"), http.StatusOK)
	sessions, _ := inside.Service(s.Srv).Sessions(context.Background(), ann.ID)
	if len(sessions) == 0 || !slices.Equal(sessions[0].AMR, []string{"pwd", "otp", "mfa"}) {
		t.Fatalf("the session's amr: %v", sessions)
	}
	if u := user(s, ann.ID); u.FailedLogins != 0 {
		t.Fatalf("the sign-in left %d failures", u.FailedLogins)
	}

	// The same code in another browser: refused, that browser stays at
	// the challenge and can go on with the next code.
	other := startSignIn(s, "/profile")
	p = other.Post("/signin/mfa", url.Values{"code": {good}, "next": {"/profile"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "That code did not work. Codes change every 30 seconds and each works once")
	wantRedirect(t, other.Post("/signin/mfa", url.Values{"code": {code(s, secret, 30*time.Second)}, "next": {"/profile"}}), "/profile")

	// The remembered browser signs in with the password alone; another
	// browser is still asked.
	b.Post("/signout", nil)
	wantRedirect(t, b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {annPassword}}), "/profile")
	startSignIn(s, "/profile")
}

// TestMFARecoveryCode: the challenge takes a recovery code instead, once.
func TestMFARecoveryCode(t *testing.T) {
	s, _, _, codes := annWithApp(t)

	b := startSignIn(s, "/profile")
	p := b.Get("/signin/mfa?method=recovery_code&next=%2Fprofile")
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "Enter one of the recovery codes", `<input type="hidden" name="method" value="recovery_code">`,
		`<label for="f-code">Recovery code</label>`, `autocomplete="off" autocapitalize="none"`,
		`href="/signin/mfa?next=%2fprofile">Use your authenticator app instead</a>`)
	wantRedirect(t, b.Post("/signin/mfa", url.Values{"method": {"recovery_code"}, "code": {strings.ToUpper(codes[0])}, "next": {"/profile"}}), "/profile")
	wantText(t, b.Get("/profile"), "You have <strong>9</strong> left.")

	again := startSignIn(s, "/profile")
	p = again.Post("/signin/mfa", url.Values{"method": {"recovery_code"}, "code": {codes[0]}, "next": {"/profile"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "That recovery code did not work. Each recovery code works once.", `name="method" value="recovery_code"`)
}

// TestMFAPendingExpired: a challenge left for longer than the pending
// sign-in lives, or without one at all, sends the browser back to sign in
// with a message and next= kept; cancelling ends it.
func TestMFAPendingExpired(t *testing.T) {
	s, _, secret, _ := annWithApp(t)

	wantRedirect(t, s.Browser().Get("/signin/mfa?next=%2Fprofile"), "/signin?next=%2Fprofile")

	b := startSignIn(s, "/profile/sessions")
	s.Clock.Add(5*time.Minute + time.Second)
	p := b.Post("/signin/mfa", url.Values{"code": {code(s, secret, 0)}, "next": {"/profile/sessions"}})
	wantRedirect(t, p, "/signin?next=%2Fprofile%2Fsessions")
	if b.Cookie("userdb") != "" || b.Cookie("userdb_pending") != "" {
		t.Fatal("an expired sign-in left a cookie or started a session")
	}
	wantText(t, b.Follow(p), `<div class="alert alert-error" role="status">Your sign-in has expired. Please sign in again.</div>`,
		`<input type="hidden" name="next" value="/profile/sessions">`)

	// Cancel: back to sign in; the pending sign-in is gone for good.
	c := startSignIn(s, "/profile")
	pending := c.Cookie("userdb_pending")
	wantRedirect(t, c.Post("/signin/mfa", url.Values{"intent": {"cancel"}, "next": {"/profile"}}), "/signin?next=%2Fprofile")
	if _, err := inside.Service(s.Srv).Store().FindPendingLogin(context.Background(), userdb.HashSecret(pending), s.Clock.Now()); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Fatalf("the cancelled sign-in: %v", err)
	}
}

// TestMFAEnrolStage: a user whose role requires a second factor and who
// has none sets one up before any session: the page explains, a post
// shows the key (QR code and text), a wrong first code shows the same key
// again, the right one signs in and shows the recovery codes once, with
// the way on to next=.
func TestMFAEnrolStage(t *testing.T) {
	s := newSite(t)
	svc := inside.Service(s.Srv)
	ctx := context.Background()
	role, err := svc.AdminCreateRole(service.WithActor(ctx, service.SystemActor()), "", "finance", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AdminSetMFAPolicy(service.WithActor(ctx, service.SystemActor()), role.ID, userdb.MFARequired); err != nil {
		t.Fatal(err)
	}
	ann := s.AddUser("ann@example.com", annPassword, "", "finance")

	b := s.Browser()
	p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {annPassword}, "next": {"/profile/sessions"}})
	wantRedirect(t, p, "/signin/mfa/enrol?next=%2Fprofile%2Fsessions")
	p = b.Follow(p)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "Your account requires two-step verification", `<input type="hidden" name="intent" value="begin">`,
		`<form method="post" action="/signin/mfa" class="form-secondary">`) // cancel
	if strings.Contains(p.Body, "data:image") {
		t.Fatal("the explanation already made a key: a GET must change nothing")
	}
	if st, _ := svc.MFAStatusOf(ctx, ann); len(st.Factors) != 0 {
		t.Fatalf("factors before enrolling: %v", st.Factors)
	}

	p = b.Post("/signin/mfa/enrol", url.Values{"intent": {"begin"}, "next": {"/profile/sessions"}})
	wantStatus(t, p, http.StatusOK)
	uri, secret := shownKey(t, p)
	factor := regexp.MustCompile(`name="factor_id" value="([^"]+)"`).FindStringSubmatch(p.Body)[1]
	if m := inlineCode.FindString(p.Body); m != "" {
		t.Fatalf("inline code %q would break the CSP", m)
	}

	confirm := url.Values{"intent": {"confirm"}, "factor_id": {factor}, "uri": {uri}, "next": {"/profile/sessions"}}
	confirm.Set("code", "123456")
	if confirm.Get("code") == code(s, secret, 0) {
		confirm.Set("code", "654321")
	}
	p = b.Post("/signin/mfa/enrol", confirm)
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "That code is not right")
	if _, again := shownKey(t, p); again != secret || b.Cookie("userdb") != "" {
		t.Fatalf("after a wrong code: key %s (was %s), session %q", again, secret, b.Cookie("userdb"))
	}

	confirm.Set("code", code(s, secret, 0))
	p = b.Post("/signin/mfa/enrol", confirm)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, `<a class="button button-primary" href="/profile/sessions">Continue</a>`)
	shownCodes(t, p)
	if b.Cookie("userdb") == "" || b.Cookie("userdb_pending") != "" {
		t.Fatal("enrolling did not sign in")
	}
	if p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the recovery codes may be cached: %q", p.Header.Get("Cache-Control"))
	}
	wantStatus(t, b.Get("/profile/sessions"), http.StatusOK)

	// Posting the confirmation again (a reload) shows no codes again.
	p = b.Post("/signin/mfa/enrol", confirm)
	wantRedirect(t, p, "/signin?next=%2Fprofile%2Fsessions")
}

// TestProfileMFA: the profile's section lists the factors; managing them
// asks for a recent second factor first (password and code on the
// confirmation page, then back); new recovery codes replace the old ones;
// removing the app empties the list.
func TestProfileMFA(t *testing.T) {
	s := newSite(t, func(c *server.Config) { c.MFA.RememberDevice = 0 })
	s.AddUser("ann@example.com", annPassword, "")
	b := s.Browser()
	b.SignIn("ann@example.com", annPassword)
	p := b.Get("/profile")
	wantText(t, p, `<h2 id="mfa-heading">Two-step verification</h2>`, "Add a second step to signing in", "Add an authenticator app")
	secret, oldCodes := enrolOnProfile(s, b)

	p = b.Get("/profile")
	wantText(t, p, `<div class="alert alert-success" role="status">Your authenticator app has been added.`,
		`<span>Authenticator app</span> <span class="badge">TOTP</span>`, "Added 1 Mar 2026, 12:00 UTC", "Last used 1 Mar 2026, 12:00 UTC",
		"You have <strong>10</strong> left.", "Get new recovery codes")

	// The session signed in with the password alone: new codes need the
	// second factor first.
	s.Clock.Add(2 * time.Minute)
	p = b.Post("/profile/mfa/recovery-codes", nil)
	wantRedirect(t, p, "/profile/reauth?next=%2Fprofile")
	p = b.Follow(p)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "<h1>Confirm it is you</h1>", `<input type="hidden" name="next" value="/profile">`,
		`<input id="f-code" name="code" type="text" autocomplete="one-time-code" autocapitalize="none"`)
	p = b.Post("/profile/reauth", url.Values{"password": {annPassword}, "code": {"000000"}, "next": {"/profile"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Invalid code.")
	p = b.Post("/profile/reauth", url.Values{"password": {annPassword}, "code": {code(s, secret, 0)}, "next": {"/profile"}})
	wantRedirect(t, p, "/profile")
	wantText(t, b.Get("/profile"), "Thank you. You can make the change now.", "Last used 1 Mar 2026, 12:02 UTC")

	p = b.Post("/profile/mfa/recovery-codes", nil)
	wantStatus(t, p, http.StatusOK)
	newCodes := shownCodes(t, p)
	if slices.Contains(newCodes, oldCodes[0]) {
		t.Fatal("the new codes repeat an old one")
	}
	other := startSignIn(s, "/profile")
	wantStatus(t, other.Post("/signin/mfa", url.Values{"method": {"recovery_code"}, "code": {oldCodes[0]}}), http.StatusBadRequest)
	wantRedirect(t, other.Post("/signin/mfa", url.Values{"method": {"recovery_code"}, "code": {newCodes[0]}}), "/profile")

	// Remove the app: the list is empty again.
	id := regexp.MustCompile(`name="id" value="(fac_[^"]+)"`).FindStringSubmatch(b.Get("/profile").Body)[1]
	p = b.Post("/profile/mfa/remove", url.Values{"id": {id}})
	wantRedirect(t, p, "/profile")
	p = b.Get("/profile")
	wantText(t, p, "The authenticator app has been removed.", "Add a second step to signing in")
	if strings.Contains(p.Body, `class="factor"`) {
		t.Fatal("the removed app is still listed")
	}
	wantRedirect(t, s.Browser().Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {annPassword}}), "/profile")
}
