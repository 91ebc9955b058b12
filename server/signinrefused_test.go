package server_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// Sign-in with the right password tells an unverified, disabled or locked
// user what to do, in JSON by a documented code and on the page by an
// offer to send the verification link again; the wrong password stays the
// one generic answer.
func TestSignInRefusalsSayWhatToDo(t *testing.T) {
	e := newEnv(t)
	svc := inside.Service(e.srv)
	if _, err := svc.AdminCreateUser(ctxCLI(), service.NewUser{Email: "pen@example.com", Password: "correct horse battery",
		Status: userdb.StatusPending}); err != nil {
		t.Fatal(err)
	}
	dis := e.addUser("dis@example.com", "correct horse battery")
	if _, err := svc.AdminSetUserStatus(ctxCLI(), dis.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	c := e.client()

	for _, tc := range []struct{ login, password, code string }{
		{"pen@example.com", "wrong horse battery", ""},
		{"dis@example.com", "wrong horse battery", ""},
		{"nobody@example.com", "correct horse battery", ""},
		{"pen@example.com", "correct horse battery", "email_not_verified"},
		{"dis@example.com", "correct horse battery", "user_disabled"},
	} {
		r := c.login(tc.login, tc.password)
		body := r.json(t)
		if r.status != 401 || (body["code"] == nil) != (tc.code == "") || tc.code != "" && body["code"] != tc.code {
			t.Errorf("POST /login %s %s: %d %s, want 401 with code %q", tc.login, tc.password, r.status, r.body, tc.code)
		}
		if generic := body["message"] == "Invalid username or password."; generic != (tc.code == "") {
			t.Errorf("POST /login %s %s: message %q", tc.login, tc.password, body["message"])
		}
	}

	// The page: the wrong password offers nothing, the right one the link.
	page := func(password string) string {
		r := c.do("POST", "/signin", url.Values{"login": {"pen@example.com"}, "password": {password}}, "Accept", browserAccept)
		return string(r.body)
	}
	if body := page("wrong horse battery"); strings.Contains(body, "Send the link again") {
		t.Fatalf("the wrong password was offered a new link:\n%s", body)
	}
	body := page("correct horse battery")
	if !strings.Contains(body, "not verified") || !strings.Contains(body, "Send the link again") ||
		!strings.Contains(body, `action="/verify-email"`) {
		t.Fatalf("the right password of an unverified user:\n%s", body)
	}
	before := e.countEmails("pen@example.com", service.EmailVerification)
	r := c.do("POST", "/verify-email", url.Values{"login": {"pen@example.com"}}, "Accept", browserAccept)
	if r.status != 303 {
		t.Fatalf("sending the link again: %d %s", r.status, r.body)
	}
	if after := e.countEmails("pen@example.com", service.EmailVerification); after != before+1 {
		t.Fatalf("verification emails: %d before, %d after sending again", before, after)
	}
}
