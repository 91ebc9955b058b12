package web

import (
	"github.com/userdb/userdb/internal/httpx"
	"net/url"
	"strings"
)

// maxNextLen bounds the next= parameter.
const maxNextLen = 2048

// parseReturnURLs parses server.allowed_return_urls. config.Validate
// refuses a bad one; a program that builds its configuration without it
// gets it left out, so that no host can break out of the pages' policy.
func parseReturnURLs(list []string) []*url.URL {
	var out []*url.URL
	for _, s := range list {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !httpx.PlainHost(u.Host) {
			continue
		}
		out = append(out, u)
	}
	return out
}

// returnOrigin is the origin of next when it is an allowed return URL of
// another site, "" otherwise. Such a page's policy names the origin in
// form-action, since its form's answer redirects there.
func (p *Pages) returnOrigin(next string) string {
	if next == "" || strings.HasPrefix(next, "/") {
		return ""
	}
	u, err := url.Parse(next)
	if err != nil {
		return ""
	}
	for _, a := range p.returns {
		if allowedReturn(a, u) {
			return strings.ToLower(a.Scheme + "://" + a.Host)
		}
	}
	return ""
}

// returnTo returns where to send the user after signing in: next when it is
// a path of this site or an allowed absolute URL, else the profile.
//
// This is the open-redirect guard (OWASP "Unvalidated Redirects and
// Forwards"). A path must start with exactly one "/": browsers read "//host"
// and "/\host" as another host, and they drop tabs and newlines before
// parsing, so control characters and backslashes are refused outright.
func (p *Pages) returnTo(next string) string {
	if next == "" || len(next) > maxNextLen || strings.ContainsAny(next, "\\") || hasControl(next) {
		return ProfilePath
	}
	u, err := url.Parse(next)
	if err != nil || u.User != nil {
		return ProfilePath
	}
	if u.Scheme == "" && u.Host == "" && u.Opaque == "" {
		if strings.HasPrefix(next, "/") && !strings.HasPrefix(next, "//") {
			return next
		}
		return ProfilePath
	}
	for _, a := range p.returns {
		if allowedReturn(a, u) {
			return u.String()
		}
	}
	return ProfilePath
}

// allowedReturn reports whether u is on the origin of the allowed return
// URL a. (The entries are origins: the cross-origin protection trusts the
// same list, and it accepts nothing else.)
func allowedReturn(a, u *url.URL) bool {
	return strings.EqualFold(a.Scheme, u.Scheme) && strings.EqualFold(a.Host, u.Host)
}

// hasControl reports whether s has an ASCII control character.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}
