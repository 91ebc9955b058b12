package connector

import (
	"maps"
	"slices"

	"github.com/userdb/userdb"
)

// preset is what a provider's type fills in where the connector leaves a
// setting empty.
type preset struct {
	settings userdb.ConnectorSettings
	// emailsVerified: the provider only ever gives addresses it verified,
	// without saying so in a claim.
	emailsVerified bool
	// emailsURL (GitHub) lists the user's addresses with their verified flag.
	emailsURL string
	// formPost: the provider answers with a form post (Apple, when asked
	// for the name or email).
	formPost bool
}

var presets = map[string]preset{
	userdb.ConnectorOIDC: {settings: userdb.ConnectorSettings{Scopes: []string{"openid", "email", "profile"}}},
	userdb.ConnectorGoogle: {settings: userdb.ConnectorSettings{
		Issuer: "https://accounts.google.com", Scopes: []string{"openid", "email", "profile"}}},
	// Entra ID's issuer names the tenant
	// (https://login.microsoftonline.com/{tenant}/v2.0); its email claim
	// is not verified by Microsoft, so such users are linked, never
	// created, unless the tenant's administrators vouch for it with an
	// email_verified claim mapping.
	userdb.ConnectorMicrosoft: {settings: userdb.ConnectorSettings{Scopes: []string{"openid", "email", "profile"}}},
	userdb.ConnectorGitLab: {settings: userdb.ConnectorSettings{
		Issuer: "https://gitlab.com", Scopes: []string{"openid", "email", "profile"},
		Claims: userdb.ClaimMap{Username: "nickname", Groups: "groups"}}},
	userdb.ConnectorApple: {settings: userdb.ConnectorSettings{
		Issuer: "https://appleid.apple.com", Scopes: []string{"openid", "email", "name"}}, formPost: true},
	userdb.ConnectorOAuth2: {},
	userdb.ConnectorGitHub: {settings: userdb.ConnectorSettings{
		Issuer: "https://github.com", AuthURL: "https://github.com/login/oauth/authorize",
		TokenURL: "https://github.com/login/oauth/access_token", UserInfoURL: "https://api.github.com/user",
		Scopes: []string{"read:user", "user:email"},
		Claims: userdb.ClaimMap{Subject: "id", Username: "login", Name: "name"}},
		emailsURL: "https://api.github.com/user/emails"},
	userdb.ConnectorFacebook: {settings: userdb.ConnectorSettings{
		Issuer: "https://www.facebook.com", AuthURL: "https://www.facebook.com/v19.0/dialog/oauth",
		TokenURL:    "https://graph.facebook.com/v19.0/oauth/access_token",
		UserInfoURL: "https://graph.facebook.com/me?fields=id,name,email,first_name,last_name",
		Scopes:      []string{"email", "public_profile"},
		Claims:      userdb.ClaimMap{Subject: "id", GivenName: "first_name", Surname: "last_name"}},
		emailsVerified: true},
}

// WithPreset returns s with the empty settings filled in from the preset of
// the type: a GitHub connector needs only its client id and secret.
func WithPreset(typ string, s userdb.ConnectorSettings) userdb.ConnectorSettings {
	p := presets[typ].settings
	or := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	s.Issuer = or(s.Issuer, p.Issuer)
	s.AuthURL = or(s.AuthURL, p.AuthURL)
	s.TokenURL = or(s.TokenURL, p.TokenURL)
	s.UserInfoURL = or(s.UserInfoURL, p.UserInfoURL)
	if len(s.Scopes) == 0 {
		s.Scopes = slices.Clone(p.Scopes)
	}
	c, d := &s.Claims, p.Claims
	c.Subject, c.Email, c.EmailVerified = or(c.Subject, d.Subject), or(c.Email, d.Email), or(c.EmailVerified, d.EmailVerified)
	c.Username, c.GivenName, c.Surname = or(c.Username, d.Username), or(c.GivenName, d.GivenName), or(c.Surname, d.Surname)
	c.Name, c.Groups = or(c.Name, d.Name), or(c.Groups, d.Groups)
	if c.Attributes == nil && d.Attributes != nil {
		c.Attributes = maps.Clone(d.Attributes)
	}
	return s
}
