package connector_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/connector"
)

// fakeOP is an OpenID provider whose token endpoint answers what the test
// says: ID tokens with any claims, signed by its key or another, or errors.
// It stands in for a provider that misbehaves, which the real one in e2e/
// never does.
type fakeOP struct {
	srv       *httptest.Server
	key, evil *rsa.PrivateKey

	mu    sync.Mutex
	token func(w http.ResponseWriter, r *http.Request)
}

func newFakeOP(t *testing.T) *fakeOP {
	t.Helper()
	o := &fakeOP{key: mustKey(t), evil: mustKey(t)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer": o.srv.URL, "authorization_endpoint": o.srv.URL + "/auth", "token_endpoint": o.srv.URL + "/token",
			"jwks_uri": o.srv.URL + "/jwks", "id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &o.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		h := o.token
		o.mu.Unlock()
		h(w, r)
	})
	o.srv = httptest.NewServer(mux)
	t.Cleanup(o.srv.Close)
	return o
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// idToken signs claims with key under the provider's key id.
func idToken(t *testing.T, key *rsa.PrivateKey, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (o *fakeOP) answer(h func(w http.ResponseWriter, r *http.Request)) {
	o.mu.Lock()
	o.token = h
	o.mu.Unlock()
}

// testTimeout bounds requests to the fake providers where the timeout is
// not what a test is about: generous, so that a loaded machine cannot make
// a loopback request look like an unreachable provider.
const testTimeout = 30 * time.Second

func tokenJSON(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(body)
}

func TestOIDCVerifiesIDTokens(t *testing.T) {
	o := newFakeOP(t)
	c := &userdb.Connector{ID: "acme", Type: userdb.ConnectorOIDC, Name: "Acme", Status: userdb.StatusEnabled,
		AccountID: userdb.DefaultAccountID, ClientID: "client-1",
		Settings: userdb.ConnectorSettings{Issuer: o.srv.URL, Claims: userdb.ClaimMap{Attributes: map[string]string{"team": "org.team"}}}}
	conn, err := connector.Open(c, "secret", connector.Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	a := connector.Auth{RedirectURL: "https://userdb.example/upstream/acme/callback", State: "st", Nonce: "nonce-1", Verifier: strings.Repeat("v", 43)}
	ctx := context.Background()
	u, err := conn.AuthCodeURL(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"nonce=nonce-1", "code_challenge_method=S256", "state=st", "client_id=client-1", "scope=openid"} {
		if !strings.Contains(u, want) {
			t.Errorf("authorization URL %s lacks %s", u, want)
		}
	}

	good := func() map[string]any {
		return map[string]any{"iss": o.srv.URL, "aud": "client-1", "sub": "248289761001", "nonce": "nonce-1",
			"exp": time.Now().Add(time.Minute).Unix(), "iat": time.Now().Unix(),
			"email": "jane@acme.test", "email_verified": true, "groups": []string{"staff"}, "org": map[string]any{"team": "blue"}}
	}
	withToken := func(key *rsa.PrivateKey, change func(map[string]any)) func(http.ResponseWriter, *http.Request) {
		return func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil || r.PostForm.Get("code_verifier") != a.Verifier {
				tokenJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": "PKCE verification failed"})
				return
			}
			claims := good()
			change(claims)
			tokenJSON(w, 200, map[string]any{"access_token": "at", "token_type": "Bearer", "id_token": idToken(t, key, claims)})
		}
	}
	keep := func(map[string]any) {}

	o.answer(withToken(o.key, keep))
	id, err := conn.Exchange(ctx, a, "code")
	if err != nil {
		t.Fatalf("a good token: %v", err)
	}
	if id.Issuer != o.srv.URL || id.Subject != "248289761001" || id.Email != "jane@acme.test" || !id.EmailVerified ||
		len(id.Groups) != 1 || id.Attributes["team"] != "blue" {
		t.Errorf("identity = %+v", id)
	}

	for _, tc := range []struct {
		name  string
		token func(http.ResponseWriter, *http.Request)
		want  connector.Kind
	}{
		{"wrong audience", withToken(o.key, func(c map[string]any) { c["aud"] = "someone-else" }), connector.BadToken},
		{"wrong nonce", withToken(o.key, func(c map[string]any) { c["nonce"] = "replayed" }), connector.BadToken},
		{"no nonce", withToken(o.key, func(c map[string]any) { delete(c, "nonce") }), connector.BadToken},
		{"wrong issuer", withToken(o.key, func(c map[string]any) { c["iss"] = "https://evil.example" }), connector.BadToken},
		{"expired", withToken(o.key, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }), connector.BadToken},
		{"signed by another key", withToken(o.evil, keep), connector.BadToken},
		{"no subject", withToken(o.key, func(c map[string]any) { delete(c, "sub") }), connector.BadToken},
		{"no id token", func(w http.ResponseWriter, r *http.Request) {
			tokenJSON(w, 200, map[string]any{"access_token": "at", "token_type": "Bearer"})
		}, connector.BadToken},
		{"wrong client secret", func(w http.ResponseWriter, r *http.Request) {
			tokenJSON(w, 401, map[string]any{"error": "invalid_client", "error_description": "client authentication failed"})
		}, connector.Misconfigured},
		{"code used or expired", func(w http.ResponseWriter, r *http.Request) {
			tokenJSON(w, 400, map[string]any{"error": "invalid_grant", "error_description": "grant request is invalid"})
		}, connector.Refused},
		{"provider failing", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}, connector.Unreachable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o.answer(tc.token)
			id, err := conn.Exchange(ctx, a, "code")
			if got := connector.KindOf(err); got != tc.want {
				t.Fatalf("Exchange = %+v, %v (kind %v), want kind %v", id, err, got, tc.want)
			}
		})
	}
}

