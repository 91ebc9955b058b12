package userdb_test

import (
	"reflect"
	"testing"

	"github.com/userdb/userdb"
)

func ptr[T any](v T) *T { return &v }

func TestAccountUpdateApply(t *testing.T) {
	before := userdb.Account{ID: "acc_1", Name: "acme", Description: "old", Status: userdb.StatusEnabled,
		CustomData: map[string]any{"a": 1}}
	tests := []struct {
		name string
		up   userdb.AccountUpdate
		want userdb.Account
	}{
		{"nothing set", userdb.AccountUpdate{}, before},
		{"every field", userdb.AccountUpdate{Name: ptr("acme2"), Description: ptr(""), Status: ptr(userdb.StatusDisabled),
			CustomData: map[string]any{"b": 2}},
			userdb.Account{ID: "acc_1", Name: "acme2", Description: "", Status: userdb.StatusDisabled, CustomData: map[string]any{"b": 2}}},
	}
	for _, tt := range tests {
		got := before
		tt.up.Apply(&got)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestRoleUpdateApply(t *testing.T) {
	before := userdb.Role{ID: "rol_1", AccountID: "acc_1", Name: "editors", Description: "old", Status: userdb.StatusEnabled}
	got := before
	(&userdb.RoleUpdate{}).Apply(&got)
	if !reflect.DeepEqual(got, before) {
		t.Errorf("an empty update changed the role: %+v", got)
	}
	(&userdb.RoleUpdate{Description: ptr("new"), CustomData: map[string]any{}}).Apply(&got)
	want := before
	want.Description, want.CustomData = "new", map[string]any{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%+v, want %+v", got, want)
	}
}
