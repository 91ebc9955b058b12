package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"github.com/userdb/userdb/internal/inside"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	jose "github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/bearer"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// signIn runs a whole authorization and exchanges the code.
func signIn(t *testing.T, e *env, b *browser, cfg *oauth2.Config, login, password, consent string, opts ...oauth2.AuthCodeOption) *oauth2.Token {
	t.Helper()
	verifier := oauth2.GenerateVerifier()
	q := b.authorize(cfg.AuthCodeURL("st", append(opts, oauth2.S256ChallengeOption(verifier))...), login, password, consent)
	if q.Get("code") == "" {
		t.Fatalf("no code: %v", q)
	}
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	return tok
}

func refresh(e *env, c *userdb.OAuthClient, secret, rt string) (int, map[string]any) {
	return e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
}

func TestOAuthRefreshRotation(t *testing.T) {
	e := oauthEnv(t, func(c *server.Config) { c.OAuth.RefreshGrace = 15e9 })
	e.addUser("ada@example.com", "correct horse battery")
	c, cfg, _ := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true)})
	other, otherCfg, _ := codeClient(t, e, oauth.ClientInput{Name: ptr("Other"), FirstParty: ptr(true)})
	b := e.browser(t)
	tok := signIn(t, e, b, cfg, "ada@example.com", "correct horse battery", "")
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token with offline_access")
	}

	// Rotation: each use gives a new token.
	status, r1 := refresh(e, c, cfg.ClientSecret, tok.RefreshToken)
	if status != 200 || r1["refresh_token"] == nil || r1["refresh_token"] == tok.RefreshToken || r1["id_token"] == nil {
		t.Fatalf("refresh: %d %v", status, r1)
	}
	// Another client's refresh token: refused, nothing issued.
	status, body := refresh(e, other, otherCfg.ClientSecret, r1["refresh_token"].(string))
	wantOAuthError(t, "another client's refresh token", status, body, 400, "invalid_grant")

	// The just-rotated token again, by the same client, within the grace
	// window: a new token of the same family (two tabs, a lost reply).
	e.clock.Add(5 * time.Second)
	status, r2 := refresh(e, c, cfg.ClientSecret, tok.RefreshToken)
	if status != 200 {
		t.Fatalf("refresh within the grace window: %d %v", status, r2)
	}
	// After the window, the same reuse is theft: the family is revoked.
	e.clock.Add(20 * time.Second)
	status, body = refresh(e, c, cfg.ClientSecret, tok.RefreshToken)
	wantOAuthError(t, "reuse after the grace window", status, body, 400, "invalid_grant")
	for i, rt := range []any{r1["refresh_token"], r2["refresh_token"]} {
		status, body = refresh(e, c, cfg.ClientSecret, rt.(string))
		wantOAuthError(t, "family member "+string(rune('1'+i))+" after reuse", status, body, 400, "invalid_grant")
	}
	_, in := e.tokenPost(oauth.IntrospectPath, c.ID, cfg.ClientSecret, url.Values{"token": {r1["access_token"].(string)}})
	if in["active"] != false {
		t.Errorf("access token of a revoked family still active: %v", in)
	}
	inside.OAuth(e.srv).Flush(t.Context())
	if len(e.events("oauth.refresh_reused")) != 1 || len(e.events("oauth.token_refreshed")) != 2 {
		t.Errorf("events: %d reused, %d refreshed", len(e.events("oauth.refresh_reused")), len(e.events("oauth.token_refreshed")))
	}

	// Revocation (RFC 7009) of a refresh token ends its family.
	tok = signIn(t, e, b, cfg, "", "", "")
	if status, _ := e.tokenPost(oauth.RevokePath, c.ID, cfg.ClientSecret, url.Values{"token": {tok.RefreshToken}, "token_type_hint": {"refresh_token"}}); status != 200 {
		t.Errorf("revoke: %d", status)
	}
	status, body = refresh(e, c, cfg.ClientSecret, tok.RefreshToken)
	wantOAuthError(t, "revoked refresh token", status, body, 400, "invalid_grant")
}

