package server_test

import (
	"context"
	"database/sql"
	"net/http"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// withForwardAuth turns forward authentication on with one rule: /admin/*
// on app.test needs the admin role. The test's client is the proxy.
func withForwardAuth(cfg *server.Config) {
	cfg.Server.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	cfg.ForwardAuth = config.ForwardAuth{Enabled: true, Default: config.ForwardAuthSignedIn, Rules: []config.ForwardAuthRule{
		{Hosts: []string{"app.test"}, Paths: []string{"/admin/*"}, Roles: []string{userdb.RoleAdmin}},
	}}
}

// forward asks forward authentication about a request for original with a
// cookie or an Authorization header ("" for none), as Traefik would.
func forward(t testing.TB, e *env, original, cookie, authorization string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", e.http.URL+"/authz/forward-auth", nil)
	req.Header.Set("X-Original-URL", original)
	req.Header.Set("Accept", "application/json")
	if cookie != "" {
		req.Header.Set("Cookie", "userdb="+cookie)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := benchClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}

// TestForwardAuthWithoutDatabase runs forward authentication on the real
// service: sessions and API keys, roles by rule, the Remote-* headers; and,
// once its caches are warm, with the database closed: every answer still
// comes, so the hot path makes no database round trip at all.
func TestForwardAuthWithoutDatabase(t *testing.T) {
	e := newEnv(t, withForwardAuth)
	svc := inside.Service(e.srv)
	e.addUser("ada@example.com", "correct horse battery", userdb.RoleAdmin)
	e.addUser("sam@example.com", "correct horse battery")
	login := func(email string) string {
		l, err := svc.Login(context.Background(), email, "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		return l.Secret
	}
	ada, sam := login("ada@example.com"), login("sam@example.com")
	_, key, err := svc.AdminCreateAPIKey(ctxCLI(), service.NewAPIKey{Name: "proxy", Account: userdb.DefaultAccountName, Roles: []string{userdb.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}

	check := func(phase string) {
		t.Helper()
		for _, c := range []struct {
			url, cookie, auth string
			status            int
			user, groups      string
		}{
			{"https://app.test/admin/users", ada, "", 200, "ada@example.com", "admin"},
			{"https://app.test/admin/users", sam, "", 403, "", ""},
			{"https://app.test/home", sam, "", 200, "sam@example.com", ""},
			{"https://app.test/admin/users", "", "Bearer " + key, 200, "", "admin"},
			// The application's own Basic authentication is not userdb's.
			{"https://app.test/home", sam, "Basic c2FtOnB3", 200, "sam@example.com", ""},
			{"https://app.test/home", "", "Bearer not-a-key", 401, "", ""},
			{"https://app.test/home", "", "", 401, "", ""},
			{"https://app.test/home", "not-a-session", "", 401, "", ""},
		} {
			res := forward(t, e, c.url, c.cookie, c.auth)
			if res.StatusCode != c.status || (c.user != "" && res.Header.Get("Remote-User") != c.user) ||
				res.Header.Get("Remote-Groups") != c.groups {
				t.Errorf("%s: %s cookie %.6q auth %.12q: %d user %q groups %q, want %d %q %q", phase, c.url, c.cookie, c.auth,
					res.StatusCode, res.Header.Get("Remote-User"), res.Header.Get("Remote-Groups"), c.status, c.user, c.groups)
			}
			if res.StatusCode == 200 && res.Header.Get("Remote-Account") != userdb.DefaultAccountName {
				t.Errorf("%s: Remote-Account = %q", phase, res.Header.Get("Remote-Account"))
			}
		}
	}
	check("warm-up")
	// Unknown cookies always go to the store; keep them out of the rest.
	for _, db := range storeDBs(t, svc.Store()) {
		db.Close()
	}
	for _, c := range []struct{ cookie, auth string }{{ada, ""}, {sam, ""}, {"", "Bearer " + key}} {
		for range 50 {
			if res := forward(t, e, "https://app.test/home", c.cookie, c.auth); res.StatusCode != 200 {
				t.Fatalf("with the database closed: %d (a database round trip on the hot path)", res.StatusCode)
			}
		}
	}
}

// storeDBs returns the store's connection pools.
func storeDBs(t testing.TB, st userdb.Store) []*sql.DB {
	t.Helper()
	var dbs []*sql.DB
	if x, ok := st.(interface{ DB() *sql.DB }); ok {
		dbs = append(dbs, x.DB())
	}
	if x, ok := st.(interface{ ReadDB() *sql.DB }); ok {
		dbs = append(dbs, x.ReadDB())
	}
	if len(dbs) == 0 {
		t.Fatal("the store has no database handle")
	}
	return dbs
}
