package server_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// setupToken is the token of the server's one-time set-up URL.
func setupToken(t *testing.T, e *env) string {
	t.Helper()
	u, err := url.Parse(e.srv.SetupURL())
	if err != nil || u.Query().Get("token") == "" || u.Path != "/setup" {
		t.Fatalf("SetupURL %q: want /setup?token=...", e.srv.SetupURL())
	}
	return u.Query().Get("token")
}

func superAdmins(t *testing.T, e *env) []*userdb.User {
	t.Helper()
	list, _, err := inside.Service(e.srv).Store().FindUsers(t.Context(), userdb.UserFilter{Role: "super-admin", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// The first administrator is created in the browser from the one-time URL,
// lands signed in on the profile with the console's link, and the page is
// gone afterwards.
func TestSetupFirstAdministrator(t *testing.T) {
	e := newEnv(t)
	token := setupToken(t, e)
	c := e.client()

	for _, q := range []string{"", "?token=", "?token=wrong" + token[5:]} {
		if r := c.do("GET", "/setup"+q, nil, "Accept", browserAccept); r.status != 404 {
			t.Fatalf("GET /setup%s: %d, want 404", q, r.status)
		}
	}
	r := c.do("GET", "/setup?token="+url.QueryEscape(token), nil, "Accept", browserAccept)
	if r.status != 200 || !strings.Contains(string(r.body), "Create the first administrator") || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET /setup with the token: %d %s", r.status, r.body)
	}

	post := func(c *client, tok, email, pw, confirm string) response {
		return c.do("POST", "/setup", url.Values{"token": {tok}, "email": {email}, "password": {pw}, "confirmPassword": {confirm}},
			"Accept", browserAccept)
	}
	if r := post(c, "wrong", "root@example.com", "correct horse battery", "correct horse battery"); r.status != 404 {
		t.Fatalf("POST with a wrong token: %d", r.status)
	}
	if r := post(c, token, "root@example.com", "short", "short"); r.status != 400 || !strings.Contains(string(r.body), "aria-invalid") {
		t.Fatalf("POST with a password the policy refuses: %d %s", r.status, r.body)
	}
	if r := post(c, token, "root@example.com", "correct horse battery", "another horse battery"); r.status != 400 {
		t.Fatalf("POST with passwords that differ: %d", r.status)
	}
	if r := post(c, token, "not an email", "correct horse battery", "correct horse battery"); r.status != 400 {
		t.Fatalf("POST with a bad email: %d %s", r.status, r.body)
	}
	if n := len(superAdmins(t, e)); n != 0 {
		t.Fatalf("refused posts created %d super-admins", n)
	}

	r = post(c, token, "root@example.com", "correct horse battery", "correct horse battery")
	if r.status != 303 || r.header.Get("Location") != "/profile" {
		t.Fatalf("POST /setup: %d %q %s", r.status, r.header.Get("Location"), r.body)
	}
	r = c.do("GET", "/profile", nil, "Accept", browserAccept)
	if r.status != 200 || !strings.Contains(string(r.body), "root@example.com") || !strings.Contains(string(r.body), `href="/admin/"`) {
		t.Fatalf("the new administrator's profile: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/admin/users", nil, "Accept", browserAccept); r.status != 200 {
		t.Fatalf("the console: %d", r.status)
	}
	admins := superAdmins(t, e)
	if len(admins) != 1 || admins[0].Email != "root@example.com" || admins[0].EmailVerifiedAt == nil || admins[0].Status != userdb.StatusEnabled {
		t.Fatalf("super-admins: %+v", admins)
	}
	if len(e.events("setup.completed")) != 1 {
		t.Fatal("no setup.completed event")
	}

	// Gone for good, with the token or without.
	if r := c.do("GET", "/setup?token="+url.QueryEscape(token), nil, "Accept", browserAccept); r.status != 404 {
		t.Fatalf("GET /setup after the first administrator: %d", r.status)
	}
	if r := post(e.client(), token, "two@example.com", "correct horse battery", "correct horse battery"); r.status != 404 {
		t.Fatalf("POST /setup after the first administrator: %d", r.status)
	}
}

// Browsers racing on the set-up page create exactly one administrator.
func TestSetupRaceCreatesOneAdministrator(t *testing.T) {
	e := newEnv(t)
	token := setupToken(t, e)
	const n = 8
	status := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		c := e.client()
		wg.Go(func() {
			r := c.do("POST", "/setup", url.Values{"token": {token}, "email": {"admin" + string(rune('a'+i)) + "@example.com"},
				"password": {"correct horse battery"}, "confirmPassword": {"correct horse battery"}}, "Accept", browserAccept)
			status[i] = r.status
		})
	}
	wg.Wait()
	won := 0
	for _, s := range status {
		switch s {
		case 303:
			won++
		case 404:
		default:
			t.Errorf("a racing post got %d, want 303 or 404", s)
		}
	}
	if won != 1 {
		t.Fatalf("%d posts won (%v), want 1", won, status)
	}
	if admins := superAdmins(t, e); len(admins) != 1 {
		t.Fatalf("%d super-admins after the race, want 1", len(admins))
	}
}

// No set-up page when it is switched off, or when a super-admin exists
// (made with the command line).
func TestSetupClosed(t *testing.T) {
	off := newEnv(t, func(c *server.Config) { c.Setup.Enabled = false })
	if u := off.srv.SetupURL(); u != "" {
		t.Fatalf("setup.enabled false: SetupURL %q", u)
	}
	if r := off.client().do("GET", "/setup?token=x", nil, "Accept", browserAccept); r.status != 404 {
		t.Fatalf("setup.enabled false: GET /setup %d", r.status)
	}

	e := newEnv(t)
	token := setupToken(t, e)
	e.addUser("cli@example.com", "correct horse battery", "super-admin")
	if r := e.client().do("GET", "/setup?token="+url.QueryEscape(token), nil, "Accept", browserAccept); r.status != 404 {
		t.Fatalf("GET /setup after a super-admin was added: %d", r.status)
	}
}