func TestOAuthSessionEndRevokesGrants(t *testing.T) {
	e := oauthEnv(t)
	u := e.addUser("ada@example.com", "correct horse battery")
	c, cfg, _ := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true)})
	cases := []struct {
		name string
		end  func()
	}{
		{"sign out everywhere", func() {
			if _, err := inside.Service(e.srv).EndOtherSessions(ctxCLI(), u, ""); err != nil {
				t.Fatal(err)
			}
		}},
		{"admin end-sessions", func() {
			ctx := service.WithActor(ctxCLI(), service.SystemActor())
			if _, err := inside.Service(e.srv).AdminEndSessions(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}},
		{"an administrator sets the password", func() {
			if _, err := inside.Service(e.srv).AdminSetPassword(ctxCLI(), u.ID, "correct horse battery", false); err != nil {
				t.Fatal(err)
			}
		}},
		{"disable the user", func() {
			ctx := service.WithActor(ctxCLI(), service.SystemActor())
			if _, err := inside.Service(e.srv).AdminSetUserStatus(ctx, u.ID, userdb.StatusDisabled); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Add(2 * time.Second) // tokens of an earlier second than the last revocation
			tok := signIn(t, e, e.browser(t), cfg, "ada@example.com", "correct horse battery", "")
			_, in := e.tokenPost(oauth.IntrospectPath, c.ID, cfg.ClientSecret, url.Values{"token": {tok.AccessToken}})
			if in["active"] != true {
				t.Fatalf("fresh token inactive: %v", in)
			}
			e.clock.Add(2 * time.Second)
			tc.end()
			_, in = e.tokenPost(oauth.IntrospectPath, c.ID, cfg.ClientSecret, url.Values{"token": {tok.AccessToken}})
			if in["active"] != false {
				t.Errorf("access token active after %s: %v", tc.name, in)
			}
			status, body := refresh(e, c, cfg.ClientSecret, tok.RefreshToken)
			wantOAuthError(t, "refresh after "+tc.name, status, body, 400, "invalid_grant")
		})
	}
	inside.OAuth(e.srv).Flush(t.Context())
	if n := len(e.events("oauth.token_revoked")); n < len(cases) {
		t.Errorf("%d oauth.token_revoked events for %d revocations", n, len(cases))
	}
}

func TestOAuthDeviceFlow(t *testing.T) {
	// x/oauth2 waits the poll interval before its first poll.
	e := oauthEnv(t, func(c *server.Config) { c.OAuth.DevicePollInterval = time.Second })
	u := e.addUser("ada@example.com", "correct horse battery")
	c, _ := e.addClient(oauth.ClientInput{Name: ptr("Living-room TV"), Type: ptr(userdb.ClientPublic),
		GrantTypes: strs(userdb.GrantDeviceCode, userdb.GrantRefreshToken), Scopes: strs("openid", "profile", "offline_access")})
	cfg := &oauth2.Config{ClientID: c.ID, Endpoint: oauth2.Endpoint{DeviceAuthURL: e.issuer() + "/v1/device/authorize",
		TokenURL: e.issuer() + "/v1/token"}, Scopes: []string{"openid", "profile", "offline_access"}}
	ctx := t.Context()
	da, err := cfg.DeviceAuth(ctx)
	if err != nil {
		t.Fatalf("device authorization: %v", err)
	}
	if da.VerificationURI != e.http.URL+oauth.DevicePath || da.UserCode == "" {
		t.Errorf("device response %+v", da)
	}
	// Polling before the user has answered.
	poll := func() (int, map[string]any) {
		return e.tokenPost(oauth.TokenPath, "", "", url.Values{"grant_type": {userdb.GrantDeviceCode}, "device_code": {da.DeviceCode}, "client_id": {c.ID}})
	}
	status, body := poll()
	wantOAuthError(t, "poll while pending", status, body, 400, "authorization_pending")
	status, body = poll()
	wantOAuthError(t, "poll again at once", status, body, 400, "slow_down")
	e.clock.Add(time.Second)
	status, body = poll()
	wantOAuthError(t, "poll after the interval", status, body, 400, "authorization_pending")

	// The user signs in, enters the code (as typed: lower case, no dash)
	// and allows.
	b := e.browser(t)
	typed := strings.ToLower(strings.ReplaceAll(da.UserCode, "-", ""))
	resp := b.get(oauth.DevicePath + "?user_code=" + typed)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("device page without a session: %d", resp.StatusCode)
	}
	resp.Body.Close()
	if r := b.post("/signin", url.Values{"login": {"ada@example.com"}, "password": {"correct horse battery"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", r.StatusCode)
	}
	if page := body_(b.get(oauth.DevicePath + "?user_code=" + typed)); !strings.Contains(page, "Living-room TV") {
		t.Fatalf("device page does not name the client: %.400s", page)
	}
	if page := body_(b.get(oauth.DevicePath + "?user_code=WRONG-CODE")); !strings.Contains(page, "not valid") {
		t.Errorf("a wrong code is not refused: %.300s", page)
	}
	if r := b.post(oauth.DevicePath, url.Values{"user_code": {typed}, "decision": {"allow"}}); r.StatusCode != 200 {
		t.Fatalf("allow: %d", r.StatusCode)
	}
	e.clock.Add(time.Second) // x/oauth2 waits the interval before it polls
	tok, err := cfg.DeviceAccessToken(ctx, da)
	if err != nil {
		t.Fatalf("device token: %v", err)
	}
	if tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Errorf("device token without refresh or ID token")
	}
	claims, err := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now)).Verify(ctx, tok.AccessToken)
	if err != nil || claims.UserID != u.ID {
		t.Errorf("device access token: %+v %v", claims, err)
	}
	// The device code is used up.
	status, body = poll()
	wantOAuthError(t, "device code again", status, body, 400, "invalid_grant")
}

