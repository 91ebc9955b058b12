package server_test

// Tests of what an application moving from the Node library userdb@1.0.13
// relies on (issue 22). Each cites the original's source, from
// `npm pack userdb@1.0.13`, by file and line.

import (
	"net/http/httptest"
	"testing"

	"github.com/userdb/userdb/server"
)

// accountsOf returns a user JSON's accounts array.
func accountsOf(t *testing.T, what string, u map[string]any) []map[string]any {
	t.Helper()
	list, ok := u["accounts"].([]any)
	if !ok {
		t.Fatalf("%s: no accounts array in %v", what, u)
	}
	out := make([]map[string]any, len(list))
	for i, a := range list {
		out[i] = a.(map[string]any)
	}
	return out
}

// TestNodeUserAccounts: the original joined the account's row into every
// user it read (database-drivers/knex.js:50-105, `.join('accounts',
// 'accounts.id', '=', 'users.account_id')` with `joinMerge`), so /login and
// /me (index.js:177-194, `res.json({ account: req.user })`) and /users/list
// (controllers/users.js:20-45, knex.js:170-183 withAccounts) answered
// `accounts: [{id, name, description, status, customData, created_date,
// updated_date}]`, and its admin routes and React UsersTable read
// `accounts[0].id` and `accounts[0].name`.
func TestNodeUserAccounts(t *testing.T) {
	f := newAdminFixture(t)
	check := func(what string, u map[string]any, id, name string) {
		t.Helper()
		accs := accountsOf(t, what, u)
		if len(accs) != 1 || accs[0]["id"] != id || accs[0]["name"] != name || accs[0]["status"] != "ENABLED" {
			t.Fatalf("%s: accounts %v, want [{id %s, name %s, ENABLED}]", what, accs, id, name)
		}
		for _, k := range []string{"description", "customData", "created_date", "updated_date"} {
			if _, ok := accs[0][k]; !ok {
				t.Errorf("%s: accounts[0] has no %s: %v", what, k, accs[0])
			}
		}
		if u["account_id"] != id {
			t.Errorf("%s: account_id %v, want %s (kept beside accounts)", what, u["account_id"], id)
		}
	}
	c := f.client()
	check("/login", c.mustLogin(f.plainA.Email, adminPassword), f.accA.ID, "alpha")
	check("/me", c.do("GET", "/me", nil).json(t)["account"].(map[string]any), f.accA.ID, "alpha")
	check("/login of the super-admin", f.client().mustLogin(f.root.Email, adminPassword), "acc_default", "default")

	r := f.actors[asSuper].do("POST", "/users/list", map[string]any{"where": map[string]any{"account_id": f.accB.ID}})
	if r.status != 200 {
		t.Fatalf("/users/list: %d %s", r.status, r.body)
	}
	for _, u := range r.json(t)["users"].([]any) {
		check("/users/list", u.(map[string]any), f.accB.ID, "beta")
	}
	// The admin RPC's single-user answers carry it too (controllers/users.js:109-111).
	r = f.actors[asAdminA].do("POST", "/users/update", map[string]any{"id": f.plainA.ID, "givenName": "Pat"})
	if r.status != 200 {
		t.Fatalf("/users/update: %d %s", r.status, r.body)
	}
	check("/users/update", r.json(t), f.accA.ID, "alpha")
}

// TestNodeUserAccountsThroughTransformer: a Go transformer (the original's
// transformer option, index.js:75-102) sees the accounts, and the stormpath
// transformer keeps them.
func TestNodeUserAccountsThroughTransformer(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Transformer = "stormpath" })
	e.addUser("hal@example.com", libPassword, "admin")
	acc := e.client().mustLogin("hal@example.com", libPassword)
	if accs := accountsOf(t, "stormpath", acc); len(accs) != 1 || accs[0]["name"] != "default" || acc["href"] == nil {
		t.Fatalf("stormpath /login: %v", acc)
	}

	seen := make(chan []server.AccountRef, 1)
	srv := openWith(t, e, server.WithTransformer(func(v *server.UserView) any {
		select {
		case seen <- v.Accounts:
		default:
		}
		return v
	}))
	transformed := *e
	transformed.http = httptest.NewServer(srv)
	defer transformed.http.Close()
	acc = transformed.client().mustLogin("hal@example.com", libPassword)
	if got := <-seen; len(got) != 1 || got[0].ID != "acc_default" || got[0].Name != "default" {
		t.Fatalf("the transformer saw accounts %+v", got)
	}
	if accs := accountsOf(t, "Go transformer", acc); len(accs) != 1 || accs[0]["id"] != "acc_default" {
		t.Fatalf("/login through a Go transformer: %v", acc)
	}
}
