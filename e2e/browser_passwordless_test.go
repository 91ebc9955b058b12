package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
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
