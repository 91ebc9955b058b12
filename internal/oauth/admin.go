package oauth

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// Authorizer applies userdb's administrative rules (the service's Admin*
// rules) to the actor of a request.
type Authorizer interface {
	// AdminAccount returns the account an action names (ref: id or name;
	// "" for the actor's own, or "" back for a super-admin, who reaches
	// every account), or refuses.
	AdminAccount(ctx context.Context, action, ref string) (string, error)
	// AdminReaches refuses an action on something of another account
	// (ENOTFOUND) or by an actor without an administrative role.
	AdminReaches(ctx context.Context, action, accountID, targetID string) error
	RecordEvent(ctx context.Context, typ, accountID string, details map[string]any) error
}

// ClientInput is what an administrator sets on a client; nil fields keep
// their value on update (and take the defaults on creation).
type ClientInput struct {
	Account                *string
	Name                   *string
	Type                   *string
	AuthMethod             *string
	JWKS                   *string
	GrantTypes             *[]string
	RedirectURIs           *[]string
	PostLogoutRedirectURIs *[]string
	Scopes                 *[]string
	DefaultScopes          *[]string
	AccessTokenTTL         *time.Duration
	IDTokenTTL             *time.Duration
	RefreshTokenTTL        *time.Duration
	TokenFormat            *string
	FirstParty             *bool
}

var errNoClient = userdb.Errorf(userdb.ENOTFOUND, "No such client.")

// apply sets the input's fields on c.
func (in ClientInput) apply(c *userdb.OAuthClient) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = strings.TrimSpace(*v)
		}
	}
	list := func(dst *[]string, v *[]string) {
		if v != nil {
			*dst = cleanList(*v)
		}
	}
	set(&c.Name, in.Name)
	set(&c.Type, in.Type)
	set(&c.AuthMethod, in.AuthMethod)
	set(&c.JWKS, in.JWKS)
	set(&c.TokenFormat, in.TokenFormat)
	list(&c.GrantTypes, in.GrantTypes)
	list(&c.RedirectURIs, in.RedirectURIs)
	list(&c.PostLogoutRedirectURIs, in.PostLogoutRedirectURIs)
	list(&c.Scopes, in.Scopes)
	list(&c.DefaultScopes, in.DefaultScopes)
	if in.AccessTokenTTL != nil {
		c.AccessTokenTTL = *in.AccessTokenTTL
	}
	if in.IDTokenTTL != nil {
		c.IDTokenTTL = *in.IDTokenTTL
	}
	if in.RefreshTokenTTL != nil {
		c.RefreshTokenTTL = *in.RefreshTokenTTL
	}
	if in.FirstParty != nil {
		c.FirstParty = *in.FirstParty
	}
}

// cleanList trims the entries, drops empty ones and duplicates.
func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// check validates a client as a whole, with the server's scopes.
func (p *Provider) check(c *userdb.OAuthClient) error {
	if err := c.Validate(append(slices.Clone(p.set.Scopes), p.set.AdminScope)); err != nil {
		return err
	}
	if c.AuthMethod == userdb.AuthPrivateKeyJWT {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal([]byte(c.JWKS), &set); err != nil || len(set.Keys) == 0 {
			return userdb.FieldError("jwks", "jwks must be a JSON Web Key Set with at least one public key")
		}
		for _, k := range set.Keys {
			if !k.IsPublic() || !k.Valid() {
				return userdb.FieldError("jwks", "jwks must hold public keys only")
			}
		}
	}
	return nil
}

// needsSecret reports whether the client authenticates with a secret.
func needsSecret(c *userdb.OAuthClient) bool {
	return c.AuthMethod == userdb.AuthSecretBasic || c.AuthMethod == userdb.AuthSecretPost
}

