package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestASVS_2_2_3_NoticesByEmail reproduces the audit's silent takeover: an
// administrator changed a user's email and nothing reached either address.
// Through the real binary and MailDev: the old address is told of the
// change (and how to react), the user of a password set by an
// administrator (here the command line's; the service test covers an
// administrator's) and an API key's creator of its
// creation and revocation.
func TestASVS_2_2_3_NoticesByEmail(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	const pw = "first pass phrase"
	s.addUser("boss@example.com", pw, "--role", "super-admin")
	uid := s.addUser("old@example.com", pw, "--given-name", "Ola")
	admin := s.signedIn("boss@example.com", pw)

	version := func() any { return admin.expect(200, "GET", "/api/v1/users/"+uid, nil)["version"] }
	admin.expect(200, "PATCH", "/api/v1/users/"+uid, map[string]any{"email": "new@example.com", "version": version()})
	waitText(t, md, "old@example.com", "email address was changed", "tell your administrator at once")

	s.cli("set on the command line 1\n", "user", "reset-password", "new@example.com", "--password-stdin")
	if body := waitText(t, md, "new@example.com", "A new password was set", "set a new password for your account on the server's command line"); strings.Contains(body, "set on the command line 1") {
		t.Fatalf("the password notice holds the password:\n%s", body)
	}
	s.cli("set on the command line 2\n", "user", "reset-password", "new@example.com", "--password-stdin", "--must-change")
	waitFor(t, func() bool { return countEmails(t, md, "new@example.com", "A new password was set") == 2 },
		"a second password notice, for a temporary password")

	key := admin.expect(201, "POST", "/api/v1/api-keys", map[string]any{"name": "billing sync", "roles": []string{"super-admin"}})
	waitText(t, md, "boss@example.com", "API keys", `"billing sync"`)
	id, _ := key["id"].(string)
	admin.expect(204, "DELETE", "/api/v1/api-keys/"+id, nil)
	waitFor(t, func() bool { return countEmails(t, md, "boss@example.com", "API keys") == 2 }, "the revocation notice")
}

// waitFor polls cond until it holds, as waitEmail does for one email, and
// fails the test after a minute saying what did not happen.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within a minute", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// words is s with every run of white space made one space.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// waitText waits for an email to addr whose subject holds subject and whose
// text, its white space made single spaces, holds want; it returns that text.
// (MailDev may list a message before it has parsed its body.)
func waitText(t *testing.T, md *mailtest.MailDev, to, subject, want string) string {
	t.Helper()
	var last string
	waitFor(t, func() bool {
		msgs, err := md.Messages()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.Subject, subject) && contains(m.To, to) {
				if last = words(m.Text); strings.Contains(last, want) {
					return true
				}
			}
		}
		return false
	}, "email to "+to+" saying "+want+" (last: "+last+")")
	return last
}
