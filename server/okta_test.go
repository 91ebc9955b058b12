package server_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// oktaFixture is the admin fixture with a global (super-admin) API key,
// and a client speaking Okta's API with either key.
type oktaFixture struct {
	*adminFixture
	superSecret string
}

func newOktaFixture(t *testing.T) *oktaFixture {
	t.Helper()
	f := &oktaFixture{adminFixture: newAdminFixture(t)}
	var err error
	_, f.superSecret, err = inside.Service(f.srv).AdminCreateAPIKey(ctxCLI(), service.NewAPIKey{Name: "okta", Roles: []string{userdb.RoleSuperAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// okta sends a request to Okta's API with the key.
func (f *oktaFixture) okta(key, method, path string, body any) response {
	f.t.Helper()
	return f.client().do(method, server.OktaPath+path, body, "Authorization", "SSWS "+key)
}

func (f *oktaFixture) mustOkta(want int, key, method, path string, body any) response {
	f.t.Helper()
	r := f.okta(key, method, path, body)
	if r.status != want {
		f.t.Fatalf("%s %s: %d, want %d: %s", method, path, r.status, want, r.body)
	}
	return r
}

// wantOktaError checks an answer is Okta's error with the status and code.
func wantOktaError(t *testing.T, r response, status int, code string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["errorCode"] != code || m["errorSummary"] == "" || m["errorLink"] != code || !strings.HasPrefix(m["errorId"].(string), "oae") {
		t.Fatalf("error %s, want Okta's %s", r.body, code)
	}
	if _, ok := m["errorCauses"].([]any); !ok {
		t.Fatalf("error %s has no errorCauses list", r.body)
	}
	return m
}

func TestOktaUserLifecycle(t *testing.T) {
	f := newOktaFixture(t)
	key := f.keyASecret // an admin key of account A
	f.mustOkta(200, f.superSecret, "POST", "/api/v1/meta/schemas/user/default", map[string]any{
		"definitions": map[string]any{"custom": map[string]any{"properties": map[string]any{
			"department": map[string]any{"title": "Department", "type": "string", "maxLength": 20},
		}}}})

	created := f.mustOkta(200, key, "POST", "/api/v1/users", map[string]any{
		"profile":     map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@alpha.example", "login": "ada@alpha.example", "department": "R&D"},
		"credentials": map[string]any{"password": map[string]any{"value": "analytical engine 1843"}},
	}).json(t)
	id := created["id"].(string)
	if created["status"] != "ACTIVE" || created["profile"].(map[string]any)["department"] != "R&D" {
		t.Fatalf("created %v", created)
	}
	if href := created["_links"].(map[string]any)["self"].(map[string]any)["href"].(string); !strings.HasSuffix(href, "/okta/api/v1/users/"+id) {
		t.Errorf("self link %q", href)
	}
	byLogin := f.mustOkta(200, key, "GET", "/api/v1/users/ada@alpha.example", nil).json(t)
	if byLogin["id"] != id {
		t.Errorf("by login: %v", byLogin)
	}
	f.mustOkta(200, key, "POST", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"firstName": "Augusta", "department": "Maths"}})
	own := f.actors[asKeyA].do("GET", "/api/v1/users/"+id, nil).json(t)
	if own["givenName"] != "Augusta" || own["surname"] != "Lovelace" || own["customData"].(map[string]any)["department"] != "Maths" {
		t.Errorf("after the partial update, userdb's API reads %v", own)
	}
	// A value against the defined attribute is refused and changes nothing.
	r := f.okta(key, "POST", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"department": strings.Repeat("x", 21)}})
	wantOktaError(t, r, 400, "E0000001")

	// A full replace drops what it does not name.
	f.mustOkta(200, key, "PUT", "/api/v1/users/"+id, map[string]any{"profile": map[string]any{"login": "ada@alpha.example", "email": "ada@alpha.example", "firstName": "Ada"}})
	own = f.actors[asKeyA].do("GET", "/api/v1/users/"+id, nil).json(t)
	if own["surname"] != "" || len(own["customData"].(map[string]any)) != 0 {
		t.Errorf("after the full replace, userdb's API reads %v", own)
	}

	list := f.mustOkta(200, key, "GET", "/api/v1/users?filter="+url.QueryEscape(`status eq "ACTIVE" and profile.firstName eq "ada"`), nil)
	var users []map[string]any
	json.Unmarshal(list.body, &users)
	if len(users) != 1 || users[0]["id"] != id {
		t.Errorf("filter found %s", list.body)
	}

	f.mustOkta(200, key, "POST", "/api/v1/users/"+id+"/lifecycle/suspend", nil)
	wantOktaError(t, f.okta(key, "POST", "/api/v1/users/"+id+"/lifecycle/suspend", nil), 403, "E0000038")
	f.mustOkta(200, key, "POST", "/api/v1/users/"+id+"/lifecycle/unsuspend", nil)
	wantOktaError(t, f.okta(key, "POST", "/api/v1/users/"+id+"/lifecycle/activate", nil), 403, "E0000016")
	f.mustOkta(200, key, "POST", "/api/v1/users/"+id+"/credentials/change_password", map[string]any{
		"oldPassword": map[string]any{"value": "analytical engine 1843"}, "newPassword": map[string]any{"value": "difference engine 1822"}})
	wantOktaError(t, f.okta(key, "POST", "/api/v1/users/"+id+"/credentials/change_password", map[string]any{
		"oldPassword": map[string]any{"value": "wrong"}, "newPassword": map[string]any{"value": "another long one 1"}}), 403, "E0000014")
	if m := f.mustOkta(200, key, "POST", "/api/v1/users/"+id+"/lifecycle/expire_password", nil).json(t); m["status"] != "PASSWORD_EXPIRED" {
		t.Errorf("after expire_password: %v", m["status"])
	}

	// Delete deactivates first, then deletes.
	f.mustOkta(204, key, "DELETE", "/api/v1/users/"+id, nil)
	if m := f.mustOkta(200, key, "GET", "/api/v1/users/"+id, nil).json(t); m["status"] != "DEPROVISIONED" {
		t.Errorf("after the first delete: %v", m["status"])
	}
	f.mustOkta(204, key, "DELETE", "/api/v1/users/"+id, nil)
	if r := f.actors[asKeyA].do("GET", "/api/v1/users/"+id, nil); r.status != 404 {
		t.Errorf("userdb's API still finds the deleted user: %d", r.status)
	}
}

