package server_test

import (
	"testing"
	"time"

	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// TestV1PatchUserSetsPassword: PATCH /api/v1/users/{id} with "password"
// used to answer 200 and ignore it. Now it sets the password as Okta's user
// update does with credentials.password.value: through the policy and the
// history (a bad one is a 400 that changes nothing), ending the user's
// sessions, with the password-set email and event, and for another user
// only after a recent sign-in.
func TestV1PatchUserSetsPassword(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Password.History = 2 })
	root := superClient(e)
	bob := e.addUser("bob@example.com", "bob's first passphrase")
	bobc := e.client()
	bobc.mustLogin("bob@example.com", "bob's first passphrase")
	version := func() any { return root.do("GET", "/api/v1/users/"+bob.ID, nil).json(t)["version"] }

	for _, bad := range []struct{ pw, why string }{
		{"short", "too short"},
		{"bob's first passphrase", "history"},
	} {
		r := root.do("PATCH", "/api/v1/users/"+bob.ID, map[string]any{"version": version(), "password": bad.pw, "givenName": "Robert"})
		if r.status != 400 || r.json(t)["field"] != "password" {
			t.Errorf("%s: %d %s; want 400 on password", bad.why, r.status, r.body)
		}
	}
	if got := root.do("GET", "/api/v1/users/"+bob.ID, nil).json(t)["givenName"]; got == "Robert" {
		t.Error("a refused password still changed the name")
	}
	bobc.mustLogin("bob@example.com", "bob's first passphrase")

	e.clock.Add(15*time.Minute + time.Second) // root's sign-in is no longer recent
	r := root.do("PATCH", "/api/v1/users/"+bob.ID, map[string]any{"version": version(), "password": "bob's second passphrase"})
	if r.status != 403 || r.json(t)["field"] != "reauth" {
		t.Fatalf("without a recent sign-in: %d %s", r.status, r.body)
	}
	root.mustLogin("root@example.com", "correct horse battery")
	r = root.do("PATCH", "/api/v1/users/"+bob.ID, map[string]any{"version": version(), "password": "bob's second passphrase"})
	if r.status != 200 {
		t.Fatalf("PATCH password: %d %s", r.status, r.body)
	}
	if r := bobc.do("GET", "/me", nil); r.status != 401 {
		t.Errorf("bob's session outlived the new password: %d", r.status)
	}
	if r := e.client().login("bob@example.com", "bob's first passphrase"); r.status != 401 {
		t.Errorf("old password: %d", r.status)
	}
	e.client().mustLogin("bob@example.com", "bob's second passphrase")
	e.flush()
	if n := e.countEmails("bob@example.com", service.EmailPasswordSet); n != 1 {
		t.Errorf("%d password-set emails, want 1", n)
	}
	if evs := e.events("password.set"); len(evs) != 1 || evs[0].UserID != bob.ID {
		t.Errorf("password.set events: %+v", evs)
	}
}
