package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var accountTests = []test{
	{"NotFound", testAccountNotFound},
	{"CreateAndFind", testAccountCreateAndFind},
	{"NameUniqueCaseInsensitive", testAccountNameUnique},
	{"FindAccounts", testFindAccounts},
	{"Update", testAccountUpdate},
	{"Delete", testAccountDelete},
	{"NodeSorts", testAccountNodeSorts},
}

func testAccountNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	_, err := s.FindAccountByID(ctx, "acc_missing")
	wantCode(t, "FindAccountByID", err, userdb.ENOTFOUND)
	_, err = s.FindAccountByName(ctx, "missing")
	wantCode(t, "FindAccountByName", err, userdb.ENOTFOUND)
	_, err = s.UpdateAccount(ctx, "acc_missing", userdb.AccountUpdate{Description: ptr("x")}, base)
	wantCode(t, "UpdateAccount", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteAccount", s.DeleteAccount(ctx, "acc_missing"), userdb.ENOTFOUND)
}

func wantAccount(t *testing.T, got, want *userdb.Account) {
	t.Helper()
	p := "account " + want.Name + " "
	wantEqual(t, p+"ID", got.ID, want.ID)
	wantEqual(t, p+"Name", got.Name, want.Name)
	wantEqual(t, p+"Description", got.Description, want.Description)
	wantEqual(t, p+"Status", got.Status, want.Status)
	wantData(t, p+"CustomData", got.CustomData, want.CustomData)
	wantTime(t, p+"CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(t, p+"UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}

func testAccountCreateAndFind(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	def, err := s.FindAccountByID(ctx, userdb.DefaultAccountID)
	must(t, err)
	wantEqual(t, "default account name", def.Name, userdb.DefaultAccountName)

	a := &userdb.Account{
		ID:          userdb.NewID("acc"),
		Name:        "Acme Inc",
		Description: "Makers of everything",
		Status:      userdb.StatusDisabled,
		CustomData:  map[string]any{"plan": "gold", "seats": float64(12)},
		CreatedAt:   at(time.Hour),
		UpdatedAt:   at(2 * time.Hour),
	}
	must(t, s.CreateAccount(ctx, a))
	got, err := s.FindAccountByID(ctx, a.ID)
	must(t, err)
	wantAccount(t, got, a)
	got, err = s.FindAccountByName(ctx, a.Name)
	must(t, err)
	wantAccount(t, got, a)
}

func testAccountNameUnique(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	MustCreateAccount(t, s, "Acme")
	for _, name := range []string{"Acme", "ACME", "acme", "Default"} {
		a := &userdb.Account{ID: userdb.NewID("acc"), Name: name, Status: userdb.StatusEnabled, CreatedAt: base, UpdatedAt: base}
		wantCode(t, "CreateAccount "+name, s.CreateAccount(ctx, a), userdb.ECONFLICT)
	}
	other := MustCreateAccount(t, s, "Other")
	_, err := s.UpdateAccount(ctx, other.ID, userdb.AccountUpdate{Name: ptr("aCmE")}, at(time.Hour))
	wantCode(t, "UpdateAccount to a taken name", err, userdb.ECONFLICT)
	got, err := s.FindAccountByID(ctx, other.ID)
	must(t, err)
	wantAccount(t, got, other)

	all, err := s.FindAccounts(ctx, userdb.AccountFilter{})
	must(t, err)
	wantEqual(t, "number of accounts", len(all), 3)
}

func testFindAccounts(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	for _, name := range []string{"charlie", "alpha", "bravo"} {
		MustCreateAccount(t, s, name)
	}
	d := MustCreateAccount(t, s, "delta")
	_, err := s.UpdateAccount(ctx, d.ID, userdb.AccountUpdate{Status: ptr(userdb.StatusDisabled)}, at(time.Hour))
	must(t, err)

	tests := []struct {
		name string
		f    userdb.AccountFilter
		want []string
	}{
		{"all by name", userdb.AccountFilter{}, []string{"alpha", "bravo", "charlie", "default", "delta"}},
		{"query any case", userdb.AccountFilter{Query: "AL"}, []string{"alpha"}},
		{"query substring", userdb.AccountFilter{Query: "r"}, []string{"bravo", "charlie"}},
		{"query is literal", userdb.AccountFilter{Query: "%"}, nil},
		{"status", userdb.AccountFilter{Status: userdb.StatusDisabled}, []string{"delta"}},
		{"limit", userdb.AccountFilter{Limit: 2}, []string{"alpha", "bravo"}},
		{"descending", userdb.AccountFilter{Desc: true}, []string{"delta", "default", "charlie", "bravo", "alpha"}},
		{"after a name", userdb.AccountFilter{After: "Bravo", Limit: 2}, []string{"charlie", "default"}},
		{"after a name, descending", userdb.AccountFilter{After: "charlie", Desc: true}, []string{"bravo", "alpha"}},
		{"offset", userdb.AccountFilter{Offset: 1, Limit: 2}, []string{"bravo", "charlie"}},
		{"offset without limit", userdb.AccountFilter{Offset: 3}, []string{"default", "delta"}},
		{"offset past the end", userdb.AccountFilter{Offset: 9}, nil},
		{"offset after a name, with a query", userdb.AccountFilter{Query: "a", After: "alpha", Offset: 1}, []string{"charlie", "default", "delta"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.FindAccounts(ctx, tt.f)
			must(t, err)
			var names []string
			for _, a := range got {
				names = append(names, a.Name)
			}
			wantSeq(t, "names", names, tt.want)
		})
	}
	for _, tt := range []struct {
		name string
		f    userdb.AccountFilter
		want int
	}{
		{"count all", userdb.AccountFilter{}, 5},
		{"count ignores the page", userdb.AccountFilter{After: "bravo", Offset: 1, Limit: 1, Desc: true}, 5},
		{"count a query", userdb.AccountFilter{Query: "R"}, 2},
		{"count a status", userdb.AccountFilter{Status: userdb.StatusDisabled}, 1},
		{"count nothing", userdb.AccountFilter{Query: "zz"}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.CountAccounts(ctx, tt.f)
			must(t, err)
			wantEqual(t, "count", n, tt.want)
		})
	}
	_, err = s.FindAccounts(ctx, userdb.AccountFilter{Offset: -1})
	wantCode(t, "FindAccounts with a negative offset", err, userdb.EINVALID)
}

