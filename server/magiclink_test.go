package server_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

var codeInEmail = regexp.MustCompile(`code on the sign-in page: (\d{6})`)

// codeOf returns the six-digit code of a sign-in email.
func codeOf(t testing.TB, m *userdb.OutboxEmail) string {
	t.Helper()
	match := codeInEmail.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no code in the sign-in email: %q", m.Text)
	}
	return match[1]
}

// askMagic asks for a sign-in email for addr and checks the one answer.
func (c *client) askMagic(addr string) response {
	c.e.t.Helper()
	r := c.do("POST", "/login/email", map[string]string{"email": addr})
	if r.status != 200 || string(r.body) != `{"expires_in":900,"sent":true}`+"\n" {
		c.e.t.Fatalf("POST /login/email for %s: %d %q", addr, r.status, r.body)
	}
	return r
}

// TestMagicLinkCode: the JSON path of an emailed code. A known and an
// unknown address get the same answer; only the known one gets an email.
// A wrong code is refused, the right code signs in (amr email) in the
// browser that asked and only there, once.
func TestMagicLinkCode(t *testing.T) {
	e := newEnv(t)
	ann := e.addUser("ann@example.com", "a long enough secret")
	c := e.client()
	known := c.askMagic("ann@example.com")
	unknown := e.client().askMagic("nobody@example.com")
	if known.header.Get("Set-Cookie") == "" || unknown.header.Get("Set-Cookie") == "" {
		t.Error("a request set no browser cookie")
	}
	if n := e.countEmails("nobody@example.com", service.EmailMagicLink); n != 0 {
		t.Errorf("%d sign-in emails to an unknown address", n)
	}
	m := e.lastEmail("ann@example.com", service.EmailMagicLink)
	code := codeOf(t, m)
	if !strings.Contains(m.Text, "/signin/email/link?sptoken=") {
		t.Errorf("no link in the email: %q", m.Text)
	}

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if r := c.do("POST", "/login/email/code", map[string]string{"code": wrong}); r.status != 400 || !strings.Contains(string(r.body), "wrong or has expired") {
		t.Errorf("wrong code: %d %s", r.status, r.body)
	}
	for _, bad := range []string{"", "12345", "abcdef", "1234567"} {
		if r := c.do("POST", "/login/email/code", map[string]string{"code": bad}); r.status != 400 {
			t.Errorf("code %q: %d %s", bad, r.status, r.body)
		}
	}
	// The right code in another browser: refused, and it counts.
	if r := e.client().do("POST", "/login/email/code", map[string]string{"code": code}); r.status != 400 {
		t.Errorf("the code in another browser: %d %s", r.status, r.body)
	}
	r := c.do("POST", "/login/email/code", map[string]string{"code": code})
	if r.status != 200 {
		t.Fatalf("right code: %d %s", r.status, r.body)
	}
	if got := r.json(t)["account"].(map[string]any)["email"]; got != "ann@example.com" {
		t.Errorf("signed in as %v", got)
	}
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Errorf("GET /me after the code: %d", r.status)
	}
	sessions, err := inside.Service(e.srv).Sessions(t.Context(), ann.ID)
	if err != nil || len(sessions) != 1 || strings.Join(sessions[0].AMR, ",") != "email" {
		t.Errorf("sessions %v (%v), want one with amr [email]", sessions, err)
	}
	if r := c.do("POST", "/login/email/code", map[string]string{"code": code}); r.status != 400 {
		t.Errorf("the code again: %d %s", r.status, r.body)
	}
	ev := e.events("login.succeeded")
	if len(ev) == 0 || ev[0].Details["method"] != "email" || ev[0].Details["via"] != "code" {
		t.Errorf("login.succeeded events: %v", ev)
	}
	if n := len(e.events("login.email_sent")); n != 1 {
		t.Errorf("%d login.email_sent events, want 1", n)
	}
}

// TestEmailCodeAttempts: after code_attempts wrong codes, the right one no
// longer works, and neither does a code after its lifetime.
func TestEmailCodeAttempts(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "a long enough secret")
	c := e.client()
	c.askMagic("ann@example.com")
	code := codeOf(t, e.lastEmail("ann@example.com", service.EmailMagicLink))
	for i := range 5 {
		guess := strings.Repeat(string(rune('0'+i)), 6)
		if guess == code {
			guess = "999999"
		}
		if r := c.do("POST", "/login/email/code", map[string]string{"code": guess}); r.status != 400 {
			t.Fatalf("guess %d: %d %s", i, r.status, r.body)
		}
	}
	if r := c.do("POST", "/login/email/code", map[string]string{"code": code}); r.status != 400 {
		t.Errorf("the right code after 5 wrong ones: %d %s", r.status, r.body)
	}

	// A new email, out of date when used.
	e.clock.Add(time.Hour) // past the per-address limit's burst too
	d := e.client()
	d.askMagic("ann@example.com")
	code = codeOf(t, e.lastEmail("ann@example.com", service.EmailMagicLink))
	e.clock.Add(15*time.Minute + time.Second)
	if r := d.do("POST", "/login/email/code", map[string]string{"code": code}); r.status != 400 {
		t.Errorf("a code past its lifetime: %d %s", r.status, r.body)
	}
}

