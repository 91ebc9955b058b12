package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/userdb/userdb"
)

// server is the op package's legacy server with the parts userdb does
// itself: client authentication (every method, refused clients recorded),
// scope checks (invalid_scope rather than dropping scopes), and the
// grants, whose access tokens carry Okta's claims and are signed with a
// signer made once per key.
type server struct {
	*op.LegacyServer
	p *Provider
}

// unauthorized is invalid_client with status 401 (RFC 6749 section 5.2).
func unauthorized(desc string) error {
	return op.NewStatusError(oidc.ErrInvalidClient().WithDescription("%s", desc), http.StatusUnauthorized)
}

// clientOf returns the userdb client behind an op client.
func clientOf(c op.Client) *userdb.OAuthClient { return c.(*opClient).c }

// VerifyClient authenticates the client of a token, revocation or device
// request by the method registered for it, and nothing else.
func (s *server) VerifyClient(ctx context.Context, r *op.Request[op.ClientCredentials]) (op.Client, error) {
	p := s.p
	cc := r.Data
	if cc.ClientAssertion != "" {
		if cc.ClientAssertionType != oidc.ClientAssertionTypeJWTAssertion {
			return nil, oidc.ErrInvalidRequest().WithDescription("unsupported client_assertion_type")
		}
		c, err := p.assertionClient(ctx, cc.ClientAssertion)
		if err != nil {
			p.refuse(ctx, r, "", "bad client assertion")
			return nil, unauthorized("the client assertion is invalid")
		}
		return &opClient{c: c, p: p}, nil
	}
	c, err := p.clients.get(ctx, cc.ClientID)
	if err != nil {
		if !userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		p.refuse(ctx, r, cc.ClientID, "unknown client")
		return nil, unauthorized("client authentication failed")
	}
	_, _, basic := basicAuth(r.Header)
	switch c.AuthMethod {
	case userdb.AuthNone:
		if cc.ClientSecret != "" {
			p.refuse(ctx, r, c.ID, "secret sent by a public client")
			return nil, unauthorized("a public client has no secret")
		}
	case userdb.AuthPrivateKeyJWT:
		p.refuse(ctx, r, c.ID, "secret instead of assertion")
		return nil, unauthorized("the client authenticates with private_key_jwt")
	case userdb.AuthSecretBasic, userdb.AuthSecretPost:
		if (c.AuthMethod == userdb.AuthSecretBasic) != basic && cc.ClientSecret != "" {
			p.refuse(ctx, r, c.ID, "wrong authentication method")
			return nil, unauthorized("the client must authenticate with " + c.AuthMethod)
		}
		if !checkSecret(c, cc.ClientSecret) {
			p.refuse(ctx, r, c.ID, "wrong secret")
			return nil, unauthorized("client authentication failed")
		}
	}
	return &opClient{c: c, p: p}, nil
}

// assertionClient authenticates a private_key_jwt client by its assertion
// (RFC 7523 section 3): signed by a key registered with the client, issued
// and subject the client, for this issuer or its token endpoint (Okta's
// libraries name the token endpoint), unexpired and not issued in the
// future.
func (p *Provider) assertionClient(ctx context.Context, assertion string) (*userdb.OAuthClient, error) {
	var last error
	for _, aud := range []string{p.issuer, p.issuer + strings.TrimPrefix(TokenPath, IssuerPath)} {
		v := op.NewJWTProfileVerifier(&storage{p: p}, aud, time.Hour, 5*time.Second)
		req, err := op.VerifyJWTAssertion(ctx, assertion, v)
		if err != nil {
			last = err
			continue
		}
		c, err := p.clients.get(ctx, req.Issuer)
		if err != nil || c.AuthMethod != userdb.AuthPrivateKeyJWT {
			return nil, errors.New("oauth: not a private_key_jwt client")
		}
		return c, nil
	}
	return nil, last
}

func basicAuth(h http.Header) (string, string, bool) {
	r := http.Request{Header: h}
	return r.BasicAuth()
}

// refuse records a refused client.
func (p *Provider) refuse(ctx context.Context, r *op.Request[op.ClientCredentials], clientID, reason string) {
	p.record(ctx, &userdb.Event{Type: "oauth.client_refused",
		Details: map[string]any{"client_id": truncate(clientID, 100), "reason": reason, "grant_type": truncate(r.Form.Get("grant_type"), 100)}})
}

