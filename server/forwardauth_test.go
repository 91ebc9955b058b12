package server_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/oauth"
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

// TestForwardAuthAcceptsAccessTokens lets an API client through forward
// authentication with an OAuth access token of this server, as with an API
// key: a user's token carries the user's roles into Remote-Groups and the
// rules, a client's own token passes rules without roles; a forged, expired
// or revoked token is refused at once; and once warm no answer needs the
// database.
func TestForwardAuthAcceptsAccessTokens(t *testing.T) {
	e := oauthEnv(t, withForwardAuth)
	ada := e.addUser("ada@example.com", "correct horse battery", userdb.RoleAdmin)
	sam := e.addUser("sam@example.com", "correct horse battery")
	_, cfg, _ := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true)})
	adaTok := signIn(t, e, e.browser(t), cfg, "ada@example.com", "correct horse battery", "").AccessToken
	samTok := signIn(t, e, e.browser(t), cfg, "sam@example.com", "correct horse battery", "").AccessToken
	ccID, ccSecret := e.addClient(oauth.ClientInput{Name: ptr("service"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	_, ccBody := e.tokenPost(oauth.TokenPath, ccID.ID, ccSecret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	ccTok, _ := ccBody["access_token"].(string)
	if ccTok == "" {
		t.Fatalf("client credentials: %v", ccBody)
	}

	for _, c := range []struct {
		name, url, token string
		status           int
		user, groups     string
	}{
		{"an admin's token", "https://app.test/admin/users", adaTok, 200, ada.ID, "admin"},
		{"a user's token, a rule needing admin", "https://app.test/admin/users", samTok, 403, "", ""},
		{"a user's token", "https://app.test/home", samTok, 200, sam.ID, ""},
		{"a client's own token", "https://app.test/home", ccTok, 200, ccID.ID, ""},
		{"a client's own token, a rule needing admin", "https://app.test/admin/users", ccTok, 403, "", ""},
		{"a tampered token", "https://app.test/home", samTok[:len(samTok)-4] + "AAAA", 401, "", ""},
	} {
		res := forward(t, e, c.url, "", "Bearer "+c.token)
		if res.StatusCode != c.status || res.Header.Get("Remote-User") != c.user || res.Header.Get("Remote-Groups") != c.groups {
			t.Errorf("%s: %d user %q groups %q, want %d %q %q", c.name, res.StatusCode,
				res.Header.Get("Remote-User"), res.Header.Get("Remote-Groups"), c.status, c.user, c.groups)
		}
		if c.status == 200 && res.Header.Get("Remote-Account") != userdb.DefaultAccountName {
			t.Errorf("%s: Remote-Account = %q", c.name, res.Header.Get("Remote-Account"))
		}
	}

	// Once warm, tokens need no database: it is closed for the rest.
	svc := inside.Service(e.srv)
	for _, db := range storeDBs(t, svc.Store()) {
		db.Close()
	}
	for _, tok := range []string{adaTok, samTok, ccTok} {
		for range 20 {
			if res := forward(t, e, "https://app.test/home", "", "Bearer "+tok); res.StatusCode != 200 {
				t.Fatalf("with the database closed: %d (a database round trip on the hot path)", res.StatusCode)
			}
		}
	}
}

// TestForwardAuthRefusesRevokedAndExpiredTokens: a user's sign-out
// everywhere revokes the user's access tokens for forward authentication
// at once, and an expired token is refused.
func TestForwardAuthRefusesRevokedAndExpiredTokens(t *testing.T) {
	e := oauthEnv(t, withForwardAuth)
	u := e.addUser("ada@example.com", "correct horse battery")
	_, cfg, _ := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true)})
	e.clock.Add(2 * time.Second) // tokens of a later second than any earlier revocation
	tok := signIn(t, e, e.browser(t), cfg, "ada@example.com", "correct horse battery", "").AccessToken
	if res := forward(t, e, "https://app.test/home", "", "Bearer "+tok); res.StatusCode != 200 {
		t.Fatalf("fresh token: %d", res.StatusCode)
	}
	e.clock.Add(2 * time.Second)
	if _, err := inside.Service(e.srv).EndOtherSessions(ctxCLI(), u, ""); err != nil {
		t.Fatal(err)
	}
	if res := forward(t, e, "https://app.test/home", "", "Bearer "+tok); res.StatusCode != 401 {
		t.Errorf("token after sign-out everywhere: %d, want 401", res.StatusCode)
	}

	e.clock.Add(2 * time.Second)
	tok = signIn(t, e, e.browser(t), cfg, "ada@example.com", "correct horse battery", "").AccessToken
	if res := forward(t, e, "https://app.test/home", "", "Bearer "+tok); res.StatusCode != 200 {
		t.Fatalf("second token: %d", res.StatusCode)
	}
	e.clock.Add(e.cfg.OAuth.AccessTokenTTL + time.Second)
	if res := forward(t, e, "https://app.test/home", "", "Bearer "+tok); res.StatusCode != 401 {
		t.Errorf("expired token: %d, want 401", res.StatusCode)
	}
}