// TestOIDCTimeout: a provider that accepts and never answers costs the
// timeout, then an Unreachable error.
func TestOIDCTimeout(t *testing.T) {
	o := newFakeOP(t)
	c := &userdb.Connector{ID: "slow", Type: userdb.ConnectorOIDC, ClientID: "c", Settings: userdb.ConnectorSettings{Issuer: o.srv.URL}}
	conn, err := connector.Open(c, "s", connector.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	a := connector.Auth{Nonce: "n", Verifier: strings.Repeat("v", 43)}
	if _, err := conn.AuthCodeURL(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	o.answer(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm() // a read body lets the server see the client hang up
		<-r.Context().Done()
	})
	if _, err := conn.Exchange(context.Background(), a, "code"); connector.KindOf(err) != connector.Unreachable {
		t.Fatalf("Exchange with a hanging provider: %v", err)
	}
}

// TestOIDCDiscoveryOfAnotherIssuer: metadata that names another issuer is
// refused (OpenID Connect Discovery 4.3).
func TestOIDCDiscoveryOfAnotherIssuer(t *testing.T) {
	o := newFakeOP(t)
	c := &userdb.Connector{ID: "x", Type: userdb.ConnectorOIDC, ClientID: "c", Settings: userdb.ConnectorSettings{Issuer: o.srv.URL + "/tenant"}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"issuer": o.srv.URL, "authorization_endpoint": "x", "token_endpoint": "y", "jwks_uri": "z"})
	})
	other := httptest.NewServer(mux)
	t.Cleanup(other.Close)
	c.Settings.Issuer = other.URL
	conn, _ := connector.Open(c, "s", connector.Options{Timeout: testTimeout})
	if _, err := conn.AuthCodeURL(context.Background(), connector.Auth{}); connector.KindOf(err) != connector.Misconfigured {
		t.Fatalf("discovery naming another issuer: %v", err)
	}
}

// TestGitHubPrimaryEmail: GitHub's verified flag comes from its emails
// API, for the primary address only.
func TestGitHubPrimaryEmail(t *testing.T) {
	verified := true
	mux := http.NewServeMux()
	mux.HandleFunc("POST /login/oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		tokenJSON(w, 200, map[string]any{"access_token": "gho_x", "token_type": "bearer"})
	})
	mux.HandleFunc("GET /api/user", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer gho_x" {
			http.Error(w, "no", 401)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": 583231, "login": "octocat", "name": "The Octocat", "email": "public@example.com"})
	})
	mux.HandleFunc("GET /api/user/emails", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode([]map[string]any{
			{"email": "public@example.com", "primary": false, "verified": true},
			{"email": "octo@example.com", "primary": true, "verified": verified},
		})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	// A GitHub Enterprise server: the preset's paths on another host.
	c := &userdb.Connector{ID: "ghe", Type: userdb.ConnectorGitHub, ClientID: "c", Settings: userdb.ConnectorSettings{
		Issuer: srv.URL, AuthURL: srv.URL + "/login/oauth/authorize", TokenURL: srv.URL + "/login/oauth/access_token",
		UserInfoURL: srv.URL + "/api/user"}}
	conn, err := connector.Open(c, "s", connector.Options{Timeout: testTimeout})
	if err != nil {
		t.Fatal(err)
	}
	id, err := conn.Exchange(context.Background(), connector.Auth{Verifier: strings.Repeat("v", 43)}, "code")
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject != "583231" || id.Username != "octocat" || id.Email != "octo@example.com" || !id.EmailVerified || id.Issuer != srv.URL {
		t.Errorf("identity = %+v", id)
	}
	verified = false
	id, err = conn.Exchange(context.Background(), connector.Auth{Verifier: strings.Repeat("v", 43)}, "code")
	if err != nil || id.EmailVerified {
		t.Errorf("unverified primary address: %+v, %v", id, err)
	}
}

func TestPresets(t *testing.T) {
	s := connector.WithPreset(userdb.ConnectorGitHub, userdb.ConnectorSettings{Scopes: []string{"read:user"}})
	if s.AuthURL != "https://github.com/login/oauth/authorize" || s.Claims.Subject != "id" || len(s.Scopes) != 1 {
		t.Errorf("GitHub preset = %+v", s)
	}
	s = connector.WithPreset(userdb.ConnectorGoogle, userdb.ConnectorSettings{})
	if s.Issuer != "https://accounts.google.com" || len(s.Scopes) != 3 {
		t.Errorf("Google preset = %+v", s)
	}
	if _, err := connector.Open(&userdb.Connector{ID: "m", Type: userdb.ConnectorMicrosoft, ClientID: "c"}, "", connector.Options{}); err == nil {
		t.Error("a Microsoft connector without its tenant's issuer opened")
	}
}
