package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/userdb/userdb"
)

// storage is the op package's view of userdb's store. The grants are
// implemented by server (server.go), which issues the tokens itself; the
// op package uses this for authorization requests, clients, keys, ID-token
// claims, device codes and logout.
type storage struct{ p *Provider }

var (
	_ op.Storage                        = (*storage)(nil)
	_ op.ClientCredentialsStorage       = (*storage)(nil)
	_ op.DeviceAuthorizationStorage     = (*storage)(nil)
	_ op.CanTerminateSessionFromRequest = (*storage)(nil)
)

// errNotHere is returned by the op.Storage methods whose work server.go
// does itself; the op package never calls them on this provider.
var errNotHere = oidc.ErrServerError().WithDescription("handled by the userdb provider")

// authRequest adapts a stored request to op.AuthRequest.
type authRequest struct{ r *userdb.OAuthAuthRequest }

func (a authRequest) GetID() string                      { return a.r.ID }
func (a authRequest) GetACR() string                     { return "" }
func (a authRequest) GetAMR() []string                   { return a.r.AMR }
func (a authRequest) GetAudience() []string              { return []string{a.r.ClientID} }
func (a authRequest) GetAuthTime() time.Time             { return a.r.AuthTime }
func (a authRequest) GetClientID() string                { return a.r.ClientID }
func (a authRequest) GetNonce() string                   { return a.r.Nonce }
func (a authRequest) GetRedirectURI() string             { return a.r.RedirectURI }
func (a authRequest) GetScopes() []string                { return a.r.Scopes }
func (a authRequest) GetState() string                   { return a.r.State }
func (a authRequest) GetSubject() string                 { return a.r.UserID }
func (a authRequest) Done() bool                         { return a.r.UserID != "" }
func (a authRequest) GetResponseType() oidc.ResponseType { return oidc.ResponseTypeCode }
func (a authRequest) GetResponseMode() oidc.ResponseMode {
	return oidc.ResponseMode(a.r.ResponseMode)
}
func (a authRequest) GetCodeChallenge() *oidc.CodeChallenge {
	if a.r.CodeChallenge == "" {
		return nil
	}
	return &oidc.CodeChallenge{Challenge: a.r.CodeChallenge, Method: oidc.CodeChallengeMethod(a.r.CodeChallengeMethod)}
}

// screenHintKey carries Auth0's screen_hint from the authorize request,
// which the op package does not decode.
type screenHintKey struct{}

// connectionKey carries the connector an authorize request names.
type connectionKey struct{}

// connectionParam is the connector an authorize request names with
// connection= (Auth0) or idp= (Okta); "local" and Auth0's name of its
// password database mean the sign-in page, as no parameter does.
func connectionParam(q url.Values) string {
	conn := strings.TrimSpace(q.Get("connection"))
	if conn == "" {
		conn = strings.TrimSpace(q.Get("idp"))
	}
	if conn == "local" || conn == "Username-Password-Authentication" || len(conn) > 100 {
		return ""
	}
	return conn
}

// authRequestTTL is how long a person has to sign in and consent.
const authRequestTTL = 30 * time.Minute

func (s *storage) CreateAuthRequest(ctx context.Context, ar *oidc.AuthRequest, userID string) (op.AuthRequest, error) {
	p := s.p
	now := p.clock.Now()
	prompt := []string(ar.Prompt)
	if hint, _ := ctx.Value(screenHintKey{}).(string); hint == "signup" {
		prompt = append(prompt, "create")
	}
	connection, _ := ctx.Value(connectionKey{}).(string)
	r := &userdb.OAuthAuthRequest{
		ID: userdb.NewID("are"), ClientID: ar.ClientID, RedirectURI: ar.RedirectURI, Scopes: ar.Scopes,
		State: truncate(ar.State, 2000), Nonce: truncate(ar.Nonce, 500), ResponseMode: string(ar.ResponseMode),
		CodeChallenge: ar.CodeChallenge, CodeChallengeMethod: string(ar.CodeChallengeMethod),
		Prompt: prompt, LoginHint: truncate(ar.LoginHint, userdb.MaxEmailLen),
		Connection: connection,
		CreatedAt:  now, ExpiresAt: now.Add(authRequestTTL),
	}
	if ar.MaxAge != nil {
		m := int64(*ar.MaxAge)
		r.MaxAge = &m
	}
	if err := p.store.CreateOAuthAuthRequest(ctx, r); err != nil {
		return nil, err
	}
	return authRequest{r}, nil
}

