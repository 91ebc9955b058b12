package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var tenancyTests = []test{
	{"Isolation", testTenantIsolation},
}

// testTenantIsolation checks that nothing of account A shows through a
// filter scoped to account B.
func testTenantIsolation(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "tenant-a")
	b := MustCreateAccount(t, s, "tenant-b")
	staffA := MustCreateRole(t, s, a.ID, "staff")
	onlyA := MustCreateRole(t, s, a.ID, "only-a")
	staffB := MustCreateRole(t, s, b.ID, "staff")
	a1 := MustCreateUser(t, s, userdb.User{AccountID: a.ID, Username: "anna", GivenName: "Shared"})
	a2 := MustCreateUser(t, s, userdb.User{AccountID: a.ID, Username: "arne", GivenName: "Shared"})
	b1 := MustCreateUser(t, s, userdb.User{AccountID: b.ID, Username: "bert", GivenName: "Shared"})
	MustAddUserRole(t, s, a1.ID, staffA.ID)
	MustAddUserRole(t, s, a2.ID, onlyA.ID)
	MustAddUserRole(t, s, b1.ID, staffB.ID)
	keyA := MustCreateAPIKey(t, s, a.ID, at(time.Hour))
	keyB := MustCreateAPIKey(t, s, b.ID, at(2*time.Hour))
	keyGlobal := MustCreateAPIKey(t, s, "", at(3*time.Hour))
	evA := MustCreateEvent(t, s, userdb.Event{Type: "user.created", Time: at(time.Hour), UserID: a1.ID, AccountID: a.ID})
	evB := MustCreateEvent(t, s, userdb.Event{Type: "user.created", Time: at(2 * time.Hour), UserID: b1.ID, AccountID: b.ID})

	for _, tt := range []struct {
		name string
		f    userdb.UserFilter
		want []string
	}{
		{"account B", userdb.UserFilter{AccountID: b.ID}, []string{"bert"}},
		{"account A", userdb.UserFilter{AccountID: a.ID}, []string{"anna", "arne"}},
		{"account B, query matching all", userdb.UserFilter{AccountID: b.ID, Query: "shared"}, []string{"bert"}},
		{"account B, query matching A", userdb.UserFilter{AccountID: b.ID, Query: "anna"}, nil},
		{"account B, role in both", userdb.UserFilter{AccountID: b.ID, Role: "staff"}, []string{"bert"}},
		{"account B, role only in A", userdb.UserFilter{AccountID: b.ID, Role: "only-a"}, nil},
		{"account B, status", userdb.UserFilter{AccountID: b.ID, Status: userdb.StatusEnabled}, []string{"bert"}},
	} {
		t.Run(tt.name, func(t *testing.T) { wantUsers(t, s, tt.f, tt.want...) })
	}

	roles, err := s.FindRoles(ctx, b.ID)
	must(t, err)
	var roleIDs []string
	for _, r := range roles {
		roleIDs = append(roleIDs, r.ID)
	}
	wantSeq(t, "roles of account B", roleIDs, []string{staffB.ID})
	_, err = s.FindRoleByName(ctx, b.ID, "only-a")
	wantCode(t, "FindRoleByName of A's role in B", err, userdb.ENOTFOUND)
	got, err := s.FindRoleByName(ctx, b.ID, "staff")
	must(t, err)
	wantEqual(t, "B's staff role", got.ID, staffB.ID)
	wantCode(t, "RemoveUserRole of A's role from B's user", s.RemoveUserRole(ctx, b1.ID, staffA.ID), userdb.ENOTFOUND)
	wantSet(t, "B's user's roles", MustFindUser(t, s, b1.ID).Roles, []string{"staff"})

	keys, err := s.FindAPIKeys(ctx, b.ID)
	must(t, err)
	wantSeq(t, "API keys of account B", keyIDs(keys), []string{keyB.ID})
	keys, err = s.FindAPIKeys(ctx, "")
	must(t, err)
	wantSeq(t, "all API keys", keyIDs(keys), []string{keyGlobal.ID, keyB.ID, keyA.ID})

	events, err := s.FindEvents(ctx, userdb.EventFilter{AccountID: b.ID})
	must(t, err)
	wantSeq(t, "events of account B", eventIDs(events), []int64{evB.ID})
	events, err = s.FindEvents(ctx, userdb.EventFilter{AccountID: a.ID})
	must(t, err)
	wantSeq(t, "events of account A", eventIDs(events), []int64{evA.ID})
}
