package server_test

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/server"
)

// TestOAuthConnectionToAnotherUserdb signs a user in to an application of
// one userdb (B) through another userdb (A) as its upstream OpenID Connect
// provider, and goes there straight from the application's authorization
// request with Auth0's connection= (Okta's idp= is the same): B's
// authorization endpoint sends the browser to A, A signs the user in on
// its own page, B creates the user (just in time, amr fed) and the
// application gets a code and an ID token of B for that user. Both are
// real servers on loopback: A's provider is userdb's own.
func TestOAuthConnectionToAnotherUserdb(t *testing.T) {
	a := oauthEnv(t, func(c *server.Config) { c.Sessions.CookieName = "upstream_userdb" })
	a.addUser("grace@corp.test", "correct horse battery")
	b := oauthEnv(t, func(c *server.Config) {
		// A knows B as a first-party web client whose redirect is B's
		// connector callback.
		ac, secret := a.addClient(oauth.ClientInput{Name: ptr("userdb B"), FirstParty: ptr(true),
			RedirectURIs: strs(c.Server.BaseURL + "/upstream/corp/callback")})
		c.Upstream.Connectors = []config.ConnectorConfig{{ID: "corp", Type: "oidc", Name: "Corp", ClientID: ac.ID,
			ClientSecret: secret, Issuer: a.issuer(), Scopes: []string{"openid", "email", "profile"}, CreateUsers: true}}
	})
	_, cfg, p := codeClient(t, b, oauth.ClientInput{FirstParty: ptr(true)})

	// The application's authorization request at B names the connection.
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("connection", "corp"))
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var visited []string
	u := authURL
	var q url.Values
	for range 20 {
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		page := body(resp)
		cur, _ := url.Parse(u)
		visited = append(visited, cur.Host+cur.Path)
		var next *url.URL
		switch {
		case resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther:
			next, _ = cur.Parse(resp.Header.Get("Location"))
		case resp.StatusCode == http.StatusOK && refreshURL.MatchString(page):
			next, _ = cur.Parse(strings.ReplaceAll(refreshURL.FindStringSubmatch(page)[1], "&amp;", "&"))
		default:
			t.Fatalf("GET %s: %d %.400s (visited %v)", u, resp.StatusCode, page, visited)
		}
		if next.Path == "/signin" && strings.HasPrefix(next.String(), a.http.URL) {
			// A's own sign-in page: the user signs in there.
			r, err := hc.PostForm(a.http.URL+"/signin", url.Values{"login": {"grace@corp.test"},
				"password": {"correct horse battery"}, "next": {next.Query().Get("next")}})
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusSeeOther {
				t.Fatalf("sign-in at A: %d", r.StatusCode)
			}
			next, _ = next.Parse(r.Header.Get("Location"))
		}
		if strings.HasPrefix(next.String(), cfg.RedirectURL) {
			q = next.Query()
			break
		}
		u = next.String()
	}
	if q.Get("code") == "" {
		t.Fatalf("no code back at the application: %v (visited %v)", q, visited)
	}
	if strings.Contains(strings.Join(visited, " "), strings.TrimPrefix(b.http.URL, "http://")+"/signin") {
		t.Errorf("B's sign-in page was shown although the request named a connection: %v", visited)
	}
	if !strings.Contains(strings.Join(visited, " "), strings.TrimPrefix(a.http.URL, "http://")+oauth.AuthorizePath) {
		t.Errorf("the browser never went to A's authorization endpoint: %v", visited)
	}

	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: cfg.ClientID}).Verify(t.Context(), raw)
	if err != nil {
		t.Fatalf("B's ID token: %v", err)
	}
	var claims struct {
		Email string   `json:"email"`
		AMR   []string `json:"amr"`
	}
	idt.Claims(&claims)
	bUser, err := b.srv.Users().FindByEmail(ctxCLI(), "grace@corp.test")
	if err != nil {
		t.Fatalf("B has no user for grace@corp.test: %v", err)
	}
	aUser, err := a.srv.Users().FindByEmail(ctxCLI(), "grace@corp.test")
	if err != nil {
		t.Fatal(err)
	}
	if idt.Subject != bUser.ID || claims.Email != "grace@corp.test" {
		t.Errorf("ID token for %s %q, want B's user %s", idt.Subject, claims.Email, bUser.ID)
	}
	if bUser.ID == aUser.ID || bUser.AccountID != userdb.DefaultAccountID {
		t.Errorf("B's user %s in %s, want a user of B's own (A's is %s) in the default account", bUser.ID, bUser.AccountID, aUser.ID)
	}
	if len(claims.AMR) != 1 || claims.AMR[0] != "fed" {
		t.Errorf("amr = %v, want [fed]", claims.AMR)
	}

	// connection= naming no connector: a clear page at B, no code (a new
	// browser: one signed in at B would not be asked to sign in at all).
	jar, _ = cookiejar.New(nil)
	hc = &http.Client{Jar: jar, CheckRedirect: hc.CheckRedirect}
	resp, err := hc.Get(cfg.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("connection", "nope")))
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			break
		}
		loc, _ := resp.Request.URL.Parse(resp.Header.Get("Location"))
		resp.Body.Close()
		if strings.HasPrefix(loc.String(), cfg.RedirectURL) {
			t.Fatalf("an unknown connection came back to the application: %s", loc)
		}
		if resp, err = hc.Get(loc.String()); err != nil {
			t.Fatal(err)
		}
	}
	if page := body(resp); resp.StatusCode < 400 || resp.StatusCode >= 500 {
		t.Errorf("unknown connection: %d %.300s", resp.StatusCode, page)
	}
}