func (s *storage) AuthRequestByID(ctx context.Context, id string) (op.AuthRequest, error) {
	r, err := s.p.store.FindOAuthAuthRequest(ctx, id, s.p.clock.Now())
	if err != nil {
		return nil, oidc.ErrInvalidRequest().WithDescription("the authorization request has expired").WithParent(err)
	}
	return authRequest{r}, nil
}

// AuthRequestByCode is not used: server.CodeExchange uses the code up
// atomically instead of looking it up.
func (s *storage) AuthRequestByCode(context.Context, string) (op.AuthRequest, error) {
	return nil, errNotHere
}

// SaveAuthCode stores only the code's hash, for CodeTTL.
func (s *storage) SaveAuthCode(ctx context.Context, id, code string) error {
	return s.p.store.SetOAuthCode(ctx, id, userdb.HashSecret(code), s.p.clock.Now().Add(s.p.set.CodeTTL))
}

// DeleteAuthRequest keeps the request: it stays until it expires, so that a
// code presented again is recognised and what it issued revoked.
func (s *storage) DeleteAuthRequest(context.Context, string) error { return nil }

func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return "", time.Time{}, errNotHere
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNotHere
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNotHere
}

func (s *storage) TerminateSession(context.Context, string, string) error { return errNotHere }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return errNotHere }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(ctx context.Context) (op.SigningKey, error) {
	if err := s.p.keys.ensure(ctx); err != nil {
		return nil, err
	}
	k, err := s.p.keys.current()
	if err != nil {
		return nil, err
	}
	return opKey{k}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	var algs []jose.SignatureAlgorithm
	for _, k := range s.p.keys.published() {
		if !containsAlg(algs, k.alg) {
			algs = append(algs, k.alg)
		}
	}
	return algs, nil
}

func containsAlg(list []jose.SignatureAlgorithm, a jose.SignatureAlgorithm) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

func (s *storage) KeySet(ctx context.Context) ([]op.Key, error) {
	if err := s.p.keys.ensure(ctx); err != nil {
		return nil, err
	}
	var keys []op.Key
	for _, k := range s.p.keys.published() {
		keys = append(keys, opPublicKey{k})
	}
	return keys, nil
}

func (s *storage) GetClientByClientID(ctx context.Context, id string) (op.Client, error) {
	c, err := s.p.clients.get(ctx, id)
	if err != nil {
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
		}
		return nil, err
	}
	return &opClient{c: c, p: s.p}, nil
}

