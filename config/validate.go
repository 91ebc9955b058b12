package config

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/userdb/userdb/internal/httpx"
	smtpmail "github.com/userdb/userdb/internal/mail"
)

// Validate checks every key and returns a *Problems listing all that is
// wrong, or nil.
func (c *Config) Validate() error {
	p := &Problems{}
	c.validate(p)
	return p.err()
}

func (c *Config) validate(p *Problems) {
	// Every number (counts, durations, sizes) must not be negative; the
	// checks below add what each key needs beyond that.
	walk(reflect.ValueOf(c).Elem(), "", func(key string, _ reflect.StructField, v reflect.Value) {
		if v.CanInt() && v.Int() < 0 {
			p.add(key, "must not be negative")
		}
	})
	c.validateServer(p)
	c.validateDatabase(p)
	c.checkKeys(p)
	oneOf(p, "log.level", c.Log.Level, "debug", "info", "warn", "error")
	oneOf(p, "log.format", c.Log.Format, "json", "text")
	c.validateHashing(p)
	required(p, "super_admin_role", c.SuperAdminRole)
	oneOf(p, "transformer", c.Transformer, "none", "stormpath")
	if c.Transformer == "stormpath" {
		required(p, "accounts_href", c.AccountsHref)
		required(p, "groups_href", c.GroupsHref)
	}
	absoluteURL(p, "accounts_href", c.AccountsHref)
	absoluteURL(p, "groups_href", c.GroupsHref)
	c.validateSessions(p)
	required(p, "registration.account", c.Registration.Account)
	c.validateEndpoints(p)
	c.validatePassword(p)
	positive(p, "tokens.verification_ttl", int64(c.Tokens.VerificationTTL))
	positive(p, "tokens.reset_ttl", int64(c.Tokens.ResetTTL))
	positive(p, "tokens.invite_ttl", int64(c.Tokens.InviteTTL))
	c.validateSMTP(p)
	c.validateEmail(p)
	c.validateOutbox(p)
	hostPort(p, "redis.addr", c.Redis.Addr)
	c.validateCustomData(p)
	c.validateProtection(p)
	c.validateBranding(p)
	c.validateUpstream(p)
	c.validateOAuth(p)
	c.validateForwardAuth(p)
	c.validateMFA(p)
	c.validatePasswordless(p)
	c.validateAPIKeys(p)
}

func (c *Config) validateServer(p *Problems) {
	s := &c.Server
	required(p, "server.addr", s.Addr)
	hostPort(p, "server.addr", s.Addr)
	absoluteURL(p, "server.base_url", s.BaseURL)
	if u, err := url.Parse(s.BaseURL); err == nil && (u.RawQuery != "" || u.Fragment != "") {
		p.add("server.base_url", "must not have a query or fragment")
	}
	for i, cidr := range s.TrustedProxies {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			p.add(fmt.Sprintf("server.trusted_proxies[%d]", i), "must be a CIDR such as 10.0.0.0/8 or 192.0.2.1/32")
		}
	}
	positive(p, "server.max_body", int64(s.MaxBody))
	positive(p, "server.max_upload", int64(s.MaxUpload))
	hostPort(p, "server.management_addr", s.ManagementAddr)
	if (s.TLS.CertFile == "") != (s.TLS.KeyFile == "") {
		p.add("server.tls", "set both cert_file and key_file, or neither")
	}
	for i, u := range s.AllowedReturnURLs {
		key := fmt.Sprintf("server.allowed_return_urls[%d]", i)
		required(p, key, u)
		absoluteURL(p, key, u)
	}
}

func (c *Config) validateDatabase(p *Problems) {
	switch c.DatabaseKind() {
	case "":
		p.add("database.dsn", "must start with sqlite:, postgres://, postgresql:// or mysql://")
	case SQLite:
		if c.SQLitePath() == "" {
			p.add("database.dsn", "must name a file after sqlite:, such as sqlite:userdb.db")
		}
	}
	atLeast(p, "database.max_open_conns", c.Database.MaxOpenConns, 1)
}

