package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/userdb/userdb/internal/oauth"
)

// TestOAuthAuthorizeWithMFA: a user with an authenticator app goes from
// the authorization endpoint to the hosted sign-in, on to its challenge
// with the way back carried in next=, back to the authorization request,
// and to the client's callback with a code; the ID token's amr says how:
// password, one-time code, two factors.
func TestOAuthAuthorizeWithMFA(t *testing.T) {
	e := oauthEnv(t)
	u := e.addUser("ada@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ada@example.com", "correct horse battery")
	secret, _ := c.enrolTOTP()
	client, cfg, p := codeClient(t, e, oauth.ClientInput{})
	b := e.browser(t)

	verifier, _ := pkce()
	loc := cfg.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n0nce"))
	for range 5 { // the provider's own redirects, to the sign-in page
		resp := b.get(loc)
		resp.Body.Close()
		l, err := resp.Location()
		if err != nil {
			t.Fatalf("GET %s: %d, no redirect", loc, resp.StatusCode)
		}
		if loc = l.String(); !l.IsAbs() {
			loc = e.http.URL + loc
		}
		if l.Path == "/signin" {
			break
		}
	}
	signIn, _ := url.Parse(loc)
	next := signIn.Query().Get("next")
	if signIn.Path != "/signin" || !strings.HasPrefix(next, oauth.ContinuePath+"?id=") {
		t.Fatalf("the authorization request went to %s", loc)
	}

	r := b.post("/signin", url.Values{"login": {"ada@example.com"}, "password": {"correct horse battery"}, "next": {next}})
	r.Body.Close()
	challenge := "/signin/mfa?next=" + url.QueryEscape(next)
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != challenge {
		t.Fatalf("the password: %d to %q, want the challenge %q", r.StatusCode, r.Header.Get("Location"), challenge)
	}
	if page := body(b.get(challenge)); !strings.Contains(page, `autocomplete="one-time-code"`) {
		t.Fatalf("the challenge page:\n%s", page)
	}
	r = b.post("/signin/mfa", url.Values{"code": {e.totpCode(secret, 0)}, "next": {next}})
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != next {
		t.Fatalf("the code: %d to %q, want back to %q", r.StatusCode, r.Header.Get("Location"), next)
	}

	q := b.authorize(e.http.URL+next, "", "", "allow")
	if q.Get("state") != "st4te" || q.Get("code") == "" {
		t.Fatalf("the callback's query: %v", q)
	}
	tok, err := cfg.Exchange(t.Context(), q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("exchange: %v", err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: client.ID}).Verify(t.Context(), rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims struct {
		Nonce    string   `json:"nonce"`
		AMR      []string `json:"amr"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&claims); err != nil {
		t.Fatal(err)
	}
	if idt.Subject != u.ID || claims.Nonce != "n0nce" || !slices.Equal(claims.AMR, []string{"pwd", "otp", "mfa"}) || claims.AuthTime == 0 {
		t.Fatalf("ID token sub %s, claims %+v", idt.Subject, claims)
	}
}
