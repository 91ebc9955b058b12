package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestBrowserMFAEnrolStage is the enrolment a sign-in asks for when a
// role's policy requires a second factor (set through the admin API, as an
// operator would) and the user has none: the password on /signin leads to
// /signin/mfa/enrol, not to a session; the user reads the key from the
// page, confirms it with otplib's code, sees the recovery codes once and
// continues to the profile, signed in with the factor listed.
func TestBrowserMFAEnrolStage(t *testing.T) {
	chromium(t)
	nodeApps(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	key := apiKey(t, s, "policy", "--role", "super-admin")
	roleID, _, _ := strings.Cut(strings.TrimSpace(s.cli("", "role", "add", "default", "finance")), "\t")
	if st, body := call(t, s.url+"/api/v1/roles/"+roleID+"/mfa-policy", "PUT", "Bearer "+key, map[string]any{"policy": "required"}); st != 204 {
		t.Fatalf("PUT the finance role's MFA policy: %d %v", st, body)
	}
	const email, pw = "fay@example.com", "fay's long pass phrase"
	s.addUser(email, pw, "--role", "finance", "--given-name", "Fay", "--surname", "Okafor")

	b := newTab(t, s, true)
	b.open("/signin")
	b.fill(map[string]string{"login": email, "password": pw})
	b.press("Sign in")
	b.see("p", "Your account requires two-step verification.")
	if loc := b.location(); !strings.HasPrefix(loc, s.url+"/signin/mfa/enrol") {
		t.Fatalf("after the password the browser is at %s", loc)
	}
	b.press("Set up an authenticator app")
	b.see("h1", "Set up an authenticator app")
	b.see("p", "Scan the QR code")
	b.screenshot("mfa-enrol-stage-360", 360)
	_, codes := enrolOnPage(t, b)
	b.do(clickLink("Continue"))
	b.see("h1", "Fay Okafor")
	b.see("span.badge", "TOTP")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after the codes the browser is at %s", loc)
	}
	// Shown once: the enrolment is over, its page no longer shows codes.
	b.open("/signin/mfa/enrol")
	if page, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerHTML`)); err != nil || strings.Contains(page, codes[0]) {
		t.Fatalf("the enrolment page after it is done shows a recovery code (%v)", err)
	}
	waitEmail(t, md, email, "A second factor was added")
}
