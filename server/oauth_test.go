package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"github.com/userdb/userdb/internal/inside"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/bearer"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/server"
)

// oauthEnv is a server whose base URL is its own listener, so that its
// issuer is reachable by the relying parties of the tests.
func oauthEnv(t testing.TB, configure ...func(*server.Config)) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(t.TempDir(), "userdb.db"))
	cfg.Server.BaseURL = "http://" + ln.Addr().String()
	cfg.OAuth.Scopes = []string{"customScope"}
	fastHashing(cfg)
	for _, f := range configure {
		f(cfg)
	}
	// The provider's own times (codes, refresh tokens, access tokens) come
	// from this clock; ID tokens are stamped by the op package with the
	// real time, so the clock starts at the real time.
	clk := testclock.New(time.Now().UTC().Truncate(time.Second))
	srv, err := server.Open(context.Background(), cfg, server.WithClock(clk), server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	e := &env{t: t, srv: srv, clock: clk, cfg: cfg}
	e.http = httptest.NewUnstartedServer(srv)
	e.http.Listener.Close()
	e.http.Listener = ln
	e.http.Start()
	t.Cleanup(func() {
		e.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return e
}

func (e *env) issuer() string { return e.http.URL + oauth.IssuerPath }

// addClient makes a client as the system (the command line).
func (e *env) addClient(in oauth.ClientInput) (*userdb.OAuthClient, string) {
	e.t.Helper()
	ctx := service.WithActor(ctxCLI(), service.SystemActor())
	c, secret, err := inside.OAuth(e.srv).CreateClient(ctx, inside.Service(e.srv), in)
	if err != nil {
		e.t.Fatalf("create client: %v", err)
	}
	return c, secret
}

func strs(v ...string) *[]string { return &v }

// tokenPost posts a form to the token endpoint (or another) with optional
// Basic credentials and returns the status and JSON body.
func (e *env) tokenPost(path, id, secret string, form url.Values) (int, map[string]any) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if id != "" {
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	json.Unmarshal(b, &m)
	if m == nil {
		m = map[string]any{"raw": string(b)}
	}
	return resp.StatusCode, m
}

func wantOAuthError(t *testing.T, what string, status int, body map[string]any, wantStatus int, wantErr string) {
	t.Helper()
	if status != wantStatus || body["error"] != wantErr {
		t.Errorf("%s: %d %v, want %d with error %s", what, status, body, wantStatus, wantErr)
	}
	if _, ok := body["access_token"]; ok {
		t.Errorf("%s: an access token was issued", what)
	}
}

func TestOAuthClientCredentials(t *testing.T) {
	e := oauthEnv(t)
	c, secret := e.addClient(oauth.ClientInput{Name: ptr("Okta tutorial"), GrantTypes: strs(userdb.GrantClientCredentials),
		Scopes: strs("customScope")})

	// The tutorial's request: HTTP Basic and scope=customScope.
	status, body := e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	if status != 200 || body["token_type"] != "Bearer" || body["scope"] != "customScope" || body["expires_in"] != float64(3600) {
		t.Fatalf("token response %d %v", status, body)
	}
	tok := body["access_token"].(string)

	// x/oauth2's client-credentials source gets the same.
	cc := clientcredentials.Config{ClientID: c.ID, ClientSecret: secret, TokenURL: e.issuer() + "/v1/token", Scopes: []string{"customScope"}}
	if _, err := cc.Token(t.Context()); err != nil {
		t.Fatalf("x/oauth2 client credentials: %v", err)
	}

	// The token verifies against the key set with Okta's claims.
	v := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now))
	claims, err := v.Verify(t.Context(), tok)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if claims.ClientID != c.ID || claims.Subject != c.ID || !claims.HasScope("customScope") || claims.UserID != "" || claims.JTI == "" {
		t.Errorf("claims = %+v", claims)
	}
	var raw map[string]any
	part := strings.Split(tok, ".")[1]
	b, _ := base64.RawURLEncoding.DecodeString(part)
	json.Unmarshal(b, &raw)
	if raw["aud"] != "api://default" || raw["iss"] != e.issuer() {
		t.Errorf("aud %v, iss %v: want the string api://default and the issuer", raw["aud"], raw["iss"])
	}

	// Bad input: each a precise error, nothing issued.
	status, body = e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}})
	wantOAuthError(t, "no scope", status, body, 400, "invalid_scope")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"otherScope"}})
	wantOAuthError(t, "unknown scope", status, body, 400, "invalid_scope")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"openid"}})
	wantOAuthError(t, "scope not allowed", status, body, 400, "invalid_scope")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, secret+"x", url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	wantOAuthError(t, "wrong secret", status, body, 401, "invalid_client")
	status, body = e.tokenPost(oauth.TokenPath, "cli_nobody", secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	wantOAuthError(t, "unknown client", status, body, 401, "invalid_client")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}})
	wantOAuthError(t, "password grant", status, body, 400, "unsupported_grant_type")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"authorization_code"}, "code": {"x"}, "redirect_uri": {"https://x.example/cb"}})
	wantOAuthError(t, "grant not allowed", status, body, 400, "unauthorized_client")
	status, body = e.tokenPost(oauth.TokenPath, "", "", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ID}, "client_secret": {secret}, "scope": {"customScope"}})
	wantOAuthError(t, "client_secret_post for a client_secret_basic client", status, body, 401, "invalid_client")

	inside.OAuth(e.srv).Flush(t.Context())
	if n := len(e.events("oauth.token_issued")); n != 2 {
		t.Errorf("%d oauth.token_issued events, want 2", n)
	}
	if refused := e.events("oauth.client_refused"); len(refused) != 3 || refused[0].IP != "127.0.0.1" || refused[0].Details["client_id"] == nil {
		t.Errorf("oauth.client_refused events: %d, the first %+v; want 3 with the client's address and id", len(refused), refused)
	}

	// Introspection by a client of the same account.
	status, body = e.tokenPost(oauth.IntrospectPath, c.ID, secret, url.Values{"token": {tok}})
	if status != 200 || body["active"] != true || body["client_id"] != c.ID || body["scope"] != "customScope" {
		t.Errorf("introspection %d %v", status, body)
	}
	status, body = e.tokenPost(oauth.IntrospectPath, c.ID, secret, url.Values{"token": {tok[:len(tok)-4] + "AAAA"}})
	if status != 200 || body["active"] != false {
		t.Errorf("introspection of a tampered token %d %v", status, body)
	}
	// Revoked, it is inactive at once.
	status, _ = e.tokenPost(oauth.RevokePath, c.ID, secret, url.Values{"token": {tok}})
	if status != 200 {
		t.Errorf("revocation: %d", status)
	}
	_, body = e.tokenPost(oauth.IntrospectPath, c.ID, secret, url.Values{"token": {tok}})
	if body["active"] != false {
		t.Errorf("introspection after revocation: %v", body)
	}
}

