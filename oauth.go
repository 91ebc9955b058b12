package userdb

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// OAuth client types (RFC 6749 section 2.1).
const (
	ClientConfidential = "confidential" // can keep a secret: a server-side app or a service
	ClientPublic       = "public"       // cannot: a single-page or native app, PKCE alone
)

// OAuth grant types a client may be allowed.
const (
	GrantAuthorizationCode = "authorization_code"
	GrantClientCredentials = "client_credentials"
	GrantRefreshToken      = "refresh_token"
	GrantDeviceCode        = "urn:ietf:params:oauth:grant-type:device_code"
)

// Client authentication methods at the token endpoint.
const (
	AuthSecretBasic   = "client_secret_basic"
	AuthSecretPost    = "client_secret_post"
	AuthPrivateKeyJWT = "private_key_jwt"
	AuthNone          = "none" // public clients
)

// Access-token formats.
const (
	TokenFormatJWT    = "jwt"    // signed, verified offline by resource servers
	TokenFormatOpaque = "opaque" // a random handle, checked by introspection
)

// Built-in scopes.
const (
	ScopeOpenID        = "openid"
	ScopeProfile       = "profile"
	ScopeEmail         = "email"
	ScopeOfflineAccess = "offline_access"
)

// BuiltinScopes are the scopes every server knows; administrators add
// their own (oauth.scopes).
var BuiltinScopes = []string{ScopeOpenID, ScopeProfile, ScopeEmail, ScopeOfflineAccess}

// OAuthClient is an application that asks for tokens: an OAuth 2.0 client.
// Its secret is shown once when made; the store keeps only its SHA-256, since
// it is 256 random bits (a password hash would add nothing but cost on every
// token request).
type OAuthClient struct {
	ID         string
	AccountID  string // the account whose administrators manage it
	Name       string
	Type       string // ClientConfidential or ClientPublic
	AuthMethod string // Auth* constant; AuthNone for public clients
	SecretHash []byte // nil for public and private_key_jwt clients
	// JWKS holds the public keys of a private_key_jwt client, as a JSON Web
	// Key Set.
	JWKS                   string
	GrantTypes             []string
	RedirectURIs           []string // exact matches only
	PostLogoutRedirectURIs []string
	Scopes                 []string // the scopes it may ask for
	DefaultScopes          []string // granted when a request names none
	AccessTokenTTL         time.Duration
	IDTokenTTL             time.Duration
	RefreshTokenTTL        time.Duration
	TokenFormat            string // TokenFormatJWT or TokenFormatOpaque
	// FirstParty clients are the operator's own: their users are not asked
	// to consent.
	FirstParty bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Limits of a client's fields.
const (
	MaxClientURIs  = 20
	MaxClientURI   = 2000
	MaxScopeLen    = 100
	MaxClientJWKS  = 16 << 10
	MaxTokenTTL    = 366 * 24 * time.Hour
	MinTokenTTL    = 10 * time.Second
	MaxClientScope = 50
)

// HasGrant reports whether the client may use the grant type.
func (c *OAuthClient) HasGrant(g string) bool { return slices.Contains(c.GrantTypes, g) }

// Validate checks a client before it is written. knownScopes are the
// scopes the server defines besides the built-in ones.
func (c *OAuthClient) Validate(knownScopes []string) error {
	c.Name = strings.TrimSpace(c.Name)
	if err := checkName("name", c.Name, MaxNameLen); err != nil {
		return err
	}
	if c.AccountID == "" {
		return FieldError("account", "a client needs an account")
	}
	switch c.Type {
	case ClientConfidential:
		switch c.AuthMethod {
		case AuthSecretBasic, AuthSecretPost, AuthPrivateKeyJWT:
		default:
			return FieldError("authMethod", "authMethod must be client_secret_basic, client_secret_post or private_key_jwt")
		}
	case ClientPublic:
		if c.AuthMethod != AuthNone {
			return FieldError("authMethod", "a public client authenticates with none (PKCE)")
		}
	default:
		return FieldError("type", "type must be confidential or public")
	}
	if c.AuthMethod == AuthPrivateKeyJWT && strings.TrimSpace(c.JWKS) == "" {
		return FieldError("jwks", "a private_key_jwt client needs its public keys (jwks)")
	}
	if len(c.JWKS) > MaxClientJWKS {
		return FieldError("jwks", "jwks must be at most %d bytes", MaxClientJWKS)
	}
	if len(c.GrantTypes) == 0 {
		return FieldError("grantTypes", "a client needs at least one grant type")
	}
	for _, g := range c.GrantTypes {
		switch g {
		case GrantAuthorizationCode, GrantRefreshToken, GrantDeviceCode:
		case GrantClientCredentials:
			if c.Type == ClientPublic {
				return FieldError("grantTypes", "a public client cannot use client_credentials")
			}
		default:
			return FieldError("grantTypes", "unknown grant type %q (implicit and password are not offered)", g)
		}
	}
	if c.HasGrant(GrantAuthorizationCode) && len(c.RedirectURIs) == 0 {
		return FieldError("redirectUris", "the authorization_code grant needs at least one redirect URI")
	}
	if err := checkURIs("redirectUris", c.RedirectURIs); err != nil {
		return err
	}
	if c.Type == ClientConfidential {
		for _, u := range c.RedirectURIs {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
				return FieldError("redirectUris", "%q: a private-use scheme is for native apps, which are public clients", u)
			}
		}
	}
	if err := checkURIs("postLogoutRedirectUris", c.PostLogoutRedirectURIs); err != nil {
		return err
	}
	if len(c.Scopes) > MaxClientScope || len(c.DefaultScopes) > MaxClientScope {
		return FieldError("scopes", "a client may have at most %d scopes", MaxClientScope)
	}
	for _, s := range c.Scopes {
		if !slices.Contains(BuiltinScopes, s) && !slices.Contains(knownScopes, s) {
			return FieldError("scopes", "unknown scope %q", s)
		}
	}
	for _, s := range c.DefaultScopes {
		if !slices.Contains(c.Scopes, s) {
			return FieldError("defaultScopes", "default scope %q is not among the client's scopes", s)
		}
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"accessTokenTtl", c.AccessTokenTTL}, {"idTokenTtl", c.IDTokenTTL}, {"refreshTokenTtl", c.RefreshTokenTTL}} {
		if f.d != 0 && (f.d < MinTokenTTL || f.d > MaxTokenTTL) {
			return FieldError(f.name, "%s must be between 10s and 366d (or 0 for the server's default)", f.name)
		}
	}
	switch c.TokenFormat {
	case TokenFormatJWT, TokenFormatOpaque:
	default:
		return FieldError("tokenFormat", "tokenFormat must be jwt or opaque")
	}
	return nil
}