// TestMagicLinkBrowsers: a link signs in the browser that asked at once;
// another browser must confirm; a used link is refused.
func TestMagicLinkBrowsers(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "a long enough secret")
	c := e.client()
	c.askMagic("ann@example.com")
	link := tokenOf(t, e.lastEmail("ann@example.com", service.EmailMagicLink))
	c.askMagic("ann@example.com")
	second := tokenOf(t, e.lastEmail("ann@example.com", service.EmailMagicLink))
	if link == second {
		t.Fatal("two requests, one link")
	}

	other := e.client()
	if r := other.do("POST", "/login/email/link", map[string]any{"sptoken": link}); r.status != 409 {
		t.Errorf("the link in another browser without confirm: %d %s", r.status, r.body)
	}
	if r := other.do("GET", "/me", nil); r.status != 401 {
		t.Errorf("the other browser is signed in: %d", r.status)
	}
	if r := other.do("POST", "/login/email/link", map[string]any{"sptoken": link, "confirm": true}); r.status != 200 {
		t.Errorf("the link in another browser, confirmed: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/login/email/link", map[string]any{"sptoken": link}); r.status != 400 {
		t.Errorf("a used link: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/login/email/link", map[string]any{"sptoken": second}); r.status != 200 {
		t.Errorf("the second link in the browser that asked: %d %s", r.status, r.body)
	}
	var browsers []any
	for _, ev := range e.events("login.succeeded") {
		browsers = append(browsers, ev.Details["browser"])
	}
	if len(browsers) != 2 || browsers[0] != "same" || browsers[1] != "other" {
		t.Errorf("browser of the sign-ins, newest first: %v", browsers)
	}
}

// TestMagicLinksDie: links die when the email or the password changes, as
// reset links do; disabled users get none; users without a password sign
// in with one.
func TestMagicLinksDie(t *testing.T) {
	e := newEnv(t)
	svc := inside.Service(e.srv)
	ann := e.addUser("ann@example.com", "a long enough secret")
	c := e.client()
	c.askMagic("ann@example.com")
	byEmail := tokenOf(t, e.lastEmail("ann@example.com", service.EmailMagicLink))
	if _, err := svc.AdminUpdateUser(ctxCLI(), ann.ID, service.ProfileUpdate{Email: ptr("ann2@example.com")}); err != nil {
		t.Fatal(err)
	}
	if r := c.do("POST", "/login/email/link", map[string]any{"sptoken": byEmail}); r.status != 400 {
		t.Errorf("a link after an email change: %d %s", r.status, r.body)
	}
	c.askMagic("ann2@example.com")
	m := e.lastEmail("ann2@example.com", service.EmailMagicLink)
	byPassword, code := tokenOf(t, m), codeOf(t, m)
	if _, err := svc.AdminSetPassword(ctxCLI(), ann.ID, "another long secret", false); err != nil {
		t.Fatal(err)
	}
	if r := c.do("POST", "/login/email/link", map[string]any{"sptoken": byPassword}); r.status != 400 {
		t.Errorf("a link after a password change: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/login/email/code", map[string]string{"code": code}); r.status != 400 {
		t.Errorf("a code after a password change: %d %s", r.status, r.body)
	}

	// Without a password (as users who came through an upstream provider
	// are): first-class.
	bob := e.addUser("bob@example.com", "a long enough secret")
	if _, err := svc.Store().UpdateUser(t.Context(), bob.ID, userdb.UserUpdate{PasswordHash: ptr("")}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	d := e.client()
	d.askMagic("bob@example.com")
	if r := d.do("POST", "/login/email/link", map[string]any{"sptoken": tokenOf(t, e.lastEmail("bob@example.com", service.EmailMagicLink))}); r.status != 200 {
		t.Errorf("a user without a password: %d %s", r.status, r.body)
	}
	// Disabled: no email, and a link sent before disabling does not sign in.
	d.askMagic("bob@example.com")
	before := tokenOf(t, e.lastEmail("bob@example.com", service.EmailMagicLink))
	if _, err := svc.AdminSetUserStatus(ctxCLI(), bob.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	n := e.countEmails("bob@example.com", service.EmailMagicLink)
	d.askMagic("bob@example.com")
	if got := e.countEmails("bob@example.com", service.EmailMagicLink); got != n {
		t.Errorf("a disabled user got a sign-in email (%d, then %d)", n, got)
	}
	if r := d.do("POST", "/login/email/link", map[string]any{"sptoken": before}); r.status < 400 || r.status >= 500 {
		t.Errorf("a link of a disabled user: %d %s", r.status, r.body)
	}
}

// TestMagicLinkLimits: past emails_per_address, requests are answered as
// before and send nothing; with magic_link.enabled false the routes are
// gone.
func TestMagicLinkLimits(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "a long enough secret")
	c := e.client()
	for range 7 {
		c.askMagic("ann@example.com")
	}
	if n := e.countEmails("ann@example.com", service.EmailMagicLink); n != 5 {
		t.Errorf("%d sign-in emails for 7 requests, want 5 (protection.rate_limits.emails_per_address)", n)
	}

	off := newEnv(t, func(c *server.Config) { c.MagicLink.Enabled = false })
	if r := off.client().do("POST", "/login/email", map[string]string{"email": "ann@example.com"}); r.status != 404 && r.status != 405 {
		t.Errorf("POST /login/email with magic_link.enabled false: %d %s", r.status, r.body)
	}
}