// VerifyAuthRequest checks the client, the redirect URI (exact match) and
// the scopes of an authorization request. A scope error is kept for
// Authorize, which answers it at the (checked) redirect URI.
func (s *server) VerifyAuthRequest(ctx context.Context, r *op.Request[oidc.AuthRequest]) (*op.ClientRequest[oidc.AuthRequest], error) {
	cr, err := s.LegacyServer.VerifyAuthRequest(ctx, r)
	if err != nil {
		return nil, err
	}
	oc := cr.Client.(*opClient)
	if !oc.c.HasGrant(userdb.GrantAuthorizationCode) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not use the authorization code grant")
	}
	scopes, err := s.p.checkScopes(oc.c, r.Data.Scopes)
	if err != nil {
		oc.scopeErr = err
		r.Data.Scopes = []string{userdb.ScopeOpenID} // passes the op package's own check; never used
	} else {
		r.Data.Scopes = scopes
	}
	return cr, nil
}

// Authorize refuses what the op package lets through: a scope error, a
// public client without PKCE, a code challenge method other than S256,
// a response type other than code.
func (s *server) Authorize(ctx context.Context, r *op.ClientRequest[oidc.AuthRequest]) (*op.Redirect, error) {
	oc := r.Client.(*opClient)
	fail := func(err error) (*op.Redirect, error) {
		return op.TryErrorRedirect(ctx, r.Data, err, s.p.op.Encoder(), nil)
	}
	if oc.scopeErr != nil {
		return fail(oc.scopeErr)
	}
	if r.Data.ResponseType != oidc.ResponseTypeCode {
		return fail(&oidc.Error{ErrorType: "unsupported_response_type", Description: "only response_type=code is offered"})
	}
	if r.Data.CodeChallenge == "" && oc.c.Type == userdb.ClientPublic {
		return fail(oidc.ErrInvalidRequest().WithDescription("a public client must use PKCE (code_challenge with S256)"))
	}
	if r.Data.CodeChallenge != "" && r.Data.CodeChallengeMethod != oidc.CodeChallengeMethodS256 {
		return fail(oidc.ErrInvalidRequest().WithDescription("code_challenge_method must be S256"))
	}
	return s.LegacyServer.Authorize(ctx, r)
}

// Discovery publishes what this provider offers, no more.
func (s *server) Discovery(ctx context.Context, r *op.Request[struct{}]) (*op.Response, error) {
	resp, err := s.LegacyServer.Discovery(ctx, r)
	if err != nil {
		return nil, err
	}
	d := resp.Data.(*oidc.DiscoveryConfiguration)
	d.GrantTypesSupported = []oidc.GrantType{oidc.GrantTypeCode, oidc.GrantTypeRefreshToken, oidc.GrantTypeClientCredentials, oidc.GrantTypeDeviceCode}
	d.ResponseTypesSupported = []string{string(oidc.ResponseTypeCode)}
	d.ResponseModesSupported = []string{"query"}
	d.CodeChallengeMethodsSupported = []oidc.CodeChallengeMethod{oidc.CodeChallengeMethodS256}
	d.TokenEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodPrivateKeyJWT, oidc.AuthMethodNone}
	d.IntrospectionEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodPrivateKeyJWT}
	d.RevocationEndpointAuthMethodsSupported = []oidc.AuthMethod{oidc.AuthMethodBasic, oidc.AuthMethodPost, oidc.AuthMethodPrivateKeyJWT, oidc.AuthMethodNone}
	d.ClaimsSupported = append(d.ClaimsSupported, "cid", "scp", "uid", "roles", "account")
	return resp, nil
}

// JWTProfile (the jwt-bearer grant) is not offered.
func (s *server) JWTProfile(context.Context, *op.Request[oidc.JWTProfileGrantRequest]) (*op.Response, error) {
	return nil, oidc.ErrUnsupportedGrantType().WithDescription("the jwt-bearer grant is not offered")
}

// TokenExchange is not offered.
func (s *server) TokenExchange(context.Context, *op.ClientRequest[oidc.TokenExchangeRequest]) (*op.Response, error) {
	return nil, oidc.ErrUnsupportedGrantType().WithDescription("token exchange is not offered")
}

