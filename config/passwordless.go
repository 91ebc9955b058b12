package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// MagicLink configures passwordless sign-in by email: a link and a six-digit
// code in one email, each good once, for the browser that asked.
type MagicLink struct {
	Enabled bool `yaml:"enabled"`
	// TTL is how long a link and its code work.
	TTL time.Duration `yaml:"ttl"`
	// CodeAttempts is how many codes may be tried against one email's code.
	CodeAttempts int `yaml:"code_attempts"`
}

// Passkeys configures WebAuthn: passkeys and security keys, to sign in
// without a password or as a second factor.
type Passkeys struct {
	Enabled bool `yaml:"enabled"`
	// RPID is the relying party id: the domain credentials are bound to
	// ("" = the host of server.base_url). It must be that host or a
	// registrable suffix of it, and cannot change without losing every
	// registered credential.
	RPID string `yaml:"rp_id"`
	// RPName is the name authenticators show ("" = branding.product_name).
	RPName string `yaml:"rp_name"`
	// Origins are the origins the browser may run the ceremonies from
	// (none = the origin of server.base_url).
	Origins []string `yaml:"origins"`
	// UserVerification asks authenticators to verify the user (PIN,
	// biometrics): required | preferred | discouraged.
	UserVerification string `yaml:"user_verification"`
	// Timeout is how long a ceremony may take, from its options to its
	// answer.
	Timeout time.Duration `yaml:"timeout"`
}

func defaultMagicLink() MagicLink {
	return MagicLink{Enabled: true, TTL: 15 * time.Minute, CodeAttempts: 5}
}

func defaultPasskeys() Passkeys {
	return Passkeys{Enabled: true, Origins: []string{}, UserVerification: "preferred", Timeout: 5 * time.Minute}
}

// PasskeyRPID returns the relying party id: passkeys.rp_id, or the host of
// the base URL.
func (c *Config) PasskeyRPID() string {
	if c.Passkeys.RPID != "" {
		return c.Passkeys.RPID
	}
	u, err := url.Parse(c.BaseURL())
	if err != nil {
		return ""
	}
	return u.Hostname()
}

// PasskeyOrigins returns the origins WebAuthn ceremonies may come from:
// passkeys.origins, or the origin of the base URL.
func (c *Config) PasskeyOrigins() []string {
	if len(c.Passkeys.Origins) > 0 {
		return c.Passkeys.Origins
	}
	u, err := url.Parse(c.BaseURL())
	if err != nil {
		return nil
	}
	return []string{u.Scheme + "://" + u.Host}
}

func (c *Config) validatePasswordless(p *Problems) {
	positive(p, "magic_link.ttl", int64(c.MagicLink.TTL))
	atLeast(p, "magic_link.code_attempts", c.MagicLink.CodeAttempts, 1)
	k := &c.Passkeys
	oneOf(p, "passkeys.user_verification", k.UserVerification, "required", "preferred", "discouraged")
	positive(p, "passkeys.timeout", int64(k.Timeout))
	if k.RPID != "" && (strings.ContainsAny(k.RPID, ":/ ") || strings.HasPrefix(k.RPID, ".")) {
		p.add("passkeys.rp_id", "must be a domain name such as example.com, without scheme or port")
	}
	rpID := c.PasskeyRPID()
	for i, o := range k.Origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			p.add(fmt.Sprintf("passkeys.origins[%d]", i), "must be an origin such as https://id.example.com")
			continue
		}
		if h := u.Hostname(); rpID != "" && h != rpID && !strings.HasSuffix(h, "."+rpID) {
			p.add(fmt.Sprintf("passkeys.origins[%d]", i), "host %s is not %s or a subdomain of it (passkeys.rp_id)", h, rpID)
		}
	}
	if k.RPID != "" && len(k.Origins) == 0 {
		if h := hostOf(c.BaseURL()); h != k.RPID && !strings.HasSuffix(h, "."+k.RPID) {
			p.add("passkeys.rp_id", "%s is not the host of server.base_url (%s) nor a suffix of it: set passkeys.origins", k.RPID, h)
		}
	}
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