func (c *Config) validateHashing(p *Problems) {
	h := &c.Hashing
	atLeast(p, "hashing.iterations", h.Iterations, 1)
	atLeast(p, "hashing.parallelism", h.Parallelism, 1)
	if h.Parallelism > 255 {
		p.add("hashing.parallelism", "must be at most 255")
	}
	// Argon2 needs 8KiB per lane and counts memory in KiB in 32 bits (RFC 9106, section 3.1).
	if least := 8 * KiB * int64(max(h.Parallelism, 1)); h.Memory < least {
		p.add("hashing.memory", "must be at least %s", FormatSize(least))
	}
	if h.Memory >= 4*TiB {
		p.add("hashing.memory", "must be less than 4TiB")
	}
	atLeast(p, "hashing.queue", h.Queue, 1)
}

func (c *Config) validateSessions(p *Problems) {
	s := &c.Sessions
	if !validCookieName(s.CookieName) {
		p.add("sessions.cookie_name", "must be a cookie name: letters, digits and !#$%%&'*+-.^_`|~")
	}
	oneOf(p, "sessions.same_site", s.SameSite, "lax", "strict")
	oneOf(p, "sessions.secure", s.Secure, "auto", "always", "never")
	positive(p, "sessions.lifetime", int64(s.Lifetime))
}

// validCookieName reports whether name is a token (RFC 6265, section 4.1.1;
// RFC 9110, section 5.6.2).
func validCookieName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r) {
			return false
		}
	}
	return true
}

func (c *Config) validateEndpoints(p *Problems) {
	v := reflect.ValueOf(c.Endpoints)
	seen := make(map[string]string) // uri -> key of the enabled endpoint using it
	for _, f := range keyFields(v.Type()) {
		e := v.FieldByIndex(f.Index).Interface().(Endpoint)
		key := "endpoints." + keyName(f) + ".uri"
		if u, err := url.Parse(e.URI); err != nil || !strings.HasPrefix(e.URI, "/") || strings.HasPrefix(e.URI, "//") ||
			u.RawQuery != "" || u.Fragment != "" {
			p.add(key, "must be a path starting with /")
			continue
		}
		if !e.Enabled {
			continue
		}
		if other, ok := seen[e.URI]; ok {
			p.add(key, "same as %s", other)
		}
		seen[e.URI] = key
	}
}

func (c *Config) validatePassword(p *Problems) {
	pol := &c.Password.Policy
	oneOf(p, "password.policy.mode", pol.Mode, "off", "composition", "nist")
	atLeast(p, "password.policy.min_length", pol.MinLength, 1)
	if pol.MaxLength < pol.MinLength {
		p.add("password.policy.max_length", "must be at least min_length (%d)", pol.MinLength)
	}
	if n := pol.Uppers + pol.Lowers + pol.Numbers + pol.Specials; n > pol.MaxLength {
		p.add("password.policy", "uppers, lowers, numbers and specials add up to %d, more than max_length (%d)", n, pol.MaxLength)
	}
	c.checkPeppers(p)
}

func (c *Config) validateSMTP(p *Problems) {
	s := &c.SMTP
	if s.Port < 1 || s.Port > 65535 {
		p.add("smtp.port", "must be between 1 and 65535")
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		p.add("smtp.from", "must be an email address such as \"userdb <no-reply@example.com>\"")
	}
	oneOf(p, "smtp.tls", s.TLS, "none", "starttls", "tls")
	if s.CAFile != "" {
		if s.TLS == "none" {
			p.add("smtp.ca_file", "is only used with tls: starttls or tls")
		} else if _, err := smtpmail.ReadCAFile(s.CAFile); err != nil {
			p.add("smtp.ca_file", "%v", err)
		}
	}
	positive(p, "smtp.timeout", int64(s.Timeout))
}

var templateName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (c *Config) validateEmail(p *Problems) {
	e := &c.Email
	var uses []smtpmail.Use
	for _, u := range e.TemplateUses() {
		key := strings.TrimSuffix(u.Option, ".template")
		m := e.Message(strings.TrimPrefix(key, "email."))
		if m.Enabled {
			required(p, key+".subject", m.Subject)
		}
		oneOf(p, key+".format", m.Format, "text", "html", "both")
		if !templateName.MatchString(m.Template) {
			p.add(u.Option, "must be a template name such as %s, or the name of a file in email.templates_dir",
				strings.ReplaceAll(strings.TrimPrefix(key, "email."), "_", "-"))
		} else {
			uses = append(uses, smtpmail.Use(u))
		}
	}
	// What start-up loads, checked the same way (issue 22: `config check`
	// said ok to what `serve` then refused or failed to send): a file of
	// no template is named, and so is a missing file of a template of
	// one's own.
	if _, err := smtpmail.LoadTemplates(e.TemplatesDir, uses...); err != nil {
		var own *smtpmail.OwnTemplateError
		if errors.As(err, &own) {
			p.add(own.Option, "%v", own.Err)
		} else {
			p.add("email.templates_dir", "%v", err)
		}
	}
	absoluteURL(p, "email.account_verification.endpoint", e.AccountVerification.Endpoint)
	absoluteURL(p, "email.forgot_password.endpoint", e.ForgotPassword.Endpoint)
}