// ClientCredentialsExchange issues an access token to the client itself.
func (s *server) ClientCredentialsExchange(ctx context.Context, r *op.ClientRequest[oidc.ClientCredentialsRequest]) (*op.Response, error) {
	c := clientOf(r.Client)
	scopes, err := s.p.checkScopes(c, r.Data.Scope)
	if err != nil {
		s.p.record(ctx, &userdb.Event{Type: "oauth.token_refused", Time: s.p.clock.Now(), AccountID: c.AccountID,
			Details: map[string]any{"client_id": c.ID, "grant_type": userdb.GrantClientCredentials, "reason": "invalid_scope"}})
		return nil, err
	}
	at, err := s.p.mintAccess(ctx, c, nil, scopes, "")
	if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	s.p.record(ctx, &userdb.Event{Type: "oauth.token_issued", Time: s.p.clock.Now(), AccountID: c.AccountID,
		Details: map[string]any{"client_id": c.ID, "grant_type": userdb.GrantClientCredentials, "jti": at.jti, "scope": strings.Join(scopes, " ")}})
	return op.NewResponse(&oidc.AccessTokenResponse{AccessToken: at.token, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(at.ttl.Seconds()), Scope: scopes}), nil
}

// CodeExchange trades an authorization code for tokens, once. A code
// presented again revokes what its first exchange issued (RFC 6749
// section 4.1.2). A wrong verifier or redirect URI uses the code up too.
func (s *server) CodeExchange(ctx context.Context, r *op.ClientRequest[oidc.AccessTokenRequest]) (*op.Response, error) {
	p := s.p
	c := clientOf(r.Client)
	now := p.clock.Now()
	req, err := p.store.ConsumeOAuthCode(ctx, userdb.HashSecret(r.Data.Code), now)
	switch {
	case userdb.IsCode(err, userdb.ECONFLICT):
		p.revokeIssued(ctx, req.FamilyID, req.AccessJTI)
		p.record(ctx, &userdb.Event{Type: "oauth.code_reused", Time: now, UserID: req.UserID,
			Details: map[string]any{"client_id": req.ClientID, "family": req.FamilyID}})
		return nil, oidc.ErrInvalidGrant().WithDescription("the code was used already; what it issued is revoked")
	case userdb.IsCode(err, userdb.ENOTFOUND):
		return nil, oidc.ErrInvalidGrant().WithDescription("the code is invalid or expired")
	case err != nil:
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if req.ClientID != c.ID {
		return nil, oidc.ErrInvalidGrant().WithDescription("the code was issued to another client")
	}
	if r.Data.RedirectURI != req.RedirectURI {
		return nil, oidc.ErrInvalidGrant().WithDescription("redirect_uri does not match the authorization request")
	}
	if req.CodeChallenge != "" || r.Data.CodeVerifier != "" {
		if err := op.AuthorizeCodeChallenge(r.Data.CodeVerifier, authRequest{req}.GetCodeChallenge()); err != nil {
			var oe *oidc.Error
			if errors.As(err, &oe) && oe.ErrorType == oidc.InvalidRequest && r.Data.CodeVerifier != "" && req.CodeChallenge != "" {
				return nil, oidc.ErrInvalidGrant().WithDescription("the code_verifier does not match the code_challenge")
			}
			return nil, err
		}
	}
	u, err := p.activeUser(ctx, req.UserID)
	if err != nil {
		return nil, err
	}
	g := grant{client: c, user: u, scopes: req.Scopes, authTime: req.AuthTime, amr: req.AMR}
	resp, iss, err := p.issue(ctx, g, authRequest{req}, r.Data.Code)
	if err != nil {
		return nil, err
	}
	if err := p.store.SetOAuthCodeGrant(ctx, req.ID, iss.familyID, iss.jti); err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	p.record(ctx, &userdb.Event{Type: "oauth.token_issued", Time: now, UserID: u.ID, AccountID: u.AccountID,
		Details: map[string]any{"client_id": c.ID, "grant_type": userdb.GrantAuthorizationCode, "jti": iss.jti, "scope": strings.Join(req.Scopes, " ")}})
	return op.NewResponse(resp), nil
}

// RefreshToken rotates a refresh token: the token presented is used up
// and a new one of the same family issued. A used token presented again
// revokes the whole family (it was stolen, or the thief's copy was used
// first), unless the same client presents it within the grace window of
// its first use: two tabs refreshing together, or a reply lost on the way.
func (s *server) RefreshToken(ctx context.Context, r *op.ClientRequest[oidc.RefreshTokenRequest]) (*op.Response, error) {
	p := s.p
	c := clientOf(r.Client)
	if !c.HasGrant(userdb.GrantRefreshToken) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not use refresh tokens")
	}
	now := p.clock.Now()
	hash := userdb.HashSecret(r.Data.RefreshToken)
	t, err := p.store.FindOAuthRefreshToken(ctx, hash)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is invalid")
	} else if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if t.ClientID != c.ID {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was issued to another client")
	}
	if t.RevokedAt != nil || !now.Before(t.ExpiresAt) {
		return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token is revoked or expired")
	}
	if err := p.store.UseOAuthRefreshToken(ctx, hash, now); err != nil {
		if !userdb.IsCode(err, userdb.ECONFLICT) {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		// Used before (perhaps this very moment): read when.
		if t, err = p.store.FindOAuthRefreshToken(ctx, hash); err != nil {
			return nil, oidc.ErrServerError().WithParent(err)
		}
		if t.RevokedAt != nil || t.UsedAt == nil || now.Sub(*t.UsedAt) > p.set.RefreshGrace {
			p.revokeIssued(ctx, t.FamilyID, "")
			p.record(ctx, &userdb.Event{Type: "oauth.refresh_reused", Time: now, UserID: t.UserID,
				Details: map[string]any{"client_id": c.ID, "family": t.FamilyID}})
			return nil, oidc.ErrInvalidGrant().WithDescription("the refresh token was used already; its family is revoked")
		}
	}
	scopes := t.Scopes
	if len(r.Data.Scopes) > 0 {
		for _, sc := range r.Data.Scopes {
			if !slices.Contains(t.Scopes, sc) {
				return nil, oidc.ErrInvalidScope().WithDescription("scope %q was not granted", truncate(sc, 100))
			}
		}
		scopes = r.Data.Scopes
	}
	u, err := p.activeUser(ctx, t.UserID)
	if err != nil {
		return nil, err
	}
	g := grant{client: c, user: u, scopes: scopes, familyScopes: t.Scopes, authTime: t.AuthTime, amr: t.AMR, familyID: t.FamilyID}
	resp, iss, err := p.issue(ctx, g, nil, "")
	if err != nil {
		return nil, err
	}
	p.record(ctx, &userdb.Event{Type: "oauth.token_refreshed", Time: now, UserID: u.ID, AccountID: u.AccountID,
		Details: map[string]any{"client_id": c.ID, "family": t.FamilyID, "jti": iss.jti}})
	return op.NewResponse(resp), nil
}

