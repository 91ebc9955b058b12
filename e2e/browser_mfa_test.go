package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// totpPeriod is the step of authenticator apps' codes (RFC 6238's 30 s).
const totpPeriod = 30

// authenticator computes TOTP codes as a phone's app would, with otplib
// (an implementation nobody here wrote; testdata/oidc-apps pins it), run
// by node.
type authenticator struct {
	t      *testing.T
	node   string
	secret string
	last   int64 // the newest step whose code was used
}

// newAuthenticator returns the app for the key secret; without node or
// otplib the test is skipped, or fails when USERDB_TEST_E2E is 1.
func newAuthenticator(t *testing.T, secret string) *authenticator {
	t.Helper()
	node := nodeApps(t)
	if _, err := os.Stat(filepath.Join(oidcAppsDir, "node_modules", "otplib")); err != nil {
		msg := "otplib is missing; run " + oidcAppsInstall
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return &authenticator{t: t, node: node, secret: secret}
}

// enrolOnPage sets up the app on the enrolment page in front of b, as a
// person does: the key typed in from its text (#totp-secret), the app's
// code entered; it returns the app and the 10 recovery codes shown.
func enrolOnPage(t *testing.T, b *tab) (*authenticator, []string) {
	t.Helper()
	shown, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#totp-secret")))
	if err != nil {
		t.Fatal(err)
	}
	app := newAuthenticator(t, strings.ReplaceAll(shown, " ", ""))
	first, step := app.now()
	b.fill(map[string]string{"code": first})
	b.press("Turn on two-step verification")
	b.see("h1", "Save your recovery codes")
	app.last = step
	codes, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(".recovery-codes code"), e => e.textContent)`))
	if err != nil || len(codes) != 10 {
		t.Fatalf("recovery codes %v (%v)", codes, err)
	}
	return app, codes
}

var sixDigits = regexp.MustCompile(`^[0-9]{6}$`)

// codeAt is otplib's code for a step.
func (a *authenticator) codeAt(step int64) string {
	a.t.Helper()
	cmd := exec.Command(a.node, "-e", `require("otplib").generate({secret: process.argv[1], epoch: Number(process.argv[2])}).then(c => console.log(c))`,
		a.secret, strconv.FormatInt(step*totpPeriod, 10))
	cmd.Dir = oidcAppsDir
	out, err := cmd.Output()
	code := strings.TrimSpace(string(out))
	if err != nil || !sixDigits.MatchString(code) {
		a.t.Fatalf("otplib: %v %q", err, out)
	}
	return code
}

// now is the code the app shows now; the step it is of becomes the last
// one used once the server has taken it.
func (a *authenticator) now() (string, int64) {
	step := time.Now().Unix() / totpPeriod
	return a.codeAt(step), step
}

// next is a code the server has not seen: the step after the last used.
// The server takes one step either side of its own, so that step's code
// works from the start of the step before it; when that has not begun
// yet, this waits for it, as long as the clock says, and no longer.
func (a *authenticator) next() string {
	a.t.Helper()
	step := a.last + 1
	if wait := time.Until(time.Unix((step-1)*totpPeriod, 0)); wait > 0 {
		a.t.Logf("waiting %s for TOTP step %d", wait.Round(time.Millisecond), step-1)
		time.Sleep(wait + 100*time.Millisecond)
	}
	if cur := time.Now().Unix() / totpPeriod; step < cur {
		step = cur // a step that has passed: the app shows the current one
	}
	a.last = step
	return a.codeAt(step)
}

// TestBrowserMFA is two-step verification as a person goes through it in
// Chromium: add an authenticator app on the profile (the key read from the
// page, codes from otplib), sign out, sign in with the password and the
// app's code; the same code again is refused; a recovery code signs in
// instead, once. It saves screenshots of the enrolment and challenge pages
// at 1280 and 360 px.
func TestBrowserMFA(t *testing.T) {
	chromium(t)
	nodeApps(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	const email, pw = "mia@example.com", "mia's long pass phrase"
	s.addUser(email, pw, "--given-name", "Mia", "--surname", "Wallace")
	b := newTab(t, s, true)

	b.open("/signin")
	b.fill(map[string]string{"login": email, "password": pw})
	b.press("Sign in")
	b.see("h1", "Mia Wallace")
	b.see("h2", "Two-step verification")

	// Add the app: the key is on the page as a QR code and as text.
	b.press("Add an authenticator app")
	b.see("h1", "Set up an authenticator app")
	b.screenshot("mfa-enrol-desktop", 1280)
	b.screenshot("mfa-enrol-360", 360)
	app, codes := enrolOnPage(t, b)
	b.screenshot("mfa-recovery-codes-360", 360)
	b.do(clickLink("Back to your profile"))
	b.see("div.alert-success", "Your authenticator app has been added.")
	b.see("span.badge", "TOTP")
	b.screenshot("mfa-profile-desktop", 1280)
	waitEmail(t, md, email, "A second factor was added")

	// Sign out; the password alone no longer signs in.
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.fill(map[string]string{"login": email, "password": pw})
	b.press("Sign in")
	b.see("h1", "Two-step verification")
	if loc := b.location(); !strings.HasPrefix(loc, s.url+"/signin/mfa") {
		t.Fatalf("after the password the browser is at %s", loc)
	}
	b.screenshot("mfa-challenge-desktop", 1280)
	b.screenshot("mfa-challenge-360", 360)
	code := app.next()
	b.fill(map[string]string{"code": code})
	b.press("Verify")
	b.see("h1", "Mia Wallace")

	// The same code again: refused, the page stays.
	b.press("Sign out")
	b.fill(map[string]string{"login": email, "password": pw})
	b.press("Sign in")
	b.see("h1", "Two-step verification")
	b.fill(map[string]string{"code": code})
	b.press("Verify")
	b.see("p.field-error", "That code did not work.")

	// A recovery code instead, once.
	b.do(clickLink("Use a recovery code instead"))
	b.see("label", "Recovery code")
	b.fill(map[string]string{"code": codes[0]})
	b.press("Verify")
	b.see("h1", "Mia Wallace")
	b.see("p", "You have 9 left.")
	waitEmail(t, md, email, "A recovery code of your")
	b.press("Sign out")
	b.fill(map[string]string{"login": email, "password": pw})
	b.press("Sign in")
	b.do(clickLink("Use a recovery code instead"))
	b.see("label", "Recovery code") // the new page, not the one the click left
	b.fill(map[string]string{"code": codes[0]})
	b.press("Verify")
	b.see("p.field-error", "That recovery code did not work.")

	// The app's next code still signs in.
	b.do(clickLink("Use your authenticator app instead"))
	b.see("p", "Enter the 6-digit code from your authenticator app.")
	b.fill(map[string]string{"code": app.next()})
	b.press("Verify")
	b.see("h1", "Mia Wallace")
}