func body_(r *http.Response) string { return body(r) }

func TestOAuthPromptMaxAgeAndConsentMemory(t *testing.T) {
	e := oauthEnv(t)
	e.addUser("ada@example.com", "correct horse battery")
	c, cfg, p := codeClient(t, e, oauth.ClientInput{})
	b := e.browser(t)
	verifier := oauth2.GenerateVerifier()
	ch := oauth2.S256ChallengeOption(verifier)

	// prompt=none without a session: login_required at the redirect URI.
	q := b.authorize(cfg.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("prompt", "none")), "", "", "")
	if q.Get("error") != "login_required" {
		t.Errorf("prompt=none signed out: %v", q)
	}
	// Denying consent: access_denied.
	q = b.authorize(cfg.AuthCodeURL("s", ch), "ada@example.com", "correct horse battery", "deny")
	if q.Get("error") != "access_denied" {
		t.Errorf("denied consent: %v", q)
	}
	// prompt=none signed in but without consent: consent_required.
	q = b.authorize(cfg.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("prompt", "none")), "", "", "")
	if q.Get("error") != "consent_required" {
		t.Errorf("prompt=none without consent: %v", q)
	}
	// Consent once; it is remembered (no page the second time).
	q = b.authorize(cfg.AuthCodeURL("s", ch), "", "", "allow")
	if q.Get("code") == "" {
		t.Fatalf("consent: %v", q)
	}
	q = b.authorize(cfg.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("prompt", "none")), "", "", "")
	if q.Get("code") == "" {
		t.Errorf("remembered consent, prompt=none: %v", q)
	}
	// Single sign-on: no sign-in page while the session lasts. max_age
	// older than the session, and prompt=login, ask for it again.
	e.clock.Add(10 * time.Minute)
	signInAsked := func(opts ...oauth2.AuthCodeOption) bool {
		resp := b.get(cfg.AuthCodeURL("s", append(opts, ch)...))
		loc, _ := resp.Location()
		resp.Body.Close()
		r := b.get(loc.String())
		l2, _ := r.Location()
		r.Body.Close()
		return l2 != nil && strings.HasPrefix(l2.Path, "/signin")
	}
	if signInAsked() {
		t.Error("signed-in user asked to sign in again")
	}
	if signInAsked(oauth2.SetAuthURLParam("max_age", "3600")) {
		t.Error("max_age=3600 after 10 minutes asked to sign in")
	}
	if !signInAsked(oauth2.SetAuthURLParam("max_age", "60")) {
		t.Error("max_age=60 after 10 minutes did not ask to sign in")
	}
	// That ended the old session: sign in again, and auth_time is new.
	before := e.clock.Now().Unix()
	tok := signIn(t, e, b, cfg, "ada@example.com", "correct horse battery", "", oauth2.SetAuthURLParam("prompt", "login"))
	idt, err := p.Verifier(&oidc.Config{ClientID: c.ID}).Verify(t.Context(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var cl struct {
		AuthTime int64 `json:"auth_time"`
	}
	idt.Claims(&cl)
	if cl.AuthTime < before {
		t.Errorf("auth_time %d before the new sign-in at %d", cl.AuthTime, before)
	}
	// login_hint fills the sign-in form.
	e.clock.Add(time.Minute)
	resp := b.get(cfg.AuthCodeURL("s", ch, oauth2.SetAuthURLParam("prompt", "login"), oauth2.SetAuthURLParam("login_hint", "ada@example.com")))
	loc, _ := resp.Location()
	resp.Body.Close()
	r := b.get(loc.String())
	l2, _ := r.Location()
	r.Body.Close()
	page := body_(b.get(l2.String()))
	if !strings.Contains(page, `value="ada@example.com"`) {
		t.Errorf("login_hint not on the sign-in page")
	}

	// The profile's page of connected applications lists the consent and
	// withdraws it. (prompt=login above ended the session: sign in again.)
	b.post("/signin", url.Values{"login": {"ada@example.com"}, "password": {"correct horse battery"}}).Body.Close()
	if page := body_(b.get("/profile/apps")); !strings.Contains(page, "Web app") {
		t.Fatalf("profile apps page does not list the client: %.400s", page)
	}
	if r := b.post("/profile/apps", url.Values{"intent": {"remove"}, "client": {c.ID}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove: %d", r.StatusCode)
	}
	if list, _ := inside.OAuth(e.srv).Consents(t.Context(), idt.Subject); len(list) != 0 {
		t.Errorf("consents after removal: %v", list)
	}
	status, body := refresh(e, c, cfg.ClientSecret, tok.RefreshToken)
	wantOAuthError(t, "refresh after withdrawn consent", status, body, 400, "invalid_grant")
}

func TestOAuthKeyRotation(t *testing.T) {
	e := oauthEnv(t)
	c, secret := e.addClient(oauth.ClientInput{Name: ptr("svc"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope"),
		AccessTokenTTL: ptr(10 * time.Minute)})
	get := func() string {
		_, body := e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
		return body["access_token"].(string)
	}
	kid := func(tok string) string {
		h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
		var m map[string]string
		json.Unmarshal(h, &m)
		return m["kid"]
	}
	old := get()
	if _, err := inside.OAuth(e.srv).RotateKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Until the new key signs, the old one does; both are published.
	if kid(get()) != kid(old) {
		t.Error("the new key signed before it was published everywhere")
	}
	e.clock.Add(3 * time.Minute)
	fresh := get()
	if kid(fresh) == kid(old) {
		t.Fatal("the new key does not sign after the delay")
	}
	v := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now))
	for _, tok := range []string{old, fresh} {
		if _, err := v.Verify(t.Context(), tok); err != nil {
			t.Errorf("token of key %s: %v", kid(tok), err)
		}
	}
	// Once every token of the old key has expired, the key leaves the set
	// and its tokens no longer verify.
	e.clock.Add(25 * time.Hour)
	if err := inside.OAuth(e.srv).ReloadKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	resp, _ := http.Get(e.issuer() + "/v1/keys")
	var set struct {
		Keys []struct {
			Kid string `json:"kid"`
		} `json:"keys"`
	}
	json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	for _, k := range set.Keys {
		if k.Kid == kid(old) {
			t.Error("the retired key is still published")
		}
	}
	v2 := bearer.New(e.issuer(), bearer.WithClock(func() time.Time { return time.Unix(0, 0) }))
	if _, err := v2.Verify(t.Context(), old); err == nil {
		t.Error("a token of a removed key still verifies")
	}
}

// TestBearerMiddlewareRefusesForgeries puts the resource-server middleware
// in front of a handler and sends it what an attacker would.
func TestBearerMiddlewareRefusesForgeries(t *testing.T) {
	e := oauthEnv(t)
	c, secret := e.addClient(oauth.ClientInput{Name: ptr("svc"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope", "openid")})
	_, body := e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	good := body["access_token"].(string)
	_, body = e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}})
	noScope := body["access_token"].(string)

	v := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now))
	api := httptest.NewServer(v.Middleware(bearer.RequireScopes("customScope")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cl, _ := bearer.FromContext(r.Context())
		w.Write([]byte("hello " + cl.ClientID))
	}))))
	defer api.Close()
	call := func(tok string) int {
		req, _ := http.NewRequest("GET", api.URL, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	enc := base64.RawURLEncoding.EncodeToString
	// alg none: the same claims, no signature.
	none := enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	// HS256 with the public key (as served) as the secret.
	resp, _ := http.Get(e.issuer() + "/v1/keys")
	jwks, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	hdr := enc([]byte(`{"alg":"HS256","typ":"JWT","kid":"` + kidOf(good) + `"}`))
	mac := hmac.New(sha256.New, jwks)
	mac.Write([]byte(hdr + "." + parts[1]))
	hs := hdr + "." + parts[1] + "." + enc(mac.Sum(nil))
	// A claim changed under the signature.
	tampered := parts[0] + "." + enc([]byte(strings.Replace(string(payload), `"scp":["customScope"]`, `"scp":["customScope","admin"]`, 1))) + "." + parts[2]
	cases := []struct {
		name string
		tok  string
		want int
	}{
		{"good token", good, 200},
		{"no token", "", 401},
		{"alg none", none, 401},
		{"HS256 with the public key", hs, 401},
		{"tampered claims", tampered, 401},
		{"without the required scope", noScope, 403},
	}
	for _, tc := range cases {
		if got := call(tc.tok); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
	e.clock.Add(2 * time.Hour)
	if got := call(good); got != 401 {
		t.Errorf("expired token: %d, want 401", got)
	}
}

var kidRE = regexp.MustCompile(`"kid":"([^"]+)"`)

func kidOf(tok string) string {
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if m := kidRE.FindStringSubmatch(string(h)); m != nil {
		return m[1]
	}
	return ""
}

func TestOAuthClientTenantIsolation(t *testing.T) {
	e := oauthEnv(t)
	sys := service.WithActor(ctxCLI(), service.SystemActor())
	svc := inside.Service(e.srv)
	if _, err := svc.AdminCreateAccount(sys, service.NewAccount{Name: "acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AdminCreateAccount(sys, service.NewAccount{Name: "globex"}); err != nil {
		t.Fatal(err)
	}
	acme := e.addUser("boss@acme.example", "correct horse battery")
	_ = acme
	p := inside.OAuth(e.srv)
	globexClient, _ := e.addClient(oauth.ClientInput{Account: ptr("globex"), Name: ptr("Globex app"), RedirectURIs: strs("https://globex.example/cb")})
	acmeAdmin := service.WithActor(ctxCLI(), service.Actor{ID: "usr_acmeadmin", AccountID: accountID(t, e, "acme"), Roles: []string{"admin"}})

	if _, err := p.Client(acmeAdmin, svc, globexClient.ID); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Errorf("acme admin reads globex's client: %v", err)
	}
	if _, _, err := p.UpdateClient(acmeAdmin, svc, globexClient.ID, oauth.ClientInput{Name: ptr("mine")}); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Errorf("acme admin renames globex's client: %v", err)
	}
	if _, _, err := p.RotateSecret(acmeAdmin, svc, globexClient.ID); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Errorf("acme admin rotates globex's secret: %v", err)
	}
	if err := p.DeleteClient(acmeAdmin, svc, globexClient.ID); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Errorf("acme admin deletes globex's client: %v", err)
	}
	if _, _, err := p.CreateClient(acmeAdmin, svc, oauth.ClientInput{Account: ptr("globex"), Name: ptr("x"), RedirectURIs: strs("https://x.example/cb")}); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Errorf("acme admin creates a client in globex: %v", err)
	}
	mine, _, err := p.CreateClient(acmeAdmin, svc, oauth.ClientInput{Name: ptr("Acme app"), RedirectURIs: strs("https://acme.example/cb")})
	if err != nil || mine.AccountID != accountID(t, e, "acme") {
		t.Fatalf("acme admin creates its own client: %v %v", mine, err)
	}
	list, _ := p.Clients(acmeAdmin, svc, "")
	if len(list) != 1 || list[0].ID != mine.ID {
		t.Errorf("acme admin lists %v", list)
	}
	user := service.WithActor(ctxCLI(), service.Actor{ID: "usr_x", AccountID: accountID(t, e, "acme")})
	if _, err := p.Clients(user, svc, ""); !userdb.IsCode(err, userdb.EFORBIDDEN) {
		t.Errorf("a user without a role lists clients: %v", err)
	}
	// A client of one account cannot introspect another account's tokens.
	svcA, secA := e.addClient(oauth.ClientInput{Account: ptr("acme"), Name: ptr("a"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	svcG, secG := e.addClient(oauth.ClientInput{Account: ptr("globex"), Name: ptr("g"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	_, body := e.tokenPost(oauth.TokenPath, svcG.ID, secG, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	_, in := e.tokenPost(oauth.IntrospectPath, svcA.ID, secA, url.Values{"token": {body["access_token"].(string)}})
	if in["active"] != false {
		t.Errorf("acme's client introspects globex's token: %v", in)
	}
}

func accountID(t *testing.T, e *env, name string) string {
	a, err := inside.Service(e.srv).Store().FindAccountByName(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return a.ID
}

func TestAdminAPIAcceptsAccessTokensWithTheAdminScope(t *testing.T) {
	e := oauthEnv(t)
	e.addUser("root@example.com", "correct horse battery", "super-admin")
	e.addUser("plain@example.com", "correct horse battery")
	_, cfg, _ := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true), Scopes: strs("openid", "userdb:admin")})
	cfg.Scopes = []string{"openid", "userdb:admin"}
	get := func(tok, path string) int {
		req, _ := http.NewRequest("GET", e.http.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	root := signIn(t, e, e.browser(t), cfg, "root@example.com", "correct horse battery", "")
	if got := get(root.AccessToken, "/api/v1/users"); got != 200 {
		t.Errorf("super-admin's token: %d", got)
	}
	plain := signIn(t, e, e.browser(t), cfg, "plain@example.com", "correct horse battery", "")
	if got := get(plain.AccessToken, "/api/v1/users"); got != 403 {
		t.Errorf("a plain user's token with the scope: %d, want 403 (the user's rights decide)", got)
	}
	svc, secret := e.addClient(oauth.ClientInput{Name: ptr("robot"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope", "userdb:admin")})
	_, body := e.tokenPost(oauth.TokenPath, svc.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"userdb:admin"}})
	if got := get(body["access_token"].(string), "/api/v1/clients"); got != 200 {
		t.Errorf("a client's admin token: %d", got)
	}
	_, body = e.tokenPost(oauth.TokenPath, svc.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	if got := get(body["access_token"].(string), "/api/v1/clients"); got != 403 {
		t.Errorf("a token without the admin scope: %d, want 403", got)
	}
	if got := get(body["access_token"].(string)+"x", "/api/v1/clients"); got != 401 {
		t.Errorf("a tampered token: %d, want 401", got)
	}
}

// TestOAuthSigningAlgorithms issues and verifies tokens with ES256 and
// EdDSA keys (RS256 is the default every other test uses).
func TestOAuthSigningAlgorithms(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			e := oauthEnv(t, func(c *server.Config) { c.OAuth.SigningAlg = alg })
			e.addUser("ada@example.com", "correct horse battery")
			c, cfg, p := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true)})
			tok := signIn(t, e, e.browser(t), cfg, "ada@example.com", "correct horse battery", "")
			idt, err := p.Verifier(&oidc.Config{ClientID: c.ID, SupportedSigningAlgs: []string{alg}}).Verify(t.Context(), tok.Extra("id_token").(string))
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if !strings.Contains(kidHeaderAlg(tok.AccessToken), alg) {
				t.Errorf("access token header %s", kidHeaderAlg(tok.AccessToken))
			}
			if _, err := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now)).Verify(t.Context(), tok.AccessToken); err != nil {
				t.Errorf("access token: %v", err)
			}
			_ = idt
		})
	}
}

