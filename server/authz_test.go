package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
)

// authzCase is one admin endpoint and the status each caller must get, in
// the order super-admin, admin of A, admin of B, plain user of A, API key
// of A, anonymous; 0 skips a caller. Targets live in account A (see
// adminFixture.fill), so "admin of B" is always the cross-account caller.
type authzCase struct {
	method, path, body string
	want               [6]int
}

// Expectation rows that most endpoints share.
var (
	// Something in account A: its admins reach it, B's admin sees nothing.
	inA = [6]int{200, 200, 404, 403, 200, 401}
	// A listing: every admin gets its own view of it.
	anyAdmin = [6]int{200, 200, 200, 403, 200, 401}
)

func status(code int, row [6]int) [6]int {
	for i, v := range row {
		if v == 200 {
			row[i] = code
		}
	}
	return row
}

var authzCases = []authzCase{
	// REST: users.
	{"GET", "/api/v1/users", "", anyAdmin},
	{"GET", "/api/v1/users?account={acc}", "", inA},
	{"POST", "/api/v1/users", `{"account":"{acc}","email":"new{n}@example.com","invite":true}`, status(201, inA)},
	{"POST", "/api/v1/users/import", "upload:account={acc}", inA},
	{"GET", "/api/v1/users/export", "", anyAdmin},
	{"GET", "/api/v1/users/export?account={acc}&format=jsonl", "", inA},
	{"GET", "/api/v1/users/export?hashes=true", "", [6]int{200, 403, 403, 403, 403, 401}},
	{"GET", "/api/v1/users/{user}", "", inA},
	{"PATCH", "/api/v1/users/{user}", `{"version":1,"givenName":"Changed"}`, inA},
	{"DELETE", "/api/v1/users/{user}", "", status(204, inA)},
	{"POST", "/api/v1/users/{user}/enable", "", inA},
	{"POST", "/api/v1/users/{user}/disable", "", inA},
	{"POST", "/api/v1/users/{locked}/unlock", "", inA},
	{"POST", "/api/v1/users/{user}/reset-password", "", status(202, inA)},
	{"POST", "/api/v1/users/{pending}/resend-invite", "", status(202, inA)},
	{"POST", "/api/v1/users/{user}/expire-password", "", inA},
	{"POST", "/api/v1/users/{user}/end-sessions", "", inA},
	{"GET", "/api/v1/users/{user}/factors", "", inA},
	{"DELETE", "/api/v1/users/{user}/factors", "", inA},
	{"POST", "/api/v1/users/{user}/compromised", "", status(202, inA)},
	{"GET", "/api/v1/users/{user}/roles", "", inA},
	{"PUT", "/api/v1/users/{user}/roles/helper", "", inA},
	{"DELETE", "/api/v1/users/{user}/roles/member", "", inA},
	{"GET", "/api/v1/users/{user}/sessions", "", inA},
	{"GET", "/api/v1/users/{user}/events", "", inA},
	// REST: accounts. Status changes, creation and deletion are for
	// super-admins: an admin is refused on its own account, and another
	// account is as good as missing.
	{"GET", "/api/v1/accounts", "", anyAdmin},
	{"POST", "/api/v1/accounts", `{"name":"new account {n}"}`, [6]int{201, 403, 403, 403, 403, 401}},
	{"GET", "/api/v1/accounts/{acc}", "", inA},
	{"PUT", "/api/v1/accounts/{acc}/mfa-policy", `{"policy":"optional"}`, [6]int{204, 403, 404, 403, 403, 401}},
	{"PATCH", "/api/v1/accounts/{acc}", `{"description":"changed"}`, inA},
	{"PATCH", "/api/v1/accounts/{acc}", `{"status":"DISABLED"}`, [6]int{0, 403, 404, 403, 403, 401}},
	{"POST", "/api/v1/accounts/{fresh}/enable", "", [6]int{200, 404, 404, 403, 404, 401}},
	{"POST", "/api/v1/accounts/{acc}/enable", "", [6]int{200, 403, 404, 403, 403, 401}},
	{"POST", "/api/v1/accounts/{fresh}/disable", "", [6]int{200, 404, 404, 403, 404, 401}},
	{"POST", "/api/v1/accounts/{acc}/disable", "", [6]int{0, 403, 404, 403, 403, 401}},
	{"DELETE", "/api/v1/accounts/{fresh}?force=true", "", [6]int{204, 404, 404, 403, 404, 401}},
	{"DELETE", "/api/v1/accounts/{acc}?force=true", "", [6]int{0, 403, 404, 403, 403, 401}},
	// REST: roles.
	{"GET", "/api/v1/roles", "", anyAdmin},
	{"GET", "/api/v1/roles?account={acc}", "", inA},
	{"POST", "/api/v1/roles", `{"account":"{acc}","name":"new role {n}"}`, status(201, inA)},
	{"GET", "/api/v1/roles/{role}", "", inA},
	{"PUT", "/api/v1/roles/{role}/mfa-policy", `{"policy":"optional"}`, status(204, inA)},
	{"PATCH", "/api/v1/roles/{role}", `{"description":"changed"}`, inA},
	{"DELETE", "/api/v1/roles/{role}", "", status(204, inA)},
	// REST: events and API keys.
	{"GET", "/api/v1/events", "", anyAdmin},
	{"GET", "/api/v1/events?account={acc}", "", inA},
	{"GET", "/api/v1/api-keys", "", anyAdmin},
	{"GET", "/api/v1/api-keys?account={acc}", "", inA},
	// Keys are managed from a session (or the CLI): a key without the
	// manageKeys right is refused (TestAPIKeyCannotMintKeys).
	{"POST", "/api/v1/api-keys", `{"account":"{acc}","name":"k{n}","roles":["admin"]}`, [6]int{201, 201, 404, 403, 403, 401}},
	{"DELETE", "/api/v1/api-keys/{key}", "", [6]int{204, 204, 404, 403, 403, 401}},
	// REST: connectors, managed by the admins of their account.
	{"GET", "/api/v1/connectors", "", anyAdmin},
	{"GET", "/api/v1/connectors?account={acc}", "", inA},
	{"POST", "/api/v1/connectors", `{"account":"{acc}","id":"c{n}","type":"github","name":"GitHub","clientId":"id","clientSecret":"s"}`, status(201, inA)},
	{"POST", "/api/v1/connectors", `{"account":"{acc}","id":"c{n}","type":"github","name":"GitHub","clientId":"id","settings":{"domainAccounts":{"example.org":"default"}}}`, [6]int{201, 403, 404, 403, 403, 401}},
	{"GET", "/api/v1/connectors/{connector}", "", inA},
	{"PATCH", "/api/v1/connectors/{connector}", `{"name":"Changed"}`, inA},
	{"DELETE", "/api/v1/connectors/{connector}", "", status(204, inA)},
	{"GET", "/api/v1/clients", "", anyAdmin},
	{"GET", "/api/v1/clients?account={acc}", "", inA},
	{"POST", "/api/v1/clients", `{"account":"{acc}","name":"c{n}","redirectUris":["https://app.example.com/cb"]}`, status(201, inA)},
	{"GET", "/api/v1/clients/{client}", "", inA},
	{"PATCH", "/api/v1/clients/{client}", `{"name":"Changed"}`, inA},
	{"POST", "/api/v1/clients/{client}/rotate-secret", "", inA},
	{"DELETE", "/api/v1/clients/{client}", "", status(204, inA)},

	// The original's admin RPC routes.
	{"POST", "/users/list", `{}`, anyAdmin},
	{"POST", "/users/list", `{"accountId":"{acc}"}`, inA},
	{"POST", "/users/update", `{"id":"{user}","givenName":"Changed"}`, inA},
	{"POST", "/users/update", `{"account_id":"{acc}","email":"rpc{n}@example.com","givenName":"N","surname":"U"}`, inA},
	{"POST", "/users/remove", `{"userId":"{user}"}`, inA},
	{"POST", "/users/change_account_status", `{"userId":"{user}","newStatus":"DISABLED"}`, inA},
	{"POST", "/users/reset_password", `{"userId":"{user}"}`, inA},
	{"POST", "/users/resend_invite", `{"userId":"{pending}"}`, inA},
	{"POST", "/users/import", "upload:accountId={acc}", inA},
	{"POST", "/accounts/select_list", `{}`, anyAdmin},
	{"POST", "/accounts/roles_for_account", `{"accountId":"{acc}"}`, inA},
	{"POST", "/accounts/list", `{}`, anyAdmin},
	{"POST", "/accounts/update", `{"id":"{acc}","description":"changed"}`, inA},
	{"POST", "/accounts/update", `{"name":"rpc account {n}"}`, [6]int{200, 403, 403, 403, 403, 401}},
	{"POST", "/accounts/remove", `{"accountId":"{fresh}"}`, [6]int{200, 404, 404, 403, 404, 401}},
	{"POST", "/accounts/remove", `{"accountId":"{acc}"}`, [6]int{0, 403, 404, 403, 403, 401}},
	{"POST", "/accounts/change_account_status", `{"accountId":"{fresh}","status":"DISABLED"}`, [6]int{200, 404, 404, 403, 404, 401}},
	{"POST", "/accounts/change_account_status", `{"accountId":"{acc}","status":"DISABLED"}`, [6]int{0, 403, 404, 403, 403, 401}},
	{"POST", "/roles/list", `{}`, anyAdmin},
	{"POST", "/roles/list", `{"where":{"account_id":"{acc}"}}`, inA},
	{"POST", "/roles/update", `{"id":"{role}","description":"changed"}`, inA},
	{"POST", "/roles/update", `{"account_id":"{acc}","name":"rpc role {n}"}`, inA},
	{"POST", "/roles/remove", `{"roleId":"{role}"}`, inA},
}

