package server_test

import (
	"strings"
	"testing"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/server"
)

func TestCustomAttributes(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.CustomData.Schema = []config.Attribute{
			{Name: "birthdate", Type: "date", EditableBy: "user"},
			{Name: "favoriteColor", Type: "enum", Values: []string{"red", "green", "blue"}, EditableBy: "user"},
			{Name: "nickname", Type: "string", MaxLength: 10, EditableBy: "user"},
			{Name: "employeeId", Type: "string"}, // admins only
		}
	})
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")

	r := c.do("POST", "/me", map[string]any{"customData": map[string]any{"birthdate": "1990-04-01", "favoriteColor": "green"}})
	if r.status != 200 {
		t.Fatalf("valid attributes: %d %s", r.status, r.body)
	}
	cd := c.do("GET", "/me", nil).json(t)["account"].(map[string]any)["customData"].(map[string]any)
	if cd["birthdate"] != "1990-04-01" || cd["favoriteColor"] != "green" {
		t.Fatalf("customData = %v", cd)
	}
	cases := []struct {
		name  string
		data  map[string]any
		field string
		code  int
	}{
		{"wrong type", map[string]any{"birthdate": 19900401}, "customData.birthdate", 400},
		{"not a date", map[string]any{"birthdate": "01/04/1990"}, "customData.birthdate", 400},
		{"not in enum", map[string]any{"favoriteColor": "mauve"}, "customData.favoriteColor", 400},
		{"unknown key", map[string]any{"shoeSize": 42}, "customData.shoeSize", 400},
		{"too long", map[string]any{"nickname": strings.Repeat("n", 11)}, "customData.nickname", 400},
		{"admin only", map[string]any{"employeeId": "E1"}, "customData.employeeId", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/me", map[string]any{"customData": tc.data})
			if r.status != tc.code || r.json(t)["field"] != tc.field {
				t.Fatalf("%d %s, want %d naming %s", r.status, r.body, tc.code, tc.field)
			}
		})
	}
	cd = c.do("GET", "/me", nil).json(t)["account"].(map[string]any)["customData"].(map[string]any)
	if len(cd) != 2 {
		t.Fatalf("refused changes were stored: %v", cd)
	}
}
