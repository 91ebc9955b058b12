package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// birthdateConfig declares the one custom attribute the account pages'
// test edits.
const birthdateConfig = `custom_data:
  schema:
    - name: birthdate
      type: date
      editable_by: user
`

// TestBrowserAccountPages walks the hosted pages in Chromium against the
// real binary and MailDev: register, verify from the email, sign in, edit
// the profile (names, and a date attribute typed key by key), change the
// password, sign out; then forget the password, reset it from the email
// and sign in with the keyboard alone. It saves screenshots of the sign-in and profile pages at desktop
// and phone widths under the artifacts directory.
func TestBrowserAccountPages(t *testing.T) {
	chromium(t) // skip early, before starting anything, when there is none
	md := mailtest.New(t, mailtest.Options{})
	s := startServerWithConfig(t, md, birthdateConfig, "USERDB_REGISTRATION_ENABLED=true")
	b := newTab(t, s, true)
	const email = "dana@example.com"

	b.open("/signin")
	b.see("h1", "Sign in")
	b.screenshot("signin-desktop", 1280)
	b.screenshot("signin-360", 360)

	// Register: the account waits for its email to be verified.
	b.do(clickLink("Create an account"))
	b.see("h1", "Create your account")
	b.fill(map[string]string{"givenName": "Dana", "surname": "Scully", "email": email,
		"password": "first pass phrase", "confirmPassword": "first pass phrase"})
	b.press("Create account")
	b.see("div.alert-success", "We have sent you an email")

	_, link := waitEmail(t, md, email, "Please verify your account")
	b.open(link)
	b.see("h1", "Email verified")
	b.do(clickLink("Sign in"))
	b.see("h1", "Sign in")
	b.fill(map[string]string{"login": email, "password": "first pass phrase"})
	b.press("Sign in")
	b.see("h1", "Dana Scully")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	b.screenshot("profile-desktop", 1280)
	b.screenshot("profile-360", 360)

	// Edit the profile.
	b.fill(map[string]string{"givenName": "Danielle"})
	b.press("Save changes")
	b.see("div.alert-success", "Your profile has been saved.")
	b.see("h1", "Danielle Scully")

	// The date attribute, typed; saved, it is there after a reload and in /me.
	// (From a fresh page: the flash of the names above must not pass for
	// the answer to this form.)
	b.open("/profile")
	b.see("h2", "Profile details")
	b.typeDate("customData.birthdate", 1964, 2, 23)
	b.press("Save details")
	b.see("div.alert-success", "Your profile has been saved.")
	b.open("/profile")
	b.see("h1", "Danielle Scully")
	if got := b.value("customData.birthdate"); got != "1964-02-23" {
		t.Fatalf("birthdate shows %q after saving and reloading", got)
	}
	me := s.signedIn(email, "first pass phrase").expect(200, "GET", "/me", nil)
	account, _ := me["account"].(map[string]any)
	if custom, _ := account["customData"].(map[string]any); custom["birthdate"] != "1964-02-23" {
		t.Fatalf("GET /me after saving the birthdate: %v", me)
	}

	// Change the password: a wrong current one first.
	b.fill(map[string]string{"currentPassword": "not my password", "password": "second pass phrase",
		"confirmPassword": "second pass phrase"})
	b.press("Change password")
	b.see("p.field-error", "Current password is incorrect.")
	b.fill(map[string]string{"currentPassword": "first pass phrase", "password": "second pass phrase",
		"confirmPassword": "second pass phrase"})
	b.press("Change password")
	b.see("div.alert-success", "Your password has been changed.")
	waitEmail(t, md, email, "Your password has been changed")

	// The sessions page lists this browser.
	b.do(clickLink("Sessions"))
	b.see("span.badge", "This device")

	// Sign out.
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.open("/profile")
	b.see("h1", "Sign in")

	// Forgot the password: reset it from the email, then sign in with it.
	b.do(clickLink("Forgot your password?"))
	b.fill(map[string]string{"login": email})
	b.press("Email me a link")
	b.see("div.alert-success", "Check your email.")
	_, reset := waitEmail(t, md, email, "Reset your password")
	b.open(reset)
	b.see("h1", "Choose a new password")
	b.fill(map[string]string{"password": "third pass phrase", "confirmPassword": "third pass phrase"})
	b.press("Set password")
	b.see("div.alert-success", "Your password has been reset.")
	// With the keyboard only: Tab to the fields, type, Enter.
	b.tabTo("login")
	b.do(chromedp.KeyEvent(email), chromedp.KeyEvent(kb.Tab))
	if f := b.focused(); f != "password" {
		t.Fatalf("Tab from the login field went to %q, not to the password", f)
	}
	b.do(chromedp.KeyEvent("third pass phrase"), chromedp.KeyEvent(kb.Enter))
	b.see("h1", "Danielle Scully")
}