// DeviceToken answers a device's poll (RFC 8628 section 3.4).
func (s *server) DeviceToken(ctx context.Context, r *op.ClientRequest[oidc.DeviceAccessTokenRequest]) (*op.Response, error) {
	p := s.p
	c := clientOf(r.Client)
	now := p.clock.Now()
	hash := userdb.HashSecret(r.Data.DeviceCode)
	d, err := p.store.FindOAuthDeviceCode(ctx, hash)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, oidc.ErrInvalidGrant().WithDescription("unknown device code")
	} else if err != nil {
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if d.ClientID != c.ID {
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code was issued to another client")
	}
	switch d.State {
	case userdb.DeviceDenied:
		return nil, oidc.ErrAccessDenied().WithDescription("the user denied the request")
	case userdb.DeviceUsed:
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code was used already")
	case userdb.DevicePending:
		if !now.Before(d.ExpiresAt) {
			return nil, oidc.ErrExpiredDeviceCode()
		}
		if p.polls.tooSoon(string(hash), now, p.set.DevicePollInterval, d.ExpiresAt) {
			return nil, oidc.ErrSlowDown()
		}
		return nil, oidc.ErrAuthorizationPending()
	}
	if err := p.store.UseOAuthDeviceCode(ctx, hash); err != nil {
		return nil, oidc.ErrInvalidGrant().WithDescription("the device code was used already")
	}
	u, err := p.activeUser(ctx, d.UserID)
	if err != nil {
		return nil, err
	}
	g := grant{client: c, user: u, scopes: d.Scopes, authTime: d.AuthTime, amr: d.AMR}
	resp, iss, err := p.issue(ctx, g, nil, "")
	if err != nil {
		return nil, err
	}
	p.record(ctx, &userdb.Event{Type: "oauth.token_issued", Time: now, UserID: u.ID, AccountID: u.AccountID,
		Details: map[string]any{"client_id": c.ID, "grant_type": userdb.GrantDeviceCode, "jti": iss.jti}})
	return op.NewResponse(resp), nil
}

