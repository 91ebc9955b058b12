package config

import (
	"regexp"
	"slices"
	"time"
)

// OAuth configures the OAuth 2.0 / OpenID Connect provider, whose issuer is
// {server.base_url}/oauth2/default.
type OAuth struct {
	Enabled            bool          `yaml:"enabled"`
	Audience           string        `yaml:"audience"`
	SigningAlg         string        `yaml:"signing_alg"`
	KeyRotation        time.Duration `yaml:"key_rotation"`
	AccessTokenTTL     time.Duration `yaml:"access_token_ttl"`
	IDTokenTTL         time.Duration `yaml:"id_token_ttl"`
	RefreshTokenTTL    time.Duration `yaml:"refresh_token_ttl"`
	CodeTTL            time.Duration `yaml:"code_ttl"`
	RefreshGrace       time.Duration `yaml:"refresh_grace"`
	DeviceCodeTTL      time.Duration `yaml:"device_code_ttl"`
	DevicePollInterval time.Duration `yaml:"device_poll_interval"`
	RevocationPoll     time.Duration `yaml:"revocation_poll"`
	Scopes             []string      `yaml:"scopes"`
	AdminScope         string        `yaml:"admin_scope"`
	Claims             []Claim       `yaml:"claims"`
}

// Claim maps a custom-data attribute to a claim of ID tokens and userinfo,
// given with the profile scope.
type Claim struct {
	Name      string `yaml:"name"`
	Attribute string `yaml:"attribute"`
}

func defaultOAuth() OAuth {
	return OAuth{
		Enabled:            true,
		Audience:           "api://default",
		SigningAlg:         "RS256",
		KeyRotation:        90 * day,
		AccessTokenTTL:     time.Hour,
		IDTokenTTL:         time.Hour,
		RefreshTokenTTL:    30 * day,
		CodeTTL:            time.Minute,
		RefreshGrace:       15 * time.Second,
		DeviceCodeTTL:      10 * time.Minute,
		DevicePollInterval: 5 * time.Second,
		RevocationPoll:     5 * time.Second,
		Scopes:             []string{},
		AdminScope:         "userdb:admin",
		Claims:             []Claim{},
	}
}

// scopeName is what a scope may look like (RFC 6749 section 3.3 allows
// more; this keeps names readable and safe in every surface).
var scopeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$`)

var claimName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// reservedClaims are set by the provider and cannot be mapped.
var reservedClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "nonce", "acr", "amr",
	"azp", "at_hash", "c_hash", "cid", "scp", "uid", "email", "email_verified", "name", "given_name", "family_name",
	"middle_name", "preferred_username", "updated_at", "roles", "account", "client_id", "scope"}

func (c *Config) validateOAuth(p *Problems) {
	o := c.OAuth
	oneOf(p, "oauth.signing_alg", o.SigningAlg, "RS256", "ES256", "EdDSA")
	required(p, "oauth.audience", o.Audience)
	positive(p, "oauth.access_token_ttl", int64(o.AccessTokenTTL))
	positive(p, "oauth.id_token_ttl", int64(o.IDTokenTTL))
	positive(p, "oauth.refresh_token_ttl", int64(o.RefreshTokenTTL))
	positive(p, "oauth.code_ttl", int64(o.CodeTTL))
	positive(p, "oauth.device_code_ttl", int64(o.DeviceCodeTTL))
	positive(p, "oauth.device_poll_interval", int64(o.DevicePollInterval))
	positive(p, "oauth.revocation_poll", int64(o.RevocationPoll))
	if time.Duration(o.CodeTTL) > 10*time.Minute {
		p.add("oauth.code_ttl", "must be at most 10m (RFC 6749 section 4.1.2)")
	}
	if time.Duration(o.RefreshGrace) > time.Minute {
		p.add("oauth.refresh_grace", "must be at most 1m")
	}
	if r := time.Duration(o.KeyRotation); r != 0 && r < 2*time.Duration(o.AccessTokenTTL) {
		p.add("oauth.key_rotation", "must be 0 (never) or at least twice oauth.access_token_ttl")
	}
	required(p, "oauth.admin_scope", o.AdminScope)
	for _, s := range append(slices.Clone(o.Scopes), o.AdminScope) {
		if s != "" && !scopeName.MatchString(s) {
			p.add("oauth.scopes", "%q is not a valid scope name (letters, digits and _ . : / -)", s)
		}
		if slices.Contains([]string{"openid", "profile", "email", "offline_access", "phone", "address"}, s) {
			p.add("oauth.scopes", "%q is built in", s)
		}
	}
	for _, cl := range o.Claims {
		if !claimName.MatchString(cl.Name) || slices.Contains(reservedClaims, cl.Name) {
			p.add("oauth.claims", "%q cannot be a mapped claim", cl.Name)
		}
		if cl.Attribute == "" {
			p.add("oauth.claims", "claim %q needs an attribute", cl.Name)
		}
	}
}
