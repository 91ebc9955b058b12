package server_test

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

func TestAdminUpdateNeedsCurrentVersion(t *testing.T) {
	f := newAdminFixture(t)
	admin := f.actors[asAdminA]
	u := f.target(f.accA.ID, userdb.StatusEnabled)
	path := "/api/v1/users/" + u.ID

	got := admin.do("GET", path, nil).json(t)
	v := got["version"].(float64)
	r := admin.do("PATCH", path, map[string]any{"version": v, "givenName": "First", "customData": map[string]any{"team": "red"}})
	if r.status != 200 || r.json(t)["version"].(float64) != v+1 || r.json(t)["givenName"] != "First" {
		t.Fatalf("PATCH with the current version: %d %s", r.status, r.body)
	}
	// A second writer still holding the old version loses, and changes nothing.
	r = admin.do("PATCH", path, map[string]any{"version": v, "givenName": "Second"})
	if r.status != 409 {
		t.Fatalf("PATCH with a stale version: %d %s", r.status, r.body)
	}
	if cur := admin.do("GET", path, nil).json(t); cur["givenName"] != "First" || cur["customData"].(map[string]any)["team"] != "red" {
		t.Fatalf("after the stale PATCH: %v", cur)
	}
	r = admin.do("PATCH", path, map[string]any{"givenName": "No version"})
	if r.status != 400 || r.json(t)["field"] != "version" {
		t.Fatalf("PATCH without a version: %d %s", r.status, r.body)
	}
	// customData merges; null removes a key.
	r = admin.do("PATCH", path, map[string]any{"version": v + 1, "customData": map[string]any{"team": nil, "desk": 4}})
	if cd := r.json(t)["customData"].(map[string]any); r.status != 200 || cd["team"] != nil || cd["desk"] != float64(4) {
		t.Fatalf("customData merge: %d %s", r.status, r.body)
	}
	if len(f.events("user.updated")) != 2 {
		t.Fatalf("user.updated events: %d", len(f.events("user.updated")))
	}
}

// TestAdminEditSurvivesSignIn: a user signing in between an admin's read
// and write does not make the admin's version stale; the sign-in records
// the login time without counting as an edit.
func TestAdminEditSurvivesSignIn(t *testing.T) {
	f := newAdminFixture(t)
	admin := f.actors[asAdminA]
	u, err := inside.Service(f.srv).AdminCreateUser(ctxCLI(), service.NewUser{Account: f.accA.ID, Email: "signs-in@example.com",
		Password: "a long pass phrase", Verified: true})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/v1/users/" + u.ID
	read := admin.do("GET", path, nil).json(t)
	f.client().mustLogin("signs-in@example.com", "a long pass phrase")
	after := admin.do("GET", path, nil).json(t)
	if after["version"] != read["version"] || after["last_login_on"] == read["last_login_on"] {
		t.Fatalf("after the sign-in: version %v (read %v), last login %v (read %v)",
			after["version"], read["version"], after["last_login_on"], read["last_login_on"])
	}
	r := admin.do("PATCH", path, map[string]any{"version": read["version"], "givenName": "Edited"})
	if r.status != 200 || r.json(t)["givenName"] != "Edited" {
		t.Fatalf("PATCH with the version read before the sign-in: %d %s", r.status, r.body)
	}
}

func TestAdminCannotRaiseOwnPrivileges(t *testing.T) {
	f := newAdminFixture(t)
	admin := f.actors[asAdminA]
	self := "/api/v1/users/" + f.adminA.ID
	version := admin.do("GET", self, nil).json(t)["version"]
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"PUT", self + "/roles/helper", nil, 403},
		{"POST", self + "/disable", nil, 403},
		{"PATCH", self, map[string]any{"version": version, "status": "DISABLED"}, 403},
		{"DELETE", self, nil, 403},
		{"POST", "/users/update", map[string]any{"id": f.adminA.ID, "roles": []string{"admin", "helper"}}, 403},
		{"POST", "/users/change_account_status", map[string]any{"userId": f.adminA.ID, "newStatus": "DISABLED"}, 403},
		// What is not a raise stays allowed.
		{"PATCH", self, map[string]any{"version": version, "givenName": "Ada", "status": "ENABLED"}, 200},
		{"POST", "/users/update", map[string]any{"id": f.adminA.ID, "roles": []string{"admin"}}, 200},
		// Another user of the account may be made an admin.
		{"PUT", "/api/v1/users/" + f.plainA.ID + "/roles/admin", nil, 200},
		// Keys are scoped to the own account and never global or super-admin.
		{"POST", "/api/v1/api-keys", map[string]any{"name": "k", "roles": []string{"super-admin"}}, 403},
		{"POST", "/api/v1/api-keys", map[string]any{"name": "k", "account": f.accB.ID, "roles": []string{"admin"}}, 404},
		// Roles: no role named after super-admin, no renaming one to it.
		{"POST", "/api/v1/roles", map[string]any{"name": "Super-Admin"}, 403},
	} {
		r := admin.do(c.method, c.path, c.body)
		if r.status != c.want {
			t.Errorf("%s %s %v: %d, want %d: %s", c.method, c.path, c.body, r.status, c.want, r.body)
		}
	}
	u, err := inside.Service(f.srv).Store().FindUserByID(context.Background(), f.adminA.ID)
	if err != nil || u.Status != userdb.StatusEnabled || u.HasRole("helper") || !u.HasRole("admin") {
		t.Fatalf("admin of A after the attempts: %+v %v", u, err)
	}
}

// An admin of the default account shares it with the super-admins: it still
// cannot grant super-admin, nor change a super-admin (whose email it could
// otherwise redirect to take the account over).
func TestDefaultAccountAdminCannotTouchSuperAdmins(t *testing.T) {
	f := newAdminFixture(t)
	ctx := ctxCLI()
	n := newUserIn("", "deputy@example.com")
	n.Roles = []string{userdb.RoleAdmin}
	if _, err := inside.Service(f.srv).AdminCreateUser(ctx, n); err != nil {
		t.Fatal(err)
	}
	deputy := f.client()
	deputy.mustLogin("deputy@example.com", adminPassword)
	other := f.target("", userdb.StatusEnabled)
	root := "/api/v1/users/" + f.root.ID
	superRole, err := inside.Service(f.srv).Store().FindRoleByName(context.Background(), userdb.DefaultAccountID, userdb.RoleSuperAdmin)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", root, nil, 200},
		{"PATCH", root, map[string]any{"version": f.root.Version, "email": "deputy2@example.com"}, 403},
		{"POST", root + "/disable", nil, 403},
		{"POST", root + "/reset-password", nil, 403},
		{"DELETE", root + "/roles/super-admin", nil, 403},
		{"PUT", "/api/v1/users/" + other.ID + "/roles/super-admin", nil, 403},
		{"PUT", "/api/v1/users/" + other.ID + "/roles/SUPER-ADMIN", nil, 403},
		{"POST", "/api/v1/users", map[string]any{"email": "x@example.com", "invite": true, "roles": []string{"super-admin"}}, 403},
		{"PATCH", "/api/v1/roles/" + superRole.ID, map[string]any{"description": "mine now"}, 403},
		{"DELETE", "/api/v1/roles/" + superRole.ID, nil, 403},
		{"POST", "/users/update", map[string]any{"id": other.ID, "roles": []string{"super-admin"}}, 403},
		{"POST", "/api/v1/accounts/" + userdb.DefaultAccountID + "/disable", nil, 403},
	} {
		r := deputy.do(c.method, c.path, c.body)
		if r.status != c.want {
			t.Errorf("%s %s %v: %d, want %d: %s", c.method, c.path, c.body, r.status, c.want, r.body)
		}
	}
	u, _ := inside.Service(f.srv).Store().FindUserByID(context.Background(), other.ID)
	if u.HasRole(userdb.RoleSuperAdmin) {
		t.Fatal("an admin granted super-admin")
	}
	// The super-admin itself may grant it, and cannot disable the default account.
	super := f.actors[asSuper]
	if r := super.do("PUT", "/api/v1/users/"+other.ID+"/roles/super-admin", nil); r.status != 200 {
		t.Fatalf("super-admin grants super-admin: %d %s", r.status, r.body)
	}
	if r := super.do("POST", "/api/v1/accounts/"+userdb.DefaultAccountID+"/disable", nil); r.status != 400 {
		t.Fatalf("disabling the default account: %d %s", r.status, r.body)
	}
}