// CreateClient makes a client and returns its secret ("" for clients
// without one), which is shown this once.
func (p *Provider) CreateClient(ctx context.Context, az Authorizer, in ClientInput) (*userdb.OAuthClient, string, error) {
	ref := ""
	if in.Account != nil {
		ref = *in.Account
	}
	accountID, err := az.AdminAccount(ctx, "oauth.client.create", ref)
	if err != nil {
		return nil, "", err
	}
	if accountID == "" {
		accountID = userdb.DefaultAccountID
	}
	now := p.clock.Now()
	c := &userdb.OAuthClient{ID: userdb.NewID("cli"), AccountID: accountID, Type: userdb.ClientConfidential,
		GrantTypes:  []string{userdb.GrantAuthorizationCode, userdb.GrantRefreshToken},
		Scopes:      slices.Clone(userdb.BuiltinScopes),
		TokenFormat: userdb.TokenFormatJWT, CreatedAt: now, UpdatedAt: now}
	in.apply(c)
	if c.AuthMethod == "" {
		c.AuthMethod = userdb.AuthSecretBasic
		if c.Type == userdb.ClientPublic {
			c.AuthMethod = userdb.AuthNone
		}
	}
	if err := p.check(c); err != nil {
		return nil, "", err
	}
	var secret string
	if needsSecret(c) {
		secret, c.SecretHash = userdb.NewSecret()
	}
	if err := p.store.CreateOAuthClient(ctx, c); err != nil {
		return nil, "", err
	}
	az.RecordEvent(ctx, "oauth.client_created", c.AccountID, map[string]any{"client_id": c.ID, "name": c.Name})
	return c, secret, nil
}

// Client returns a client the actor may see.
func (p *Provider) Client(ctx context.Context, az Authorizer, id string) (*userdb.OAuthClient, error) {
	c, err := p.store.FindOAuthClient(ctx, id)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		if err := az.AdminReaches(ctx, "oauth.client.read", "", id); userdb.IsCode(err, userdb.EFORBIDDEN) {
			return nil, err
		}
		return nil, errNoClient
	}
	if err != nil {
		return nil, err
	}
	if err := az.AdminReaches(ctx, "oauth.client.read", c.AccountID, id); err != nil {
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, errNoClient
		}
		return nil, err
	}
	return c, nil
}

// Clients lists the clients of an account (id or name): "" lists the
// actor's own account's, or every client for a super-admin.
func (p *Provider) Clients(ctx context.Context, az Authorizer, account string) ([]*userdb.OAuthClient, error) {
	id, err := az.AdminAccount(ctx, "oauth.client.list", account)
	if err != nil {
		return nil, err
	}
	return p.store.FindOAuthClients(ctx, id)
}

// UpdateClient changes a client. Its account cannot change. A client
// switched to a secret gets a new one, returned to be shown once ("" when
// none was made); a client switched away from secrets loses its own.
func (p *Provider) UpdateClient(ctx context.Context, az Authorizer, id string, in ClientInput) (*userdb.OAuthClient, string, error) {
	c, err := p.Client(ctx, az, id)
	if err != nil {
		return nil, "", err
	}
	if in.Account != nil && strings.TrimSpace(*in.Account) != "" && *in.Account != c.AccountID {
		return nil, "", userdb.FieldError("account", "a client cannot move to another account")
	}
	hadSecret := needsSecret(c)
	in.apply(c)
	if in.Type != nil && in.AuthMethod == nil {
		// A new type without a method takes the type's usual one.
		switch {
		case c.Type == userdb.ClientPublic:
			c.AuthMethod = userdb.AuthNone
		case c.AuthMethod == userdb.AuthNone:
			c.AuthMethod = userdb.AuthSecretBasic
		}
	}
	if err := p.check(c); err != nil {
		return nil, "", err
	}
	var secret string
	switch {
	case !needsSecret(c):
		c.SecretHash = nil
	case !hadSecret:
		secret, c.SecretHash = userdb.NewSecret()
	}
	c.UpdatedAt = p.clock.Now()
	if err := p.store.UpdateOAuthClient(ctx, c); err != nil {
		return nil, "", err
	}
	p.clients.forget(c.ID)
	az.RecordEvent(ctx, "oauth.client_updated", c.AccountID, map[string]any{"client_id": c.ID})
	return c, secret, nil
}