// reads reports whether a case only reads (and so records no event when allowed).
func (c authzCase) reads() bool {
	return c.method == "GET" || strings.HasSuffix(c.path, "/list") || strings.HasSuffix(c.path, "/select_list") ||
		strings.HasSuffix(c.path, "/roles_for_account")
}

// TestAuthorizationMatrix runs every admin endpoint, REST and RPC, as every
// kind of caller against the real HTTP server. Every admin route must have
// a row. Each allowed write must be recorded with its actor, and each
// refusal of a signed-in caller as an authz.denied event with its actor; a
// refused write must leave its targets, and everything else, as they were.
func TestAuthorizationMatrix(t *testing.T) {
	checkMatrixCoversRoutes(t)
	runMatrix(t, newAdminFixture(t))
}

// TestAuthorizationMatrixPostgres runs the matrix on PostgreSQL when
// USERDB_TEST_POSTGRES_DSN is set.
func TestAuthorizationMatrixPostgres(t *testing.T) {
	runMatrix(t, newAdminFixture(t, onPostgres(t)))
}

func runMatrix(t *testing.T, f *adminFixture) {
	for _, c := range authzCases {
		for i, want := range c.want {
			if want == 0 {
				continue
			}
			a := f.actors[i]
			// Fresh targets for every caller: one caller's delete must not
			// turn the next caller's refusal into a plain miss.
			f.filled = nil
			path, body := f.fill(c.path), f.fill(c.body)
			before := f.lastEventID()
			refusedWrite := want >= 400 && !c.reads()
			var state map[string]string
			if refusedWrite {
				state = f.stateOf(f.filled)
			}
			var r response
			switch {
			case body == "":
				r = a.do(c.method, path, nil)
			case strings.HasPrefix(body, "upload:"):
				// A one-row spreadsheet for the import routes; the field
				// names the target account.
				name, value, _ := strings.Cut(strings.TrimPrefix(body, "upload:"), "=")
				csv := fmt.Sprintf("First Name,Last Name,Email\nNew,User,imp%d@example.com\n", f.next())
				r = a.do(c.method, path, csvUpload(csv, name, value))
			default:
				r = a.do(c.method, path, body)
			}
			what := c.method + " " + c.path + " " + c.body + " as " + a.name
			if r.status != want {
				t.Errorf("%s: status %d, want %d: %s", what, r.status, want, r.body)
				continue
			}
			if refusedWrite {
				if diff := stateDiff(state, f.stateOf(f.filled)); diff != "" {
					t.Errorf("%s: refused, yet the state changed:%s", what, diff)
				}
			}
			events := f.eventsSince(before)
			switch {
			case a.id == "":
			case want >= 400:
				if !hasEvent(events, "authz.denied", a.id) {
					t.Errorf("%s: refusal not recorded as authz.denied by %s", what, a.id)
				}
			case c.reads():
				if hasEvent(events, "authz.denied", a.id) {
					t.Errorf("%s: allowed read recorded as denied", what)
				}
			default:
				if !hasEvent(events, "", a.id) {
					t.Errorf("%s: the write recorded no event with actor %s", what, a.id)
				}
			}
		}
	}
}

