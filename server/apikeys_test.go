package server_test

import (
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
)

// TestAPIKeyFollowsCreator reproduces the review's finding: a key created by
// an admin kept working after that admin was demoted, disabled and
// deleted. Now a key acts with at most its creator's current rights.
func TestAPIKeyFollowsCreator(t *testing.T) {
	const pw = "a long enough secret"
	for _, tc := range []struct {
		name string
		// undo takes the creator's rights away; redo gives them back, or
		// is nil when nothing can (a deleted user).
		undo, redo func(e *env, id string) error
	}{
		{"demoted", func(e *env, id string) error {
			_, err := inside.Service(e.srv).AdminSetRoles(ctxCLI(), id, nil)
			return err
		}, func(e *env, id string) error {
			_, err := inside.Service(e.srv).AdminSetRoles(ctxCLI(), id, []string{userdb.RoleSuperAdmin})
			return err
		}},
		{"disabled", func(e *env, id string) error {
			_, err := inside.Service(e.srv).AdminSetUserStatus(ctxCLI(), id, userdb.StatusDisabled)
			return err
		}, nil},
		{"deleted", func(e *env, id string) error {
			return inside.Service(e.srv).AdminDeleteUser(ctxCLI(), id)
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			boss := e.addUser("boss@example.com", pw, userdb.RoleSuperAdmin)
			c := e.client()
			c.mustLogin("boss@example.com", pw)
			r := c.do("POST", "/api/v1/api-keys", map[string]any{"name": "deploy", "roles": []string{userdb.RoleSuperAdmin}})
			if r.status != 201 {
				t.Fatalf("create: %d %s", r.status, r.body)
			}
			key := []string{"Authorization", "Bearer " + r.json(t)["secret"].(string)}
			if r := e.client().do("GET", "/api/v1/users", nil, key...); r.status != 200 {
				t.Fatalf("the key while its creator is a super-admin: %d %s", r.status, r.body)
			}
			if err := tc.undo(e, boss.ID); err != nil {
				t.Fatal(err)
			}
			if r := e.client().do("GET", "/api/v1/users", nil, key...); r.status != 401 {
				t.Errorf("the key after its creator was %s: %d %s", tc.name, r.status, r.body)
			}
			if tc.redo != nil {
				if err := tc.redo(e, boss.ID); err != nil {
					t.Fatal(err)
				}
				if r := e.client().do("GET", "/api/v1/users", nil, key...); r.status != 200 {
					t.Errorf("the key after its creator's rights came back: %d", r.status)
				}
			}
		})
	}

	// An account admin's key loses admin with its creator, keeping the
	// other roles the creator still holds.
	t.Run("account admin demoted", func(t *testing.T) {
		e := newEnv(t)
		if _, err := inside.Service(e.srv).AdminCreateAccount(ctxCLI(), serviceAccount("acme")); err != nil {
			t.Fatal(err)
		}
		admin, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), newUserIn("acme", "admin@acme.example"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := inside.Service(e.srv).AdminSetPassword(ctxCLI(), admin.ID, pw, false); err != nil {
			t.Fatal(err)
		}
		if _, err := inside.Service(e.srv).AdminSetRoles(ctxCLI(), admin.ID, []string{userdb.RoleAdmin}); err != nil {
			t.Fatal(err)
		}
		c := e.client()
		c.mustLogin("admin@acme.example", pw)
		r := c.do("POST", "/api/v1/api-keys", map[string]any{"name": "acme bot", "roles": []string{userdb.RoleAdmin}})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		key := []string{"Authorization", "Bearer " + r.json(t)["secret"].(string)}
		if r := e.client().do("GET", "/api/v1/users", nil, key...); r.status != 200 {
			t.Fatalf("the key: %d %s", r.status, r.body)
		}
		if _, err := inside.Service(e.srv).AdminSetRoles(ctxCLI(), admin.ID, nil); err != nil {
			t.Fatal(err)
		}
		if r := e.client().do("GET", "/api/v1/users", nil, key...); r.status != 403 {
			t.Errorf("the key after its creator lost admin: %d %s", r.status, r.body)
		}
	})
}

// TestAPIKeyCannotMintKeys reproduces the review's finding that keys could
// mint further keys: only a session (or the command line) creates keys,
// unless a key was given the right (manageKeys), and the keys it makes
// cannot pass the right on and die with it.
func TestAPIKeyCannotMintKeys(t *testing.T) {
	const pw = "a long enough secret"
	e := newEnv(t)
	e.addUser("boss@example.com", pw, userdb.RoleSuperAdmin)
	c := e.client()
	c.mustLogin("boss@example.com", pw)
	create := func(c *client, body map[string]any, header ...string) response {
		return c.do("POST", "/api/v1/api-keys", body, header...)
	}
	r := create(c, map[string]any{"name": "plain", "roles": []string{userdb.RoleSuperAdmin}})
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	plain := []string{"Authorization", "Bearer " + r.json(t)["secret"].(string)}
	plainID := r.json(t)["id"].(string)
	if r := create(e.client(), map[string]any{"name": "minted", "roles": []string{userdb.RoleSuperAdmin}}, plain...); r.status != 403 {
		t.Fatalf("a key minting a key: %d %s", r.status, r.body)
	}
	if r := e.client().do("DELETE", "/api/v1/api-keys/"+plainID, nil, plain...); r.status != 403 {
		t.Errorf("a key revoking a key: %d %s", r.status, r.body)
	}
	if n := len(e.events("apikey.created")); n != 1 {
		t.Errorf("%d keys created, want 1", n)
	}

	r = create(c, map[string]any{"name": "key manager", "roles": []string{userdb.RoleSuperAdmin}, "manageKeys": true})
	if r.status != 201 || r.json(t)["manageKeys"] != true {
		t.Fatalf("create a key manager: %d %s", r.status, r.body)
	}
	manager := []string{"Authorization", "Bearer " + r.json(t)["secret"].(string)}
	managerID := r.json(t)["id"].(string)
	if r := create(e.client(), map[string]any{"name": "next manager", "roles": []string{userdb.RoleSuperAdmin}, "manageKeys": true}, manager...); r.status != 403 {
		t.Errorf("a key passing the right on: %d %s", r.status, r.body)
	}
	r = create(e.client(), map[string]any{"name": "child", "roles": []string{userdb.RoleSuperAdmin}}, manager...)
	if r.status != 201 {
		t.Fatalf("the key manager's key: %d %s", r.status, r.body)
	}
	child := []string{"Authorization", "Bearer " + r.json(t)["secret"].(string)}
	if r := e.client().do("GET", "/api/v1/users", nil, child...); r.status != 200 {
		t.Fatalf("the child key: %d %s", r.status, r.body)
	}
	if r := c.do("DELETE", "/api/v1/api-keys/"+managerID, nil); r.status != 204 {
		t.Fatalf("revoke the manager: %d %s", r.status, r.body)
	}
	if r := e.client().do("GET", "/api/v1/users", nil, child...); r.status != 401 {
		t.Errorf("the child key after its creator key was revoked: %d", r.status)
	}
}