// RotateSecret gives a client a new secret, shown this once; the old one
// stops working at once.
func (p *Provider) RotateSecret(ctx context.Context, az Authorizer, id string) (*userdb.OAuthClient, string, error) {
	c, err := p.Client(ctx, az, id)
	if err != nil {
		return nil, "", err
	}
	if c.Type != userdb.ClientConfidential || c.AuthMethod == userdb.AuthPrivateKeyJWT {
		return nil, "", userdb.Errorf(userdb.ECONFLICT, "This client does not use a secret.")
	}
	var secret string
	secret, c.SecretHash = userdb.NewSecret()
	c.UpdatedAt = p.clock.Now()
	if err := p.store.UpdateOAuthClient(ctx, c); err != nil {
		return nil, "", err
	}
	p.clients.forget(c.ID)
	az.RecordEvent(ctx, "oauth.client_secret_rotated", c.AccountID, map[string]any{"client_id": c.ID})
	return c, secret, nil
}

// DeleteClient deletes a client with its tokens and consents.
func (p *Provider) DeleteClient(ctx context.Context, az Authorizer, id string) error {
	c, err := p.Client(ctx, az, id)
	if err != nil {
		return err
	}
	if err := p.store.DeleteOAuthClient(ctx, c.ID); err != nil {
		return err
	}
	p.clients.forget(c.ID)
	az.RecordEvent(ctx, "oauth.client_deleted", c.AccountID, map[string]any{"client_id": c.ID, "name": c.Name})
	return nil
}

// Consent is a user's consent with its client's name, for the profile page.
type Consent struct {
	ClientID   string
	ClientName string
	Scopes     []string
	GrantedAt  time.Time
}

// Consents lists the clients a user has allowed.
func (p *Provider) Consents(ctx context.Context, userID string) ([]Consent, error) {
	list, err := p.store.FindOAuthConsents(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]Consent, 0, len(list))
	for _, c := range list {
		name := c.ClientID
		if cl, err := p.clients.get(ctx, c.ClientID); err == nil {
			name = cl.Name
		}
		out = append(out, Consent{ClientID: c.ClientID, ClientName: name, Scopes: c.Scopes, GrantedAt: c.UpdatedAt})
	}
	return out, nil
}

// RevokeConsent withdraws a user's consent to a client and revokes the
// refresh tokens the client holds for the user.
func (p *Provider) RevokeConsent(ctx context.Context, userID, clientID string) error {
	if err := p.store.DeleteOAuthConsent(ctx, userID, clientID); err != nil {
		return err
	}
	jtis, err := p.store.RevokeUserOAuth(ctx, userID, clientID, p.clock.Now())
	if err != nil {
		return err
	}
	for _, j := range jtis {
		p.revokeIssued(ctx, "", j)
	}
	p.events.add(&userdb.Event{Type: "oauth.consent_revoked", Time: p.clock.Now(), UserID: userID,
		Details: map[string]any{"client_id": clientID}})
	return nil
}

// LooksLikeAccessToken reports whether a bearer credential is one of the
// provider's access tokens (a JWT or an opaque token) rather than an API
// key.
func LooksLikeAccessToken(tok string) bool {
	return strings.HasPrefix(tok, opaquePrefix) || strings.Count(tok, ".") == 2
}

