package server_test

// Tests of what an application moving from the Node library userdb@1.0.13
// relies on (issue 22). Each cites the original's source, from
// `npm pack userdb@1.0.13`, by file and line.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
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

// onMySQL points a server at a database of its own on the MySQL or
// MariaDB server of USERDB_TEST_MYSQL_DSN, dropped when the test ends.
// Without the variable the test is skipped; with it set, a server that
// does not answer fails the test.
func onMySQL(t *testing.T) func(*server.Config) {
	t.Helper()
	base := os.Getenv("USERDB_TEST_MYSQL_DSN")
	if base == "" {
		t.Skip("USERDB_TEST_MYSQL_DSN is not set; set it to run this test on MySQL/MariaDB")
	}
	admin, err := sqlstore.Open(context.Background(), base, sqlstore.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatalf("USERDB_TEST_MYSQL_DSN is set but the server does not answer: %v", err)
	}
	var b [8]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:]) // [a-z0-9_]: safe in DDL
	if _, err := admin.DB().ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.DB().ExecContext(context.Background(), "DROP DATABASE "+name); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	rand.Read(b[:])
	key := base64.StdEncoding.EncodeToString(bytes.Repeat(b[:], 4)) // 32 bytes
	return func(c *server.Config) {
		c.Database.DSN = u.String()
		c.Secrets.CookieKey, c.Secrets.EncryptionKey = key, key
	}
}

// TestNodeAdminTableSorts: the requests of the original's React admin
// tables, answered 200 in the right order on SQLite, PostgreSQL and
// MySQL/MariaDB. UsersTable (react/admin/UsersTable.js:24-38) sends
// orderby ["accounts.name"|"roles.name"|"users.status", dir] with
// withAccounts, withRoles and select; AccountsTable and RolesTable
// (AccountsTable.js:27, RolesTable.js:28, columns at :205-207 and
// :161-163) sort by name, description and status. The original ordered
// the joined rows in SQL (database-drivers/knex.js:180, :302, :413).
func TestNodeAdminTableSorts(t *testing.T) {
	for _, db := range []struct {
		name string
		on   func(*testing.T) func(*server.Config)
	}{
		{"sqlite", func(*testing.T) func(*server.Config) { return func(*server.Config) {} }},
		{"postgres", onPostgres},
		{"mysql", onMySQL},
	} {
		t.Run(db.name, func(t *testing.T) { nodeAdminTableSorts(t, db.on(t)) })
	}
}

