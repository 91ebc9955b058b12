package config

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// Upstream configures sign-in through other identity providers
// (internal/connector). Connectors listed here are read only at run time;
// more can be defined through the admin API, which keeps them in the
// database.
type Upstream struct {
	// Timeout bounds each request to a provider (discovery, keys, token,
	// userinfo), so a slow or unreachable provider gives a clear page.
	Timeout time.Duration `yaml:"timeout"`
	// FlowTTL is how long a sign-in may stay at the provider, and how long
	// an identity waits for its user's proof before it is linked.
	FlowTTL    time.Duration     `yaml:"flow_ttl"`
	Connectors []ConnectorConfig `yaml:"connectors"`
}

// ConnectorConfig is one connector of the configuration file.
type ConnectorConfig struct {
	ID           string   `yaml:"id"`
	Type         string   `yaml:"type"`
	Name         string   `yaml:"name"`
	Disabled     bool     `yaml:"disabled"`
	Account      string   `yaml:"account"` // name of the account; "" for the default account
	ClientID     string   `yaml:"client_id"`
	ClientSecret string   `yaml:"client_secret" config:"secret"`
	IconURL      string   `yaml:"icon_url"`
	Issuer       string   `yaml:"issuer"`
	AuthURL      string   `yaml:"auth_url"`
	TokenURL     string   `yaml:"token_url"`
	UserInfoURL  string   `yaml:"userinfo_url"`
	Scopes       []string `yaml:"scopes"`
	Claims       Claims   `yaml:"claims"`
	// GroupRoles maps groups-claim values to role names.
	GroupRoles   map[string]string `yaml:"group_roles"`
	DefaultRoles []string          `yaml:"default_roles"`
	CreateUsers  bool              `yaml:"create_users"`
	// DomainAccounts maps email domains to the account names new users join.
	DomainAccounts map[string]string `yaml:"domain_accounts"`
	Domains        []string          `yaml:"domains"`
	Required       bool              `yaml:"required"`
	KeepTokens     bool              `yaml:"keep_tokens"`
}

// Claims names the provider's claims that carry each field; empty keys take
// the standard OpenID Connect claim.
type Claims struct {
	Subject       string            `yaml:"subject"`
	Email         string            `yaml:"email"`
	EmailVerified string            `yaml:"email_verified"`
	Username      string            `yaml:"username"`
	GivenName     string            `yaml:"given_name"`
	Surname       string            `yaml:"surname"`
	Name          string            `yaml:"name"`
	Groups        string            `yaml:"groups"`
	Attributes    map[string]string `yaml:"attributes"`
}

var configConnectorID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

// connectorTypes are the types a connector may have (userdb.ConnectorTypes).
var connectorTypes = []string{"oidc", "oauth2", "google", "microsoft", "github", "gitlab", "apple", "facebook"}

// validateUpstream checks the upstream section; the service checks each
// connector's fields in full when it loads them.
func (c *Config) validateUpstream(p *Problems) {
	positive(p, "upstream.timeout", int64(c.Upstream.Timeout))
	positive(p, "upstream.flow_ttl", int64(c.Upstream.FlowTTL))
	if t := time.Duration(c.Upstream.Timeout); t > 2*time.Minute {
		p.add("upstream.timeout", "must be at most 2m: a user waits for it")
	}
	seen := map[string]bool{}
	for i, cc := range c.Upstream.Connectors {
		key := fmt.Sprintf("upstream.connectors[%d]", i)
		if !configConnectorID.MatchString(cc.ID) {
			p.add(key+".id", "must be 1 to 40 lower-case letters, digits and dashes")
		} else if seen[cc.ID] {
			p.add(key+".id", "%s is listed twice", cc.ID)
		}
		seen[cc.ID] = true
		if !slices.Contains(connectorTypes, cc.Type) {
			p.add(key+".type", "must be one of %v", connectorTypes)
		}
		required(p, key+".client_id", cc.ClientID)
		for name, u := range map[string]string{"icon_url": cc.IconURL, "issuer": cc.Issuer,
			"auth_url": cc.AuthURL, "token_url": cc.TokenURL, "userinfo_url": cc.UserInfoURL} {
			absoluteURL(p, key+"."+name, u)
		}
	}
}