// browser signs in on the hosted pages and follows the provider's
// redirects, as a person with a browser would, without running scripts.
type browser struct {
	t   *testing.T
	e   *env
	hc  *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, e: e, jar: jar, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) get(u string) *http.Response {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.http.URL + u
	}
	resp, err := b.hc.Get(u)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

func (b *browser) post(u string, form url.Values) *http.Response {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.e.http.URL + u
	}
	resp, err := b.hc.PostForm(u, form)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp
}

func body(r *http.Response) string {
	defer r.Body.Close()
	b, _ := io.ReadAll(r.Body)
	return string(b)
}

var refreshURL = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)

// authorize runs an authorization request until it comes back to the
// redirect URI: it signs in when the sign-in page is shown and answers the
// consent page with consent. It returns the redirect's query.
func (b *browser) authorize(authURL, login, password, consent string) url.Values {
	b.t.Helper()
	u := authURL
	for range 12 {
		resp := b.get(u)
		switch {
		case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther:
			loc, _ := resp.Location()
			resp.Body.Close()
			if strings.HasPrefix(loc.Path, "/signin") {
				next := loc.Query().Get("next")
				r := b.post("/signin", url.Values{"login": {login}, "password": {password}, "next": {next}})
				if r.StatusCode != http.StatusSeeOther {
					b.t.Fatalf("sign-in: %d %s", r.StatusCode, body(r))
				}
				l, _ := r.Location()
				r.Body.Close()
				u = l.String()
				if !l.IsAbs() {
					u = b.e.http.URL + l.String()
				}
				continue
			}
			if !strings.HasPrefix(loc.String(), b.e.http.URL) && loc.IsAbs() {
				return loc.Query()
			}
			u = loc.String()
			if !loc.IsAbs() {
				u = b.e.http.URL + loc.String()
			}
		case resp.StatusCode == http.StatusOK:
			page := body(resp)
			if m := refreshURL.FindStringSubmatch(page); m != nil {
				u = strings.ReplaceAll(m[1], "&amp;", "&")
				if !strings.HasPrefix(u, b.e.http.URL) {
					l, _ := url.Parse(u)
					return l.Query()
				}
				continue
			}
			if strings.Contains(page, `name="decision"`) {
				if consent == "" {
					b.t.Fatalf("consent page shown unexpectedly")
				}
				id := regexp.MustCompile(`name="id" value="([^"]+)"`).FindStringSubmatch(page)[1]
				r := b.post(oauth.ContinuePath, url.Values{"id": {id}, "decision": {consent}})
				loc, _ := r.Location()
				r.Body.Close()
				if loc == nil {
					b.t.Fatalf("consent answer %d", r.StatusCode)
				}
				return loc.Query()
			}
			b.t.Fatalf("unexpected page at %s: %.300s", u, page)
		default:
			b.t.Fatalf("GET %s: %d %.300s", u, resp.StatusCode, body(resp))
		}
	}
	b.t.Fatalf("authorization did not come back")
	return nil
}