func (c *Config) validateOutbox(p *Problems) {
	o := &c.Outbox
	positive(p, "outbox.poll_interval", int64(o.PollInterval))
	atLeast(p, "outbox.batch", o.Batch, 1)
	atLeast(p, "outbox.max_attempts", o.MaxAttempts, 1)
	positive(p, "outbox.backoff", int64(o.Backoff))
	if o.MaxBackoff < o.Backoff {
		p.add("outbox.max_backoff", "must be at least backoff (%s)", FormatDuration(o.Backoff))
	}
	positive(p, "outbox.lease", int64(o.Lease))
}

var attributeName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

func (c *Config) validateCustomData(p *Problems) {
	seen := make(map[string]bool)
	for i, a := range c.CustomData.Schema {
		key := fmt.Sprintf("custom_data.schema[%d]", i)
		switch {
		case !attributeName.MatchString(a.Name):
			p.add(key+".name", "must be a name of letters, digits and _ (at most 64), not starting with a digit")
		case seen[a.Name]:
			p.add(key+".name", "%s is declared twice", a.Name)
		}
		seen[a.Name] = true
		oneOf(p, key+".type", a.Type, "string", "integer", "number", "boolean", "date", "email", "url", "enum")
		switch {
		case a.MaxLength < 0:
			p.add(key+".max_length", "must not be negative")
		case a.MaxLength > 0 && (a.Type == "integer" || a.Type == "number" || a.Type == "boolean"):
			p.add(key+".max_length", "applies to text types only")
		}
		if a.Type == "enum" && len(a.Values) == 0 {
			p.add(key+".values", "an enum needs its values")
		} else if a.Type != "enum" && len(a.Values) > 0 {
			p.add(key+".values", "applies to type enum only")
		}
		if a.EditableBy != "" {
			oneOf(p, key+".editable_by", a.EditableBy, "user", "admin")
		}
	}
}

var hexColor = regexp.MustCompile(`^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{6})$`)

func (c *Config) validateBranding(p *Problems) {
	b := &c.Branding
	required(p, "branding.product_name", b.ProductName)
	if !strings.HasPrefix(b.LogoURL, "/") || strings.HasPrefix(b.LogoURL, "//") {
		absoluteURL(p, "branding.logo_url", b.LogoURL)
	}
	if !hexColor.MatchString(b.PrimaryColor) {
		p.add("branding.primary_color", "must be a colour such as #2f5bea")
	}
}

func required(p *Problems, key, value string) {
	if value == "" {
		p.add(key, "must be set")
	}
}

func oneOf(p *Problems, key, value string, allowed ...string) {
	if !slices.Contains(allowed, value) {
		p.add(key, "must be one of %s, not %q", strings.Join(allowed, ", "), value)
	}
}

func positive(p *Problems, key string, n int64) {
	if n <= 0 {
		p.add(key, "must be more than zero")
	}
}

func atLeast(p *Problems, key string, n, least int) {
	if n < least {
		p.add(key, "must be at least %d", least)
	}
}

// hostPort checks that a non-empty addr is host:port.
func hostPort(p *Problems, key, addr string) {
	if addr == "" {
		return
	}
	_, port, err := net.SplitHostPort(addr)
	if _, perr := strconv.ParseUint(port, 10, 16); err != nil || perr != nil {
		p.add(key, "must be host:port, such as localhost:8080 or :8080")
	}
}

// absoluteURL checks that a non-empty value is an absolute http or https
// URL whose host is a host name or address (httpx.PlainHost): these URLs
// end up in links and in the pages' Content-Security-Policy.
func absoluteURL(p *Problems, key, value string) {
	if value == "" {
		return
	}
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !httpx.PlainHost(u.Host) {
		p.add(key, "must be an absolute http(s) URL")
	}
}
