package oauth

import (
	"context"
	"crypto/subtle"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/userdb/userdb"
)

// clientTTL is how long a node serves a client from memory. A change made
// on this node takes effect at once (the cache is dropped); other nodes see
// it within this time.
const clientTTL = 30 * time.Second

// clientCache keeps clients in memory, so that a token request costs no
// database read for its client.
type clientCache struct {
	store userdb.Store
	clock userdb.Clock
	mu    sync.RWMutex
	m     map[string]cachedClient
}

type cachedClient struct {
	c  *userdb.OAuthClient
	at time.Time
}

func newClientCache(st userdb.Store, clock userdb.Clock) *clientCache {
	return &clientCache{store: st, clock: clock, m: map[string]cachedClient{}}
}

// get returns the client with the id, or ENOTFOUND.
func (cc *clientCache) get(ctx context.Context, id string) (*userdb.OAuthClient, error) {
	now := cc.clock.Now()
	cc.mu.RLock()
	e, ok := cc.m[id]
	cc.mu.RUnlock()
	if ok && now.Sub(e.at) < clientTTL {
		return e.c, nil
	}
	if id == "" || len(id) > 100 {
		return nil, userdb.Errorf(userdb.ENOTFOUND, "client not found")
	}
	c, err := cc.store.FindOAuthClient(ctx, id)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	cc.m[id] = cachedClient{c: c, at: now}
	cc.mu.Unlock()
	return c, nil
}

// forget drops a client after a change.
func (cc *clientCache) forget(id string) {
	cc.mu.Lock()
	delete(cc.m, id)
	cc.mu.Unlock()
}

// expire drops stale entries, so that deleted clients do not stay.
func (cc *clientCache) expire() {
	now := cc.clock.Now()
	cc.mu.Lock()
	for id, e := range cc.m {
		if now.Sub(e.at) >= clientTTL {
			delete(cc.m, id)
		}
	}
	cc.mu.Unlock()
}

// checkSecret compares a presented secret with the client's hash in
// constant time. The secret is 256 random bits, so one SHA-256 is all the
// protection it needs (a password hash would cost ~12 ms a request).
func checkSecret(c *userdb.OAuthClient, secret string) bool {
	if len(c.SecretHash) == 0 || secret == "" {
		return false
	}
	return subtle.ConstantTimeCompare(userdb.HashSecret(secret), c.SecretHash) == 1
}

// opClient adapts a client to the op package.
type opClient struct {
	c *userdb.OAuthClient
	p *Provider
	// scopeErr is an invalid_scope found while verifying an authorization
	// request, answered once its redirect URI is known to be the client's.
	scopeErr error
}

var _ op.Client = (*opClient)(nil)

func (o *opClient) GetID() string                    { return o.c.ID }
func (o *opClient) RedirectURIs() []string           { return o.c.RedirectURIs }
func (o *opClient) PostLogoutRedirectURIs() []string { return o.c.PostLogoutRedirectURIs }

// ApplicationType tells the op package how to check redirect URIs: a
// public client with a loopback or private-use redirect URI is a native
// app (RFC 8252: any loopback port), another public client a browser app
// (https only), a confidential client a web app.
func (o *opClient) ApplicationType() op.ApplicationType {
	if o.c.Type != userdb.ClientPublic {
		return op.ApplicationTypeWeb
	}
	for _, u := range o.c.RedirectURIs {
		if strings.HasPrefix(u, "http://") || !strings.HasPrefix(u, "https://") {
			return op.ApplicationTypeNative
		}
	}
	return op.ApplicationTypeUserAgent
}

func (o *opClient) AuthMethod() oidc.AuthMethod {
	switch o.c.AuthMethod {
	case userdb.AuthSecretPost:
		return oidc.AuthMethodPost
	case userdb.AuthPrivateKeyJWT:
		return oidc.AuthMethodPrivateKeyJWT
	case userdb.AuthNone:
		return oidc.AuthMethodNone
	}
	return oidc.AuthMethodBasic
}

func (o *opClient) ResponseTypes() []oidc.ResponseType {
	if o.c.HasGrant(userdb.GrantAuthorizationCode) {
		return []oidc.ResponseType{oidc.ResponseTypeCode}
	}
	return nil
}

func (o *opClient) GrantTypes() []oidc.GrantType {
	out := make([]oidc.GrantType, 0, len(o.c.GrantTypes))
	for _, g := range o.c.GrantTypes {
		out = append(out, oidc.GrantType(g))
	}
	return out
}

// LoginURL is where the op package sends the browser after it has checked
// an authorization request: userdb's own continuation (sign-in, consent).
func (o *opClient) LoginURL(id string) string { return ContinuePath + "?id=" + id }

func (o *opClient) AccessTokenType() op.AccessTokenType {
	if o.c.TokenFormat == userdb.TokenFormatOpaque {
		return op.AccessTokenTypeBearer
	}
	return op.AccessTokenTypeJWT
}

func (o *opClient) IDTokenLifetime() time.Duration {
	if o.c.IDTokenTTL > 0 {
		return o.c.IDTokenTTL
	}
	return o.p.set.IDTokenTTL
}

func (o *opClient) DevMode() bool { return false }

func (o *opClient) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

func (o *opClient) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}

// IsScopeAllowed lets every scope through the op package's filter, which
// would drop unknown scopes silently; the provider checks them itself and
// answers invalid_scope (see checkScopes).
func (o *opClient) IsScopeAllowed(string) bool { return true }

// IDTokenUserinfoClaimsAssertion puts profile and email claims in the ID
// token too, as most relying parties expect.
func (o *opClient) IDTokenUserinfoClaimsAssertion() bool { return true }

func (o *opClient) ClockSkew() time.Duration { return 0 }

// accessTTL is the lifetime of the client's access tokens.
func (p *Provider) accessTTL(c *userdb.OAuthClient) time.Duration {
	if c.AccessTokenTTL > 0 {
		return c.AccessTokenTTL
	}
	return p.set.AccessTokenTTL
}

func (p *Provider) refreshTTL(c *userdb.OAuthClient) time.Duration {
	if c.RefreshTokenTTL > 0 {
		return c.RefreshTokenTTL
	}
	return p.set.RefreshTokenTTL
}

// knownScope reports whether the server defines the scope.
func (p *Provider) knownScope(s string) bool {
	return slices.Contains(userdb.BuiltinScopes, s) || slices.Contains(p.set.Scopes, s) || s == p.set.AdminScope
}

// checkScopes returns the scopes a request gets: those asked for, or the
// client's defaults when none were. An unknown scope, one the client may
// not ask for, or none at all without defaults is invalid_scope
// (RFC 6749 section 5.2).
func (p *Provider) checkScopes(c *userdb.OAuthClient, asked []string) ([]string, error) {
	if len(asked) == 0 {
		if len(c.DefaultScopes) == 0 {
			return nil, oidc.ErrInvalidScope().WithDescription("no scope was requested and the client has no default scopes")
		}
		return slices.Clone(c.DefaultScopes), nil
	}
	if len(asked) > 50 {
		return nil, oidc.ErrInvalidScope().WithDescription("too many scopes")
	}
	out := make([]string, 0, len(asked))
	for _, s := range asked {
		if !p.knownScope(s) {
			return nil, oidc.ErrInvalidScope().WithDescription("unknown scope %q", truncate(s, 100))
		}
		if !slices.Contains(c.Scopes, s) {
			return nil, oidc.ErrInvalidScope().WithDescription("the client may not request scope %q", s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
