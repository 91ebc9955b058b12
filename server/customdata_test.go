package server_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// deepCustomData is the review's attack: an object nested 9,000 levels
// deep, 54 KB of JSON.
func deepCustomData() string {
	return strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
}

func userWritable(c *server.Config) { c.CustomData.UserWritable = true }

// TestCustomDataBounds reproduces the review's finding: a signed-in user
// stored custom data nested 9,000 levels deep through POST /me. Now custom
// data is bounded (custom_data.max_depth, max_keys, max_size) wherever it
// enters: the user's own POST /me, registration, the admin API, the
// original's RPC and imports all answer 400 and change nothing.
func TestCustomDataBounds(t *testing.T) {
	e := newEnv(t, userWritable, func(c *server.Config) { c.Registration.Enabled = true })
	const pw = "a long enough secret"
	deep := json.RawMessage(deepCustomData())
	if len(deep) < 54000 {
		t.Fatalf("the attack's object is %d bytes", len(deep))
	}
	wide := map[string]any{}
	for i := range 201 {
		wide[strings.Repeat("k", 3)+string(rune('a'+i%26))+string(rune('a'+i/26))] = i
	}
	big := map[string]any{"bio": strings.Repeat("x", 17<<10)}
	u := e.addUser("ann@example.com", pw)
	c := e.client()
	c.mustLogin("ann@example.com", pw)
	super := superClient(e)

	want400 := func(what string, r response, text string) {
		t.Helper()
		if r.status != 400 || !strings.Contains(string(r.body), text) {
			t.Errorf("%s: %d %s", what, r.status, r.body)
		}
	}
	for _, tc := range []struct {
		name string
		data any
		text string
	}{
		{"9,000 levels", deep, "nested too deeply: at most 8 levels"},
		{"201 keys", wide, "too many keys and list items: at most 200"},
		{"17 KiB", big, "at most 16384 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want400("POST /me", c.do("POST", "/me", map[string]any{"customData": tc.data}), tc.text)
			want400("POST /register", e.client().do("POST", "/register", map[string]any{"email": "new@example.com", "password": pw, "customData": tc.data}), tc.text)
			want400("PATCH /api/v1/users", super.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"version": u.Version, "customData": tc.data}), tc.text)
			want400("POST /api/v1/users", super.do("POST", "/api/v1/users", map[string]any{"email": "other@example.com", "customData": tc.data}), tc.text)
			want400("RPC /users/update", super.do("POST", "/users/update", map[string]any{"id": u.ID, "customData": tc.data}), tc.text)
			cell, _ := json.Marshal(tc.data)
			csv := "Email,Custom Data\nimported@example.com,\"" + strings.ReplaceAll(string(cell), `"`, `""`) + "\"\n"
			rep := decodeReport(t, super.do("POST", "/api/v1/users/import", csvUpload(csv)))
			if rep.Failed != 1 || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Reason, tc.text) {
				t.Errorf("import: %+v", rep)
			}
		})
	}
	after, err := inside.Service(e.srv).Store().FindUserByID(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.CustomData) != 0 || after.Version != u.Version {
		t.Errorf("the user changed: %+v", after)
	}
	if n, _ := inside.Service(e.srv).Store().CountUsers(t.Context(), userdb.UserFilter{}, 0); n != 2 {
		t.Errorf("%d users, want 2 (nothing created)", n)
	}
	// Within the bounds, custom data is stored.
	ok := map[string]any{"team": "blue", "prefs": map[string]any{"theme": map[string]any{"dark": true}}}
	if r := c.do("POST", "/me", map[string]any{"customData": ok}); r.status != 200 {
		t.Errorf("bounded custom data: %d %s", r.status, r.body)
	}
}

// TestASVS_4_1_2_UsersCannotWriteUndeclaredCustomData reproduces the
// audit's finding (ASVS 4.0.3 4.1.2): with no schema, a user stored
// {"isAdmin": true} in their own custom data through POST /me. Now custom
// data no attribute declares is written by administrators only, unless
// custom_data.user_writable is set; attributes declared editable by users
// stay theirs.
func TestASVS_4_1_2_UsersCannotWriteUndeclaredCustomData(t *testing.T) {
	const pw = "a long enough secret"
	t.Run("no schema", func(t *testing.T) {
		e := newEnv(t, func(c *server.Config) { c.Registration.Enabled = true })
		u := e.addUser("ann@example.com", pw)
		c := e.client()
		c.mustLogin("ann@example.com", pw)
		for what, r := range map[string]response{
			"POST /me":       c.do("POST", "/me", map[string]any{"customData": map[string]any{"isAdmin": true}}),
			"POST /register": e.client().do("POST", "/register", map[string]any{"email": "new@example.com", "password": pw, "customData": map[string]any{"isAdmin": true}}),
		} {
			if r.status != 403 || !strings.Contains(string(r.body), "isAdmin can only be changed by an administrator") {
				t.Errorf("%s: %d %s", what, r.status, r.body)
			}
		}
		if got, _ := inside.Service(e.srv).Store().FindUserByID(t.Context(), u.ID); len(got.CustomData) != 0 {
			t.Errorf("custom data written: %v", got.CustomData)
		}
		// An administrator still writes it.
		super := superClient(e)
		if r := super.do("PATCH", "/api/v1/users/"+u.ID, map[string]any{"version": u.Version, "customData": map[string]any{"isAdmin": true}}); r.status != 200 {
			t.Errorf("admin: %d %s", r.status, r.body)
		}
		// And the user cannot remove it either.
		if r := c.do("POST", "/me", map[string]any{"customData": map[string]any{"isAdmin": nil}}); r.status != 403 {
			t.Errorf("removing: %d %s", r.status, r.body)
		}
	})
	t.Run("user_writable", func(t *testing.T) {
		e := newEnv(t, userWritable)
		e.addUser("ann@example.com", pw)
		c := e.client()
		c.mustLogin("ann@example.com", pw)
		if r := c.do("POST", "/me", map[string]any{"customData": map[string]any{"team": "blue"}}); r.status != 200 {
			t.Errorf("POST /me: %d %s", r.status, r.body)
		}
	})
	t.Run("free-form schema", func(t *testing.T) {
		e := newEnv(t, func(c *server.Config) {
			c.CustomData.Schema = []config.Attribute{{Name: "nickname", Type: "string", EditableBy: "user"}}
			c.CustomData.FreeForm = true
		})
		e.addUser("ann@example.com", pw)
		c := e.client()
		c.mustLogin("ann@example.com", pw)
		if r := c.do("POST", "/me", map[string]any{"customData": map[string]any{"nickname": "annie"}}); r.status != 200 {
			t.Errorf("a declared, user-editable attribute: %d %s", r.status, r.body)
		}
		if r := c.do("POST", "/me", map[string]any{"customData": map[string]any{"isAdmin": true}}); r.status != 403 {
			t.Errorf("an undeclared key: %d %s", r.status, r.body)
		}
	})
}
