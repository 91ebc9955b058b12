package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var roleTests = []test{
	{"NotFound", testRoleNotFound},
	{"DefaultRoles", testDefaultRoles},
	{"CreateFindUpdate", testRoleCreateFindUpdate},
	{"UniquePerAccount", testRoleUniquePerAccount},
	{"Membership", testRoleMembership},
	{"DeleteRemovesMemberships", testRoleDelete},
	{"Search", testSearchRoles},
	{"NodeSorts", testRoleNodeSorts},
}

func testRoleNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	r := MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	_, err := s.FindRoleByID(ctx, "rol_missing")
	wantCode(t, "FindRoleByID", err, userdb.ENOTFOUND)
	_, err = s.FindRoleByName(ctx, userdb.DefaultAccountID, "missing")
	wantCode(t, "FindRoleByName", err, userdb.ENOTFOUND)
	_, err = s.FindRoleByName(ctx, "acc_missing", "editor")
	wantCode(t, "FindRoleByName in a missing account", err, userdb.ENOTFOUND)
	_, err = s.UpdateRole(ctx, "rol_missing", userdb.RoleUpdate{Description: ptr("x")}, base)
	wantCode(t, "UpdateRole", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteRole", s.DeleteRole(ctx, "rol_missing"), userdb.ENOTFOUND)
	wantCode(t, "RemoveUserRole without the membership", s.RemoveUserRole(ctx, u.ID, r.ID), userdb.ENOTFOUND)
	wantCode(t, "RemoveUserRole of a missing role", s.RemoveUserRole(ctx, u.ID, "rol_missing"), userdb.ENOTFOUND)
	wantCode(t, "AddUserRole of a missing role", s.AddUserRole(ctx, u.ID, "rol_missing"), userdb.ENOTFOUND)
	wantCode(t, "AddUserRole to a missing user", s.AddUserRole(ctx, "usr_missing", r.ID), userdb.ENOTFOUND)

	missing := &userdb.Role{ID: userdb.NewID("rol"), AccountID: "acc_missing", Name: "x", Status: userdb.StatusEnabled, CreatedAt: base, UpdatedAt: base}
	wantCode(t, "CreateRole in a missing account", s.CreateRole(ctx, missing), userdb.ENOTFOUND)
}

func testDefaultRoles(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	roles, err := s.FindRoles(ctx, userdb.DefaultAccountID)
	must(t, err)
	wantSeq(t, "default roles", roleNames(roles), []string{userdb.RoleAdmin, userdb.RoleSuperAdmin})
	for _, name := range []string{userdb.RoleAdmin, userdb.RoleSuperAdmin} {
		r, err := s.FindRoleByName(ctx, userdb.DefaultAccountID, name)
		must(t, err)
		wantEqual(t, name+" account", r.AccountID, userdb.DefaultAccountID)
	}
}

func roleNames(roles []*userdb.Role) []string {
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
	}
	return names
}