// DeviceAuthorization checks the scopes a device asks for, then lets the
// op package make the codes.
func (s *server) DeviceAuthorization(ctx context.Context, r *op.ClientRequest[oidc.DeviceAuthorizationRequest]) (*op.Response, error) {
	c := clientOf(r.Client)
	if !c.HasGrant(userdb.GrantDeviceCode) {
		return nil, oidc.ErrUnauthorizedClient().WithDescription("the client may not use the device grant")
	}
	scopes, err := s.p.checkScopes(c, r.Data.Scopes)
	if err != nil {
		return nil, err
	}
	r.Data.Scopes = scopes
	return s.LegacyServer.DeviceAuthorization(ctx, r)
}

// Introspect answers RFC 7662 from the token itself and the revocations in
// memory: a JWT access token costs no database read.
func (s *server) Introspect(ctx context.Context, r *op.Request[op.IntrospectionRequest]) (*op.Response, error) {
	cl, err := s.VerifyClient(ctx, &op.Request[op.ClientCredentials]{Method: r.Method, URL: r.URL, Header: r.Header, Form: r.Form, Data: r.Data.ClientCredentials})
	if err != nil {
		return nil, err
	}
	caller := clientOf(cl)
	inactive := op.NewResponse(&oidc.IntrospectionResponse{})
	at, err := s.p.checkAccess(ctx, r.Data.Token)
	if err != nil {
		return inactive, nil
	}
	// Another account's token is not this client's business.
	owner, err := s.p.clients.get(ctx, at.clientID)
	if err != nil || owner.AccountID != caller.AccountID {
		return inactive, nil
	}
	return op.NewResponse(at.introspection(s.p.issuer)), nil
}

// UserInfo answers the claims of the token's user and scopes.
func (s *server) UserInfo(ctx context.Context, r *op.Request[oidc.UserInfoRequest]) (*op.Response, error) {
	bad := op.NewStatusError(&oidc.Error{ErrorType: "invalid_token", Description: "the access token is invalid, expired or revoked"}, http.StatusUnauthorized)
	at, err := s.p.checkAccess(ctx, r.Data.AccessToken)
	if err != nil || at.userID == "" {
		return nil, bad
	}
	if !slices.Contains(at.scopes, userdb.ScopeOpenID) {
		return nil, op.NewStatusError(&oidc.Error{ErrorType: "insufficient_scope", Description: "userinfo needs the openid scope"}, http.StatusForbidden)
	}
	u, err := s.p.activeUser(ctx, at.userID)
	if err != nil {
		return nil, bad
	}
	return op.NewResponse(s.p.userinfoFor(u, at.scopes)), nil
}

// Revocation revokes a refresh token (with its family) or an access token
// of the calling client (RFC 7009). An unknown token is not an error.
func (s *server) Revocation(ctx context.Context, r *op.ClientRequest[oidc.RevocationRequest]) (*op.Response, error) {
	p := s.p
	c := clientOf(r.Client)
	now := p.clock.Now()
	if r.Data.TokenTypeHint != "access_token" {
		t, err := p.store.FindOAuthRefreshToken(ctx, userdb.HashSecret(r.Data.Token))
		if err == nil {
			if t.ClientID != c.ID {
				return nil, oidc.ErrUnauthorizedClient().WithDescription("the token was issued to another client")
			}
			p.revokeIssued(ctx, t.FamilyID, "")
			p.record(ctx, &userdb.Event{Type: "oauth.token_revoked", Time: now, UserID: t.UserID,
				Details: map[string]any{"client_id": c.ID, "family": t.FamilyID, "kind": "refresh_token"}})
			return op.NewResponse(struct{}{}), nil
		}
	}
	at, err := p.checkAccess(ctx, r.Data.Token)
	if err == nil {
		if at.clientID != c.ID {
			return nil, oidc.ErrUnauthorizedClient().WithDescription("the token was issued to another client")
		}
		p.revokeIssued(ctx, "", at.jti)
		p.record(ctx, &userdb.Event{Type: "oauth.token_revoked", Time: now, UserID: at.userID,
			Details: map[string]any{"client_id": c.ID, "jti": at.jti, "kind": "access_token"}})
	}
	return op.NewResponse(struct{}{}), nil
}