func TestOktaGroupsAndPaging(t *testing.T) {
	f := newOktaFixture(t)
	key := f.keyASecret
	g := f.mustOkta(200, key, "POST", "/api/v1/groups", map[string]any{"profile": map[string]any{"name": "engineers", "description": "Builders"}}).json(t)
	gid := g["id"].(string)
	f.mustOkta(204, key, "PUT", "/api/v1/groups/"+gid+"/users/"+f.plainA.ID, nil)
	members := f.mustOkta(200, key, "GET", "/api/v1/groups/"+gid+"/users", nil)
	if !strings.Contains(string(members.body), f.plainA.ID) {
		t.Errorf("members %s", members.body)
	}
	own := f.actors[asKeyA].do("GET", "/api/v1/users/"+f.plainA.ID+"/roles", nil)
	if !strings.Contains(string(own.body), "engineers") {
		t.Errorf("userdb's API lists the roles %s", own.body)
	}
	// Another account's group and user are missing, as for Okta.
	wantOktaError(t, f.okta(f.keyASecret, "PUT", "/api/v1/groups/"+gid+"/users/"+f.adminB.ID, nil), 404, "E0000007")
	f.mustOkta(204, key, "DELETE", "/api/v1/groups/"+gid+"/users/"+f.plainA.ID, nil)

	// Paging: every user of account A exactly once, by the Link header.
	for i := range 7 {
		if _, err := inside.Service(f.srv).AdminCreateUser(ctxCLI(), newUserIn(f.accA.ID, "page"+string(rune('a'+i))+"@alpha.example")); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]int{}
	next := "/api/v1/users?limit=3"
	nextRE := regexp.MustCompile(`<([^>]+)>; rel="next"`)
	for pages := 0; next != ""; pages++ {
		if pages > 10 {
			t.Fatal("too many pages")
		}
		r := f.mustOkta(200, key, "GET", next, nil)
		var users []map[string]any
		json.Unmarshal(r.body, &users)
		for _, u := range users {
			seen[u["id"].(string)]++
		}
		next = ""
		for _, l := range r.header.Values("Link") {
			if m := nextRE.FindStringSubmatch(l); m != nil {
				next = strings.TrimPrefix(m[1], f.cfg.BaseURL()+server.OktaPath)
			}
		}
	}
	want := 2 + 7 // account A's admin and plain user, and the users made here
	if len(seen) != want {
		t.Errorf("paged through %d users, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("user %s listed %d times", id, n)
		}
	}
}

