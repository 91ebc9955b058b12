package e2e

import (
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestBrowserConsoleMFAReset (issue 16) drives the console in Chromium,
// scripts off: a user adds an authenticator app through the JSON API; the
// super-admin sees it on the user's page (kind, name, added, last used),
// presses "Reset MFA", and the factor is gone, the user emailed. A
// screenshot of the page with the factor goes to the artifacts directory.
func TestBrowserConsoleMFAReset(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	const rootPW, userPW = "root pass phrase", "user pass phrase"
	s.addUser("root@example.com", rootPW, "--role", "super-admin", "--given-name", "Rita", "--surname", "Root")
	annID := s.addUser("ann@example.com", userPW, "--given-name", "Ann", "--surname", "Lee")

	ann := s.signedIn("ann@example.com", userPW)
	begun := ann.expect(200, "POST", "/me/mfa/totp", nil)
	secret, _ := begun["secret"].(string)
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	ann.expect(200, "POST", "/me/mfa/totp/confirm", map[string]any{"factor_id": begun["factor_id"], "code": code})

	b := newTab(t, s, false)
	b.open("/signin")
	b.fill(map[string]string{"login": "root@example.com", "password": rootPW})
	b.press("Sign in")
	b.see("h1", "Rita Root") // her profile page
	b.open("/admin/users/" + annID)
	b.see("h1", "Ann Lee")
	b.see("h2", "Second factors")
	b.see("td", "Authenticator app")
	b.see("p", "10 unused recovery codes")
	b.screenshot("user-detail-mfa-desktop", 1280)
	b.screenshot("user-detail-mfa-360", 360)

	b.press("Reset MFA")
	b.see("div.alert-success", "second factors have been removed")
	b.see("p", "No second factor.")
	api := s.signedIn("root@example.com", rootPW)
	if m := api.expect(200, "GET", "/api/v1/users/"+annID+"/factors", nil); len(m["factors"].([]any)) != 0 {
		t.Fatalf("factors after the reset: %v", m)
	}
	waitEmail(t, md, "ann@example.com", "second factors of your")
}