func (s *storage) AuthorizeClientIDSecret(ctx context.Context, id, secret string) error {
	c, err := s.p.clients.get(ctx, id)
	if err != nil || !checkSecret(c, secret) {
		return oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return nil
}

// SetUserinfoFromScopes fills the ID token's claims.
func (s *storage) SetUserinfoFromScopes(ctx context.Context, info *oidc.UserInfo, userID, _ string, scopes []string) error {
	u, err := s.p.store.FindUserByID(ctx, userID)
	if err != nil {
		return err
	}
	s.p.fillUserinfo(info, u, scopes)
	return nil
}

func (s *storage) SetUserinfoFromToken(context.Context, *oidc.UserInfo, string, string, string) error {
	return errNotHere
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errNotHere
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

// GetKeyByIDAndClientID returns a public key of a private_key_jwt client,
// from the key set registered with it.
func (s *storage) GetKeyByIDAndClientID(ctx context.Context, keyID, clientID string) (*jose.JSONWebKey, error) {
	c, err := s.p.clients.get(ctx, clientID)
	if err != nil || c.AuthMethod != userdb.AuthPrivateKeyJWT {
		return nil, oidc.ErrInvalidClient().WithDescription("unknown client")
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal([]byte(c.JWKS), &set); err != nil {
		return nil, oidc.ErrInvalidClient().WithDescription("the client's key set cannot be read")
	}
	keys := set.Key(keyID)
	if keyID == "" && len(set.Keys) == 1 {
		keys = set.Keys
	}
	for _, k := range keys {
		if k.IsPublic() {
			return &k, nil
		}
	}
	return nil, oidc.ErrInvalidClient().WithDescription("no key %q registered for the client", truncate(keyID, 100))
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, oidc.ErrUnsupportedGrantType()
}

func (s *storage) Health(ctx context.Context) error { return s.p.store.Ping(ctx) }

// ClientCredentials authenticates a client for the client-credentials
// grant (server.VerifyClient does the same for every grant).
func (s *storage) ClientCredentials(ctx context.Context, id, secret string) (op.Client, error) {
	c, err := s.p.clients.get(ctx, id)
	if err != nil || !checkSecret(c, secret) {
		return nil, oidc.ErrInvalidClient().WithDescription("client authentication failed")
	}
	return &opClient{c: c, p: s.p}, nil
}

func (s *storage) ClientCredentialsTokenRequest(context.Context, string, []string) (op.TokenRequest, error) {
	return nil, errNotHere
}

// StoreDeviceAuthorization keeps a device authorization: the device code
// hashed, the user code as it is (people type it).
func (s *storage) StoreDeviceAuthorization(ctx context.Context, clientID, deviceCode, userCode string, expires time.Time, scopes []string) error {
	now := s.p.clock.Now()
	err := s.p.store.CreateOAuthDeviceCode(ctx, &userdb.OAuthDeviceCode{
		DeviceCodeHash: userdb.HashSecret(deviceCode), UserCode: userCode, ClientID: clientID, Scopes: scopes,
		CreatedAt: now, ExpiresAt: now.Add(s.p.set.DeviceCodeTTL),
	})
	if userdb.IsCode(err, userdb.ECONFLICT) {
		return op.ErrDuplicateUserCode
	}
	return err
}

func (s *storage) GetDeviceAuthorizatonState(context.Context, string, string) (*op.DeviceAuthorizationState, error) {
	return nil, errNotHere
}

// logoutKey carries the logout request's response writer and request, so
// that ending the session can clear the browser's cookie.
type logoutKey struct{}

type logoutCall struct {
	sessions Sessions
	w        http.ResponseWriter
	r        *http.Request
}

// TerminateSessionFromRequest ends the browser's userdb session (the user
// signed in to the relying party through it) when the request carries an
// ID token the provider issued, and answers where to go: the registered
// post-logout URI the op package has checked, or the sign-in page.
func (s *storage) TerminateSessionFromRequest(ctx context.Context, req *op.EndSessionRequest) (string, error) {
	call, ok := ctx.Value(logoutKey{}).(*logoutCall)
	if !ok {
		return "", errors.New("oauth: logout without its request")
	}
	// Without an ID token the request could come from any page (an image
	// pointing here), so it ends nothing, as Okta does.
	if req.IDTokenHintClaims == nil {
		return "", oidc.ErrInvalidRequest().WithDescription("id_token_hint is required")
	}
	u, sess, err := s.p.sess.Authenticate(call.r)
	if err == nil && (req.UserID == "" || req.UserID == u.ID) {
		if err := s.p.endSess(ctx, u, sess); err != nil {
			return "", err
		}
		s.p.record(ctx, &userdb.Event{Type: "oauth.logout", Time: s.p.clock.Now(), UserID: u.ID, AccountID: u.AccountID,
			Details: map[string]any{"client_id": req.ClientID}})
	}
	call.sessions.SignOut(call.w, call.r)
	if req.RedirectURI == "" {
		return "/signin", nil
	}
	return req.RedirectURI, nil
}

// fillUserinfo sets the claims of the scopes: profile (names, username,
// mapped custom-data attributes, updated_at) and email (email and
// email_verified, which is userdb's verification).
func (p *Provider) fillUserinfo(info *oidc.UserInfo, u *userdb.User, scopes []string) {
	info.Subject = u.ID
	for _, sc := range scopes {
		switch sc {
		case userdb.ScopeProfile:
			info.Name, info.GivenName, info.MiddleName, info.FamilyName = u.FullName, u.GivenName, u.MiddleName, u.Surname
			info.PreferredUsername = u.Username
			info.UpdatedAt = oidc.FromTime(u.UpdatedAt)
			for claim, attr := range p.set.Claims {
				if v, ok := u.CustomData[attr]; ok {
					info.AppendClaims(claim, v)
				}
			}
		case userdb.ScopeEmail:
			info.Email = u.Email
			info.EmailVerified = oidc.Bool(u.EmailVerifiedAt != nil)
			if u.EmailVerifiedAt == nil {
				// The op package's type leaves a false out; say it.
				info.AppendClaims("email_verified", false)
			}
		}
	}
}

// userinfoFor returns the userinfo claims of the scopes.
func (p *Provider) userinfoFor(u *userdb.User, scopes []string) *oidc.UserInfo {
	info := new(oidc.UserInfo)
	p.fillUserinfo(info, u, scopes)
	return info
}