// checkURIs accepts absolute URIs without fragments: https anywhere, http
// only on loopback hosts, and private-use schemes of native apps
// (com.example.app:/callback, RFC 8252).
func checkURIs(field string, list []string) error {
	if len(list) > MaxClientURIs {
		return FieldError(field, "at most %d URIs", MaxClientURIs)
	}
	for _, s := range list {
		if len(s) > MaxClientURI || !utf8.ValidString(s) || strings.ContainsAny(s, " \t\r\n\\") {
			return FieldError(field, "%q is not a valid URI", s)
		}
		u, err := url.Parse(s)
		if err != nil || u.Scheme == "" || u.Fragment != "" || u.User != nil {
			return FieldError(field, "%q must be an absolute URI without a fragment", s)
		}
		switch u.Scheme {
		case "https":
			if u.Host == "" {
				return FieldError(field, "%q has no host", s)
			}
		case "http":
			h := u.Hostname()
			if h != "localhost" && h != "127.0.0.1" && h != "::1" {
				return FieldError(field, "%q: plain http is allowed only for localhost", s)
			}
		default:
			if !strings.Contains(u.Scheme, ".") {
				return FieldError(field, "%q: a custom scheme must be a reversed domain name (RFC 8252)", s)
			}
		}
	}
	return nil
}

