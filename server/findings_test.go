package server_test

import (
	"github.com/userdb/userdb/internal/inside"
	"testing"

	"github.com/userdb/userdb/server"
)

// TestResetLinkDiesWithPasswordChange reproduces the review's finding: a
// reset link asked for before a password change still worked afterwards.
func TestResetLinkDiesWithPasswordChange(t *testing.T) {
	e := newEnv(t)
	const pw = "a long enough secret"
	e.addUser("ann@example.com", pw)
	c := e.client()
	if r := c.do("POST", "/forgot", map[string]string{"email": "ann@example.com"}); r.status != 200 {
		t.Fatalf("forgot: %d", r.status)
	}
	token := tokenOf(t, e.lastEmail("ann@example.com", "forgot-password"))
	c.mustLogin("ann@example.com", pw)
	if r := c.do("POST", "/me/password", map[string]string{"currentPassword": pw, "password": "a second long secret"}); r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/change?sptoken="+token, nil); r.status != 400 {
		t.Errorf("GET /change with the old link: %d", r.status)
	}
	if r := c.do("POST", "/change", map[string]string{"sptoken": token, "password": "a third long secret"}); r.status != 400 {
		t.Errorf("POST /change with the old link: %d %s", r.status, r.body)
	}
}

// TestLinksDieWithEmailChange: a reset link and a verification link sent to
// the old address stop working when an administrator changes the address,
// so a verification link verifies only the address it was sent to.
func TestLinksDieWithEmailChange(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Registration.Enabled = true })
	c := e.client()
	if r := c.do("POST", "/register", map[string]string{"email": "old@example.com", "password": "a long enough secret"}); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	verify := tokenOf(t, e.lastEmail("old@example.com", "account-verification"))
	c.do("POST", "/forgot", map[string]string{"email": "old@example.com"})
	reset := tokenOf(t, e.lastEmail("old@example.com", "forgot-password"))

	u, err := inside.Service(e.srv).Store().FindUserByLogin(t.Context(), "old@example.com")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := inside.Service(e.srv).AdminCreateAPIKey(ctxCLI(), serviceKey())
	if err != nil {
		t.Fatal(err)
	}
	r := c.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"version": u.Version, "email": "new@example.com"}, "Authorization", "Bearer "+secret)
	if r.status != 200 {
		t.Fatalf("admin email change: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/change?sptoken="+reset, nil); r.status != 400 {
		t.Errorf("reset link sent to the old address: %d", r.status)
	}
	if r := c.do("GET", "/verify?sptoken="+verify, nil); r.status != 400 {
		t.Errorf("verification link sent to the old address: %d %s", r.status, r.body)
	}
	if u, _ := inside.Service(e.srv).Store().FindUserByID(t.Context(), u.ID); u.EmailVerifiedAt != nil {
		t.Error("the new address was verified by a link sent to the old one")
	}
}

// TestStateChangingGETsRefuseCrossSite reproduces the review's finding: a
// link or image on another site could sign the visitor out (GET /logout)
// or send reset emails (GET /forgot).
func TestStateChangingGETsRefuseCrossSite(t *testing.T) {
	e := newEnv(t)
	const pw = "a long enough secret"
	e.addUser("ann@example.com", pw)
	c := e.client()
	c.mustLogin("ann@example.com", pw)
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if r := c.do("GET", "/logout", nil, h...); r.status != 403 {
			t.Errorf("cross-site GET /logout (%s): %d", h[0], r.status)
		}
		if r := c.do("GET", "/forgot?email=ann@example.com", nil, h...); r.status != 403 {
			t.Errorf("cross-site GET /forgot (%s): %d", h[0], r.status)
		}
	}
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("still signed in after the refused requests: %d", r.status)
	}
	if n := e.countEmails("ann@example.com", "forgot-password"); n != 0 {
		t.Errorf("%d reset emails queued by cross-site requests", n)
	}
	// The same-origin GET of the original's clients keeps working.
	if r := c.do("GET", "/logout", nil, "Sec-Fetch-Site", "same-origin"); r.status != 200 {
		t.Errorf("same-origin GET /logout: %d %s", r.status, r.body)
	}
}