// checkMatrixCoversRoutes fails for every admin route, REST or RPC, that no
// row of authzCases reaches: a new route must come with its row. Rows are
// matched to routes by the ServeMux itself, so /users/export is not taken
// for /users/{id}.
func checkMatrixCoversRoutes(t *testing.T) {
	t.Helper()
	mux := http.NewServeMux()
	api.New(nil, nil, api.Options{}).AdminRoutes(mux)
	placeholder := regexp.MustCompile(`\{[a-z]+\}`)
	covered := map[string]bool{}
	for _, c := range authzCases {
		path := placeholder.ReplaceAllString(c.path, "x1")
		_, pattern := mux.Handler(httptest.NewRequest(c.method, path, nil))
		if pattern == "" {
			t.Errorf("row %s %s reaches no admin route", c.method, c.path)
		}
		covered[pattern] = true
	}
	patterns := api.AdminPatterns()
	if len(patterns) < 50 {
		t.Fatalf("only %d admin routes listed: %v", len(patterns), patterns)
	}
	for _, p := range patterns {
		if !covered[p] {
			t.Errorf("the admin route %s has no row in authzCases", p)
		}
	}
}

// hasEvent reports whether events hold one of the type ("" for any type but
// authz.denied) recorded with the actor.
func hasEvent(events []*userdb.Event, typ, actor string) bool {
	for _, e := range events {
		if e.ActorID != actor {
			continue
		}
		if typ == "" && e.Type != "authz.denied" || typ != "" && e.Type == typ {
			return true
		}
	}
	return false
}