// TestAdminInputIsLiteral sends injection-shaped text to every filter,
// sort and search, and expects the exact answer of each: matched as text
// (the right number of items), a missing account or object (404), or a
// 400 naming the parameter.
func TestAdminInputIsLiteral(t *testing.T) { inputIsLiteral(t, newAdminFixture(t)) }

// TestAdminInputIsLiteralPostgres runs the same on PostgreSQL when
// USERDB_TEST_POSTGRES_DSN is set (a NUL is an error there, not a miss).
func TestAdminInputIsLiteralPostgres(t *testing.T) {
	inputIsLiteral(t, newAdminFixture(t, onPostgres(t)))
}

func inputIsLiteral(t *testing.T, f *adminFixture) {
	svc := inside.Service(f.srv)
	ctx := ctxCLI()
	named := map[string]string{}
	for _, given := range []string{"100%", "under_score", "O'Brien", "Zoë", "semi;--colon", "plain"} {
		n := newUserIn(f.accA.ID, fmt.Sprintf("lit%d@example.com", len(named)))
		n.GivenName, n.Password, n.PasswordHash = given, "", importedHash
		u, err := svc.AdminCreateUser(ctx, n)
		if err != nil {
			t.Fatal(err)
		}
		named[given] = u.ID
	}
	super := f.actors[asSuper]
	// Search is "starts with": each query finds exactly the user whose name
	// begins with the text, and a lone wildcard or quote matches nobody.
	for q, want := range map[string]string{"100%": "100%", "under_": "under_score", "O'B": "O'Brien", "zoë": "Zoë",
		"semi;--": "semi;--colon", "%": "", "_": "", "'": "", ";--": "", "%ain": ""} {
		for _, a := range []*actor{super, f.actors[asAdminA]} {
			r := a.do("GET", "/api/v1/users?q="+url.QueryEscape(q), nil)
			got := ids(items(t, r))
			if want == "" && len(got) != 0 || want != "" && (len(got) != 1 || got[0] != named[want]) {
				t.Errorf("%s q=%q: %v, want only %q", a.name, q, got, want)
			}
		}
		wantTotal := float64(1)
		if want == "" {
			wantTotal = 0
		}
		rpc := super.do("POST", "/users/list", map[string]any{"searchString": "%" + q + "%"}).json(t)
		if rpc["total"] != wantTotal {
			t.Errorf("/users/list searchString %q: %v, want total %v", "%"+q+"%", rpc, wantTotal)
		}
	}

	long := strings.Repeat("x'%_;--", 10<<10/7)
	const nul = "\x00"
	nasty := []string{"'", "%", "_", ";--", "' OR '1'='1", "\"; DROP TABLE users;--", "ünï©ødé 🙂", nul, long}
	admin := f.actors[asAdminA]
	// A NUL, which PostgreSQL can neither store nor compare, is a 400 naming
	// the parameter wherever it comes; every other value is literal text.
	orNUL := func(v string, w answer, field string) answer {
		if v == nul {
			return refused(field)
		}
		return w
	}
	total := func(path string) int {
		return int(super.do("POST", path, `{}`).json(t)["total"].(float64))
	}
	for _, v := range nasty {
		for p, w := range map[string]answer{
			"q": found(0), "status": refused("status"), "account": missing("account"), "role": found(0),
			"sort": refused("sort"), "cursor": refused("cursor"), "limit": refused("limit"),
			"createdAfter": refused("createdAfter"), "lastLoginBefore": refused("lastLoginBefore"),
		} {
			r := super.do("GET", "/api/v1/users?"+p+"="+url.QueryEscape(v), nil)
			orNUL(v, w, p).check(t, "GET /api/v1/users?"+p+"="+short(v), r, "items")
		}
		for _, c := range []struct {
			path, param  string
			super, admin answer
		}{
			{"/api/v1/accounts", "q", found(0), found(0)},
			{"/api/v1/accounts", "status", refused("status"), refused("status")},
			{"/api/v1/accounts", "cursor", refused("cursor"), refused("cursor")},
			{"/api/v1/roles", "account", missing("account"), missing("account")},
			{"/api/v1/roles", "cursor", refused("cursor"), refused("cursor")},
			{"/api/v1/events", "type", found(0), found(0)},
			{"/api/v1/events", "user", found(0), found(0)},
			{"/api/v1/events", "account", missing("account"), missing("account")},
			{"/api/v1/events", "cursor", refused("cursor"), refused("cursor")},
			{"/api/v1/events", "since", refused("since"), refused("since")},
			{"/api/v1/api-keys", "account", missing("account"), missing("account")},
		} {
			path := c.path + "?" + c.param + "="
			what := "GET " + path + short(v)
			orNUL(v, c.super, c.param).check(t, what, super.do("GET", path+url.QueryEscape(v), nil), "items")
			orNUL(v, c.admin, c.param).check(t, what+" (admin)", admin.do("GET", path+url.QueryEscape(v), nil), "items")
		}
		// The original's listings: searchString is literal text, but for
		// the one % at each end of the original's LIKE patterns, so "%"
		// alone lists everything.
		for _, l := range []struct{ path, key string }{{"/users/list", "users"}, {"/accounts/list", "accounts"}, {"/roles/list", "roles"}} {
			search, byAccount := found(0), missing("account")
			if v == "%" {
				search = found(total(l.path))
			}
			if l.path == "/accounts/list" {
				byAccount = found(total(l.path)) // accountId does not filter accounts
			}
			for _, tc := range []struct {
				body  map[string]any
				want  answer
				field string
			}{
				{map[string]any{"searchString": v}, search, "searchString"},
				{map[string]any{"orderby": []string{v, "asc"}}, refused("orderby"), "orderby"},
				{map[string]any{"orderby": []string{"email", v}}, refused("orderby"), "orderby"},
				{map[string]any{"accountId": v}, byAccount, "accountId"},
			} {
				what := "POST " + l.path + " " + short(fmt.Sprint(tc.body))
				orNUL(v, tc.want, tc.field).check(t, what, super.do("POST", l.path, tc.body), l.key)
			}
		}
		for path, w := range map[string]answer{"/api/v1/users/": missing(""), "/api/v1/roles/": missing(""), "/api/v1/accounts/": missing("account")} {
			orNUL(v, w, "id").check(t, "GET "+path+short(v), super.do("GET", path+url.PathEscape(v), nil), "")
		}
	}

	// Creation: none of these is an email address; all are fine names of
	// roles and accounts, but for the NUL and the 10 KB.
	users := userCount(t, f.env)
	for _, v := range nasty {
		r := super.do("POST", "/api/v1/users", map[string]any{"email": v, "givenName": v, "invite": true})
		refused("email").check(t, "create user "+short(v), r, "")
		want := answer{status: 201}
		if v == nul || v == long {
			want = refused("name")
		}
		want.check(t, "create role "+short(v), super.do("POST", "/api/v1/roles", map[string]any{"name": v}), "")
		want.check(t, "create account "+short(v), super.do("POST", "/api/v1/accounts", map[string]any{"name": v}), "")
	}
	if n := userCount(t, f.env); n != users {
		t.Errorf("%d users created from bad input", n-users)
	}
	// Now that accounts and roles bear these names, a search finds exactly
	// those whose name holds the text.
	// Each is [name] or [name, description]; roles match on either (the
	// description of an account's admin role names the account).
	var accountNames, roleTexts [][]string
	for _, it := range items(t, super.do("GET", "/api/v1/accounts?limit=1000", nil)) {
		accountNames = append(accountNames, []string{it["name"].(string)})
	}
	for _, it := range super.do("POST", "/roles/list", `{}`).json(t)["roles"].([]any) {
		role := it.(map[string]any)
		roleTexts = append(roleTexts, []string{role["name"].(string), role["description"].(string)})
	}
	holding := func(list [][]string, text string) []string {
		out := []string{}
		for _, texts := range list {
			if slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(userdb.Fold(s), userdb.Fold(text)) }) {
				out = append(out, texts[0])
			}
		}
		slices.Sort(out)
		return out
	}
	for _, v := range nasty[:7] {
		var got []string
		for _, it := range items(t, super.do("GET", "/api/v1/accounts?limit=1000&q="+url.QueryEscape(v), nil)) {
			got = append(got, it["name"].(string))
		}
		slices.Sort(got)
		if want := holding(accountNames, v); !slices.Equal(got, want) || len(want) == 0 {
			t.Errorf("accounts q=%s: %q, want %q", short(v), got, want)
		}
		got = nil
		text := strings.TrimSuffix(strings.TrimPrefix(v, "%"), "%")
		for _, it := range super.do("POST", "/roles/list", map[string]any{"searchString": v}).json(t)["roles"].([]any) {
			got = append(got, it.(map[string]any)["name"].(string))
		}
		slices.Sort(got)
		if want := holding(roleTexts, text); !slices.Equal(got, want) {
			t.Errorf("/roles/list searchString %s: %q, want %q", short(v), got, want)
		}
	}
	if r := super.do("GET", "/api/v1/users?limit=1000", nil); len(items(t, r)) < len(named) {
		t.Errorf("users are gone after the injection attempts: %s", r.body)
	}
}

