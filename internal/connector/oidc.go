package connector

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/userdb/userdb"
)

// oidcConnector is an OpenID Connect provider found by discovery.
type oidcConnector struct {
	c        *userdb.Connector
	secret   string
	client   *http.Client
	formPost bool

	mu       sync.Mutex
	provider *oidc.Provider // discovered once, then kept with its key set
}

func newOIDC(c *userdb.Connector, secret string, client *http.Client) (Connector, error) {
	if c.Settings.Issuer == "" {
		return nil, errors.New("connector: an OpenID Connect connector needs an issuer")
	}
	return &oidcConnector{c: c, secret: secret, client: client, formPost: presets[c.Type].formPost}, nil
}

// discover reads the provider's metadata once; a failure is tried again at
// the next sign-in. go-oidc checks that the metadata names the configured
// issuer, and keeps the HTTP client (not the context's deadline) for
// fetching keys later.
func (o *oidcConnector) discover(ctx context.Context) (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, o.client), o.c.Settings.Issuer)
	if err != nil {
		if unreachable(err) {
			return nil, fail(Unreachable, "", err)
		}
		return nil, fail(Misconfigured, "discovery", err)
	}
	o.provider = p
	return p, nil
}

// Check runs discovery.
func (o *oidcConnector) Check(ctx context.Context) error {
	_, err := o.discover(ctx)
	return err
}

func (o *oidcConnector) config(p *oidc.Provider, a Auth) *oauth2.Config {
	scopes := o.c.Settings.Scopes
	if !contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	return &oauth2.Config{ClientID: o.c.ClientID, ClientSecret: o.secret, Endpoint: p.Endpoint(),
		RedirectURL: a.RedirectURL, Scopes: scopes}
}

func (o *oidcConnector) AuthCodeURL(ctx context.Context, a Auth) (string, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return "", err
	}
	opts := []oauth2.AuthCodeOption{oidc.Nonce(a.Nonce), oauth2.S256ChallengeOption(a.Verifier)}
	if a.LoginHint != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", a.LoginHint))
	}
	if o.formPost {
		opts = append(opts, oauth2.SetAuthURLParam("response_mode", "form_post"))
	}
	return o.config(p, a).AuthCodeURL(a.State, opts...), nil
}

func (o *oidcConnector) Exchange(ctx context.Context, a Auth, code string) (*Identity, error) {
	p, err := o.discover(ctx)
	if err != nil {
		return nil, err
	}
	ctx = oidc.ClientContext(ctx, o.client)
	tok, err := o.config(p, a).Exchange(ctx, code, oauth2.VerifierOption(a.Verifier))
	if err != nil {
		return nil, tokenError(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, fail(BadToken, "", errors.New("the token response has no id_token"))
	}
	// Verify checks the signature against the provider's keys, the issuer,
	// the audience (our client id) and the expiry (OpenID Connect Core
	// 3.1.3.7); the nonce ties the token to this browser's sign-in.
	idt, err := p.Verifier(&oidc.Config{ClientID: o.c.ClientID}).Verify(ctx, raw)
	if err != nil {
		if unreachable(err) {
			return nil, fail(Unreachable, "", err)
		}
		return nil, fail(BadToken, "", err)
	}
	if idt.Nonce != a.Nonce {
		return nil, fail(BadToken, "", errors.New("the ID token's nonce is not this sign-in's"))
	}
	claims := map[string]any{}
	if p.UserInfoEndpoint() != "" {
		// Many providers (oidc-provider by default) put the profile in the
		// userinfo answer only; the ID token's claims win where both speak.
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			if unreachable(err) {
				return nil, fail(Unreachable, "", err)
			}
			return nil, fail(BadToken, "userinfo", err)
		}
		if ui.Subject != idt.Subject {
			return nil, fail(BadToken, "", errors.New("userinfo names another subject than the ID token"))
		}
		if err := ui.Claims(&claims); err != nil {
			return nil, fail(BadToken, "userinfo", err)
		}
	}
	var idClaims map[string]any
	if err := idt.Claims(&idClaims); err != nil {
		return nil, fail(BadToken, "", err)
	}
	for k, v := range idClaims {
		claims[k] = v
	}
	id, err := mapClaims(claims, o.c.Settings.Claims)
	if err != nil {
		return nil, err
	}
	id.Issuer = idt.Issuer
	if presets[o.c.Type].emailsVerified {
		id.EmailVerified = id.Email != ""
	}
	if o.c.Settings.KeepTokens {
		id.Tokens = tokenJSON(tok, raw)
	}
	return id, nil
}

// tokenError classifies a failed code exchange (RFC 6749 section 5.2).
func tokenError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		upstream := re.ErrorCode
		if re.ErrorDescription != "" {
			upstream += ": " + re.ErrorDescription
		}
		switch {
		case re.ErrorCode == "invalid_client" || re.ErrorCode == "unauthorized_client" ||
			(re.ErrorCode == "" && re.Response != nil && re.Response.StatusCode == http.StatusUnauthorized):
			return fail(Misconfigured, upstream, err)
		case re.Response != nil && re.Response.StatusCode >= 500:
			return fail(Unreachable, upstream, err)
		}
		return fail(Refused, upstream, err)
	}
	if unreachable(err) {
		return fail(Unreachable, "", err)
	}
	return fail(BadToken, "", err)
}

// unreachable reports whether err is a failure to talk to the provider at
// all: no connection, a timeout, or a 5xx answer.
func unreachable(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{": 500 ", ": 502 ", ": 503 ", ": 504 "} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// tokenJSON is what a connector that keeps tokens keeps.
func tokenJSON(tok *oauth2.Token, idToken string) []byte {
	// Strings and a time: encoding cannot fail.
	b, _ := json.Marshal(map[string]any{
		"access_token": tok.AccessToken, "refresh_token": tok.RefreshToken, "token_type": tok.TokenType,
		"expiry": tok.Expiry, "id_token": idToken,
	})
	return b
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