func nodeAdminTableSorts(t *testing.T, on func(*server.Config)) {
	f := newAdminFixture(t, on)
	svc := inside.Service(f.srv)
	ctx := ctxCLI()
	super := f.actors[asSuper]
	// Accounts: default, alpha, beta (fixture), and two more with
	// descriptions and statuses.
	for _, a := range []struct{ name, desc, status string }{
		{"gamma", "Zoo keepers", "DISABLED"}, {"delta", "aquarium", "ENABLED"},
	} {
		st := userdb.Status(a.status)
		acc, err := svc.AdminCreateAccount(ctx, service.NewAccount{Name: a.name, Description: a.desc})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AdminUpdateAccount(ctx, acc.ID, userdb.AccountUpdate{Status: &st}); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range []struct{ id, desc string }{{f.accA.ID, "Bakery"}, {f.accB.ID, "mill"}, {"acc_default", "The operators"}} {
		if _, err := svc.AdminUpdateAccount(ctx, a.id, userdb.AccountUpdate{Description: &a.desc}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(path, field string, body map[string]any) []string {
		t.Helper()
		r := super.do("POST", path, body)
		if r.status != 200 {
			t.Fatalf("%s %v: %d %s", path, body, r.status, r.body)
		}
		m := r.json(t)
		var out []string
		for _, item := range m[strings.TrimPrefix(path[:strings.LastIndexByte(path, '/')], "/")].([]any) {
			out = append(out, item.(map[string]any)[field].(string))
		}
		return out
	}
	table := func(field, dir string, offset, limit int) map[string]any {
		return map[string]any{"offset": offset, "limit": limit, "orderby": []string{field, dir}, "searchString": nil}
	}
	// AccountsTable.
	if got, want := list("/accounts/list", "name", table("description", "asc", 0, 10)),
		[]string{"delta", "alpha", "beta", "default", "gamma"}; !slices.Equal(got, want) {
		t.Errorf("accounts by description: %v, want %v", got, want)
	}
	if got, want := list("/accounts/list", "name", table("status", "desc", 0, 10)),
		[]string{"delta", "default", "beta", "alpha", "gamma"}; !slices.Equal(got, want) {
		t.Errorf("accounts by status, desc: %v, want %v", got, want)
	}
	if got, want := list("/accounts/list", "name", table("accounts.status", "asc", 1, 2)),
		[]string{"alpha", "beta"}; !slices.Equal(got, want) { // after DISABLED gamma
		t.Errorf("accounts by status, second page of two: %v, want %v", got, want)
	}
	// RolesTable, in account alpha: admin, helper, member (fixture).
	for _, r := range []struct{ name, desc, status string }{{"helper", "Helps", "DISABLED"}, {"member", "belongs", "ENABLED"}} {
		role, err := svc.Store().FindRoleByName(context.Background(), f.accA.ID, r.name)
		if err != nil {
			t.Fatal(err)
		}
		st := userdb.Status(r.status)
		if _, err := svc.AdminUpdateRole(ctx, role.ID, userdb.RoleUpdate{Description: &r.desc, Status: &st}); err != nil {
			t.Fatal(err)
		}
	}
	roles := func(field, dir string) []string {
		body := table(field, dir, 0, 10)
		body["where"] = map[string]any{"account_id": f.accA.ID}
		return list("/roles/list", "name", body)
	}
	adminDesc := must1(svc.Store().FindRoleByName(context.Background(), f.accA.ID, "admin")).Description
	wantByDesc := []string{"member", "helper"}
	wantByDesc = slices.Insert(wantByDesc, func() int {
		switch {
		case strings.ToLower(adminDesc) < "belongs":
			return 0
		case strings.ToLower(adminDesc) < "helps":
			return 1
		}
		return 2
	}(), "admin")
	if got := roles("description", "asc"); !slices.Equal(got, wantByDesc) {
		t.Errorf("roles by description: %v, want %v (admin's description %q)", got, wantByDesc, adminDesc)
	}
	if got, want := roles("roles.status", "asc"), []string{"helper", "admin", "member"}; !slices.Equal(got, want) {
		t.Errorf("roles by status: %v, want %v", got, want)
	}
	// UsersTable: users of every account, by account name, first role
	// name and status.
	locked := f.lockedTarget(f.accB.ID)
	invited := f.target(f.accA.ID, userdb.StatusPending, "helper")
	users := func(field, dir string) []string {
		body := table(field, dir, 0, 100)
		body["withAccounts"], body["withRoles"] = true, true
		body["select"] = []string{"users.fullName", "users.email", "users.status", "users.id", "accounts.name", "roles.*"}
		return list("/users/list", "email", body)
	}
	byAccount := users("accounts.name", "asc")
	accountOf := map[string]string{f.plainA.Email: "alpha", f.adminA.Email: "alpha", invited.Email: "alpha",
		f.adminB.Email: "beta", locked.Email: "beta", f.root.Email: "default"}
	for i := 1; i < len(byAccount); i++ {
		if accountOf[byAccount[i-1]] > accountOf[byAccount[i]] {
			t.Errorf("users by account name: %v", byAccount)
		}
	}
	byRole := users("roles.name", "desc")
	admins := []*userdb.User{f.adminA, f.adminB}
	slices.SortFunc(admins, func(a, b *userdb.User) int { return strings.Compare(b.ID, a.ID) })
	// super-admin, member, helper, admin (twice, ties by id), no role.
	if want := []string{f.root.Email, f.plainA.Email, invited.Email, admins[0].Email, admins[1].Email, locked.Email}; !slices.Equal(byRole, want) {
		t.Errorf("users by role, desc: %v, want %v", byRole, want)
	}
	byStatus := users("users.status", "asc")
	if byStatus[len(byStatus)-1] != invited.Email || byStatus[len(byStatus)-2] != locked.Email {
		t.Errorf("users by status: %v; want ..., LOCKED %s, PENDING %s", byStatus, locked.Email, invited.Email)
	}
	// Anything else is still refused, naming orderby.
	if r := super.do("POST", "/users/list", table("password", "asc", 0, 10)); r.status != 400 || r.json(t)["field"] != "orderby" {
		t.Errorf("users by password: %d %s", r.status, r.body)
	}
}

func must1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestNodeUnauthenticated: the original's authenticatedErrorResponse
// (index.js:686-697) sent any request that accepts HTML, whatever its
// method, to the login page with next=, and gave JSON clients
// {next: req.originalUrl, status, message}.
func TestNodeUnauthenticated(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	r := c.do("GET", "/me?x=1", nil)
	if r.status != 401 {
		t.Fatalf("JSON GET /me: %d %s", r.status, r.body)
	}
	if m := r.json(t); m["next"] != "/me?x=1" || m["status"] != 401.0 || m["message"] == "" {
		t.Fatalf("JSON 401 body %s, want {next: /me?x=1, status: 401, message}", r.body)
	}
	r = c.do("POST", "/users/list", map[string]any{}, "X-Requested-With", "XMLHttpRequest")
	if r.status != 401 || r.json(t)["next"] != "/users/list" {
		t.Fatalf("XHR POST /users/list: %d %s", r.status, r.body)
	}
	for _, req := range []struct{ method, path, next string }{
		{"GET", "/me?a=b", "/me?a=b"},
		{"POST", "/users/list?a=b", "/users/list"}, // a post comes back to its page
		{"POST", "/logout", "/logout"},
	} {
		r = c.do(req.method, req.path, url.Values{"x": {"1"}}, "Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
		loc, _ := url.Parse(r.header.Get("Location"))
		if r.status/100 != 3 || loc == nil || loc.Query().Get("next") != req.next {
			t.Errorf("browser %s %s: %d Location %q, want a redirect to sign in with next=%s", req.method, req.path, r.status, r.header.Get("Location"), req.next)
		}
	}
}

// TestNodeWelcomeFlow: the original's newUserWorkflow (index.js:612-626)
// sent a new PENDING user (controllers/users.js:116-163) the
// accountVerification email with its configured endpoint, subject and
// template (email.js:134-171), which is how the README's "Account
// Verification Flow in a SPA" took users to the application's /welcome;
// that page checked the token (verifyAccount, through /verify's token) and
// set the profile and password. userdb sends invitations with that
// email's settings when its endpoint is set, takes the invitation token
// at /verify and /change, and gives /invitation a JSON API.
func TestNodeWelcomeFlow(t *testing.T) {
	f := newAdminFixture(t, func(c *server.Config) {
		c.Email.AccountVerification.Endpoint = "https://app.example/welcome"
		c.Email.AccountVerification.Subject = "Verify your Clinic account"
	})
	admin := f.actors[asAdminA]
	invite := func(email string) string {
		t.Helper()
		r := admin.do("POST", "/users/update", map[string]any{"email": email, "givenName": "New", "surname": "Person"})
		if r.status != 200 || r.json(t)["status"] != "PENDING" {
			t.Fatalf("/users/update: %d %s", r.status, r.body)
		}
		m := f.lastEmail(email, "invitation")
		if m.Subject != "Verify your Clinic account" || !strings.Contains(m.Text+m.HTML, "https://app.example/welcome?sptoken=") {
			t.Fatalf("invitation %q, want the account_verification subject and endpoint:\n%s", m.Subject, m.Text)
		}
		return tokenOf(t, m)
	}
	tok := invite("welcome@alpha.example")

	app := f.client()
	// The welcome page checks the token: /invitation in JSON, or /verify
	// and /change as the original's page did; none uses it up.
	if r := app.do("GET", "/invitation?sptoken="+tok, nil); r.status != 200 || r.json(t)["account"].(map[string]any)["email"] != "welcome@alpha.example" {
		t.Fatalf("GET /invitation as JSON: %d %s", r.status, r.body)
	}
	if r := app.do("GET", "/verify?sptoken="+tok, nil); r.status != 200 || r.json(t)["account"].(map[string]any)["status"] != "PENDING" {
		t.Fatalf("GET /verify with the invitation token: %d %s", r.status, r.body)
	}
	if r := app.do("GET", "/change?sptoken="+tok, nil); r.status != 200 {
		t.Fatalf("GET /change with the invitation token: %d %s", r.status, r.body)
	}
	// A mistake leaves the link working.
	if r := app.do("POST", "/invitation", map[string]any{"sptoken": tok, "password": "short"}); r.status != 400 {
		t.Fatalf("POST /invitation with a short password: %d %s", r.status, r.body)
	}
	r := app.do("POST", "/invitation", map[string]any{"sptoken": tok, "password": "a long welcome secret", "givenName": "Wendy", "surname": "Lee"})
	if r.status != 200 {
		t.Fatalf("POST /invitation: %d %s", r.status, r.body)
	}
	me := app.do("GET", "/me", nil)
	if acc, _ := me.json(t)["account"].(map[string]any); me.status != 200 || acc["givenName"] != "Wendy" || acc["status"] != "ENABLED" || acc["emailVerified"] != true {
		t.Fatalf("/me after the welcome: %d %s", me.status, me.body)
	}
	if r := f.client().do("POST", "/invitation", map[string]any{"sptoken": tok, "password": "another long secret"}); r.status != 400 {
		t.Fatalf("the invitation used twice: %d %s", r.status, r.body)
	}

	// POST /change with an invitation token sets the password and signs in.
	tok = invite("change@alpha.example")
	c := f.client()
	if r := c.do("POST", "/change", map[string]any{"sptoken": tok, "password": "a long change secret"}); r.status != 200 {
		t.Fatalf("POST /change with the invitation token: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("/me after /change with the invitation: %d %s", r.status, r.body)
	}
	f.client().mustLogin("change@alpha.example", "a long change secret")
}

// TestNodeResendInvite: the original's /users/resend_invite ran
// newUserWorkflow on any user (controllers/users.js:230-246): PENDING
// again, a verification email. userdb re-invites PENDING users, sends an
// ENABLED user whose email is not verified the verification email (its
// status and password stay: PENDING would lock it out), and refuses the
// rest with a message saying why.
func TestNodeResendInvite(t *testing.T) {
	f := newAdminFixture(t)
	admin := f.actors[asAdminA]
	pending := f.target(f.accA.ID, userdb.StatusPending)
	unverified := f.target(f.accA.ID, userdb.StatusEnabled) // targets are created unverified
	for _, c := range []struct {
		u      *userdb.User
		status int
		kind   string
	}{
		{pending, 200, "invitation"},
		{unverified, 200, "account-verification"},
		{f.plainA, 400, ""}, // enabled and verified
		{f.lockedTarget(f.accA.ID), 400, ""},
	} {
		r := admin.do("POST", "/users/resend_invite", map[string]any{"userId": c.u.ID})
		if r.status != c.status {
			t.Errorf("resend_invite to %s (%s): %d %s, want %d", c.u.Email, c.u.Status, r.status, r.body, c.status)
		}
		if c.kind != "" && f.countEmails(c.u.Email, c.kind) == 0 {
			t.Errorf("resend_invite to %s: no %s email", c.u.Email, c.kind)
		}
	}
	if u := must1(inside.Service(f.srv).Store().FindUserByID(context.Background(), unverified.ID)); u.Status != userdb.StatusEnabled {
		t.Errorf("the unverified user is %s after resend_invite, want ENABLED", u.Status)
	}
}

// TestNodeCallerCanOnly: the original's user.canOnly (index.js:383-393) is
// user.can without the super-admin's pass.
func TestNodeCallerCanOnly(t *testing.T) {
	super := &server.Caller{User: &userdb.User{Roles: []string{userdb.RoleSuperAdmin}}}
	ops := &server.Caller{User: &userdb.User{Roles: []string{"ops", "dev"}}}
	for _, c := range []struct {
		name          string
		caller        *server.Caller
		roles         []string
		all           bool
		can, wantOnly bool
	}{
		{"super-admin, a role it lacks", super, []string{"ops"}, false, true, false},
		{"one of", ops, []string{"ops", "admin"}, false, true, true},
		{"all of, one missing", ops, []string{"ops", "admin"}, true, false, false},
		{"all of", ops, []string{"ops", "dev"}, true, true, true},
		{"none asked", ops, nil, false, true, true},
	} {
		if got := c.caller.CanOnly(c.roles, c.all); got != c.wantOnly {
			t.Errorf("%s: CanOnly = %v, want %v", c.name, got, c.wantOnly)
		}
	}
}

// TestNodeSmallerDifferences: /users/check_password answers "error": null
// for a good password (controllers/users.js:174-180); POST /forgot reads
// the query too (index.js:250-253); /users/change_account_status
// (controllers/users.js:182-210) takes ENABLED for a LOCKED user, which it
// unlocks, and refuses LOCKED and PENDING, saying what to do instead.
func TestNodeSmallerDifferences(t *testing.T) {
	f := newAdminFixture(t)
	c := f.client()
	r := c.do("POST", "/users/check_password", map[string]any{"password": "a good long password 42"})
	if m := r.json(t); r.status != 200 || m["good"] != true {
		t.Fatalf("check_password: %d %s", r.status, r.body)
	} else if v, ok := m["error"]; !ok || v != nil {
		t.Fatalf("check_password of a good password: %s, want \"error\": null", r.body)
	}

	if r := c.do("POST", "/forgot?email="+url.QueryEscape(f.plainA.Email), nil); r.status != 200 {
		t.Fatalf("POST /forgot?email=: %d %s", r.status, r.body)
	}
	f.lastEmail(f.plainA.Email, "forgot-password")

	admin := f.actors[asAdminA]
	locked := f.lockedTarget(f.accA.ID)
	if r := admin.do("POST", "/users/change_account_status", map[string]any{"userId": locked.ID, "newStatus": "ENABLED"}); r.status != 200 || r.json(t)["status"] != "ENABLED" {
		t.Fatalf("ENABLED for a LOCKED user: %d %s", r.status, r.body)
	}
	for _, st := range []string{"LOCKED", "PENDING"} {
		if r := admin.do("POST", "/users/change_account_status", map[string]any{"userId": f.plainA.ID, "newStatus": st}); r.status != 400 || r.json(t)["field"] != "newStatus" {
			t.Errorf("newStatus %s: %d %s, want 400 naming newStatus", st, r.status, r.body)
		}
	}
}

// TestNodeExpiredRefusesUnexpired: the original's POST /expired changed the
// password of any signed-in user (index.js:324-352, behind only
// self.authenticated); userdb changes only an expired one, on purpose
// (README "What still differs from the Node library"), and answers 403.
func TestNodeExpiredRefusesUnexpired(t *testing.T) {
	e := newEnv(t)
	e.addUser("exp@example.com", libPassword)
	c := e.client()
	c.mustLogin("exp@example.com", libPassword)
	if r := c.do("POST", "/expired", map[string]any{"password": "a brand new secret 42"}); r.status != 403 {
		t.Fatalf("POST /expired with a password that has not expired: %d %s, want 403", r.status, r.body)
	}
	c.mustLogin("exp@example.com", libPassword) // unchanged
}

// TestNodeStrategyOnOwnRoutes: the original's /login, /me, /logout and
// /expired ran self.authenticated (index.js:177-203, 324-325), which,
// without a session, authenticated through the strategy named by the
// realm header and made a session of it (index.js:699-718). With
// server.WithStrategy, userdb's do the same.
func TestNodeStrategyOnOwnRoutes(t *testing.T) {
	e := newEnv(t)
	bob := e.addUser("bob@example.com", libPassword)
	srv := openWith(t, e, server.WithStrategy("facebook", server.StrategyFunc(func(r *http.Request) (*userdb.User, error) {
		if r.Header.Get("X-Facebook-Token") != "fb-token" {
			return nil, userdb.Errorf(userdb.EUNAUTHORIZED, "bad token")
		}
		return bob, nil
	})))
	withStrategy := *e
	withStrategy.http = httptest.NewServer(srv)
	defer withStrategy.http.Close()
	realm := []string{"realm", "facebook", "X-Facebook-Token", "fb-token"}

	c := withStrategy.client()
	r := c.do("POST", "/login", map[string]any{}, realm...)
	if r.status != 200 || r.json(t)["account"].(map[string]any)["id"] != bob.ID {
		t.Fatalf("POST /login through the strategy: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 200 { // the session it made, no realm
		t.Fatalf("/me with the session the strategy made: %d %s", r.status, r.body)
	}
	if n := len(e.events("login.succeeded")); n != 1 {
		t.Fatalf("login.succeeded events: %d, want 1", n)
	}

	fresh := withStrategy.client()
	if r := fresh.do("GET", "/me", nil, realm...); r.status != 200 || r.json(t)["account"].(map[string]any)["email"] != bob.Email {
		t.Fatalf("GET /me through the strategy: %d %s", r.status, r.body)
	}
	if r := fresh.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("/me afterwards, by the session cookie: %d %s", r.status, r.body)
	}
	if r := withStrategy.client().do("POST", "/logout", nil, realm...); r.status != 200 {
		t.Fatalf("POST /logout through the strategy: %d %s", r.status, r.body)
	}
	if r := withStrategy.client().do("POST", "/expired", map[string]any{"password": "a brand new secret 42"}, realm...); r.status != 403 {
		t.Fatalf("POST /expired through the strategy: %d %s, want 403 (the password has not expired)", r.status, r.body)
	}
	for _, h := range [][]string{{"realm", "facebook", "X-Facebook-Token", "wrong"}, {"realm", "nonsense"}} {
		if r := withStrategy.client().do("GET", "/me", nil, h...); r.status != 401 {
			t.Errorf("GET /me with %v: %d %s, want 401", h, r.status, r.body)
		}
	}
	// A disabled user's strategy sign-in is refused.
	if _, err := inside.Service(srv).AdminSetUserStatus(ctxCLI(), bob.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if r := withStrategy.client().do("POST", "/login", map[string]any{}, realm...); r.status != 401 {
		t.Fatalf("POST /login through the strategy for a disabled user: %d %s", r.status, r.body)
	}
}