func kidHeaderAlg(tok string) string {
	h, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	return string(h)
}

// TestOAuthNodesAgree runs two servers on one database: they publish the
// same keys, each verifies and introspects the other's tokens, a rotation
// made on one is taken up by the other, and a user's revocation on one
// reaches the other's introspection.
func TestOAuthNodesAgree(t *testing.T) {
	a := oauthEnv(t)
	b := openSecondNode(t, a)
	u := a.addUser("ada@example.com", "correct horse battery")
	c, cfg, _ := codeClient(t, a, oauth.ClientInput{FirstParty: ptr(true)})
	tok := signIn(t, a, a.browser(t), cfg, "ada@example.com", "correct horse battery", "")

	introspectAt := func(e *env) any {
		_, in := e.tokenPost(oauth.IntrospectPath, c.ID, cfg.ClientSecret, url.Values{"token": {tok.AccessToken}})
		return in["active"]
	}
	if introspectAt(b) != true {
		t.Fatal("node B does not take node A's token")
	}
	if _, err := inside.OAuth(a.srv).RotateKeys(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := inside.OAuth(b.srv).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	keysOf := func(e *env) string {
		resp, err := http.Get(e.http.URL + oauth.KeysPath)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set struct {
			Keys []struct {
				Kid string `json:"kid"`
			} `json:"keys"`
		}
		json.NewDecoder(resp.Body).Decode(&set)
		var ids []string
		for _, k := range set.Keys {
			ids = append(ids, k.Kid)
		}
		return strings.Join(ids, ",")
	}
	if ka, kb := keysOf(a), keysOf(b); ka != kb || strings.Count(ka, ",") != 1 {
		t.Errorf("key sets differ or lack the new key: A %s, B %s", ka, kb)
	}
	a.clock.Add(2 * time.Second)
	if _, err := inside.Service(a.srv).EndOtherSessions(ctxCLI(), u, ""); err != nil {
		t.Fatal(err)
	}
	if err := inside.OAuth(b.srv).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if introspectAt(b) != false {
		t.Error("node B still takes a token its user's sign-out on node A revoked")
	}
}

// openSecondNode opens another server on a's database and clock, as a
// second node would be.
func openSecondNode(t *testing.T, a *env) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := *a.cfg
	srv, err := server.Open(t.Context(), &cfg, server.WithClock(a.clock), server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, srv: srv, clock: a.clock, cfg: &cfg}
	e.http = httptest.NewUnstartedServer(srv)
	e.http.Listener.Close()
	e.http.Listener = ln
	e.http.Start()
	t.Cleanup(func() { e.http.Close(); srv.Close(context.Background()) })
	return e
}