// TestAdminListingsStayInAccount checks what each admin's listings hold:
// nothing of another account, whatever the filters.
func TestAdminListingsStayInAccount(t *testing.T) {
	f := newAdminFixture(t)
	userB := f.target(f.accB.ID, "ENABLED")
	userA := f.target(f.accA.ID, "ENABLED")
	adminA, adminB, key := f.actors[asAdminA], f.actors[asAdminB], f.actors[asKeyA]

	for _, a := range []*actor{adminA, key} {
		for _, path := range []string{"/api/v1/users", "/api/v1/users?limit=1000", "/api/v1/users?q=example", "/api/v1/users?role=member"} {
			r := a.do("GET", path, nil)
			for _, u := range items(t, r) {
				if u["account_id"] != f.accA.ID {
					t.Errorf("%s %s: got user %v of account %v", a.name, path, u["id"], u["account_id"])
				}
			}
		}
		r := a.do("GET", "/api/v1/users?account=beta", nil)
		if r.status != 404 {
			t.Errorf("%s lists account beta by name: %d", a.name, r.status)
		}
		if r := a.do("GET", "/api/v1/users/"+userB.ID, nil); r.status != 404 || strings.Contains(string(r.body), userB.Email) {
			t.Errorf("%s reads a user of B: %d %s", a.name, r.status, r.body)
		}
		// The refusal reads like a miss.
		missing := a.do("GET", "/api/v1/users/usr_doesnotexist", nil)
		if string(missing.body) != string(a.do("GET", "/api/v1/users/"+userB.ID, nil).body) {
			t.Errorf("a user of B and a missing user answer differently: %s", missing.body)
		}
		for _, path := range []string{"/api/v1/accounts", "/api/v1/roles", "/api/v1/api-keys", "/api/v1/events?limit=1000"} {
			for _, it := range items(t, a.do("GET", path, nil)) {
				acc := it["account_id"]
				if path == "/api/v1/accounts" {
					acc = it["id"]
				}
				if acc != f.accA.ID {
					t.Errorf("%s %s: got %v of account %v", a.name, path, it["id"], acc)
				}
			}
		}
		rpc := a.do("POST", "/users/list", `{"limit":1000}`).json(t)
		for _, u := range rpc["users"].([]any) {
			if u.(map[string]any)["account_id"] != f.accA.ID {
				t.Errorf("%s /users/list: a user of another account", a.name)
			}
		}
		opts := a.do("POST", "/accounts/select_list", `{}`).json(t)["options"].([]any)
		if len(opts) != 1 || opts[0].(map[string]any)["value"] != f.accA.ID {
			t.Errorf("%s /accounts/select_list: %v", a.name, opts)
		}
	}
	// B's admin sees B's user and not A's.
	got := ids(items(t, adminB.do("GET", "/api/v1/users?limit=1000", nil)))
	if !contains(got, userB.ID) || contains(got, userA.ID) {
		t.Errorf("admin of B lists %v", got)
	}
	// The super-admin sees both.
	got = ids(items(t, f.actors[asSuper].do("GET", "/api/v1/users?limit=1000", nil)))
	if !contains(got, userB.ID) || !contains(got, userA.ID) {
		t.Errorf("super-admin lists %v", got)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