func wantRole(t *testing.T, got, want *userdb.Role) {
	t.Helper()
	p := "role " + want.Name + " "
	wantEqual(t, p+"ID", got.ID, want.ID)
	wantEqual(t, p+"AccountID", got.AccountID, want.AccountID)
	wantEqual(t, p+"Name", got.Name, want.Name)
	wantEqual(t, p+"Description", got.Description, want.Description)
	wantEqual(t, p+"Status", got.Status, want.Status)
	wantData(t, p+"CustomData", got.CustomData, want.CustomData)
	wantTime(t, p+"CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(t, p+"UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testRoleCreateFindUpdate(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	r := &userdb.Role{
		ID:          userdb.NewID("rol"),
		AccountID:   userdb.DefaultAccountID,
		Name:        "billing",
		Description: "Sees invoices",
		Status:      userdb.StatusDisabled,
		CustomData:  map[string]any{"scopes": []any{"invoices:read"}},
		CreatedAt:   at(time.Hour),
		UpdatedAt:   at(2 * time.Hour),
	}
	must(t, s.CreateRole(ctx, r))
	got, err := s.FindRoleByID(ctx, r.ID)
	must(t, err)
	wantRole(t, got, r)
	got, err = s.FindRoleByName(ctx, r.AccountID, r.Name)
	must(t, err)
	wantRole(t, got, r)

	MustCreateRole(t, s, userdb.DefaultAccountID, "zebra")
	roles, err := s.FindRoles(ctx, userdb.DefaultAccountID)
	must(t, err)
	wantSeq(t, "roles by name", roleNames(roles), []string{"admin", "billing", "super-admin", "zebra"})
	other := MustCreateAccount(t, s, "other")
	MustCreateRole(t, s, other.ID, "auditor")
	roles, err = s.FindRoles(ctx, "")
	must(t, err)
	wantSeq(t, "roles of all accounts by name", roleNames(roles), []string{"admin", "auditor", "billing", "super-admin", "zebra"})

	now := at(3 * time.Hour)
	got, err = s.UpdateRole(ctx, r.ID, userdb.RoleUpdate{
		Name:        ptr("accounts"),
		Description: ptr("Pays invoices"),
		Status:      ptr(userdb.StatusEnabled),
		CustomData:  map[string]any{"scopes": []any{"invoices:write"}},
	}, now)
	must(t, err)
	want := *r
	want.Name, want.Description, want.Status = "accounts", "Pays invoices", userdb.StatusEnabled
	want.CustomData = map[string]any{"scopes": []any{"invoices:write"}}
	want.UpdatedAt = now
	wantRole(t, got, &want)
	got, err = s.FindRoleByID(ctx, r.ID)
	must(t, err)
	wantRole(t, got, &want)

	now = at(4 * time.Hour)
	got, err = s.UpdateRole(ctx, r.ID, userdb.RoleUpdate{Description: ptr("")}, now)
	must(t, err)
	want.Description, want.UpdatedAt = "", now
	wantRole(t, got, &want)
}

func testRoleUniquePerAccount(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	other := MustCreateAccount(t, s, "other")
	MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	MustCreateRole(t, s, other.ID, "editor")
	viewer := MustCreateRole(t, s, userdb.DefaultAccountID, "viewer")

	dup := &userdb.Role{ID: userdb.NewID("rol"), AccountID: userdb.DefaultAccountID, Name: "editor", Status: userdb.StatusEnabled, CreatedAt: base, UpdatedAt: base}
	wantCode(t, "CreateRole twice in one account", s.CreateRole(ctx, dup), userdb.ECONFLICT)
	_, err := s.UpdateRole(ctx, viewer.ID, userdb.RoleUpdate{Name: ptr("editor")}, at(time.Hour))
	wantCode(t, "UpdateRole to a taken name", err, userdb.ECONFLICT)
	got, err := s.FindRoleByID(ctx, viewer.ID)
	must(t, err)
	wantEqual(t, "name after conflict", got.Name, "viewer")
	roles, err := s.FindRoles(ctx, userdb.DefaultAccountID)
	must(t, err)
	wantSeq(t, "roles", roleNames(roles), []string{"admin", "editor", "super-admin", "viewer"})
}

func testRoleMembership(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "member"})
	editor := MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	MustAddUserRole(t, s, u.ID, editor.ID)
	MustAddUserRole(t, s, u.ID, editor.ID)
	wantSeq(t, "roles after adding twice", MustFindUser(t, s, u.ID).Roles, []string{"editor"})
	n, err := s.CountUsers(ctx, userdb.UserFilter{Role: "editor"}, 0)
	must(t, err)
	wantEqual(t, "users with the role", n, 1)

	must(t, s.RemoveUserRole(ctx, u.ID, editor.ID))
	wantSet(t, "roles after removing", MustFindUser(t, s, u.ID).Roles, nil)
	wantCode(t, "RemoveUserRole twice", s.RemoveUserRole(ctx, u.ID, editor.ID), userdb.ENOTFOUND)
	_, err = s.FindRoleByID(ctx, editor.ID)
	must(t, err)
}