// answer is what a request must get: its status, and for a 200 how many
// items the list under a key holds, or for an error the field it names.
type answer struct {
	status int
	field  string
	items  int
}

func found(n int) answer          { return answer{status: 200, items: n} }
func refused(field string) answer { return answer{status: 400, field: field} }
func missing(field string) answer { return answer{status: 404, field: field} }

// check compares r with the answer; key names the list of a 200 ("" to
// count nothing). An error must carry a short message (never an echo of
// a long input) and name the field.
func (w answer) check(t *testing.T, what string, r response, key string) {
	t.Helper()
	if r.status != w.status {
		t.Errorf("%s: %d %.200s, want %d", what, r.status, r.body, w.status)
		return
	}
	m := r.json(t)
	if w.status >= 400 {
		msg, _ := m["message"].(string)
		field, _ := m["field"].(string)
		if field != w.field || msg == "" || len(msg) > 300 {
			t.Errorf("%s: %.300s, want a short message naming field %q", what, r.body, w.field)
		}
		return
	}
	if key != "" {
		if list, ok := m[key].([]any); !ok || len(list) != w.items {
			t.Errorf("%s: %.300s, want %d %s", what, r.body, w.items, key)
		}
	}
}

// short quotes s for a test message, cut to a readable length.
func short(s string) string {
	q := strconv.Quote(s)
	if len(q) > 40 {
		q = q[:40] + "…"
	}
	return q
}

