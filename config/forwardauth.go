package config

import (
	"fmt"
	"strings"

	"github.com/userdb/userdb/internal/httpx"
)

// ForwardAuth configures the forward-authentication endpoints that reverse
// proxies (nginx auth_request, Traefik forwardAuth, Caddy forward_auth) ask
// before passing a request on to an application.
type ForwardAuth struct {
	Enabled bool `yaml:"enabled"`
	// Default decides a request no rule matches: ForwardAuthSignedIn lets
	// any signed-in user through, ForwardAuthDeny refuses it (403).
	Default string `yaml:"default"`
	// Rules are tried in order; the first whose hosts and paths match the
	// original request decides.
	Rules []ForwardAuthRule `yaml:"rules"`
}

// The values of ForwardAuth.Default.
const (
	ForwardAuthSignedIn = "signed_in"
	ForwardAuthDeny     = "deny"
)

// ForwardAuthRule requires roles for requests to some hosts and paths.
type ForwardAuthRule struct {
	// Hosts are host names ("app.example.com"), with a port when the
	// proxy is reached on one ("127.0.0.1:8081"), or "*.example.com" for
	// every subdomain; empty matches every host.
	Hosts []string `yaml:"hosts"`
	// Paths are exact paths ("/admin"), or prefixes ending in "*"
	// ("/admin/*"), matched against the decoded and cleaned path; empty
	// matches every path.
	Paths []string `yaml:"paths"`
	// Roles lets through a signed-in user holding one of them (role
	// names of the user's account); empty lets through any signed-in user.
	Roles []string `yaml:"roles"`
}

func (c *Config) validateForwardAuth(p *Problems) {
	f := &c.ForwardAuth
	oneOf(p, "forward_auth.default", f.Default, ForwardAuthSignedIn, ForwardAuthDeny)
	for i, r := range f.Rules {
		key := fmt.Sprintf("forward_auth.rules[%d]", i)
		for j, h := range r.Hosts {
			if !httpx.PlainHost(strings.TrimPrefix(h, "*.")) {
				p.add(fmt.Sprintf("%s.hosts[%d]", key, j), "must be a host name, with an optional port, or *.domain")
			}
		}
		for j, pt := range r.Paths {
			star := strings.Index(pt, "*")
			if !strings.HasPrefix(pt, "/") || (star >= 0 && star != len(pt)-1) {
				p.add(fmt.Sprintf("%s.paths[%d]", key, j), "must be a path starting with /, with * only at its end")
			}
		}
		for j, role := range r.Roles {
			if strings.TrimSpace(role) == "" {
				p.add(fmt.Sprintf("%s.roles[%d]", key, j), "must be a role name")
			}
		}
	}
}