// TestOAuthPrivateKeyJWT authenticates a client by a signed assertion
// (private_key_jwt) instead of a secret.
func TestOAuthPrivateKeyJWT(t *testing.T) {
	e := oauthEnv(t)
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	pub, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	c, secret := e.addClient(oauth.ClientInput{Name: ptr("signed"), AuthMethod: ptr(userdb.AuthPrivateKeyJWT), JWKS: ptr(string(pub)),
		GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	if secret != "" {
		t.Errorf("a private_key_jwt client got a secret")
	}
	assertion := func(k *rsa.PrivateKey, aud string) string {
		signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: k, KeyID: "k1"}}, nil)
		now := time.Now()
		claims, _ := json.Marshal(map[string]any{"iss": c.ID, "sub": c.ID, "aud": aud, "iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": userdb.NewID("jti")})
		jws, _ := signer.Sign(claims)
		s, _ := jws.CompactSerialize()
		return s
	}
	post := func(a string) (int, map[string]any) {
		return e.tokenPost(oauth.TokenPath, "", "", url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {a}})
	}
	for _, aud := range []string{e.issuer(), e.issuer() + "/v1/token"} {
		if status, body := post(assertion(key, aud)); status != 200 || body["access_token"] == nil {
			t.Errorf("assertion for %s: %d %v", aud, status, body)
		}
	}
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	status, body := post(assertion(other, e.issuer()))
	wantOAuthError(t, "assertion signed by another key", status, body, 401, "invalid_client")
	status, body = post(assertion(key, "https://elsewhere.example/"))
	wantOAuthError(t, "assertion for another audience", status, body, 401, "invalid_client")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, "guess", url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	wantOAuthError(t, "a secret for a private_key_jwt client", status, body, 401, "invalid_client")
}