// OAuthAuthRequest is an authorization request between the client's
// redirect and the code it gets back.
type OAuthAuthRequest struct {
	ID                  string
	ClientID            string
	RedirectURI         string
	Scopes              []string
	State               string
	Nonce               string
	ResponseMode        string
	CodeChallenge       string
	CodeChallengeMethod string
	Prompt              []string
	MaxAge              *int64 // seconds; nil when not asked
	LoginHint           string
	// Connection is the upstream connector the user signs in through
	// (Auth0's connection=, Okta's idp=); "" for the sign-in page.
	Connection string
	// Set when a user has signed in and consented.
	UserID   string
	AuthTime time.Time
	AMR      []string
	// The code, once issued: its hash, its expiry and when it was used.
	CodeHash      []byte
	CodeExpiresAt *time.Time
	CodeUsedAt    *time.Time
	// What the code's exchange issued, revoked if the code comes again.
	FamilyID  string
	AccessJTI string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OAuthRefreshToken is one token of a refresh-token family: every use
// rotates it into a new token of the same family.
type OAuthRefreshToken struct {
	ID        string
	FamilyID  string
	TokenHash []byte
	ClientID  string
	UserID    string
	Scopes    []string
	AuthTime  time.Time
	AMR       []string
	AccessJTI string // the access token issued with it
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// OAuthAccessToken is an opaque access token's record (JWT access tokens
// have none).
type OAuthAccessToken struct {
	ID        string // the jti
	TokenHash []byte
	ClientID  string
	UserID    string // "" for client credentials
	Scopes    []string
	FamilyID  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// OAuthConsent is what a user allowed a third-party client.
type OAuthConsent struct {
	UserID    string
	ClientID  string
	Scopes    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Device authorization states.
const (
	DevicePending  = "pending"
	DeviceApproved = "approved"
	DeviceDenied   = "denied"
	DeviceUsed     = "used"
)

// OAuthDeviceCode is a device authorization (RFC 8628): the device polls
// with the device code while its user enters the user code on the page.
type OAuthDeviceCode struct {
	DeviceCodeHash []byte
	UserCode       string
	ClientID       string
	Scopes         []string
	State          string
	UserID         string
	AuthTime       time.Time
	AMR            []string
	CreatedAt      time.Time
	ExpiresAt      time.Time
}

// OAuthSigningKey is a key the provider signs tokens with. The private key
// is encrypted with the instance key; Seq orders keys, and two nodes that
// rotate at once both try the same Seq, so only one wins.
type OAuthSigningKey struct {
	ID         string // the kid
	Seq        int64
	Algorithm  string // RS256, ES256 or EdDSA
	PrivateKey []byte // encrypted PKCS #8
	CreatedAt  time.Time
	ActiveAt   time.Time // signs from then on (published in the JWKS before)
	RetiredAt  *time.Time
}

// Revocation kinds of OAuthRevocation.
const (
	RevokeTokenID = "jti"  // one access token, by its id
	RevokeUser    = "user" // every token of a user issued before RevokedAt
)

// OAuthRevocation tells every node that access tokens are no longer good
// (introspection keeps the list in memory). It can go when every token it
// covers has expired.
type OAuthRevocation struct {
	ID        int64
	Kind      string
	Key       string // the jti or the user id
	RevokedAt time.Time
	ExpiresAt time.Time
}

// OAuthStore keeps the OAuth 2.0 / OpenID Connect provider's data.
type OAuthStore interface {
	// CreateOAuthClient fails with ECONFLICT for a taken id and ENOTFOUND
	// when the account does not exist.
	CreateOAuthClient(ctx context.Context, c *OAuthClient) error
	FindOAuthClient(ctx context.Context, id string) (*OAuthClient, error)
	// FindOAuthClients lists the clients of an account ("" for all) by name.
	FindOAuthClients(ctx context.Context, accountID string) ([]*OAuthClient, error)
	// UpdateOAuthClient writes every field but ID, AccountID and CreatedAt.
	UpdateOAuthClient(ctx context.Context, c *OAuthClient) error
	// DeleteOAuthClient deletes a client with its requests, tokens and
	// consents.
	DeleteOAuthClient(ctx context.Context, id string) error

	CreateOAuthAuthRequest(ctx context.Context, r *OAuthAuthRequest) error
	// FindOAuthAuthRequest returns an unexpired request, or ENOTFOUND.
	FindOAuthAuthRequest(ctx context.Context, id string, now time.Time) (*OAuthAuthRequest, error)
	// CompleteOAuthAuthRequest records the user who signed in and consented.
	CompleteOAuthAuthRequest(ctx context.Context, id, userID string, authTime time.Time, amr []string) error
	// SetOAuthCode records the hash of the code issued for a request.
	SetOAuthCode(ctx context.Context, id string, codeHash []byte, expires time.Time) error
	// ConsumeOAuthCode uses a code up. Of concurrent calls exactly one
	// succeeds. A code used before fails with ECONFLICT and returns its
	// request (the caller revokes what it issued); an unknown or expired
	// code fails with ENOTFOUND.
	ConsumeOAuthCode(ctx context.Context, codeHash []byte, now time.Time) (*OAuthAuthRequest, error)
	// SetOAuthCodeGrant records what a code's exchange issued.
	SetOAuthCodeGrant(ctx context.Context, id, familyID, accessJTI string) error

	CreateOAuthRefreshToken(ctx context.Context, t *OAuthRefreshToken) error
	// FindOAuthRefreshToken returns the token with the hash whatever its
	// state, or ENOTFOUND.
	FindOAuthRefreshToken(ctx context.Context, hash []byte) (*OAuthRefreshToken, error)
	// UseOAuthRefreshToken marks an unused, unrevoked, unexpired token used.
	// Of concurrent calls exactly one succeeds; the others fail with
	// ECONFLICT, as do calls for a token used, revoked or expired.
	UseOAuthRefreshToken(ctx context.Context, hash []byte, now time.Time) error
	// RevokeOAuthFamily revokes every token of a family and returns the
	// ids of the access tokens they were issued with.
	RevokeOAuthFamily(ctx context.Context, familyID string, now time.Time) ([]string, error)
	// RevokeUserOAuth revokes the user's refresh tokens (of one client, or
	// all when clientID is "") and returns the ids of the access tokens
	// they were issued with.
	RevokeUserOAuth(ctx context.Context, userID, clientID string, now time.Time) ([]string, error)

	CreateOAuthAccessToken(ctx context.Context, t *OAuthAccessToken) error
	// FindOAuthAccessToken returns an opaque token unexpired at now, or ENOTFOUND.
	FindOAuthAccessToken(ctx context.Context, hash []byte, now time.Time) (*OAuthAccessToken, error)

	// SaveOAuthConsent creates or replaces a user's consent to a client.
	SaveOAuthConsent(ctx context.Context, c *OAuthConsent) error
	FindOAuthConsent(ctx context.Context, userID, clientID string) (*OAuthConsent, error)
	// FindOAuthConsents lists a user's consents, newest first.
	FindOAuthConsents(ctx context.Context, userID string) ([]*OAuthConsent, error)
	DeleteOAuthConsent(ctx context.Context, userID, clientID string) error

	// CreateOAuthDeviceCode fails with ECONFLICT when the user code is taken.
	CreateOAuthDeviceCode(ctx context.Context, d *OAuthDeviceCode) error
	// FindOAuthDeviceCode finds a device code by its hash, whatever its
	// state and expiry, or ENOTFOUND.
	FindOAuthDeviceCode(ctx context.Context, hash []byte) (*OAuthDeviceCode, error)
	// FindOAuthUserCode finds a pending, unexpired device authorization by
	// its user code, or ENOTFOUND.
	FindOAuthUserCode(ctx context.Context, userCode string, now time.Time) (*OAuthDeviceCode, error)
	// DecideOAuthUserCode approves (userID set) or denies a pending,
	// unexpired authorization once; ENOTFOUND otherwise.
	DecideOAuthUserCode(ctx context.Context, userCode string, approve bool, userID string, authTime time.Time, amr []string, now time.Time) error
	// UseOAuthDeviceCode turns an approved authorization into a used one,
	// once; ECONFLICT otherwise.
	UseOAuthDeviceCode(ctx context.Context, hash []byte) error

	// CreateOAuthSigningKey fails with ECONFLICT when Seq is taken.
	CreateOAuthSigningKey(ctx context.Context, k *OAuthSigningKey) error
	// FindOAuthSigningKeys lists the keys not retired before now, by Seq.
	FindOAuthSigningKeys(ctx context.Context, now time.Time) ([]*OAuthSigningKey, error)
	// RetireOAuthSigningKey sets when a key leaves the key set.
	RetireOAuthSigningKey(ctx context.Context, id string, at time.Time) error

	// AddOAuthRevocation appends a revocation and sets its ID.
	AddOAuthRevocation(ctx context.Context, r *OAuthRevocation) error
	// FindOAuthRevocations lists unexpired revocations with an id above
	// afterID, in id order, at most limit.
	FindOAuthRevocations(ctx context.Context, afterID int64, now time.Time, limit int) ([]*OAuthRevocation, error)

	// DeleteExpiredOAuth removes requests, codes, tokens, device codes,
	// retired keys and revocations that can no longer matter at now.
	DeleteExpiredOAuth(ctx context.Context, now time.Time) (int, error)
}
