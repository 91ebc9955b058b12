package server_test

import (
	"testing"
	"time"
)

// TestASVS_3_7_1_4_3_3_Reauth: ending all sessions, creating an API key,
// changing another user's email and granting an admin role need a sign-in
// of the last 15 minutes (ASVS 3.7.1, 4.3.3): later they are refused with
// 403 and field "reauth", nothing changes, and POST /me/reauth with the
// password gives a fresh session with which they pass.
func TestASVS_3_7_1_4_3_3_Reauth(t *testing.T) {
	e := newEnv(t)
	e.addUser("root@example.com", "correct horse battery", "super-admin")
	bob := e.addUser("bob@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("root@example.com", "correct horse battery")

	version := c.do("GET", "/api/v1/users/"+bob.ID, nil).json(t)["version"]
	type op struct {
		name, method, path string
		body               any
		ok                 int
	}
	ops := []op{
		{"end all sessions", "DELETE", "/me/sessions", nil, 200},
		{"create an API key", "POST", "/api/v1/api-keys", map[string]any{"name": "deploy", "account": "default", "roles": []string{"admin"}}, 201},
		{"change another user's email", "PATCH", "/api/v1/users/" + bob.ID, map[string]any{"email": "robert@example.com", "version": version}, 200},
		{"grant an admin role", "PUT", "/api/v1/users/" + bob.ID + "/roles/admin", nil, 200},
	}
	e.clock.Add(15*time.Minute + time.Second)
	for _, o := range ops {
		r := c.do(o.method, o.path, o.body)
		if r.status != 403 || r.json(t)["field"] != "reauth" {
			t.Fatalf("%s 15 minutes after the sign-in: %d %s", o.name, r.status, r.body)
		}
	}
	if r := c.do("GET", "/api/v1/users/"+bob.ID, nil).json(t); r["email"] != "bob@example.com" {
		t.Fatalf("a refused change changed the user: %v", r["email"])
	}
	if r := c.do("POST", "/me/reauth", map[string]string{"password": "wrong password here"}); r.status != 401 {
		t.Fatalf("re-authentication with a wrong password: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/me/reauth", map[string]string{"password": "correct horse battery"}); r.status != 200 {
		t.Fatalf("re-authentication: %d %s", r.status, r.body)
	}
	for _, o := range ops {
		if r := c.do(o.method, o.path, o.body); r.status != o.ok {
			t.Fatalf("%s after re-authenticating: %d %s", o.name, r.status, r.body)
		}
	}
}

// TestMFAStepUp: a user with a second factor whose session's factor is
// older than mfa.step_up_max_age must use it again to change the
// password: the password alone does not do, password and code do.
func TestMFAStepUp(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	secret, _ := c.enrolTOTP()
	// Enrolling in a password-only session: the session has no second
	// factor yet, so sensitive changes ask for it.
	change := map[string]string{"currentPassword": "correct horse battery", "password": "another long passphrase"}
	if r := c.do("POST", "/me/password", change); r.status != 403 || r.json(t)["field"] != "step_up" {
		t.Fatalf("a password change without a recent second factor: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/me/reauth", map[string]string{"password": "correct horse battery"}); r.status != 400 || r.json(t)["field"] != "code" {
		t.Fatalf("re-authentication without the code: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/me/reauth", map[string]string{"password": "correct horse battery", "code": e.totpCode(secret, 0)}); r.status != 200 {
		t.Fatalf("re-authentication with the code: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/me/password", change); r.status != 200 {
		t.Fatalf("a password change after stepping up: %d %s", r.status, r.body)
	}
}