func testRoleDelete(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "member"})
	editor := MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	viewer := MustCreateRole(t, s, userdb.DefaultAccountID, "viewer")
	MustAddUserRole(t, s, u.ID, editor.ID)
	MustAddUserRole(t, s, u.ID, viewer.ID)

	must(t, s.DeleteRole(ctx, editor.ID))
	_, err := s.FindRoleByID(ctx, editor.ID)
	wantCode(t, "FindRoleByID after delete", err, userdb.ENOTFOUND)
	wantSet(t, "roles after delete", MustFindUser(t, s, u.ID).Roles, []string{"viewer"})
	n, err := s.CountUsers(ctx, userdb.UserFilter{Role: "editor"}, 0)
	must(t, err)
	wantEqual(t, "users with the deleted role", n, 0)
	wantCode(t, "DeleteRole twice", s.DeleteRole(ctx, editor.ID), userdb.ENOTFOUND)

	// The name is free again.
	MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
}

func testSearchRoles(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	acme, beta := MustCreateAccount(t, s, "acme"), MustCreateAccount(t, s, "beta")
	editor := MustCreateRole(t, s, acme.ID, "Editor")
	viewer := MustCreateRole(t, s, acme.ID, "viewer")
	editor2 := MustCreateRole(t, s, beta.ID, "editor")
	MustCreateRole(t, s, beta.ID, "Zed")
	_, err := s.UpdateRole(ctx, editor.ID, userdb.RoleUpdate{Description: ptr("Writes the ÉDITIONS")}, at(time.Hour))
	must(t, err)
	_, err = s.UpdateRole(ctx, viewer.ID, userdb.RoleUpdate{Description: ptr("Read only")}, at(time.Hour))
	must(t, err)
	// Names repeat across accounts: the order is the folded name, then the id.
	first, second := editor, editor2
	if second.ID < first.ID {
		first, second = second, first
	}
	id := func(r *userdb.Role) string { return r.AccountID + "/" + r.Name }
	all := []string{
		userdb.DefaultAccountID + "/admin", id(first), id(second),
		userdb.DefaultAccountID + "/super-admin", acme.ID + "/viewer", beta.ID + "/Zed",
	}
	reversed := slices.Clone(all)
	slices.Reverse(reversed)
	for _, tt := range []struct {
		name  string
		f     userdb.RoleFilter
		want  []string
		count int
	}{
		{"every account", userdb.RoleFilter{}, all, 6},
		{"one account", userdb.RoleFilter{AccountID: acme.ID}, []string{id(editor), acme.ID + "/viewer"}, 2},
		{"query in a description, folded", userdb.RoleFilter{Query: "éDIT"}, []string{id(editor)}, 1},
		{"query in names", userdb.RoleFilter{Query: "ED"}, []string{id(first), id(second), beta.ID + "/Zed"}, 3},
		{"query in a description", userdb.RoleFilter{Query: "ONLY"}, []string{acme.ID + "/viewer"}, 1},
		{"query in an account", userdb.RoleFilter{AccountID: beta.ID, Query: "edit"}, []string{beta.ID + "/editor"}, 1},
		{"query is literal", userdb.RoleFilter{Query: "%"}, nil, 0},
		{"descending", userdb.RoleFilter{Desc: true}, reversed, 6},
		{"after a name and id", userdb.RoleFilter{AfterName: "EDITOR", AfterID: first.ID, Limit: 2}, all[2:4], 6},
		{"after, descending", userdb.RoleFilter{AfterName: "editor", AfterID: second.ID, Desc: true}, []string{id(first), userdb.DefaultAccountID + "/admin"}, 6},
		{"offset and limit", userdb.RoleFilter{Offset: 2, Limit: 3}, all[2:5], 6},
		{"offset past the end", userdb.RoleFilter{AccountID: acme.ID, Offset: 2}, nil, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SearchRoles(ctx, tt.f)
			must(t, err)
			var ids []string
			for _, r := range got {
				ids = append(ids, id(r))
			}
			wantSeq(t, "roles", ids, tt.want)
			n, err := s.CountRoles(ctx, tt.f)
			must(t, err)
			wantEqual(t, "count", n, tt.count)
		})
	}
	_, err = s.SearchRoles(ctx, userdb.RoleFilter{Limit: -1})
	wantCode(t, "SearchRoles with a negative limit", err, userdb.EINVALID)
}
