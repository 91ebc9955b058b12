package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// The sorts of the original Node library's admin tables (issue 22): users
// by account name, first role name and status; accounts and roles by
// description and status.

// testFindUsersNodeSorts: users sorted by their account's name, their
// first role name (none first) and status, ties by id, in both
// directions, by keyset and by offset; the account and role keys follow a
// rename of the account or the role, a role given, taken or deleted, and a
// move to another account.
func testFindUsersNodeSorts(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	zeta := MustCreateAccount(t, s, "Zeta")
	alpha := MustCreateAccount(t, s, "alpha")
	editor := MustCreateRole(t, s, alpha.ID, "Editor")
	viewer := MustCreateRole(t, s, alpha.ID, "viewer")
	boss := MustCreateRole(t, s, zeta.ID, "boss")
	type row struct {
		name    string
		account *userdb.Account
		status  userdb.Status
		roles   []*userdb.Role
	}
	rows := []row{
		{"u1", zeta, userdb.StatusLocked, []*userdb.Role{boss}},
		{"u2", alpha, userdb.StatusEnabled, []*userdb.Role{viewer}},
		{"u3", alpha, userdb.StatusPending, []*userdb.Role{viewer, editor}},
		{"u4", nil, userdb.StatusDisabled, nil},
		{"u5", alpha, userdb.StatusEnabled, nil},
		{"u6", zeta, userdb.StatusPending, []*userdb.Role{boss}},
	}
	byName := map[string]*userdb.User{}
	for i, r := range rows {
		u := userdb.User{Username: r.name, Status: r.status, CreatedAt: at(time.Duration(i) * time.Minute)}
		if r.account != nil {
			u.AccountID = r.account.ID
		}
		byName[r.name] = MustCreateUser(t, s, u)
		for _, role := range r.roles {
			MustAddUserRole(t, s, byName[r.name].ID, role.ID)
		}
	}
	// check lists every user in the sort and compares with want, ordered
	// by the keys given per user, then by id.
	check := func(what, sort string, keys map[string]string) {
		t.Helper()
		want := slices.Collect(func(yield func(string) bool) {
			for name := range keys {
				if !yield(name) {
					return
				}
			}
		})
		slices.SortFunc(want, func(a, b string) int {
			if c := strings.Compare(keys[a], keys[b]); c != 0 {
				return c
			}
			return strings.Compare(byName[a].ID, byName[b].ID)
		})
		for _, desc := range []bool{false, true} {
			w := slices.Clone(want)
			if desc {
				slices.Reverse(w)
			}
			got, _, err := s.FindUsers(ctx, userdb.UserFilter{Sort: sort, Desc: desc, Limit: 100})
			must(t, err)
			wantSeq(t, what+" "+sortName(sort, desc), usernames(got), w)
			// Two at a time by cursor, and by offset, give the same order.
			var paged []*userdb.User
			f := userdb.UserFilter{Sort: sort, Desc: desc, Limit: 2}
			for range 10 {
				page, next, err := s.FindUsers(ctx, f)
				must(t, err)
				paged = append(paged, page...)
				if next == "" {
					break
				}
				f.Cursor = next
			}
			wantSeq(t, what+" "+sortName(sort, desc)+" by cursor", usernames(paged), w)
			page, _, err := s.FindUsers(ctx, userdb.UserFilter{Sort: sort, Desc: desc, Offset: 3, Limit: 2})
			must(t, err)
			wantSeq(t, what+" "+sortName(sort, desc)+" offset 3", usernames(page), w[3:5])
		}
	}
	check("account", userdb.SortAccount, map[string]string{"u1": "zeta", "u2": "alpha", "u3": "alpha", "u4": "default", "u5": "alpha", "u6": "zeta"})
	check("role", userdb.SortRole, map[string]string{"u1": "boss", "u2": "viewer", "u3": "editor", "u4": "", "u5": "", "u6": "boss"})
	check("status", userdb.SortStatus, map[string]string{"u1": "LOCKED", "u2": "ENABLED", "u3": "PENDING", "u4": "DISABLED", "u5": "ENABLED", "u6": "PENDING"})

	// Filters apply with the sorts.
	got, _, err := s.FindUsers(ctx, userdb.UserFilter{AccountID: alpha.ID, Sort: userdb.SortRole})
	must(t, err)
	wantSeq(t, "alpha's users by role", usernames(got), []string{"u5", "u3", "u2"})

	// The keys follow the changes.
	_, err = s.UpdateAccount(ctx, zeta.ID, userdb.AccountUpdate{Name: ptr("Aardvark")}, at(time.Hour))
	must(t, err)
	_, err = s.UpdateRole(ctx, viewer.ID, userdb.RoleUpdate{Name: ptr("Auditor")}, at(time.Hour))
	must(t, err)
	must(t, s.RemoveUserRole(ctx, byName["u3"].ID, editor.ID))
	MustAddUserRole(t, s, byName["u5"].ID, editor.ID)
	must(t, s.DeleteRole(ctx, boss.ID))
	moved := MustFindUser(t, s, byName["u4"].ID)
	_, err = s.UpdateUser(ctx, moved.ID, userdb.UserUpdate{AccountID: &alpha.ID}, at(time.Hour))
	must(t, err)
	check("account after changes", userdb.SortAccount, map[string]string{"u1": "aardvark", "u2": "alpha", "u3": "alpha", "u4": "alpha", "u5": "alpha", "u6": "aardvark"})
	check("role after changes", userdb.SortRole, map[string]string{"u1": "", "u2": "auditor", "u3": "auditor", "u4": "", "u5": "editor", "u6": ""})
}

