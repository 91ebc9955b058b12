package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// adminAttrs declares the attributes of the example, and one with a
// maximum length; all are the administrators' to edit.
func adminAttrs(c *server.Config) {
	c.CustomData.Schema = []config.Attribute{
		{Name: "birthdate", Type: "date"},
		{Name: "favoriteColor", Type: "enum", Values: []string{"red", "green", "blue"}},
		{Name: "nickname", Type: "string", MaxLength: 10},
	}
}

// badCustomData are custom data the schema refuses, and the field each 400
// must name.
var badCustomData = []struct {
	name  string
	data  map[string]any
	field string
}{
	{"wrong type", map[string]any{"birthdate": 19900401}, "customData.birthdate"},
	{"not a date", map[string]any{"birthdate": "01/04/1990"}, "customData.birthdate"},
	{"not in the enum", map[string]any{"favoriteColor": "mauve"}, "customData.favoriteColor"},
	{"enum of the wrong type", map[string]any{"favoriteColor": true}, "customData.favoriteColor"},
	{"unknown key", map[string]any{"shoeSize": 42}, "customData.shoeSize"},
	{"over-long", map[string]any{"nickname": strings.Repeat("n", 11)}, "customData.nickname"},
}

// check400 fails unless r is a 400 naming the field, with a message that
// names the attribute.
func check400(t *testing.T, what string, r response, field string) {
	t.Helper()
	if r.status != 400 {
		t.Errorf("%s: %d %s, want 400", what, r.status, r.body)
		return
	}
	m := r.json(t)
	msg, _ := m["message"].(string)
	if m["field"] != field || !strings.Contains(msg, strings.TrimPrefix(field, "customData.")) {
		t.Errorf("%s: %s, want a 400 naming %s", what, r.body, field)
	}
}

func customDataOf(t *testing.T, v map[string]any) map[string]any {
	t.Helper()
	cd, ok := v["customData"].(map[string]any)
	if !ok {
		t.Fatalf("no customData in %v", v)
	}
	return cd
}

// TestAdminCustomAttributes writes custom attributes through the REST API
// and the original's /users/update: valid values are stored and returned
// (by the API and by /me); a wrong type, an unknown key and an over-long
// value each get a 400 naming the field, and change nothing.
func TestAdminCustomAttributes(t *testing.T) {
	f := newAdminFixture(t, adminAttrs)
	admin := f.actors[asAdminA]
	valid := map[string]any{"birthdate": "1990-04-01", "favoriteColor": "green", "nickname": "Ann"}

	// POST /api/v1/users, then GET, then the user's own /me.
	r := admin.do("POST", "/api/v1/users", map[string]any{"email": "attrs@alpha.example", "password": adminPassword,
		"status": "ENABLED", "emailVerified": true, "customData": valid})
	if r.status != 201 {
		t.Fatalf("create with valid attributes: %d %s", r.status, r.body)
	}
	id := r.json(t)["id"].(string)
	path := "/api/v1/users/" + id
	got := admin.do("GET", path, nil).json(t)
	if cd := customDataOf(t, got); len(cd) != 3 || cd["birthdate"] != "1990-04-01" || cd["favoriteColor"] != "green" || cd["nickname"] != "Ann" {
		t.Fatalf("GET: customData %v", cd)
	}
	me := f.client()
	me.mustLogin("attrs@alpha.example", adminPassword)
	if cd := customDataOf(t, me.do("GET", "/me", nil).json(t)["account"].(map[string]any)); cd["birthdate"] != "1990-04-01" || cd["favoriteColor"] != "green" {
		t.Fatalf("/me: customData %v", cd)
	}

	users := userCount(t, f.env)
	for i, tc := range badCustomData {
		email := "bad" + string(rune('a'+i)) + "@alpha.example"
		check400(t, "POST /api/v1/users "+tc.name, admin.do("POST", "/api/v1/users",
			map[string]any{"email": email, "invite": true, "customData": tc.data}), tc.field)
		check400(t, "POST /users/update (create) "+tc.name, admin.do("POST", "/users/update",
			map[string]any{"email": email, "givenName": "B", "surname": "C", "customData": tc.data}), tc.field)
	}
	if n := userCount(t, f.env); n != users {
		t.Fatalf("refused creations created %d users", n-users)
	}

	// PATCH: valid values merge in and come back; bad ones change nothing,
	// not even the version.
	version := admin.do("GET", path, nil).json(t)["version"].(float64) // the sign-in moved it
	r = admin.do("PATCH", path, map[string]any{"version": version, "customData": map[string]any{"favoriteColor": "blue", "nickname": nil}})
	if cd := customDataOf(t, r.json(t)); r.status != 200 || len(cd) != 2 || cd["favoriteColor"] != "blue" || cd["birthdate"] != "1990-04-01" {
		t.Fatalf("PATCH valid: %d %s", r.status, r.body)
	}
	version++
	for _, tc := range badCustomData {
		check400(t, "PATCH "+tc.name, admin.do("PATCH", path, map[string]any{"version": version, "customData": tc.data}), tc.field)
	}
	after := admin.do("GET", path, nil).json(t)
	if after["version"].(float64) != version || customDataOf(t, after)["favoriteColor"] != "blue" || len(customDataOf(t, after)) != 2 {
		t.Fatalf("after refused PATCHes: %v", after)
	}

	// Several bad fields: the first is the field, the message names each.
	r = admin.do("PATCH", path, map[string]any{"version": version, "customData": map[string]any{
		"favoriteColor": "mauve", "birthdate": "soon", "shoeSize": 42}})
	check400(t, "PATCH with three bad fields", r, "customData.birthdate")
	if msg := r.json(t)["message"].(string); !strings.Contains(msg, "favoriteColor") || !strings.Contains(msg, "shoeSize") {
		t.Errorf("three bad fields, message %q", msg)
	}

	// /users/update with an id replaces custom data whole, checked the same way.
	r = admin.do("POST", "/users/update", map[string]any{"id": id, "customData": map[string]any{"birthdate": "2001-12-31", "nickname": "Annie"}})
	if cd := customDataOf(t, r.json(t)); r.status != 200 || len(cd) != 2 || cd["birthdate"] != "2001-12-31" || cd["nickname"] != "Annie" {
		t.Fatalf("/users/update valid: %d %s", r.status, r.body)
	}
	for _, tc := range badCustomData {
		check400(t, "POST /users/update "+tc.name, admin.do("POST", "/users/update", map[string]any{"id": id, "customData": tc.data}), tc.field)
	}
	if cd := customDataOf(t, admin.do("GET", path, nil).json(t)); len(cd) != 2 || cd["birthdate"] != "2001-12-31" {
		t.Fatalf("after refused /users/update: %v", cd)
	}

	// A key stored before the schema declared attributes can be removed
	// (the replace-whole of /users/update removes it), not set again.
	st := inside.Service(f.srv).Store()
	legacy := map[string]any{"birthdate": "2001-12-31", "legacy": "x"}
	if _, err := st.UpdateUser(context.Background(), id, userdb.UserUpdate{CustomData: legacy}, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	r = admin.do("POST", "/users/update", map[string]any{"id": id, "customData": map[string]any{"birthdate": "2001-12-31"}})
	if cd := customDataOf(t, r.json(t)); r.status != 200 || len(cd) != 1 {
		t.Fatalf("/users/update dropping an undeclared key: %d %s", r.status, r.body)
	}
	check400(t, "setting the undeclared key again", admin.do("POST", "/users/update",
		map[string]any{"id": id, "customData": map[string]any{"legacy": "y"}}), "customData.legacy")
}