func TestOktaBadInputChangesNothing(t *testing.T) {
	f := newOktaFixture(t)
	key := f.keyASecret
	count := func() int {
		n, err := inside.Service(f.srv).Store().CountUsers(context.Background(), userdb.UserFilter{}, 0)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	cases := []struct {
		name, method, path string
		key                string
		body               any
		status             int
		code               string
	}{
		{"unknown filter attribute", "GET", "/api/v1/users?filter=" + url.QueryEscape(`profile.shoeSize eq "9"`), key, nil, 400, "E0000031"},
		{"malformed filter", "GET", "/api/v1/users?filter=" + url.QueryEscape(`status eq "ACTIVE`), key, nil, 400, "E0000031"},
		{"or in a filter", "GET", "/api/v1/users?filter=" + url.QueryEscape(`status eq "ACTIVE" or status eq "STAGED"`), key, nil, 400, "E0000031"},
		{"bad after cursor", "GET", "/api/v1/users?after=not-a-cursor", key, nil, 400, "E0000001"},
		{"wrong token", "GET", "/api/v1/users", "not-a-key", nil, 401, "E0000011"},
		{"another account's user", "GET", "/api/v1/users/" + f.adminB.ID, key, nil, 404, "E0000007"},
		{"another account's user, deleted", "DELETE", "/api/v1/users/" + f.adminB.ID, key, nil, 404, "E0000007"},
		{"a password against the policy", "POST", "/api/v1/users", key, map[string]any{
			"profile":     map[string]any{"email": "weak@alpha.example", "login": "weak@alpha.example"},
			"credentials": map[string]any{"password": map[string]any{"value": "short"}}}, 400, "E0000001"},
		{"not JSON", "POST", "/api/v1/users", key, "{", 400, "E0000003"},
		{"schema by an account's admin", "POST", "/api/v1/meta/schemas/user/default", key, map[string]any{
			"definitions": map[string]any{"custom": map[string]any{"properties": map[string]any{"x": map[string]any{"type": "string"}}}}}, 403, "E0000006"},
		{"NUL in a search", "GET", "/api/v1/users?search=" + url.QueryEscape("profile.email sw \"a\x00\""), key, nil, 400, "E0000001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := wantOktaError(t, f.okta(tc.key, tc.method, tc.path, tc.body), tc.status, tc.code)
			if tc.code == "E0000007" && m["errorSummary"] != "Not found: Resource not found: "+f.adminB.ID+" (User)" {
				t.Errorf("summary %q is not that of a missing user", m["errorSummary"])
			}
		})
	}
	missing := wantOktaError(t, f.okta(key, "GET", "/api/v1/users/usr_missing", nil), 404, "E0000007")
	if missing["errorSummary"] != "Not found: Resource not found: usr_missing (User)" {
		t.Errorf("missing user: %v", missing)
	}
	if after := count(); after != before {
		t.Errorf("bad requests changed the users: %d before, %d after", before, after)
	}
	u, err := inside.Service(f.srv).Store().FindUserByID(context.Background(), f.adminB.ID)
	if err != nil || u.Status != userdb.StatusEnabled || u.DeactivatedAt != nil {
		t.Errorf("another account's user after the refusals: %v %v", u, err)
	}
}

// bearerTokens stands in for the OIDC provider: it knows two tokens.
type bearerTokens map[string][]string

func (b bearerTokens) AuthenticateBearer(_ context.Context, token string) (service.Actor, []string, error) {
	scopes, ok := b[token]
	if !ok {
		return service.Actor{}, nil, userdb.Errorf(userdb.EUNAUTHORIZED, "bad token")
	}
	return service.SystemActor(), scopes, nil
}

func TestOktaBearerScopes(t *testing.T) {
	e := newEnv(t)
	srv := openWith(t, e, server.WithOktaBearer(bearerTokens{"reader": {"okta.users.read"}, "manager": {"okta.users.manage"}}))
	h := httptest.NewServer(srv)
	t.Cleanup(h.Close)
	e.http = h
	c := e.client()
	do := func(token, method, path string, body any) response {
		return c.do(method, server.OktaPath+path, body, "Authorization", "Bearer "+token)
	}
	if r := do("reader", "GET", "/api/v1/users", nil); r.status != 200 {
		t.Errorf("read with okta.users.read: %d %s", r.status, r.body)
	}
	if r := do("manager", "GET", "/api/v1/users", nil); r.status != 200 {
		t.Errorf("read with okta.users.manage: %d %s", r.status, r.body)
	}
	body := map[string]any{"profile": map[string]any{"email": "b@example.com", "login": "b@example.com"},
		"credentials": map[string]any{"password": map[string]any{"value": "a long enough password"}}}
	wantOktaError(t, do("reader", "POST", "/api/v1/users", body), 403, "E0000006")
	wantOktaError(t, do("reader", "GET", "/api/v1/groups", nil), 403, "E0000006")
	wantOktaError(t, do("unknown", "GET", "/api/v1/users", nil), 401, "E0000011")
	if r := do("manager", "POST", "/api/v1/users", body); r.status != 200 {
		t.Errorf("create with okta.users.manage: %d %s", r.status, r.body)
	}
}