// TestOAuthPublicClientsAndOpaqueTokens: a public client must use PKCE and
// has no secret; an opaque access token is a handle that introspection,
// userinfo and revocation look up.
func TestOAuthPublicClientsAndOpaqueTokens(t *testing.T) {
	e := oauthEnv(t)
	u := e.addUser("ada@example.com", "correct horse battery")
	spa, secret := e.addClient(oauth.ClientInput{Name: ptr("SPA"), Type: ptr(userdb.ClientPublic), FirstParty: ptr(true),
		RedirectURIs: strs("http://localhost:5173/callback"), TokenFormat: ptr(userdb.TokenFormatOpaque)})
	if secret != "" {
		t.Fatal("a public client got a secret")
	}
	p, err := oidc.NewProvider(t.Context(), e.issuer())
	if err != nil {
		t.Fatal(err)
	}
	cfg := &oauth2.Config{ClientID: spa.ID, Endpoint: p.Endpoint(), RedirectURL: spa.RedirectURIs[0], Scopes: []string{"openid", "email"}}
	b := e.browser(t)
	// Without PKCE: refused at the redirect URI.
	q := b.authorize(cfg.AuthCodeURL("s"), "", "", "")
	if q.Get("error") != "invalid_request" || q.Get("code") != "" {
		t.Errorf("public client without PKCE: %v", q)
	}
	tok := signIn(t, e, b, cfg, "ada@example.com", "correct horse battery", "")
	if !strings.HasPrefix(tok.AccessToken, "udb_at_") {
		t.Fatalf("opaque token %q", tok.AccessToken)
	}
	info, err := p.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != u.ID {
		t.Errorf("userinfo with an opaque token: %+v %v", info, err)
	}
	// A confidential client of the same account introspects it.
	rs, rsSecret := e.addClient(oauth.ClientInput{Name: ptr("API"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	if _, in := e.tokenPost(oauth.IntrospectPath, rs.ID, rsSecret, url.Values{"token": {tok.AccessToken}}); in["active"] != true || in["client_id"] != spa.ID {
		t.Errorf("introspection of an opaque token: %v", in)
	}
	// The public client revokes it with its id alone.
	if status, body := e.tokenPost(oauth.RevokePath, "", "", url.Values{"token": {tok.AccessToken}, "client_id": {spa.ID}}); status != 200 {
		t.Errorf("revocation by a public client: %d %v", status, body)
	}
	if _, in := e.tokenPost(oauth.IntrospectPath, rs.ID, rsSecret, url.Values{"token": {tok.AccessToken}}); in["active"] != false {
		t.Errorf("revoked opaque token still active: %v", in)
	}
	// A public client cannot use client credentials.
	status, body := e.tokenPost(oauth.TokenPath, "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {spa.ID}})
	if status < 400 || body["access_token"] != nil {
		t.Errorf("client credentials for a public client: %d %v", status, body)
	}
}

// TestOAuthMappedClaims gives a custom-data attribute as a claim of the
// ID token and userinfo (oauth.claims), with the profile scope.
func TestOAuthMappedClaims(t *testing.T) {
	e := oauthEnv(t, func(c *server.Config) {
		c.CustomData.Schema = []config.Attribute{{Name: "department", Type: "string", EditableBy: "admin"}}
		c.OAuth.Claims = []config.Claim{{Name: "dept", Attribute: "department"}}
	})
	if _, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), service.NewUser{Email: "ada@example.com", Password: "correct horse battery",
		Verified: true, CustomData: map[string]any{"department": "Engines"}}); err != nil {
		t.Fatal(err)
	}
	c, cfg, p := codeClient(t, e, oauth.ClientInput{FirstParty: ptr(true)})
	tok := signIn(t, e, e.browser(t), cfg, "ada@example.com", "correct horse battery", "")
	idt, err := p.Verifier(&oidc.Config{ClientID: c.ID}).Verify(t.Context(), tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var cl map[string]any
	idt.Claims(&cl)
	if cl["dept"] != "Engines" {
		t.Errorf("ID token claims %v", cl)
	}
	info, err := p.UserInfo(t.Context(), oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var ic map[string]any
	info.Claims(&ic)
	if ic["dept"] != "Engines" {
		t.Errorf("userinfo %v", ic)
	}
}

// TestOAuthSignUpHints: prompt=create and Auth0's screen_hint=signup open
// the registration page when registration is on, the sign-in page when it
// is off.
func TestOAuthSignUpHints(t *testing.T) {
	for _, open := range []bool{true, false} {
		e := oauthEnv(t, func(c *server.Config) { c.Registration.Enabled = open })
		_, cfg, _ := codeClient(t, e, oauth.ClientInput{})
		b := e.browser(t)
		for _, hint := range []oauth2.AuthCodeOption{oauth2.SetAuthURLParam("prompt", "create"), oauth2.SetAuthURLParam("screen_hint", "signup")} {
			resp := b.get(cfg.AuthCodeURL("s", hint, oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
			loc, _ := resp.Location()
			resp.Body.Close()
			r := b.get(loc.String())
			page, _ := r.Location()
			r.Body.Close()
			want := "/signin"
			if open {
				want = "/signup"
			}
			if page == nil || page.Path != want || !strings.HasPrefix(page.Query().Get("next"), oauth.ContinuePath) {
				t.Errorf("registration %v: sent to %v, want %s with next= back to the request", open, page, want)
			}
		}
	}
}