func pkce() (verifier, challenge string) {
	verifier = oauth2.GenerateVerifier()
	h := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(h[:])
}

// codeClient makes a third-party web client and its x/oauth2 config.
func codeClient(t *testing.T, e *env, in oauth.ClientInput) (*userdb.OAuthClient, *oauth2.Config, *oidc.Provider) {
	t.Helper()
	if in.Name == nil {
		in.Name = ptr("Web app")
	}
	if in.RedirectURIs == nil {
		in.RedirectURIs = strs("https://app.example.com/callback")
	}
	c, secret := e.addClient(in)
	p, err := oidc.NewProvider(t.Context(), e.issuer())
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	return c, &oauth2.Config{ClientID: c.ID, ClientSecret: secret, Endpoint: p.Endpoint(), RedirectURL: c.RedirectURIs[0],
		Scopes: []string{oidc.ScopeOpenID, "profile", "email", oidc.ScopeOfflineAccess}}, p
}

func TestOAuthAuthorizationCodeWithPKCE(t *testing.T) {
	e := oauthEnv(t)
	u := e.addUser("ada@example.com", "correct horse battery", "admin")
	c, cfg, p := codeClient(t, e, oauth.ClientInput{PostLogoutRedirectURIs: strs("https://app.example.com/bye")})
	ctx := t.Context()
	b := e.browser(t)

	verifier, _ := pkce()
	authURL := cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"))
	q := b.authorize(authURL, "ada@example.com", "correct horse battery", "allow")
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("redirect query %v", q)
	}
	code := q.Get("code")

	// A wrong verifier is refused, and uses the code up.
	status, body := e.tokenPost(oauth.TokenPath, c.ID, cfg.ClientSecret, url.Values{"grant_type": {"authorization_code"},
		"code": {code}, "redirect_uri": {cfg.RedirectURL}, "code_verifier": {oauth2.GenerateVerifier()}})
	wantOAuthError(t, "wrong verifier", status, body, 400, "invalid_grant")

	// Again, with everything right this time.
	q = b.authorize(cfg.AuthCodeURL("s2", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n2")), "", "", "")
	code = q.Get("code")
	tok, err := cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: c.ID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Email         string   `json:"email"`
		EmailVerified bool     `json:"email_verified"`
		Nonce         string   `json:"nonce"`
		AMR           []string `json:"amr"`
		AuthTime      int64    `json:"auth_time"`
	}
	idt.Claims(&claims)
	if idt.Subject != u.ID || claims.Email != "ada@example.com" || !claims.EmailVerified || claims.Nonce != "n2" ||
		!slices.Equal(claims.AMR, []string{"pwd"}) || claims.AuthTime == 0 {
		t.Errorf("ID token sub %s claims %+v", idt.Subject, claims)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	// The access token has the user's claims.
	ac, err := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now)).Verify(ctx, tok.AccessToken)
	if err != nil || ac.UserID != u.ID || ac.Account != userdb.DefaultAccountID || !slices.Contains(ac.Roles, "admin") || ac.ClientID != c.ID {
		t.Errorf("access token claims %+v (%v)", ac, err)
	}
	info, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil || info.Subject != u.ID || info.Email != "ada@example.com" || !info.EmailVerified {
		t.Errorf("userinfo %+v (%v)", info, err)
	}

	// The code is single-use: the second exchange fails and revokes what
	// the first issued.
	_, err = cfg.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if !isOAuthError(err, "invalid_grant") {
		t.Errorf("reused code: %v", err)
	}
	status, body = e.tokenPost(oauth.IntrospectPath, c.ID, cfg.ClientSecret, url.Values{"token": {tok.AccessToken}})
	if body["active"] != false {
		t.Errorf("access token of a reused code still active: %d %v", status, body)
	}
	status, body = e.tokenPost(oauth.TokenPath, c.ID, cfg.ClientSecret, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok.RefreshToken}})
	wantOAuthError(t, "refresh token of a reused code", status, body, 400, "invalid_grant")

	// Missing verifier, a redirect URI one character off.
	q = b.authorize(cfg.AuthCodeURL("s3", oauth2.S256ChallengeOption(verifier)), "", "", "")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, cfg.ClientSecret, url.Values{"grant_type": {"authorization_code"},
		"code": {q.Get("code")}, "redirect_uri": {cfg.RedirectURL}})
	wantOAuthError(t, "missing verifier", status, body, 400, "invalid_request")
	q = b.authorize(cfg.AuthCodeURL("s4", oauth2.S256ChallengeOption(verifier)), "", "", "")
	status, body = e.tokenPost(oauth.TokenPath, c.ID, cfg.ClientSecret, url.Values{"grant_type": {"authorization_code"},
		"code": {q.Get("code")}, "redirect_uri": {cfg.RedirectURL + "x"}, "code_verifier": {verifier}})
	wantOAuthError(t, "redirect_uri off by one character", status, body, 400, "invalid_grant")

	// At the authorization endpoint, a redirect URI that is not registered
	// is never redirected to.
	bad := strings.Replace(cfg.AuthCodeURL("s5", oauth2.S256ChallengeOption(verifier)), url.QueryEscape(cfg.RedirectURL), url.QueryEscape(cfg.RedirectURL+"/"), 1)
	resp := b.get(bad)
	if loc := resp.Header.Get("Location"); resp.StatusCode == http.StatusFound && strings.HasPrefix(loc, "https://app.example.com") {
		t.Errorf("redirected to an unregistered URI: %s", loc)
	}
	resp.Body.Close()
	// An unknown scope goes back as invalid_scope.
	resp = b.get(strings.Replace(cfg.AuthCodeURL("s6", oauth2.S256ChallengeOption(verifier)), "scope=", "scope=nonsense+", 1))
	loc, _ := resp.Location()
	resp.Body.Close()
	if loc == nil || loc.Query().Get("error") != "invalid_scope" || loc.Query().Get("state") != "s6" {
		t.Errorf("unknown scope at authorize: %d %v", resp.StatusCode, loc)
	}

	// End-session logout ends the userdb session and returns only to a
	// registered URI.
	resp = b.get(oauth.LogoutPath + "?client_id=" + c.ID + "&post_logout_redirect_uri=" + url.QueryEscape("https://evil.example/"))
	if loc := resp.Header.Get("Location"); strings.HasPrefix(loc, "https://evil.example") {
		t.Errorf("logout redirected to an unregistered URI")
	}
	resp.Body.Close()
	// Without an ID token a logout ends nothing (any page could link here).
	resp = b.get(oauth.LogoutPath + "?client_id=" + c.ID)
	resp.Body.Close()
	if r := b.get("/profile"); r.StatusCode != http.StatusOK {
		t.Errorf("a logout without id_token_hint signed the browser out: %d", r.StatusCode)
	}
	resp = b.get(oauth.LogoutPath + "?id_token_hint=" + rawID + "&post_logout_redirect_uri=" + url.QueryEscape("https://app.example.com/bye") + "&state=x")
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "https://app.example.com/bye") {
		t.Errorf("logout: %d to %q", resp.StatusCode, loc)
	}
	resp.Body.Close()
	if r := b.get("/me"); r.StatusCode != http.StatusUnauthorized && r.StatusCode != http.StatusFound {
		t.Errorf("still signed in after logout: %d", r.StatusCode)
	}
}

func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	if err == nil {
		return false
	}
	if ok := asRetrieve(err, &re); ok {
		return re.ErrorCode == code
	}
	return false
}

func asRetrieve(err error, re **oauth2.RetrieveError) bool {
	r, ok := err.(*oauth2.RetrieveError)
	if ok {
		*re = r
	}
	return ok
}

func ptr[T any](v T) *T { return &v }
