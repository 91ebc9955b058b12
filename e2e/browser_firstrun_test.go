package e2e

import (
	"regexp"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// setupURLRE finds the one-time set-up address in serve's JSON log.
var setupURLRE = regexp.MustCompile(`"setup_url":"([^"]+)"`)

// TestBrowserFirstTenMinutes is a new operator's first minutes in Chromium
// against the real binary and MailDev: / of a fresh server shows the
// sign-in page; the set-up address from the log creates the first
// super-admin, who lands on the profile, follows its console link and sees
// the users table (both asking it to add a second factor within its
// grace); the same address is 404 afterwards; a user who has not
// verified the email and types the right password is offered a new link,
// which arrives. Screenshots of /, /setup and the 404 page at 1280 and
// 360 px go to the artifacts directory.
func TestBrowserFirstTenMinutes(t *testing.T) {
	chromium(t) // skip early, before starting anything, when there is none
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md, "USERDB_REGISTRATION_ENABLED=true")
	b := newTab(t, s, false)

	b.open("/")
	b.see("h1", "Sign in")
	if loc := b.location(); loc != s.url+"/signin" {
		t.Fatalf("/ went to %s", loc)
	}
	b.screenshot("home-1280", 1280)
	b.screenshot("home-360", 360)

	s.waitLog(`"setup_url"`, 1)
	m := setupURLRE.FindStringSubmatch(s.logs.String())
	if m == nil {
		t.Fatalf("no setup_url in the log:\n%s", s.logs)
	}
	setupURL := m[1]
	b.open(setupURL)
	b.see("h1", "Create the first administrator")
	b.screenshot("setup-1280", 1280)
	b.screenshot("setup-360", 360)
	b.fill(map[string]string{"email": "root@example.com", "password": "a long pass phrase", "confirmPassword": "a long pass phrase"})
	b.press("Create administrator")
	b.see("div.alert-success", "You are the first administrator")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after set-up the browser is at %s", loc)
	}
	// Administrators need a second factor (ASVS 4.3.1), after a grace.
	b.see("div.admin-mfa-notice", "Administrators must add a second factor by")
	b.do(clickLink("Admin console"))
	b.see("h1", "Users")
	b.see("span.user-email", "root@example.com")
	b.see("div.admin-mfa-notice", "Administrators must add a second factor by")

	b.open(setupURL)
	b.see("h1", "Page not found")
	b.screenshot("notfound-1280", 1280)
	b.screenshot("notfound-360", 360)

	// An unverified user with the right password gets a new link.
	const email = "una@example.com"
	s.client().expect(201, "POST", "/register", map[string]string{"email": email, "password": "una pass phrase"})
	waitEmail(t, md, email, "Please verify your account")
	b.open("/profile")
	b.press("Sign out")
	b.see("h1", "Sign in")
	b.fill(map[string]string{"login": email, "password": "wrong pass phrase"})
	b.press("Sign in")
	b.see("div.alert-error", "Invalid username or password.")
	b.fill(map[string]string{"login": email, "password": "una pass phrase"})
	b.press("Sign in")
	b.see("div.alert-error", "not verified yet")
	b.press("Send the link again")
	b.see("div.alert-success", "we have sent it a new link")
	for deadline := time.Now().Add(60 * time.Second); countEmails(t, md, email, "Please verify your account") < 2; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no second verification email to %s", email)
		}
	}
}
