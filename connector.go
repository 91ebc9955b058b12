package userdb

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Connector types: generic OpenID Connect and OAuth 2.0, and presets that
// fill in a known provider's endpoints and claims.
const (
	ConnectorOIDC      = "oidc"
	ConnectorOAuth2    = "oauth2"
	ConnectorGoogle    = "google"
	ConnectorMicrosoft = "microsoft"
	ConnectorGitHub    = "github"
	ConnectorGitLab    = "gitlab"
	ConnectorApple     = "apple"
	ConnectorFacebook  = "facebook"
)

// ConnectorTypes lists every connector type, in the order forms offer them.
var ConnectorTypes = []string{ConnectorOIDC, ConnectorOAuth2, ConnectorGoogle, ConnectorMicrosoft,
	ConnectorGitHub, ConnectorGitLab, ConnectorApple, ConnectorFacebook}

// Connector is an upstream identity provider users sign in through: a
// company's OpenID Connect provider, Google, GitHub... Its ID names it in
// URLs (/upstream/{id}/callback) and in the `connection` parameter.
type Connector struct {
	ID     string
	Type   string // one of ConnectorTypes
	Name   string // shown on the sign-in button
	Status Status // ENABLED or DISABLED
	// AccountID owns the connector: its administrators manage it, and the
	// users it creates join this account unless Settings.DomainAccounts
	// picks another.
	AccountID string
	ClientID  string
	// SealedSecret is the client secret encrypted with the instance key;
	// the store keeps it as it is given.
	SealedSecret []byte
	Settings     ConnectorSettings
	// Source is "config" for a connector of the configuration file (read
	// only, never stored) and "" for one kept in the store.
	Source    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ConnectorSettings are a connector's options besides its identity; the
// store keeps them as one JSON document.
type ConnectorSettings struct {
	IconURL string `json:"icon_url,omitempty"`
	// Issuer is the OpenID Connect issuer (discovery reads
	// {issuer}/.well-known/openid-configuration). For OAuth 2.0 it is only
	// the first half of an identity's key; presets set it.
	Issuer string `json:"issuer,omitempty"`
	// AuthURL, TokenURL and UserInfoURL are a generic OAuth 2.0 provider's
	// endpoints (discovered for OpenID Connect).
	AuthURL     string   `json:"auth_url,omitempty"`
	TokenURL    string   `json:"token_url,omitempty"`
	UserInfoURL string   `json:"userinfo_url,omitempty"`
	Scopes      []string `json:"scopes,omitempty"`
	Claims      ClaimMap `json:"claims,omitempty"`
	// GroupRoles maps a value of the groups claim to a role name of the
	// user's account; a group that names such a role needs no entry.
	GroupRoles map[string]string `json:"group_roles,omitempty"`
	// DefaultRoles are given to every user the connector creates.
	DefaultRoles []string `json:"default_roles,omitempty"`
	// CreateUsers lets the connector create users at their first sign-in
	// (just in time); otherwise it only signs in users linked already.
	CreateUsers bool `json:"create_users,omitempty"`
	// DomainAccounts picks the account of a new user by the domain of its
	// email (domain -> account name).
	DomainAccounts map[string]string `json:"domain_accounts,omitempty"`
	// Domains are the email domains whose users the sign-in page sends
	// here (home-realm discovery).
	Domains []string `json:"domains,omitempty"`
	// Required makes the connector the only way in for the users of its
	// account: their password sign-in is refused.
	Required bool `json:"required,omitempty"`
	// KeepTokens keeps the upstream's tokens, encrypted, with the identity.
	KeepTokens bool `json:"keep_tokens,omitempty"`
}

// ClaimMap names the claims (of the ID token or the userinfo answer) that
// carry each field; empty names take the standard claim.
type ClaimMap struct {
	Subject       string `json:"subject,omitempty"`        // "sub"
	Email         string `json:"email,omitempty"`          // "email"
	EmailVerified string `json:"email_verified,omitempty"` // "email_verified"
	Username      string `json:"username,omitempty"`       // "preferred_username"
	GivenName     string `json:"given_name,omitempty"`     // "given_name"
	Surname       string `json:"surname,omitempty"`        // "family_name"
	Name          string `json:"name,omitempty"`           // "name"
	Groups        string `json:"groups,omitempty"`         // "groups"
	// Attributes maps custom-data attributes to claims.
	Attributes map[string]string `json:"attributes,omitempty"`
}

// Identity is a user's account at an upstream provider: the provider's
// issuer and subject identify it, never the email, which a provider may
// let anyone claim.
type Identity struct {
	ID          string
	UserID      string
	ConnectorID string
	Issuer      string
	Subject     string
	Email       string // as the provider last asserted it, for display
	// SealedTokens are the upstream's tokens encrypted with the instance
	// key, kept only when the connector says so.
	SealedTokens []byte
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

// UpstreamFlow is the server's memory of a sign-in at an upstream provider
// between the redirect and the callback, or of an identity waiting for its
// user's proof before it is linked. The browser holds its secret; the store
// keeps the SHA-256 and the data encrypted with the instance key.
type UpstreamFlow struct {
	Hash       []byte
	Kind       string // "auth" or "link"
	Data       []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt *time.Time
}

// Limits of connector fields.
const (
	MaxConnectorIDLen = 40
	maxURLLen         = 1000
)

var connectorIDPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// ValidConnectorType reports whether t is a connector type.
func ValidConnectorType(t string) bool {
	for _, x := range ConnectorTypes {
		if x == t {
			return true
		}
	}
	return false
}

// Validate checks a connector before it is written. It checks the fields'
// form; whether the provider answers is the connector's business.
func (c *Connector) Validate() error {
	if c.ID == "" || len(c.ID) > MaxConnectorIDLen || !connectorIDPattern.MatchString(c.ID) {
		return FieldError("id", "id must be 1 to %d lower-case letters, digits and dashes, starting with a letter or digit", MaxConnectorIDLen)
	}
	if !ValidConnectorType(c.Type) {
		return FieldError("type", "type must be one of %s", strings.Join(ConnectorTypes, ", "))
	}
	if err := checkName("name", c.Name, MaxNameLen); err != nil {
		return err
	}
	if strings.TrimSpace(c.Name) == "" {
		return FieldError("name", "name is required")
	}
	if c.Status != StatusEnabled && c.Status != StatusDisabled {
		return FieldError("status", "status must be ENABLED or DISABLED")
	}
	if c.AccountID == "" {
		return FieldError("accountId", "accountId is required")
	}
	if c.ClientID == "" || len(c.ClientID) > 500 || !validText(c.ClientID) {
		return FieldError("clientId", "clientId is required (at most 500 characters)")
	}
	st := &c.Settings
	for name, u := range map[string]string{"iconUrl": st.IconURL, "issuer": st.Issuer, "authUrl": st.AuthURL,
		"tokenUrl": st.TokenURL, "userinfoUrl": st.UserInfoURL} {
		if err := checkURL(name, u); err != nil {
			return err
		}
	}
	switch c.Type {
	case ConnectorOIDC:
		if st.Issuer == "" {
			return FieldError("issuer", "issuer is required for an OpenID Connect connector")
		}
	case ConnectorOAuth2:
		if st.AuthURL == "" || st.TokenURL == "" || st.UserInfoURL == "" {
			return FieldError("authUrl", "authUrl, tokenUrl and userinfoUrl are required for an OAuth 2.0 connector")
		}
	}
	if len(st.Scopes) > 20 {
		return FieldError("scopes", "at most 20 scopes")
	}
	for _, s := range st.Scopes {
		if s == "" || len(s) > 200 || strings.ContainsAny(s, " \t\r\n\"") {
			return FieldError("scopes", "a scope is 1 to 200 characters without spaces or quotes")
		}
	}
	for _, d := range append(append([]string{}, st.Domains...), keys(st.DomainAccounts)...) {
		if d == "" || len(d) > 253 || strings.ContainsAny(d, "@ /") || d != strings.ToLower(d) {
			return FieldError("domains", "a domain is a lower-case host name such as example.com")
		}
	}
	return nil
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkURL accepts "" or an absolute http(s) URL.
func checkURL(field, s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	if err != nil || len(s) > maxURLLen || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return FieldError(field, "%s must be an absolute http or https URL", field)
	}
	return nil
}

// EmailDomain returns the lower-cased domain of an email address, or "".
func EmailDomain(email string) string {
	i := strings.LastIndexByte(email, '@')
	if i < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSpace(email[i+1:]))
}

// ConnectorStore keeps the connectors defined through the admin API (those
// of the configuration file are never stored).
type ConnectorStore interface {
	// CreateConnector fails with ECONFLICT when the id is taken and
	// ENOTFOUND when the account does not exist.
	CreateConnector(ctx context.Context, c *Connector) error
	FindConnector(ctx context.Context, id string) (*Connector, error)
	// FindConnectors lists the connectors of an account ("" for all),
	// ordered by id.
	FindConnectors(ctx context.Context, accountID string) ([]*Connector, error)
	// UpdateConnector replaces every field of the stored connector c.ID but
	// its creation time; ENOTFOUND when there is none.
	UpdateConnector(ctx context.Context, c *Connector) error
	// DeleteConnector deletes a connector and the identities linked
	// through it.
	DeleteConnector(ctx context.Context, id string) error
}

// IdentityStore keeps users' upstream identities.
type IdentityStore interface {
	// CreateIdentity links an identity; ECONFLICT when its issuer and
	// subject are linked already (to any user), ENOTFOUND when the user
	// does not exist.
	CreateIdentity(ctx context.Context, id *Identity) error
	FindIdentity(ctx context.Context, issuer, subject string) (*Identity, error)
	// FindIdentitiesByUser lists a user's identities, oldest first.
	FindIdentitiesByUser(ctx context.Context, userID string) ([]*Identity, error)
	// UpdateIdentityLogin records a sign-in through the identity: the email
	// asserted and the tokens kept (nil for none).
	UpdateIdentityLogin(ctx context.Context, id, email string, sealedTokens []byte, now time.Time) error
	// DeleteIdentity unlinks an identity; ENOTFOUND when it is not the
	// user's.
	DeleteIdentity(ctx context.Context, userID, id string) error
}

// UpstreamFlowStore keeps upstream sign-ins in progress.
type UpstreamFlowStore interface {
	// CreateUpstreamFlow fails with ECONFLICT when the hash is taken.
	CreateUpstreamFlow(ctx context.Context, f *UpstreamFlow) error
	// FindUpstreamFlow returns a flow that is unused and unexpired at now,
	// or ENOTFOUND.
	FindUpstreamFlow(ctx context.Context, kind string, hash []byte, now time.Time) (*UpstreamFlow, error)
	// ConsumeUpstreamFlow uses a flow up: of any number of concurrent calls
	// exactly one succeeds; the others, and calls for used, expired or
	// unknown flows, fail with ENOTFOUND.
	ConsumeUpstreamFlow(ctx context.Context, kind string, hash []byte, now time.Time) (*UpstreamFlow, error)
	// DeleteExpiredUpstreamFlows removes flows that expired before now.
	DeleteExpiredUpstreamFlows(ctx context.Context, now time.Time) (int, error)
}