func testAccountUpdate(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "before")
	now := at(time.Hour)
	got, err := s.UpdateAccount(ctx, a.ID, userdb.AccountUpdate{
		Name:        ptr("after"),
		Description: ptr("renamed"),
		Status:      ptr(userdb.StatusDisabled),
		CustomData:  map[string]any{"tier": "b", "limits": map[string]any{"users": float64(10)}},
	}, now)
	must(t, err)
	want := *a
	want.Name, want.Description, want.Status = "after", "renamed", userdb.StatusDisabled
	want.CustomData = map[string]any{"tier": "b", "limits": map[string]any{"users": float64(10)}}
	want.UpdatedAt = now
	wantAccount(t, got, &want)
	stored, err := s.FindAccountByID(ctx, a.ID)
	must(t, err)
	wantAccount(t, stored, &want)

	// Unset fields stay as they are.
	now = at(2 * time.Hour)
	got, err = s.UpdateAccount(ctx, a.ID, userdb.AccountUpdate{Description: ptr("again")}, now)
	must(t, err)
	want.Description, want.UpdatedAt = "again", now
	wantAccount(t, got, &want)
	_, err = s.FindAccountByName(ctx, "before")
	wantCode(t, "FindAccountByName old name", err, userdb.ENOTFOUND)
}

func testAccountDelete(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "doomed")
	r := MustCreateRole(t, s, a.ID, "member")
	u := MustCreateUser(t, s, userdb.User{AccountID: a.ID, Username: "resident"})

	wantCode(t, "DeleteAccount with a user", s.DeleteAccount(ctx, a.ID), userdb.ECONFLICT)
	_, err := s.FindAccountByID(ctx, a.ID)
	must(t, err)
	_, err = s.FindRoleByID(ctx, r.ID)
	must(t, err)

	must(t, s.DeleteUser(ctx, u.ID))
	must(t, s.DeleteAccount(ctx, a.ID))
	_, err = s.FindAccountByID(ctx, a.ID)
	wantCode(t, "FindAccountByID after delete", err, userdb.ENOTFOUND)
	_, err = s.FindRoleByID(ctx, r.ID)
	wantCode(t, "FindRoleByID of a deleted account's role", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteAccount twice", s.DeleteAccount(ctx, a.ID), userdb.ENOTFOUND)
}
