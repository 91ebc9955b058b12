package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestBrowserMagicLink signs in by email in Chromium against the real
// binary and MailDev, without JavaScript: ask for a link on the sign-in
// page, open it from MailDev's copy of the email and land signed in; the
// same link again is refused. A second link, opened once the browser has
// forgotten its cookies (as another browser would be), asks to confirm
// before it signs in.
func TestBrowserMagicLink(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	const email = "erin@example.com"
	s.addUser(email, "a long enough secret")
	b := newTab(t, s, false)

	b.open("/signin")
	b.do(clickLink("Email me a sign-in link"))
	b.see("h1", "Sign in by email")
	b.fill(map[string]string{"email": email})
	b.press("Email me a sign-in link")
	b.see("h1", "Check your email")
	_, link := waitEmail(t, md, email, "Sign in to")
	if link == "" {
		t.Fatal("no link in the sign-in email")
	}
	b.open(link)
	b.see("h1", "Your profile")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after the link the browser is at %s", loc)
	}
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.open(link)
	b.see("h1", "This sign-in link no longer works")

	// Another browser: confirm first.
	b.open("/signin/email")
	b.fill(map[string]string{"email": email})
	b.press("Email me a sign-in link")
	b.see("h1", "Check your email")
	second := waitNewLink(t, md, email, "Sign in to", link)
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.ClearBrowserCookies, cdp.Empty{})
		return err
	}))
	b.open(second)
	b.see("h1", "Sign in on this browser?")
	b.open("/profile")
	b.see("h1", "Sign in") // nothing signed in by opening the link
	b.open(second)
	b.press("Sign in on this browser")
	b.see("h1", "Your profile")
}

// waitNewLink waits for an email to addr whose subject contains subject
// and whose link is not old, and returns that link.
func waitNewLink(t *testing.T, md *mailtest.MailDev, to, subject, old string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		msgs, err := md.Messages()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if l := linkRE.FindString(m.Text); l != "" && l != old && strings.Contains(m.Subject, subject) && contains(m.To, to) {
				return l
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new email %q to %s", subject, to)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestBrowserPasskey registers a passkey in Chromium with a virtual
// authenticator (CTAP2, internal transport, resident keys, user
// verification) over the DevTools protocol, signs out, and signs in with
// it from the sign-in page's "Sign in with a passkey", no name and no
// password typed; then a password sign-in, which asks for the passkey as
// its second factor on the challenge page ("Use your passkey"). The
// relying party is localhost: WebAuthn refuses IP addresses as relying
// party ids. Last, the page that confirms it is the user before a change
// takes the password and the passkey.
func TestBrowserPasskey(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	dir := t.TempDir()
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"USERDB_SERVER_ADDR="+addr,
		"USERDB_SERVER_BASE_URL=http://localhost:"+strconv.Itoa(port),
		"USERDB_DATABASE_DSN=sqlite:"+filepath.Join(dir, "userdb.db"),
		"USERDB_SMTP_HOST="+md.SMTPHost(), "USERDB_SMTP_PORT="+strconv.Itoa(md.SMTPPort()), "USERDB_SMTP_TLS=none",
		"USERDB_LOG_LEVEL=warn", "USERDB_SERVER_MANAGEMENT_ADDR=127.0.0.1:0",
	)
	s := launch(t, cmd, addr)
	s.url = "http://localhost:" + strconv.Itoa(port)
	const email = "pat@example.com"
	s.addUser(email, "a long enough secret")
	b := newTab(t, s, true)
	b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
				HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
		return err
	}))

	b.open("/signin")
	b.fill(map[string]string{"login": email, "password": "a long enough secret"})
	b.press("Sign in")
	b.see("h2", "Passkeys")
	b.fill(map[string]string{"name": "Test laptop"})
	b.press("Add a passkey")
	b.see("div.alert-success", "Your passkey has been added.")
	b.see("span.passkey-name", "Test laptop")

	// Scripts are off while signing out: the sign-in page it lands on asks
	// for a passkey as soon as it loads, which the virtual authenticator
	// answers by itself, signing in again before the test sees the page.
	scripts := func(on bool) {
		b.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
			return err
		}))
	}
	scripts(false)
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	scripts(true)
	// The page asks for a passkey as soon as it loads (autofill, conditional
	// mediation), which the virtual authenticator may answer by itself; the
	// button asks again if it has not.
	// When it answers at once, the page moves on before its load ends and
	// the navigation reports net::ERR_ABORTED: that is the sign-in working.
	if _, err := chromedp.Run(b.ctx, chromedp.Navigate(s.url+"/signin")); err != nil && !strings.Contains(err.Error(), "ERR_ABORTED") {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`(b => { if (b && !b.hidden) { b.click(); } return true; })(document.getElementById("passkey-signin"))`)); err != nil && !strings.Contains(err.Error(), "context") {
		t.Fatal(err)
	}
	b.see("h2", "Passkeys")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after the passkey the browser is at %s", loc)
	}

	// A password sign-in now asks for the passkey as its second factor, on
	// the challenge page. Scripts are off until then, so that the sign-in
	// page's own passkey request does not sign in first.
	scripts(false)
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.open("/signin?next=%2Fprofile%2Fsessions")
	b.fill(map[string]string{"login": email, "password": "a long enough secret"})
	b.press("Sign in")
	b.see("h1", "Two-step verification")
	b.see("p", "Confirm it is you with your passkey.")
	scripts(true)
	b.open(b.location())
	b.see("button", "Use your passkey")
	b.press("Use your passkey")
	b.see("h1", "Your sessions")
	if loc := b.location(); loc != s.url+"/profile/sessions" {
		t.Fatalf("after the passkey as second factor the browser is at %s", loc)
	}

	// Confirming it is you before a change (where a sign-in too old for it
	// is sent): the password typed on the page, then the passkey. A wrong
	// password is refused on the page; the right one goes back to next=.
	b.open("/profile/reauth?next=%2Fprofile")
	b.see("p", "Enter your password and use your passkey to go on.")
	b.fill(map[string]string{"password": "not the secret"})
	b.press("Use your passkey")
	b.see("p.alert-error", "Invalid username or password.")
	b.open("/profile/reauth?next=%2Fprofile") // a fresh field: the harness's Clear leaves a typed password
	b.fill(map[string]string{"password": "a long enough secret"})
	b.press("Use your passkey")
	b.see("div.alert-success", "Thank you. You can make the change now.")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after confirming with the passkey the browser is at %s", loc)
	}
}