func TestAdminUserListFiltersAndPages(t *testing.T) {
	f := newAdminFixture(t)
	super := f.actors[asSuper]
	for i := range 5 {
		f.clock.Add(time.Minute)
		f.target(f.accB.ID, userdb.StatusEnabled, "member")
		_ = i
	}
	f.target(f.accB.ID, userdb.StatusDisabled)

	var seen []string
	cursor := ""
	for page := 0; ; page++ {
		r := super.do("GET", "/api/v1/users?account=beta&role=member&sort=-created&limit=2&cursor="+url.QueryEscape(cursor), nil)
		m := r.json(t)
		if r.status != 200 || m["total"] != float64(5) {
			t.Fatalf("page %d: %d %s", page, r.status, r.body)
		}
		seen = append(seen, ids(items(t, r))...)
		next, _ := m["next"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d users, want 5: %v", len(seen), seen)
	}
	r := super.do("GET", "/api/v1/users?account=beta&status=disabled", nil)
	if got := items(t, r); len(got) != 1 || got[0]["status"] != "DISABLED" {
		t.Fatalf("status filter: %s", r.body)
	}
	after := f.clock.Now().Add(-150 * time.Second).Format(time.RFC3339)
	r = super.do("GET", "/api/v1/users?account=beta&createdAfter="+after, nil)
	if n := r.json(t)["total"]; n != float64(4) { // 12:03, 12:04 and the two of 12:05
		t.Fatalf("createdAfter %s: total %v: %s", after, n, r.body)
	}
	for _, bad := range []string{"createdAfter=yesterday", "limit=0", "limit=x", "status=SLEEPING", "sort=password", "cursor=bm90IGpzb24", "cursor=%21%21"} {
		r := super.do("GET", "/api/v1/users?"+bad, nil)
		if r.status != 400 || r.json(t)["field"] == "" {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
}

func TestAdminAccountsAndRoles(t *testing.T) {
	f := newAdminFixture(t)
	super := f.actors[asSuper]
	r := super.do("POST", "/api/v1/accounts", map[string]any{"name": "gamma", "description": "third"})
	if r.status != 201 {
		t.Fatalf("create account: %d %s", r.status, r.body)
	}
	gamma := r.json(t)["id"].(string)
	roles := items(t, super.do("GET", "/api/v1/roles?account=gamma", nil))
	if len(roles) != 1 || roles[0]["name"] != "admin" {
		t.Fatalf("a new account's roles: %v", roles)
	}
	if r := super.do("POST", "/api/v1/accounts", map[string]any{"name": "GAMMA"}); r.status != 409 {
		t.Fatalf("duplicate account: %d %s", r.status, r.body)
	}
	if _, err := inside.Service(f.srv).AdminCreateUser(ctxCLI(), newUserIn(gamma, "g@example.com")); err != nil {
		t.Fatal(err)
	}
	if r := super.do("DELETE", "/api/v1/accounts/"+gamma, nil); r.status != 409 {
		t.Fatalf("delete an account with users: %d %s", r.status, r.body)
	}
	if r := super.do("DELETE", "/api/v1/accounts/"+gamma+"?force=maybe", nil); r.status != 400 {
		t.Fatalf("force=maybe: %d %s", r.status, r.body)
	}
	if r := super.do("DELETE", "/api/v1/accounts/"+gamma+"?force=true", nil); r.status != 204 {
		t.Fatalf("forced delete: %d %s", r.status, r.body)
	}
	if r := super.do("GET", "/api/v1/accounts/"+gamma, nil); r.status != 404 {
		t.Fatalf("deleted account: %d", r.status)
	}

	// Accounts page by name.
	for _, n := range []string{"delta", "epsilon", "zeta"} {
		super.do("POST", "/api/v1/accounts", map[string]any{"name": n})
	}
	var names []string
	cursor := ""
	for {
		r := super.do("GET", "/api/v1/accounts?limit=2&cursor="+cursor, nil)
		for _, it := range items(t, r) {
			names = append(names, it["name"].(string))
		}
		next, _ := r.json(t)["next"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if strings.Join(names, ",") != "alpha,beta,default,delta,epsilon,zeta" {
		t.Fatalf("accounts by page: %v", names)
	}

	// Roles: the admin of A renames its own role; built-in names stay.
	admin := f.actors[asAdminA]
	r = admin.do("POST", "/api/v1/roles", map[string]any{"name": "editor", "description": "edits"})
	if r.status != 201 || r.json(t)["account_id"] != f.accA.ID {
		t.Fatalf("create role: %d %s", r.status, r.body)
	}
	editor := r.json(t)["id"].(string)
	if r := admin.do("PATCH", "/api/v1/roles/"+editor, map[string]any{"name": "writer", "status": "DISABLED"}); r.status != 200 || r.json(t)["name"] != "writer" {
		t.Fatalf("rename role: %d %s", r.status, r.body)
	}
	if r := admin.do("PATCH", "/api/v1/roles/"+editor, map[string]any{"name": "member"}); r.status != 409 {
		t.Fatalf("rename onto a taken name: %d %s", r.status, r.body)
	}
	adminRole := ""
	for _, it := range items(t, admin.do("GET", "/api/v1/roles", nil)) {
		if it["name"] == "admin" {
			adminRole = it["id"].(string)
		}
	}
	if r := admin.do("PATCH", "/api/v1/roles/"+adminRole, map[string]any{"name": "boss"}); r.status != 400 || r.json(t)["field"] != "name" {
		t.Fatalf("rename the admin role: %d %s", r.status, r.body)
	}
	if len(f.events("role.updated")) != 1 {
		t.Fatalf("role.updated events: %d", len(f.events("role.updated")))
	}
}

func TestAPIKeys(t *testing.T) {
	// The clock moves hours ahead (a key's expiry); the admins' sessions
	// must outlive that, so they have no idle timeout here.
	f := newAdminFixture(t, func(c *server.Config) { c.Sessions.IdleTimeout = 0 })
	super := f.actors[asSuper]
	r := super.do("POST", "/api/v1/api-keys", map[string]any{"name": "deploy", "account": "beta", "roles": []string{"admin"}})
	if r.status != 201 {
		t.Fatalf("create key: %d %s", r.status, r.body)
	}
	created := r.json(t)
	secret, id := created["secret"].(string), created["id"].(string)
	if len(secret) < 40 || created["account_id"] != f.accB.ID {
		t.Fatalf("created key: %v", created)
	}
	stored, err := inside.Service(f.srv).Store().FindAPIKeyByID(context.Background(), id)
	if err != nil || strings.Contains(string(stored.KeyHash), secret) || string(stored.KeyHash) == secret {
		t.Fatalf("stored key: %v %v", stored, err)
	}
	list := super.do("GET", "/api/v1/api-keys", nil)
	if strings.Contains(string(list.body), secret) || strings.Contains(string(list.body), "secret") {
		t.Fatalf("the list shows the secret: %s", list.body)
	}

	key := &actor{name: "beta key", id: id, c: f.client(), header: []string{"Authorization", "Bearer " + secret}}
	got := items(t, key.do("GET", "/api/v1/users", nil))
	if len(got) != 1 || got[0]["id"] != f.adminB.ID {
		t.Fatalf("beta key lists %v", ids(got))
	}
	if r := key.do("GET", "/api/v1/users/"+f.adminA.ID, nil); r.status != 404 {
		t.Fatalf("beta key reads a user of A: %d", r.status)
	}

	// Last use is written at most once a minute.
	lastUsed := func() time.Time {
		k, err := inside.Service(f.srv).Store().FindAPIKeyByID(context.Background(), id)
		if err != nil || k.LastUsedAt == nil {
			t.Fatalf("last used: %+v %v", k, err)
		}
		return *k.LastUsedAt
	}
	first := lastUsed()
	f.clock.Add(30 * time.Second)
	key.do("GET", "/api/v1/users", nil)
	if !lastUsed().Equal(first) {
		t.Fatal("last use written twice within a minute")
	}
	f.clock.Add(31 * time.Second)
	key.do("GET", "/api/v1/users", nil)
	if !lastUsed().After(first) {
		t.Fatal("last use not written after a minute")
	}

	for _, h := range []string{"Bearer nope", "Basic " + secret, "Bearer", secret} {
		if r := f.client().do("GET", "/api/v1/users", nil, "Authorization", h); r.status != 401 || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %.12q: %d", h, r.status)
		}
	}
	if r := super.do("DELETE", "/api/v1/api-keys/"+id, nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := key.do("GET", "/api/v1/users", nil); r.status != 401 {
		t.Fatalf("revoked key: %d", r.status)
	}

	// Expiry, global keys, and keys of a disabled account.
	exp := f.clock.Now().Add(time.Hour).Format(time.RFC3339)
	r = super.do("POST", "/api/v1/api-keys", map[string]any{"name": "short", "roles": []string{"super-admin"}, "expiresAt": exp})
	if r.status != 201 || r.json(t)["account_id"] != "" {
		t.Fatalf("global key: %d %s", r.status, r.body)
	}
	global := r.json(t)["secret"].(string)
	if r := f.client().do("GET", "/api/v1/users?account=alpha", nil, "Authorization", "Bearer "+global); r.status != 200 {
		t.Fatalf("global key: %d %s", r.status, r.body)
	}
	f.clock.Add(2 * time.Hour)
	if r := f.client().do("GET", "/api/v1/users", nil, "Authorization", "Bearer "+global); r.status != 401 {
		t.Fatalf("expired key: %d", r.status)
	}
	for _, bad := range []map[string]any{
		{"name": "", "roles": []string{"super-admin"}},
		{"name": "g", "roles": []string{"admin"}},
		{"name": "s", "account": "alpha", "roles": []string{"super-admin"}},
		{"name": "p", "roles": []string{"super-admin"}, "expiresAt": "2020-01-01T00:00:00Z"},
		{"name": "p", "roles": []string{"super-admin"}, "expiresAt": "soon"},
		{"name": "r", "account": "alpha", "roles": []string{"no-such-role"}},
	} {
		if r := super.do("POST", "/api/v1/api-keys", bad); r.status != 400 || r.json(t)["field"] == "" {
			t.Errorf("create %v: %d %s", bad, r.status, r.body)
		}
	}
	if r := super.do("POST", "/api/v1/accounts/alpha/disable", nil); r.status != 200 {
		t.Fatalf("disable alpha: %d %s", r.status, r.body)
	}
	if r := f.actors[asKeyA].do("GET", "/api/v1/users", nil); r.status != 401 {
		t.Fatalf("key of a disabled account: %d", r.status)
	}
	if created := f.events("apikey.created"); len(created) != 3 || created[0].ActorID != f.root.ID {
		t.Fatalf("apikey.created events: %+v", created) // the fixture's key, beta's, the global one
	}
	revoked := f.events("apikey.revoked")
	if len(revoked) != 1 || revoked[0].ActorID != f.root.ID || revoked[0].AccountID != f.accB.ID {
		t.Fatalf("apikey.revoked events: %+v", revoked)
	}
}

func TestAdminRPCShapes(t *testing.T) {
	f := newAdminFixture(t)
	super := f.actors[asSuper]
	list := super.do("POST", "/users/list", map[string]any{"accountId": f.accA.ID, "orderby": []string{"users.email", "desc"}, "limit": 1, "offset": 1}).json(t)
	users := list["users"].([]any)
	if list["total"] != float64(2) || len(users) != 1 || users[0].(map[string]any)["email"] != "admin@alpha.example" {
		t.Fatalf("/users/list: %v", list)
	}

	r := super.do("POST", "/users/update", map[string]any{"account_id": f.accA.ID, "email": "new@alpha.example", "fullName": "New Person", "roles": []any{map[string]any{"name": "member"}}})
	created := r.json(t)
	if r.status != 200 || created["status"] != "PENDING" || created["givenName"] != "New" || created["surname"] != "Person" {
		t.Fatalf("/users/update create: %d %s", r.status, r.body)
	}
	f.lastEmail("new@alpha.example", "invitation")
	id := created["id"].(string)
	r = super.do("POST", "/users/update", map[string]any{"id": id, "customData": map[string]any{"a": 1}, "roles": []string{"helper"}})
	if got := r.json(t); r.status != 200 || got["customData"].(map[string]any)["a"] != float64(1) || len(got["roles"].([]any)) != 1 {
		t.Fatalf("/users/update change: %d %s", r.status, r.body)
	}
	r = super.do("POST", "/users/update", map[string]any{"id": id, "customData": map[string]any{"b": 2}})
	if cd := r.json(t)["customData"].(map[string]any); cd["a"] != nil || cd["b"] != float64(2) {
		t.Fatalf("customData is replaced whole: %v", cd)
	}
	if r := super.do("POST", "/users/update", map[string]any{"email": "pw@alpha.example", "status": "ENABLED"}); r.status != 400 || r.json(t)["field"] != "password" {
		t.Fatalf("create ENABLED without a password: %d %s", r.status, r.body)
	}
	r = super.do("POST", "/users/change_account_status", map[string]any{"userId": f.plainA.ID, "newStatus": "DISABLED"})
	if r.status != 200 || r.json(t)["status"] != "DISABLED" {
		t.Fatalf("change_account_status: %d %s", r.status, r.body)
	}

	sel := super.do("POST", "/accounts/select_list", map[string]any{"q": "alp"}).json(t)
	opts := sel["options"].([]any)
	if sel["complete"] != false || len(opts) != 1 || opts[0].(map[string]any)["label"] != "alpha" || len(opts[0].(map[string]any)["roles"].([]any)) != 3 {
		t.Fatalf("select_list: %v", sel)
	}
	roles := super.do("POST", "/accounts/roles_for_account", map[string]any{"accountId": f.accB.ID})
	if !strings.HasPrefix(string(roles.body), "[") || strings.Count(string(roles.body), `"name"`) != 3 {
		t.Fatalf("roles_for_account: %s", roles.body)
	}
	accs := super.do("POST", "/accounts/list", map[string]any{"searchString": "%et%"}).json(t)
	if accs["total"] != float64(1) || accs["accounts"].([]any)[0].(map[string]any)["name"] != "beta" {
		t.Fatalf("/accounts/list: %v", accs)
	}
	acc := super.do("POST", "/accounts/update", map[string]any{"name": "omega", "status": "DISABLED"}).json(t)
	if acc["name"] != "omega" || acc["status"] != "DISABLED" {
		t.Fatalf("/accounts/update create: %v", acc)
	}
	rl := super.do("POST", "/roles/list", map[string]any{"where": map[string]any{"account_id": f.accA.ID}, "searchString": "help"}).json(t)
	if rl["total"] != float64(1) || rl["roles"].([]any)[0].(map[string]any)["name"] != "helper" {
		t.Fatalf("/roles/list: %v", rl)
	}
	role := super.do("POST", "/roles/update", map[string]any{"account_id": f.accA.ID, "name": "auditor", "status": "DISABLED"}).json(t)
	if role["name"] != "auditor" || role["status"] != "DISABLED" || role["account_id"] != f.accA.ID {
		t.Fatalf("/roles/update create: %v", role)
	}
	if r := super.do("POST", "/roles/update", map[string]any{"id": role["id"], "account_id": f.accB.ID}); r.status != 400 {
		t.Fatalf("moving a role: %d %s", r.status, r.body)
	}
	if r := super.do("POST", "/roles/remove", map[string]any{"roleId": role["id"]}); r.status != 200 || string(r.body) != "{}\n" {
		t.Fatalf("/roles/remove: %d %q", r.status, r.body)
	}
	for _, path := range []string{"/users/remove", "/users/reset_password", "/users/resend_invite", "/accounts/remove", "/roles/remove"} {
		if r := super.do("POST", path, `{}`); r.status != 400 || r.json(t)["field"] == "" {
			t.Errorf("%s without an id: %d %s", path, r.status, r.body)
		}
	}
}

// TestAdminRPCPaging: the original's listings page, order and search in
// the store, and answer as they did when the handlers did it in memory:
// every offset of every order is the same slice of the whole listing.
// Creating a disabled account is one call: a bad status creates nothing.
func TestAdminRPCPaging(t *testing.T) {
	f := newAdminFixture(t)
	super := f.actors[asSuper]
	names := func(body map[string]any, key, field string) []string {
		t.Helper()
		var out []string
		for _, it := range body[key].([]any) {
			out = append(out, it.(map[string]any)[field].(string))
		}
		return out
	}
	for _, n := range []string{"kilo", "Lima", "mike", "November"} {
		if r := super.do("POST", "/accounts/update", map[string]any{"name": n, "description": "paged"}); r.status != 200 {
			t.Fatalf("create account %s: %d %s", n, r.status, r.body)
		}
	}
	for i := range 5 {
		if _, err := inside.Service(f.srv).AdminCreateUser(ctxCLI(), newUserIn(f.accA.ID, fmt.Sprintf("pat%d@alpha.example", i))); err != nil {
			t.Fatal(err)
		}
	}
	if r := super.do("POST", "/accounts/update", map[string]any{"name": "oscar", "status": "LOCKED"}); r.status != 400 || r.json(t)["field"] != "status" {
		t.Fatalf("create an account with status LOCKED: %d %s", r.status, r.body)
	}
	if r := super.do("POST", "/accounts/list", map[string]any{"searchString": "oscar"}).json(t); r["total"] != float64(0) {
		t.Fatalf("a refused account was created: %v", r)
	}
	for _, l := range []struct {
		path, key, field string
		body             map[string]any
	}{
		{"/accounts/list", "accounts", "name", map[string]any{}},
		{"/roles/list", "roles", "name", map[string]any{}},
		{"/roles/list", "roles", "name", map[string]any{"searchString": "%ADMIN%"}},
		{"/users/list", "users", "email", map[string]any{"orderby": []string{"email"}}},
		{"/users/list", "users", "email", map[string]any{"searchString": "%PAT%"}},
	} {
		for _, dir := range []string{"asc", "desc"} {
			body := maps.Clone(l.body)
			body["orderby"] = []string{l.field, dir}
			if l.path == "/users/list" && body["searchString"] == nil {
				body["orderby"] = []string{"email", dir}
			}
			all := super.do("POST", l.path, body).json(t)
			want := names(all, l.key, l.field)
			if len(want) < 3 || all["total"] != float64(len(want)) {
				t.Fatalf("%s %v: total %v of %v", l.path, body, all["total"], want)
			}
			sorted := slices.IsSortedFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
			if dir == "desc" {
				sorted = slices.IsSortedFunc(want, func(a, b string) int { return strings.Compare(strings.ToLower(b), strings.ToLower(a)) })
			}
			if !sorted && l.key != "roles" { // roles of the same name tie on their ids
				t.Errorf("%s %v: not in order: %v", l.path, body, want)
			}
			for offset := 0; offset <= len(want)+1; offset++ {
				body["offset"], body["limit"] = offset, 2
				page := super.do("POST", l.path, body).json(t)
				got := names(page, l.key, l.field)
				if page["total"] != float64(len(want)) || !slices.Equal(got, want[min(offset, len(want)):min(offset+2, len(want))]) {
					t.Fatalf("%s %v: %v (total %v), want a slice of %v", l.path, body, got, page["total"], want)
				}
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	e := newEnv(t)
	r := e.client().do("GET", "/api/v1/openapi.json", nil)
	if r.status != 200 || r.json(t)["openapi"] != "3.1.0" {
		t.Fatalf("openapi.json: %d %.100s", r.status, r.body)
	}
}

// Disabling a user through PATCH has the effects of POST .../disable: the
// user's sessions end at once.
func TestAdminDisableEndsSessions(t *testing.T) {
	f := newAdminFixture(t)
	admin, plain := f.actors[asAdminA], f.actors[asPlain]
	if r := plain.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("plain user signed in: %d", r.status)
	}
	path := "/api/v1/users/" + f.plainA.ID
	version := admin.do("GET", path, nil).json(t)["version"]
	if r := admin.do("PATCH", path, map[string]any{"version": version, "status": "DISABLED"}); r.status != 200 {
		t.Fatalf("disable by PATCH: %d %s", r.status, r.body)
	}
	if r := plain.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("disabled user still signed in: %d", r.status)
	}
	list, err := inside.Service(f.srv).Store().FindSessionsByUser(context.Background(), f.plainA.ID)
	if err != nil || len(list) != 0 {
		t.Fatalf("sessions left: %d %v", len(list), err)
	}
	version = admin.do("GET", path, nil).json(t)["version"]
	if r := admin.do("PATCH", path, map[string]any{"version": version, "status": "LOCKED"}); r.status != 400 || r.json(t)["field"] != "status" {
		t.Fatalf("PATCH to LOCKED: %d %s", r.status, r.body)
	}
	if r := admin.do("POST", path+"/enable", nil); r.status != 200 || r.json(t)["status"] != "ENABLED" {
		t.Fatalf("enable: %d %s", r.status, r.body)
	}
	if r := admin.do("GET", path+"/sessions", nil); len(items(t, r)) != 0 {
		t.Fatalf("sessions: %s", r.body)
	}
	plain.c.mustLogin(f.plainA.Email, adminPassword)
	if r := admin.do("POST", path+"/end-sessions", nil); r.status != 200 || r.json(t)["ended"] != float64(1) {
		t.Fatalf("end-sessions: %d %s", r.status, r.body)
	}
	if r := plain.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("after end-sessions: %d", r.status)
	}
}

// roleNames returns the names of the "roles" of a user's JSON.
func roleNames(v map[string]any) []string {
	var out []string
	list, _ := v["roles"].([]any)
	for _, r := range list {
		out = append(out, r.(map[string]any)["name"].(string))
	}
	return out
}

// sessionRows counts a user's sessions in the store.
func (f *adminFixture) sessionRows(id string) int {
	f.t.Helper()
	list, err := inside.Service(f.srv).Store().FindSessionsByUser(context.Background(), id)
	if err != nil {
		f.t.Fatal(err)
	}
	return len(list)
}

// TestAdminLifecycleEffects checks that each lifecycle action of the REST
// API does what it says, seen from the user's side over HTTP and in the
// store, not only in the answer.
func TestAdminLifecycleEffects(t *testing.T) {
	f := newAdminFixture(t)
	admin, super := f.actors[asAdminA], f.actors[asSuper]
	svc := inside.Service(f.srv)
	mk := func(email string) *userdb.User {
		u, err := svc.AdminCreateUser(ctxCLI(), newUserIn(f.accA.ID, email))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}

	t.Run("unlock", func(t *testing.T) {
		u := mk("locked@alpha.example")
		c := f.client()
		for range 5 {
			c.login(u.Email, "wrong password")
		}
		if r := c.login(u.Email, adminPassword); r.status != 401 {
			t.Fatalf("a locked user signs in: %d", r.status)
		}
		r := admin.do("POST", "/api/v1/users/"+u.ID+"/unlock", nil)
		if m := r.json(t); r.status != 200 || m["status"] != "ENABLED" || m["failedLogins"] != float64(0) {
			t.Fatalf("unlock: %d %s", r.status, r.body)
		}
		c.mustLogin(u.Email, adminPassword)
		if r := admin.do("POST", "/api/v1/users/"+u.ID+"/unlock", nil); r.status != 400 {
			t.Fatalf("unlocking an unlocked user: %d %s", r.status, r.body)
		}
	})

	t.Run("reset-password", func(t *testing.T) {
		u := mk("reset@alpha.example")
		if r := admin.do("POST", "/api/v1/users/"+u.ID+"/reset-password", nil); r.status != 202 {
			t.Fatalf("reset-password: %d %s", r.status, r.body)
		}
		if n := f.countEmails(u.Email, "forgot-password"); n != 1 {
			t.Fatalf("%d reset emails queued, want 1", n)
		}
		token := tokenOf(t, f.lastEmail(u.Email, "forgot-password"))
		if r := f.client().do("POST", "/change", map[string]string{"sptoken": token, "password": "a brand new secret"}); r.status != 200 {
			t.Fatalf("the emailed link does not reset: %d %s", r.status, r.body)
		}
		f.client().mustLogin(u.Email, "a brand new secret")
		if r := f.client().login(u.Email, adminPassword); r.status != 401 {
			t.Fatalf("the old password still works: %d", r.status)
		}
	})

	t.Run("resend-invite", func(t *testing.T) {
		p := f.target(f.accA.ID, userdb.StatusPending)
		if n := f.countEmails(p.Email, "invitation"); n != 1 {
			t.Fatalf("%d invitations before, want 1", n)
		}
		if r := admin.do("POST", "/api/v1/users/"+p.ID+"/resend-invite", nil); r.status != 202 {
			t.Fatalf("resend-invite: %d %s", r.status, r.body)
		}
		if n := f.countEmails(p.Email, "invitation"); n != 2 {
			t.Fatalf("%d invitations after, want 2", n)
		}
		token := tokenOf(t, f.lastEmail(p.Email, "invitation"))
		if got, err := svc.CheckInvitation(context.Background(), token); err != nil || got.ID != p.ID {
			t.Fatalf("the new invitation's link: %v %v", got, err)
		}
		// An enabled user has nothing to accept.
		if r := admin.do("POST", "/api/v1/users/"+f.plainA.ID+"/resend-invite", nil); r.status != 400 {
			t.Fatalf("inviting an enabled user: %d %s", r.status, r.body)
		}
	})

	t.Run("expire-password", func(t *testing.T) {
		u := mk("expire@alpha.example")
		if acc := f.client().mustLogin(u.Email, adminPassword); acc["password_expired"] == true {
			t.Fatal("a fresh password is expired")
		}
		r := admin.do("POST", "/api/v1/users/"+u.ID+"/expire-password", nil)
		if r.status != 200 || r.json(t)["passwordMustChange"] != true {
			t.Fatalf("expire-password: %d %s", r.status, r.body)
		}
		c := f.client()
		c.mustChangeAtLogin(u.Email, adminPassword)
		if r := c.do("POST", "/expired", map[string]string{"password": "a brand new secret"}); r.status != 200 {
			t.Fatalf("POST /expired: %d %s", r.status, r.body)
		}
		if acc := f.client().mustLogin(u.Email, "a brand new secret"); acc["password_expired"] == true {
			t.Fatal("still expired after the change")
		}
	})

	t.Run("roles", func(t *testing.T) {
		plain := f.actors[asPlain]
		path := "/api/v1/users/" + f.plainA.ID + "/roles"
		r := admin.do("PUT", path+"/helper", nil)
		if r.status != 200 || !slices.Contains(roleNames(r.json(t)), "helper") {
			t.Fatalf("assign: %d %s", r.status, r.body)
		}
		held := func() []string {
			var names []string
			for _, it := range items(t, admin.do("GET", path, nil)) {
				names = append(names, it["name"].(string))
			}
			slices.Sort(names)
			return names
		}
		if got := held(); !slices.Equal(got, []string{"helper", "member"}) {
			t.Fatalf("roles after assign: %v", got)
		}
		// The user's own session sees it at once.
		if got := roleNames(plain.do("GET", "/me", nil).json(t)["account"].(map[string]any)); !slices.Contains(got, "helper") {
			t.Fatalf("/me after assign: %v", got)
		}
		if r := admin.do("DELETE", path+"/member", nil); r.status != 200 || slices.Contains(roleNames(r.json(t)), "member") {
			t.Fatalf("remove: %d %s", r.status, r.body)
		}
		if got := held(); !slices.Equal(got, []string{"helper"}) {
			t.Fatalf("roles after remove: %v", got)
		}
		if got := roleNames(plain.do("GET", "/me", nil).json(t)["account"].(map[string]any)); slices.Contains(got, "member") {
			t.Fatalf("/me after remove: %v", got)
		}
		u, err := svc.Store().FindUserByID(context.Background(), f.plainA.ID)
		if err != nil || !slices.Equal(u.Roles, []string{"helper"}) {
			t.Fatalf("stored roles %v %v", u.Roles, err)
		}
		if r := admin.do("PUT", path+"/astronaut", nil); r.status != 400 || r.json(t)["field"] != "roles" {
			t.Fatalf("assigning a missing role: %d %s", r.status, r.body)
		}
	})

	t.Run("end-sessions", func(t *testing.T) {
		u := mk("sessions@alpha.example")
		c1, c2 := f.client(), f.client()
		c1.mustLogin(u.Email, adminPassword)
		c2.mustLogin(u.Email, adminPassword)
		if n := f.sessionRows(u.ID); n != 2 {
			t.Fatalf("%d sessions, want 2", n)
		}
		others := f.sessionRows(f.plainA.ID)
		r := admin.do("POST", "/api/v1/users/"+u.ID+"/end-sessions", nil)
		if r.status != 200 || r.json(t)["ended"] != float64(2) {
			t.Fatalf("end-sessions: %d %s", r.status, r.body)
		}
		if n := f.sessionRows(u.ID); n != 0 {
			t.Fatalf("%d session rows left", n)
		}
		if f.sessionRows(f.plainA.ID) != others {
			t.Fatal("another user's sessions ended")
		}
		for _, c := range []*client{c1, c2} {
			if r := c.do("GET", "/me", nil); r.status != 401 {
				t.Fatalf("/me after end-sessions: %d", r.status)
			}
		}
	})

	// Last, as it signs out account A.
	t.Run("disable account", func(t *testing.T) {
		if f.sessionRows(f.adminA.ID) == 0 || f.sessionRows(f.plainA.ID) == 0 {
			t.Fatal("the fixture's users of A are not signed in")
		}
		bSessions := f.sessionRows(f.adminB.ID)
		if r := super.do("POST", "/api/v1/accounts/"+f.accA.ID+"/disable", nil); r.status != 200 || r.json(t)["status"] != "DISABLED" {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		for _, u := range []*userdb.User{f.adminA, f.plainA} {
			if n := f.sessionRows(u.ID); n != 0 {
				t.Errorf("%s keeps %d session rows", u.Email, n)
			}
		}
		if f.sessionRows(f.adminB.ID) != bSessions {
			t.Error("a session of account B ended")
		}
		if r := f.actors[asPlain].do("GET", "/me", nil); r.status != 401 {
			t.Errorf("/me of a user of the disabled account: %d", r.status)
		}
		if r := f.client().login(f.plainA.Email, adminPassword); r.status != 401 {
			t.Errorf("a user of the disabled account signs in: %d", r.status)
		}
		if r := super.do("POST", "/api/v1/accounts/"+f.accA.ID+"/enable", nil); r.status != 200 {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		f.client().mustLogin(f.plainA.Email, adminPassword)
	})
}

// TestAdminRPCListWhere: /users/list and /roles/list honour the simple
// `where` conditions of the original (account_id, and status for users),
// and refuse any other rather than ignore it.
func TestAdminRPCListWhere(t *testing.T) {
	f := newAdminFixture(t)
	super := f.actors[asSuper]
	disabled := f.target(f.accA.ID, userdb.StatusDisabled)
	f.target(f.accB.ID, userdb.StatusDisabled)
	list := func(body map[string]any) (int, []string) {
		t.Helper()
		r := super.do("POST", "/users/list", body)
		if r.status != 200 {
			t.Fatalf("/users/list %v: %d %s", body, r.status, r.body)
		}
		m := r.json(t)
		var got []string
		for _, u := range m["users"].([]any) {
			got = append(got, u.(map[string]any)["id"].(string))
		}
		slices.Sort(got)
		return int(m["total"].(float64)), got
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	for _, where := range []map[string]any{{"account_id": f.accA.ID}, {"users.account_id": f.accA.ID}, {"accountId": "alpha"}} {
		if n, got := list(map[string]any{"where": where}); n != 3 || !slices.Equal(got, sorted(f.adminA.ID, f.plainA.ID, disabled.ID)) {
			t.Errorf("where %v: %d %v", where, n, got)
		}
	}
	if n, got := list(map[string]any{"where": map[string]any{"account_id": f.accA.ID, "users.status": "disabled"}}); n != 1 || got[0] != disabled.ID {
		t.Errorf("where account and status: %d %v", n, got)
	}
	if n, _ := list(map[string]any{"where": map[string]any{"status": "DISABLED"}}); n != 2 {
		t.Errorf("where status across accounts: %d", n)
	}
	// The same account twice is fine.
	if n, _ := list(map[string]any{"accountId": f.accA.ID, "where": map[string]any{"account_id": f.accA.ID}}); n != 3 {
		t.Errorf("accountId and where agreeing: %d", n)
	}
	for _, c := range []struct {
		path string
		body map[string]any
	}{
		{"/users/list", map[string]any{"where": map[string]any{"email": "plain@alpha.example"}}},
		{"/users/list", map[string]any{"where": map[string]any{"status": "SLEEPING"}}},
		{"/users/list", map[string]any{"where": map[string]any{"account_id": 7}}},
		{"/users/list", map[string]any{"where": []string{"account_id"}}},
		{"/users/list", map[string]any{"where": "1=1"}},
		{"/users/list", map[string]any{"accountId": f.accB.ID, "where": map[string]any{"account_id": f.accA.ID}}},
		{"/roles/list", map[string]any{"where": map[string]any{"name": "admin"}}},
		{"/accounts/list", map[string]any{"where": map[string]any{"name": "alpha"}}},
	} {
		if r := super.do("POST", c.path, c.body); r.status != 400 || r.json(t)["field"] != "where" {
			t.Errorf("%s %v: %d %s, want 400 naming where", c.path, c.body, r.status, r.body)
		}
	}
	// An admin's where stays within its account.
	if r := f.actors[asAdminA].do("POST", "/users/list", map[string]any{"where": map[string]any{"account_id": f.accB.ID}}); r.status != 404 {
		t.Errorf("admin of A lists B by where: %d %s", r.status, r.body)
	}
}

// TestAdminEventsByAccountName: the events filter takes an account's id or
// name, like the users list; a super-admin still reaches the events of a
// deleted account by its id.
func TestAdminEventsByAccountName(t *testing.T) {
	f := newAdminFixture(t)
	super, adminA := f.actors[asSuper], f.actors[asAdminA]
	f.target(f.accA.ID, userdb.StatusEnabled)
	f.target(f.accB.ID, userdb.StatusEnabled)
	accounts := func(a *actor, ref string) []string {
		t.Helper()
		r := a.do("GET", "/api/v1/events?limit=1000&account="+url.QueryEscape(ref), nil)
		if r.status != 200 {
			t.Fatalf("events of %s as %s: %d %s", ref, a.name, r.status, r.body)
		}
		var got []string
		for _, e := range items(t, r) {
			got = append(got, e["account_id"].(string))
		}
		return slices.Compact(got)
	}
	for _, ref := range []string{"alpha", "ALPHA", f.accA.ID} {
		if got := accounts(super, ref); len(got) != 1 || got[0] != f.accA.ID {
			t.Errorf("super-admin, account=%s: events of %v", ref, got)
		}
		if got := accounts(adminA, ref); len(got) != 1 || got[0] != f.accA.ID {
			t.Errorf("admin of A, account=%s: events of %v", ref, got)
		}
	}
	for _, ref := range []string{"beta", f.accB.ID} {
		if r := adminA.do("GET", "/api/v1/events?account="+ref, nil); r.status != 404 {
			t.Errorf("admin of A, account=%s: %d", ref, r.status)
		}
	}
	if r := super.do("GET", "/api/v1/events?account=gamma", nil); r.status != 404 || r.json(t)["field"] != "account" {
		t.Errorf("an unknown account name: %d %s", r.status, r.body)
	}
	gone, err := inside.Service(f.srv).AdminCreateAccount(ctxCLI(), serviceAccount("gone"))
	if err != nil {
		t.Fatal(err)
	}
	if r := super.do("DELETE", "/api/v1/accounts/"+gone.ID, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if got := accounts(super, gone.ID); len(got) != 1 || got[0] != gone.ID {
		t.Errorf("events of a deleted account: %v", got)
	}
	if r := adminA.do("GET", "/api/v1/events?account="+gone.ID, nil); r.status != 404 {
		t.Errorf("admin of A, a deleted account: %d", r.status)
	}
}

// TestAdminUserTotalCapped: past 10,000 matching users the total stops
// counting and says so; below, it is exact and the flag absent.
func TestAdminUserTotalCapped(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 10,000 users")
	}
	f := newAdminFixture(t)
	super := f.actors[asSuper]
	st := inside.Service(f.srv).Store()
	now := f.clock.Now()
	err := st.Tx(context.Background(), func(tx userdb.Store) error {
		for i := range userdb.CountLimit {
			email := fmt.Sprintf("many%05d@example.com", i)
			u := &userdb.User{ID: userdb.NewID("usr"), AccountID: f.accB.ID, Username: email, Email: email,
				Status: userdb.StatusEnabled, CreatedAt: now, UpdatedAt: now}
			if err := tx.CreateUser(context.Background(), u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	r := super.do("GET", "/api/v1/users?limit=1", nil).json(t)
	if r["total"] != float64(userdb.CountLimit) || r["totalCapped"] != true {
		t.Errorf("all users: total %v, totalCapped %v", r["total"], r["totalCapped"])
	}
	rpc := super.do("POST", "/users/list", map[string]any{"limit": 1}).json(t)
	if rpc["total"] != float64(userdb.CountLimit) || rpc["totalCapped"] != true {
		t.Errorf("/users/list: total %v, totalCapped %v", rpc["total"], rpc["totalCapped"])
	}
	for _, path := range []string{"/api/v1/users?account=alpha", "/api/v1/users?q=many0999"} {
		m := super.do("GET", path, nil).json(t)
		if _, capped := m["totalCapped"]; capped || m["total"].(float64) >= userdb.CountLimit {
			t.Errorf("%s: total %v, totalCapped %v", path, m["total"], m["totalCapped"])
		}
	}
	if m := super.do("GET", "/api/v1/users?q=many0999", nil).json(t); m["total"] != float64(10) {
		t.Errorf("q=many0999: total %v, want 10", m["total"])
	}
	if _, capped := super.do("POST", "/users/list", map[string]any{"accountId": "alpha"}).json(t)["totalCapped"]; capped {
		t.Error("/users/list of alpha is capped")
	}
}