// TestBrowserPagesWithoutJavaScript signs in and resets a password with
// scripts switched off, and checks that a form on another site cannot post
// to the pages even though the browser sends the session cookie with it.
func TestBrowserPagesWithoutJavaScript(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md, "USERDB_REGISTRATION_ENABLED=true", "USERDB_REGISTRATION_REQUIRE_VERIFICATION=false")
	const email = "fox@example.com"
	s.client().expect(201, "POST", "/register", map[string]any{
		"email": email, "password": "first pass phrase", "givenName": "Fox", "surname": "Mulder"})
	b := newTab(t, s, false)

	// A page the server protects sends the browser to sign in and back.
	b.open("/profile/sessions")
	b.see("h1", "Sign in")
	b.fill(map[string]string{"login": email, "password": "wrong pass phrase"})
	b.press("Sign in")
	b.see("div.alert-error", "Invalid username or password.")
	b.fill(map[string]string{"password": "first pass phrase"})
	b.press("Sign in")
	b.see("h1", "Your sessions")

	// Another site (another port: same site, other origin, so the lax
	// session cookie goes along) posts a form to the profile.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><noscript><p>Scripts are off.</p></noscript>` +
			`<form method="post" action="` + s.url + `/profile">` +
			`<input type="hidden" name="intent" value="names"><input type="hidden" name="givenName" value="Mallory">` +
			`<button type="submit">Win a prize</button></form>`))
	}))
	defer evil.Close()
	b.open(evil.URL)
	b.see("p", "Scripts are off.") // <noscript> shows only when they are
	b.press("Win a prize")
	b.see("h1", "Request refused") // a page, not JSON, for a browser's form
	b.see("p", "Cross-origin request refused.")
	b.open("/profile")
	b.see("h1", "Fox Mulder")

	// Sign out, forget the password and reset it, all without scripts.
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.do(clickLink("Forgot your password?"))
	b.fill(map[string]string{"login": email})
	b.press("Email me a link")
	b.see("div.alert-success", "Check your email.")
	_, reset := waitEmail(t, md, email, "Reset your password")
	b.open(reset)
	b.fill(map[string]string{"password": "second pass phrase", "confirmPassword": "other pass phrase"})
	b.press("Set password")
	b.see("p.field-error", "The passwords do not match.")
	b.fill(map[string]string{"password": "second pass phrase", "confirmPassword": "second pass phrase"})
	b.press("Set password")
	b.see("div.alert-success", "Your password has been reset.")
	b.fill(map[string]string{"login": email, "password": "second pass phrase"})
	b.press("Sign in")
	b.see("h1", "Fox Mulder")
	if loc := b.location(); !strings.HasSuffix(loc, "/profile") {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
}

// TestBrowserReturnURL: next= naming another site's page leads there after
// sign-in only when the site is in server.allowed_return_urls. Chromium
// checks the redirect that answers the sign-in form against the page's
// form-action policy, so this needs a real browser to prove. Attempts to
// leave for other sites stay here.
func TestBrowserReturnURL(t *testing.T) {
	chromium(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>App</title><h1>Back in the app</h1>`))
	}))
	defer app.Close()
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md, "USERDB_SERVER_ALLOWED_RETURN_URLS="+app.URL)
	const email, pw = "kim@example.com", "kim pass phrase"
	s.addUser(email, pw, "--given-name", "Kim", "--surname", "Kwan")
	b := newTab(t, s, false)

	// Written as an attacker would put them in a link: each names another
	// host to a browser that follows it blindly.
	for _, next := range []string{"//evil.example", `/\evil.example`, "https://evil.example/", "/%5Cevil.example"} {
		b.open("/signin?next=" + next)
		b.see("h1", "Sign in")
		b.fill(map[string]string{"login": email, "password": pw})
		b.press("Sign in")
		b.see("h1", "Kim Kwan")
		if loc := b.location(); loc != s.url+"/profile" {
			t.Fatalf("after sign-in with next=%s the browser is at %s", next, loc)
		}
		// Signed in already, the sign-in page sends the browser on: here.
		b.open("/signin?next=" + next)
		b.see("h1", "Kim Kwan")
		if loc := b.location(); loc != s.url+"/profile" {
			t.Fatalf("signed in, /signin?next=%s took the browser to %s", next, loc)
		}
		b.press("Sign out")
		b.see("div.alert-info", "You have signed out.")
	}

	// The allowed site: the browser lands there after signing in.
	back := app.URL + "/welcome?from=userdb"
	b.open("/signin?next=" + url.QueryEscape(back))
	b.fill(map[string]string{"login": email, "password": pw})
	b.press("Sign in")
	b.see("h1", "Back in the app")
	if loc := b.location(); loc != back {
		t.Fatalf("after sign-in with next=%s the browser is at %s", back, loc)
	}
}