// testAccountNodeSorts: accounts by description (ignoring case) and by
// status, ties by name, both directions, with offsets; After pages the
// name sort only; an unknown sort is refused.
func testAccountNodeSorts(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	mk := func(name, desc string, st userdb.Status) {
		a := MustCreateAccount(t, s, name)
		_, err := s.UpdateAccount(ctx, a.ID, userdb.AccountUpdate{Description: &desc, Status: &st}, at(time.Minute))
		must(t, err)
	}
	mk("c-clinic", "Beta plan", userdb.StatusEnabled)
	mk("a-shop", "alpha plan", userdb.StatusDisabled)
	mk("b-lab", "beta plan", userdb.StatusEnabled)
	mk("d-farm", "", userdb.StatusDisabled)
	names := func(f userdb.AccountFilter) []string {
		t.Helper()
		as, err := s.FindAccounts(ctx, f)
		must(t, err)
		var out []string
		for _, a := range as {
			out = append(out, a.Name)
		}
		return out
	}
	_, err := s.UpdateAccount(ctx, userdb.DefaultAccountID, userdb.AccountUpdate{Description: ptr("ZULU")}, at(time.Minute))
	must(t, err)
	byDesc := []string{"d-farm", "a-shop", "b-lab", "c-clinic", "default"}
	wantSeq(t, "by description", names(userdb.AccountFilter{Sort: userdb.SortDescription}), byDesc)
	wantSeq(t, "by description, desc", names(userdb.AccountFilter{Sort: userdb.SortDescription, Desc: true}), reversed(byDesc))
	byStatus := []string{"a-shop", "d-farm", "b-lab", "c-clinic", "default"}
	wantSeq(t, "by status", names(userdb.AccountFilter{Sort: userdb.SortStatus}), byStatus)
	wantSeq(t, "by status, desc", names(userdb.AccountFilter{Sort: userdb.SortStatus, Desc: true}), reversed(byStatus))
	wantSeq(t, "by status, offset 1 limit 2", names(userdb.AccountFilter{Sort: userdb.SortStatus, Offset: 1, Limit: 2}), byStatus[1:3])
	wantSeq(t, "enabled by status", names(userdb.AccountFilter{Sort: userdb.SortStatus, Status: userdb.StatusEnabled}), byStatus[2:])
	wantSeq(t, "by name", names(userdb.AccountFilter{Sort: userdb.SortName, After: "b-lab"}), []string{"c-clinic", "d-farm", "default"})
	_, err = s.FindAccounts(ctx, userdb.AccountFilter{Sort: userdb.SortStatus, After: "b-lab"})
	wantCode(t, "After with the status sort", err, userdb.EINVALID)
	_, err = s.FindAccounts(ctx, userdb.AccountFilter{Sort: "name; DROP TABLE accounts"})
	wantCode(t, "unknown sort", err, userdb.EINVALID)
}

// testRoleNodeSorts: roles by description (ignoring case) and status, ties
// by name then id, both directions, with offsets.
func testRoleNodeSorts(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	acc := MustCreateAccount(t, s, "clinic")
	mk := func(name, desc string, st userdb.Status) {
		r := MustCreateRole(t, s, acc.ID, name)
		_, err := s.UpdateRole(ctx, r.ID, userdb.RoleUpdate{Description: &desc, Status: &st}, at(time.Minute))
		must(t, err)
	}
	mk("nurse", "Cares", userdb.StatusEnabled)
	mk("doctor", "cares", userdb.StatusDisabled)
	mk("clerk", "Answers the phone", userdb.StatusEnabled)
	mk("guard", "", userdb.StatusDisabled)
	names := func(f userdb.RoleFilter) []string {
		t.Helper()
		f.AccountID = acc.ID
		rs, err := s.SearchRoles(ctx, f)
		must(t, err)
		var out []string
		for _, r := range rs {
			out = append(out, r.Name)
		}
		return out
	}
	byDesc := []string{"guard", "clerk", "doctor", "nurse"}
	wantSeq(t, "by description", names(userdb.RoleFilter{Sort: userdb.SortDescription}), byDesc)
	wantSeq(t, "by description, desc", names(userdb.RoleFilter{Sort: userdb.SortDescription, Desc: true}), reversed(byDesc))
	byStatus := []string{"doctor", "guard", "clerk", "nurse"}
	wantSeq(t, "by status", names(userdb.RoleFilter{Sort: userdb.SortStatus}), byStatus)
	wantSeq(t, "by status, desc", names(userdb.RoleFilter{Sort: userdb.SortStatus, Desc: true}), reversed(byStatus))
	wantSeq(t, "by status, offset 2", names(userdb.RoleFilter{Sort: userdb.SortStatus, Offset: 2, Limit: 5}), byStatus[2:])
	_, err := s.SearchRoles(ctx, userdb.RoleFilter{Sort: userdb.SortDescription, AfterName: "clerk"})
	wantCode(t, "AfterName with the description sort", err, userdb.EINVALID)
	_, err = s.SearchRoles(ctx, userdb.RoleFilter{Sort: "description_fold"})
	wantCode(t, "unknown sort", err, userdb.EINVALID)
}

func reversed(s []string) []string {
	out := slices.Clone(s)
	slices.Reverse(out)
	return out
}
