package server_test

import (
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// TestUnicodeIdentifiers reproduces the review's finding: emails and
// usernames with zero-width or bidi-control characters were accepted, and
// café@ written in NFC and in NFD made two accounts that look the same.
// Now identifiers are stored in NFC, compared in NFC, and refuse invisible
// characters.
func TestUnicodeIdentifiers(t *testing.T) {
	const pw = "a long enough secret"
	const nfc, nfd = "caf\u00e9@example.com", "cafe\u0301@example.com"
	e := newEnv(t, func(c *server.Config) { c.Registration.Enabled, c.Registration.RequireVerification = true, false })
	c := e.client()
	if r := c.do("POST", "/register", map[string]any{"email": nfd, "username": "jos\u0065\u0301", "password": pw}); r.status != 201 {
		t.Fatalf("register in NFD: %d %s", r.status, r.body)
	}
	u, err := inside.Service(e.srv).Store().FindUserByLogin(t.Context(), nfc)
	if err != nil {
		t.Fatalf("the NFD address is not found by its NFC form: %v", err)
	}
	if u.Email != nfc || u.Username != "jos\u00e9" {
		t.Errorf("stored %q / %q, want the NFC forms", u.Email, u.Username)
	}
	if r := e.client().do("POST", "/register", map[string]any{"email": nfc, "password": pw}); r.status != 409 {
		t.Errorf("register the same address in NFC: %d %s", r.status, r.body)
	}
	if r := e.client().do("POST", "/register", map[string]any{"email": "other@example.com", "username": "JOS\u00c9", "password": pw}); r.status != 409 {
		t.Errorf("register the same username in NFC capitals: %d %s", r.status, r.body)
	}
	for _, login := range []string{nfc, nfd, "CAFE\u0301@EXAMPLE.COM", "jos\u00e9"} {
		if r := e.client().login(login, pw); r.status != 200 {
			t.Errorf("sign in as %q: %d %s", login, r.status, r.body)
		}
	}

	super := superClient(e)
	for _, tc := range []struct{ name, field, value string }{
		{"zero-width space in an email", "email", "ann\u200b@example.com"},
		{"right-to-left override in an email", "email", "ann\u202egpj.exe@example.com"},
		{"zero-width space in a username", "username", "ann\u200b"},
		{"right-to-left override in a username", "username", "evil\u202eknab"},
		{"byte-order mark in a username", "username", "\ufeffann"},
		{"no-break space in a username", "username", "ann\u00a0lee"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{"email": "someone@example.com", "password": pw}
			body[tc.field] = tc.value
			want := func(what string, r response) {
				t.Helper()
				if r.status != 400 || !strings.Contains(string(r.body), "invisible or control characters") {
					t.Errorf("%s: %d %s", what, r.status, r.body)
				}
			}
			want("register", e.client().do("POST", "/register", body))
			want("admin create", super.do("POST", "/api/v1/users", body))
			want("admin update", super.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"version": u.Version, tc.field: tc.value}))
		})
	}
	if n, _ := inside.Service(e.srv).Store().CountUsers(t.Context(), userdb.UserFilter{}, 0); n != 2 {
		t.Errorf("%d users, want 2", n)
	}
}
