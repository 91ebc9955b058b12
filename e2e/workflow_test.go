package e2e

import (
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestAccountWorkflow walks the whole life of an account against the real
// binary and a real SMTP server, in both JSON shapes.
func TestAccountWorkflow(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	for _, transformer := range []string{"none", "stormpath"} {
		t.Run(transformer, func(t *testing.T) {
			if err := md.DeleteAll(); err != nil {
				t.Fatal(err)
			}
			s := startServer(t, md,
				"USERDB_REGISTRATION_ENABLED=true",
				"USERDB_TRANSFORMER="+transformer,
			)
			walkAccountLife(t, s, md, transformer)
		})
	}
}

func walkAccountLife(t *testing.T, s *server, md *mailtest.MailDev, transformer string) {
	email := "dana." + transformer + "@example.com"
	const first, second, third = "first pass phrase", "second pass phrase", "third pass phrase"
	browser, phone := s.client(), s.client()

	// Register: PENDING until the email is verified.
	acc := browser.expect(201, "POST", "/register", map[string]any{
		"email": email, "password": first, "givenName": "Dana", "surname": "Scully",
	})["account"].(map[string]any)
	if acc["status"] != "PENDING" {
		t.Fatalf("registered status %v", acc["status"])
	}
	checkShape(t, acc, transformer)
	browser.expect(401, "POST", "/login", map[string]any{"login": email, "password": first})

	// The verification email arrives; its link verifies the account.
	_, link := waitEmail(t, md, email, "Please verify your account")
	if !strings.HasPrefix(link, s.url+"/verify?sptoken=") {
		t.Fatalf("verification link %q", link)
	}
	browser.expect(200, "GET", link, nil)
	browser.expect(400, "GET", link, nil) // single use
	waitEmail(t, md, email, "Your account has been confirmed")
	waitEmail(t, md, email, "Your registration was successful")

	// Sign in on two devices; /me answers on both.
	acc = browser.expect(200, "POST", "/login", map[string]any{"login": email, "password": first})["account"].(map[string]any)
	checkShape(t, acc, transformer)
	phone.expect(200, "POST", "/login", map[string]any{"username": email, "password": first})
	me := browser.expect(200, "GET", "/me", nil)["account"].(map[string]any)
	if me["email"] != email || me["fullName"] != "Dana Scully" || me["status"] != "ENABLED" {
		t.Fatalf("/me = %v", me)
	}

	// Change the password: the other session ends, this one stays.
	browser.expect(200, "POST", "/me/password", map[string]any{"currentPassword": first, "password": second})
	phone.expect(401, "GET", "/me", nil)
	browser.expect(200, "GET", "/me", nil)

	// Forgot: the reset email's link is good; /change sets the password.
	s.client().expect(200, "POST", "/forgot", map[string]any{"email": email})
	_, reset := waitEmail(t, md, email, "Reset your password")
	token := reset[strings.Index(reset, "sptoken=")+len("sptoken="):]
	browser.expect(200, "GET", "/change?sptoken="+token, nil)
	browser.expect(200, "POST", "/change", map[string]any{"sptoken": token, "password": third})
	waitEmail(t, md, email, "Your password has been changed")
	browser.expect(401, "GET", "/me", nil) // a reset ends every session

	// Only the new password works; the used link fails.
	browser.expect(401, "POST", "/login", map[string]any{"login": email, "password": second})
	browser.expect(200, "POST", "/login", map[string]any{"email": email, "password": third})
	browser.expect(400, "GET", "/change?sptoken="+token, nil)
	browser.expect(400, "POST", "/change", map[string]any{"sptoken": token, "password": "fourth pass phrase"})

	// Sign out.
	browser.expect(200, "POST", "/logout", nil)
	browser.expect(401, "GET", "/me", nil)
}

// checkShape checks the JSON shape of the transformer.
func checkShape(t *testing.T, acc map[string]any, transformer string) {
	t.Helper()
	_, hasHref := acc["href"]
	groups, hasGroups := acc["groups"].(map[string]any)
	switch transformer {
	case "stormpath":
		if !hasHref || !hasGroups || groups["items"] == nil {
			t.Fatalf("stormpath shape missing href/groups: %v", acc)
		}
	default:
		if hasHref || hasGroups {
			t.Fatalf("plain shape has stormpath fields: %v", acc)
		}
	}
	if _, ok := acc["password"]; ok {
		t.Fatal("account JSON carries the password")
	}
}

// TestEmailSurvivesSMTPOutage stops the SMTP server, asks for a reset (the
// answer is still 200), waits until the server has logged failed attempts,
// starts SMTP again and expects the email exactly once.
func TestEmailSurvivesSMTPOutage(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md, "USERDB_REGISTRATION_ENABLED=true", "USERDB_REGISTRATION_REQUIRE_VERIFICATION=false")
	const email = "outage@example.com"
	s.client().expect(201, "POST", "/register", map[string]any{"email": email, "password": "first pass phrase"})
	waitEmail(t, md, email, "Your registration was successful")

	if err := md.Stop(); err != nil {
		t.Fatal(err)
	}
	s.client().expect(200, "POST", "/forgot", map[string]any{"email": email})
	s.waitLog("mail: sending email failed; will retry", 2) // retried at the configured backoff
	if err := md.Start(); err != nil {
		t.Fatal(err)
	}
	waitEmail(t, md, email, "Reset your password")
	// Stopped, the server has finished every attempt (SIGTERM lets the
	// one under way end), and MailDev stores an email before accepting
	// it: a duplicate would be there now.
	s.stop()
	if n := countEmails(t, md, email, "Reset your password"); n != 1 {
		t.Fatalf("reset emails delivered: %d, want 1", n)
	}
}
