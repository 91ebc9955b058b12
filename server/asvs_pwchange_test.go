package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
)

// TestASVS_2_1_6_ExpiredPasswordGrantsOnlyTheChange reproduces the audit:
// an administrator expired a password, and a sign-in with it got a full
// session (GET /api/v1/users 200, POST /api/v1/api-keys 201), while an
// older session set a new password through POST /expired without the
// current one. Now the sign-in gets the pending state of the change and
// nothing else; the change completes it into a session; the old session
// needs the current password.
func TestASVS_2_1_6_ExpiredPasswordGrantsOnlyTheChange(t *testing.T) {
	e := newEnv(t)
	const pw, fresh = "correct horse battery", "a brand new secret 6"
	boss := e.addUser("boss@example.com", pw, userdb.RoleSuperAdmin)
	root := superClient(e)
	old := e.client()
	old.mustLogin(boss.Email, pw)
	if r := root.do("POST", "/api/v1/users/"+boss.ID+"/expire-password", nil); r.status != 200 {
		t.Fatalf("expire-password: %d %s", r.status, r.body)
	}

	c := e.client()
	c.mustChangeAtLogin(boss.Email, pw)
	wantNoAccess(t, c, "the expired password's sign-in")

	// The old session: no current password, or a wrong one, changes nothing.
	for _, body := range []map[string]string{{"password": fresh}, {"currentPassword": "not the password", "password": fresh}} {
		if r := old.do("POST", "/expired", body); r.status != 400 || r.json(t)["field"] != "currentPassword" {
			t.Fatalf("POST /expired by an old session with %v: %d %s", body, r.status, r.body)
		}
	}
	e.client().mustChangeAtLogin(boss.Email, pw) // still the old password

	// The pending state sets the new password and signs in.
	r := c.do("POST", "/expired", map[string]string{"password": fresh})
	if r.status != 200 || r.json(t)["account"] == nil {
		t.Fatalf("POST /expired with the pending state: %d %s", r.status, r.body)
	}
	wantAccess(t, c)
	if r := old.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("the old session survived the change: %d", r.status)
	}
	// Used once: the pending cookie is gone with it.
	if r := c.do("POST", "/expired", map[string]string{"password": "a third secret 6"}); r.status == 200 {
		t.Fatalf("POST /expired again: %d %s", r.status, r.body)
	}
	e.client().mustLogin(boss.Email, fresh)

	// A signed-in user whose password expired changes it with the current
	// one, and is signed out everywhere.
	d := e.client()
	d.mustLogin(boss.Email, fresh)
	if r := root.do("POST", "/api/v1/users/"+boss.ID+"/expire-password", nil); r.status != 200 {
		t.Fatalf("expire-password: %d %s", r.status, r.body)
	}
	if r := d.do("POST", "/expired", map[string]string{"currentPassword": fresh, "password": "a third secret 6"}); r.status != 200 {
		t.Fatalf("POST /expired with the current password: %d %s", r.status, r.body)
	}
	if r := d.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("still signed in after /expired: %d", r.status)
	}
	e.client().mustLogin(boss.Email, "a third secret 6")
}

// TestASVS_2_3_1_TemporaryPasswordGrantsOnlyTheChange: a password an
// administrator set with must-change (the command line's `user
// reset-password --password-stdin --must-change`, or a common password
// caught at sign-in) is the same: the change, then the access. The pending
// state lasts pending_ttl (5 minutes).
func TestASVS_2_3_1_TemporaryPasswordGrantsOnlyTheChange(t *testing.T) {
	e := newEnv(t)
	boss := e.addUser("boss@example.com", "correct horse battery", userdb.RoleSuperAdmin)
	if _, err := inside.Service(e.srv).AdminSetPassword(ctxCLI(), boss.ID, "temporary pass 31", true); err != nil {
		t.Fatal(err)
	}
	late := e.client()
	late.mustChangeAtLogin(boss.Email, "temporary pass 31")
	e.clock.Add(5*time.Minute + time.Second)
	if r := late.do("POST", "/expired", map[string]string{"password": "chosen too late 31"}); r.status != 401 {
		t.Fatalf("POST /expired after the pending state expired: %d %s", r.status, r.body)
	}
	wantNoAccess(t, late, "an expired pending state")

	c := e.client()
	c.mustChangeAtLogin(boss.Email, "temporary pass 31")
	wantNoAccess(t, c, "the temporary password's sign-in")
	if r := c.do("POST", "/expired", map[string]string{"password": "chosen pass 31"}); r.status != 200 {
		t.Fatalf("POST /expired: %d %s", r.status, r.body)
	}
	wantAccess(t, c)

	// A common password kept from before the rules: the same.
	weak := e.addUser("weak@example.com", "correct horse battery", userdb.RoleSuperAdmin)
	keepHash(t, e, weak, "password1234")
	w := e.client()
	w.mustChangeAtLogin(weak.Email, "password1234")
	wantNoAccess(t, w, "the common password's sign-in")

	// A temporary password not changed within password.temporary_ttl (3
	// days) stops working, and the answer says what to do.
	late2 := e.addUser("late@example.com", "correct horse battery")
	if _, err := inside.Service(e.srv).AdminSetPassword(ctxCLI(), late2.ID, "temporary pass 32", true); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(72 * time.Hour)
	r := e.client().login(late2.Email, "temporary pass 32")
	if m := r.json(t); r.status != 401 || m["code"] != userdb.ReasonTemporaryPasswordExpired {
		t.Fatalf("an expired temporary password: %d %s", r.status, r.body)
	}
}

// wantNoAccess checks that c can reach neither the admin API nor /me.
func wantNoAccess(t *testing.T, c *client, who string) {
	t.Helper()
	for _, r := range []response{
		c.do("GET", "/api/v1/users", nil),
		c.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "roles": []string{userdb.RoleSuperAdmin}}),
		c.do("GET", "/me", nil),
	} {
		if r.status != 401 && r.status != 403 {
			t.Fatalf("%s reached the API: %d %s", who, r.status, r.body)
		}
	}
}

// wantAccess checks that c, a super-admin's client, lists users and
// creates an API key.
func wantAccess(t *testing.T, c *client) {
	t.Helper()
	if r := c.do("GET", "/api/v1/users", nil); r.status != 200 {
		t.Fatalf("GET /api/v1/users: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/api/v1/api-keys", map[string]any{"name": "k", "roles": []string{userdb.RoleSuperAdmin}}); r.status != 201 {
		t.Fatalf("POST /api/v1/api-keys: %d %s", r.status, r.body)
	}
}

// keepHash stores the hash of pw as u's password, as an import of hashes
// would, past the rules that a password set here is checked against.
func keepHash(t *testing.T, e *env, u *userdb.User, pw string) {
	t.Helper()
	h, err := e.srv.Users().HashPassword(context.Background(), pw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inside.Service(e.srv).Store().UpdateUser(context.Background(), u.ID, userdb.UserUpdate{PasswordHash: &h}, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
}