// AdminActor turns an access token carrying the admin scope into the
// actor of an admin request: the token's user, with the user's own roles,
// or for a client's own token an admin of the client's account. The
// service's rules then decide what it may do.
func (p *Provider) AdminActor(ctx context.Context, token string) (service.Actor, error) {
	a, scopes, err := p.AuthenticateBearer(ctx, token)
	if err != nil {
		return service.Actor{}, err
	}
	if !slices.Contains(scopes, p.set.AdminScope) {
		return service.Actor{}, userdb.Errorf(userdb.EFORBIDDEN, "The access token lacks the scope %s.", p.set.AdminScope)
	}
	return a, nil
}

// AdminBearer authenticates an admin request by an access token that
// carries the admin scope (AdminActor): ok is false when the credential is
// not an access token at all (an API key, then).
func (p *Provider) AdminBearer(ctx context.Context, token string) (act service.Actor, ok bool, err error) {
	if !LooksLikeAccessToken(token) {
		return service.Actor{}, false, nil
	}
	act, err = p.AdminActor(ctx, token)
	return act, true, err
}

// AuthenticateBearer turns an access token of this provider's audience
// into the actor it acts as and the scopes it carries: its user with the
// user's own roles, or for a client's own token an admin of the client's
// account. Callers check the scopes they need (the admin API its admin
// scope, Okta's API the okta.* scopes).
func (p *Provider) AuthenticateBearer(ctx context.Context, token string) (service.Actor, []string, error) {
	bad := userdb.Errorf(userdb.EUNAUTHORIZED, "The access token is invalid, expired or revoked.")
	at, err := p.checkAccess(ctx, token)
	if err != nil || at.aud != "" && at.aud != p.set.Audience {
		return service.Actor{}, nil, bad
	}
	if at.userID != "" {
		u, err := p.activeUser(ctx, at.userID)
		if err != nil {
			return service.Actor{}, nil, bad
		}
		return service.UserActor(u), at.scopes, nil
	}
	c, err := p.clients.get(ctx, at.clientID)
	if err != nil {
		return service.Actor{}, nil, bad
	}
	return service.Actor{ID: c.ID, AccountID: c.AccountID, Roles: []string{userdb.RoleAdmin}, KeyID: c.ID}, at.scopes, nil
}

// Caller is whom an access token speaks for, as forward authentication
// reports it.
type Caller struct {
	UserID    string // empty for a client's own token
	ClientID  string
	Roles     []string // the user's roles when the token was issued
	AccountID string   // the user's account, or the client's for its own token
}

// Caller checks an access token of this provider's audience as
// introspection does and says whom it speaks for. A JWT is read from its
// signature, its claims and the revocations in memory (a sign-out, a
// password reset or a disabled user revokes the user's tokens at once), and
// a client's own token finds its client in the cache: no database read on
// the hot path. An opaque token is read from its record.
func (p *Provider) Caller(ctx context.Context, token string) (Caller, error) {
	bad := userdb.Errorf(userdb.EUNAUTHORIZED, "The access token is invalid, expired or revoked.")
	at, err := p.checkAccess(ctx, token)
	if err != nil || at.aud != "" && at.aud != p.set.Audience {
		return Caller{}, bad
	}
	if at.userID != "" && at.account != "" {
		return Caller{UserID: at.userID, ClientID: at.clientID, Roles: at.roles, AccountID: at.account}, nil
	}
	if at.userID != "" { // an opaque token carries no roles: its user's own
		u, err := p.activeUser(ctx, at.userID)
		if err != nil {
			return Caller{}, bad
		}
		return Caller{UserID: u.ID, ClientID: at.clientID, Roles: u.Roles, AccountID: u.AccountID}, nil
	}
	c, err := p.clients.get(ctx, at.clientID)
	if err != nil {
		return Caller{}, bad
	}
	return Caller{ClientID: c.ID, AccountID: c.AccountID}, nil
}

// Scopes are every scope clients may be given: the built-in ones, the
// custom ones and the admin scope.
func (p *Provider) Scopes() []string {
	return append(append(slices.Clone(userdb.BuiltinScopes), p.set.Scopes...), p.set.AdminScope)
}
