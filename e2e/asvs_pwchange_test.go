package e2e

import (
	"testing"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestASVS_2_3_1_TemporaryPasswordFromTheCommandLine reproduces the audit
// through the real binary: a temporary password set on the command line
// (`user reset-password --password-stdin --must-change`) signed in to a
// full session. Now POST /login answers the password-change stage and no
// session: the admin API refuses the client until POST /expired has set
// the user's own password.
func TestASVS_2_3_1_TemporaryPasswordFromTheCommandLine(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	s.addUser("boss@example.com", "first pass phrase", "--role", "super-admin")
	s.cli("temporary pass phrase\n", "user", "reset-password", "boss@example.com", "--password-stdin", "--must-change")

	c := s.client()
	m := c.expect(200, "POST", "/login", map[string]any{"login": "boss@example.com", "password": "temporary pass phrase"})
	if m["password_change_required"] != true || m["stage"] != "password_change" || m["account"] != nil {
		t.Fatalf("POST /login with a temporary password: %v", m)
	}
	key := map[string]any{"name": "sync", "roles": []string{"super-admin"}}
	c.expect(401, "GET", "/api/v1/users", nil)
	c.expect(401, "POST", "/api/v1/api-keys", key)

	if m := c.expect(200, "POST", "/expired", map[string]any{"password": "my own pass phrase"}); m["account"] == nil {
		t.Fatalf("POST /expired: %v", m)
	}
	c.expect(200, "GET", "/api/v1/users", nil)
	c.expect(201, "POST", "/api/v1/api-keys", key)
	s.signedIn("boss@example.com", "my own pass phrase")
}
