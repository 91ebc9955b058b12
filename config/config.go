package config

import (
	_ "embed"
	"net"
	"strings"
	"time"
)

// Config is the whole configuration of a userdb server. Start from Default or
// Load; defaults.yaml documents every key.
//
// Fields are plain Go values: durations are time.Duration, sizes (tagged
// config:"size") are numbers of bytes, and secrets (tagged config:"secret",
// and the DSN, tagged config:"dsn") are strings. Printed with fmt, logged
// with slog or marshalled to JSON or YAML, a Config shows its secrets as
// "[redacted]" and its DSN without password (see Redacted); code that prints
// or logs one of those fields on its own masks it itself (RedactDSN).
type Config struct {
	Server         Server       `yaml:"server"`
	Database       Database     `yaml:"database"`
	Secrets        Secrets      `yaml:"secrets"`
	Log            Log          `yaml:"log"`
	Hashing        Hashing      `yaml:"hashing"`
	SuperAdminRole string       `yaml:"super_admin_role"`
	Transformer    string       `yaml:"transformer"`
	AccountsHref   string       `yaml:"accounts_href"`
	GroupsHref     string       `yaml:"groups_href"`
	Sessions       Sessions     `yaml:"sessions"`
	Registration   Registration `yaml:"registration"`
	Setup          Setup        `yaml:"setup"`
	Endpoints      Endpoints    `yaml:"endpoints"`
	Password       Password     `yaml:"password"`
	Lockout        Lockout      `yaml:"lockout"`
	Tokens         Tokens       `yaml:"tokens"`
	SMTP           SMTP         `yaml:"smtp"`
	Email          Email        `yaml:"email"`
	Outbox         Outbox       `yaml:"outbox"`
	Redis          Redis        `yaml:"redis"`
	CustomData     CustomData   `yaml:"custom_data"`
	Branding       Branding     `yaml:"branding"`
	Protection     Protection   `yaml:"protection"`
	Upstream       Upstream     `yaml:"upstream"`
	OAuth          OAuth        `yaml:"oauth"`
	ForwardAuth    ForwardAuth  `yaml:"forward_auth"`
	MFA            MFA          `yaml:"mfa"`
	MagicLink      MagicLink    `yaml:"magic_link"`
	Passkeys       Passkeys     `yaml:"passkeys"`
	APIKeys        APIKeys      `yaml:"api_keys"`
}

// Server is the HTTP listener and what it believes about its surroundings.
type Server struct {
	Addr            string        `yaml:"addr"`
	BaseURL         string        `yaml:"base_url"`
	TrustedProxies  []string      `yaml:"trusted_proxies"`
	MaxBody         int64         `yaml:"max_body" config:"size"`   // bytes
	MaxUpload       int64         `yaml:"max_upload" config:"size"` // bytes
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ShutdownGrace is how long /readyz fails after SIGTERM before the
	// listener closes, so that load balancers stop sending requests first.
	ShutdownGrace     time.Duration `yaml:"shutdown_grace"`
	TLS               TLS           `yaml:"tls"`
	AllowedReturnURLs []string      `yaml:"allowed_return_urls"`
	// ManagementAddr is the operators' listener (/metrics, /healthz,
	// /readyz); "" for none.
	ManagementAddr string `yaml:"management_addr"`
	// ManagementToken, when set, also serves /metrics on the public
	// listener to requests carrying it as a bearer token.
	ManagementToken string `yaml:"management_token" config:"secret"`
}

// TLS names the certificate and key files; both empty means plain HTTP.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Database is where users are stored.
type Database struct {
	DSN            string `yaml:"dsn" config:"dsn"`
	MigrateOnStart bool   `yaml:"migrate_on_start"`
	MaxOpenConns   int    `yaml:"max_open_conns"`
}

// Secrets are the instance keys; see Config.ResolveKeys.
type Secrets struct {
	File          string `yaml:"file"`
	CookieKey     string `yaml:"cookie_key" config:"secret"`
	EncryptionKey string `yaml:"encryption_key" config:"secret"`
}

// Log configures the process's slog handler.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Hashing sets the argon2id parameters and the size of the hashing pool.
type Hashing struct {
	Memory      int64 `yaml:"memory" config:"size"` // bytes
	Iterations  int   `yaml:"iterations"`
	Parallelism int   `yaml:"parallelism"`
	Workers     int   `yaml:"workers"`
	Queue       int   `yaml:"queue"`
}

// Sessions configures the session cookie and session expiry.
type Sessions struct {
	CookieName  string        `yaml:"cookie_name"`
	SameSite    string        `yaml:"same_site"`
	Secure      string        `yaml:"secure"`
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	Lifetime    time.Duration `yaml:"lifetime"`
	// RememberLifetime is how long a session lives, idle or not, when the
	// user chose "Keep me signed in" (at least Lifetime); 0 does not offer
	// the choice.
	RememberLifetime time.Duration `yaml:"remember_lifetime"`
	CacheTTL         time.Duration `yaml:"cache_ttl"`
	TouchInterval    time.Duration `yaml:"touch_interval"`
}

// Registration configures self-registration.
type Registration struct {
	Enabled             bool   `yaml:"enabled"`
	RequireVerification bool   `yaml:"require_verification"`
	Account             string `yaml:"account"`
}

// Setup is the first administrator's creation in the browser.
type Setup struct {
	// Enabled: while no super-admin exists, serve logs a one-time URL of
	// /setup that creates the first one. The command line works either way.
	Enabled bool `yaml:"enabled"`
}

// Endpoints are the seed-compatible JSON endpoints, each movable and
// switchable as in the original library.
type Endpoints struct {
	Login         Endpoint `yaml:"login"`
	Logout        Endpoint `yaml:"logout"`
	Me            Endpoint `yaml:"me"`
	Register      Endpoint `yaml:"register"`
	Verify        Endpoint `yaml:"verify"`
	Forgot        Endpoint `yaml:"forgot"`
	Change        Endpoint `yaml:"change"`
	Expired       Endpoint `yaml:"expired"`
	CheckPassword Endpoint `yaml:"check_password"`
}

// Endpoint is one switchable route.
type Endpoint struct {
	Enabled bool   `yaml:"enabled"`
	URI     string `yaml:"uri"`
}

// Password holds the password rules.
type Password struct {
	Policy  Policy        `yaml:"policy"`
	History int           `yaml:"history"`
	MaxAge  time.Duration `yaml:"max_age"`
	// TemporaryTTL is how long a password an administrator set to be
	// changed (--must-change) works; 0 = until it is changed.
	TemporaryTTL  time.Duration   `yaml:"temporary_ttl"`
	ExpiryWarning []time.Duration `yaml:"expiry_warning"`
	BreachCheck   string          `yaml:"breach_check"`
	Breach        Breach          `yaml:"breach"`
	Pepper        Pepper          `yaml:"pepper"`
}

// Policy is what a new password must satisfy. The character counts are
// minimums that apply in composition mode only.
type Policy struct {
	Mode      string `yaml:"mode"`
	MinLength int    `yaml:"min_length"`
	MaxLength int    `yaml:"max_length"`
	Uppers    int    `yaml:"uppers"`
	Lowers    int    `yaml:"lowers"`
	Numbers   int    `yaml:"numbers"`
	Specials  int    `yaml:"specials"`
}

// Lockout configures locking users out after failed sign-ins.
type Lockout struct {
	AfterFailures int           `yaml:"after_failures"`
	UnlockAfter   time.Duration `yaml:"unlock_after"`
}

// Tokens sets how long one-time tokens stay valid.
type Tokens struct {
	VerificationTTL time.Duration `yaml:"verification_ttl"`
	ResetTTL        time.Duration `yaml:"reset_ttl"`
	InviteTTL       time.Duration `yaml:"invite_ttl"`
}

// SMTP is the outgoing mail server; an empty Host writes emails to the log.
type SMTP struct {
	Host     string        `yaml:"host"`
	Port     int           `yaml:"port"`
	Username string        `yaml:"username"`
	Password string        `yaml:"password" config:"secret"`
	From     string        `yaml:"from"`
	TLS      string        `yaml:"tls"`
	CAFile   string        `yaml:"ca_file"` // PEM CAs trusted besides the system's (a private CA)
	Timeout  time.Duration `yaml:"timeout"`
}

// Email configures the workflow emails.
type Email struct {
	TemplatesDir                  string      `yaml:"templates_dir"`
	AccountVerification           LinkMessage `yaml:"account_verification"`
	AccountVerificationSuccessful Message     `yaml:"account_verification_successful"`
	AccountWelcome                Message     `yaml:"account_welcome"`
	ForgotPassword                LinkMessage `yaml:"forgot_password"`
	PasswordResetSuccessful       Message     `yaml:"password_reset_successful"`
}

// Message configures one workflow email.
type Message struct {
	Enabled  bool   `yaml:"enabled"`
	Subject  string `yaml:"subject"`
	Format   string `yaml:"format"`
	Template string `yaml:"template"`
}

// LinkMessage is a workflow email that carries a link with a token.
type LinkMessage struct {
	Message `yaml:",inline"`
	// Endpoint is the absolute URL the link points to; empty means the
	// matching endpoint under the base URL.
	Endpoint string `yaml:"endpoint"`
}

// Outbox configures the email sender's polling and retries.
type Outbox struct {
	PollInterval time.Duration `yaml:"poll_interval"`
	Batch        int           `yaml:"batch"`
	MaxAttempts  int           `yaml:"max_attempts"`
	Backoff      time.Duration `yaml:"backoff"`
	MaxBackoff   time.Duration `yaml:"max_backoff"`
	// Lease is how long emails claimed by a node are hidden from the
	// others: after a node's death, its claimed emails wait this long.
	Lease time.Duration `yaml:"lease"`
}

// Redis is the optional shared cache of a multi-node deployment.
type Redis struct {
	Addr     string `yaml:"addr"`
	Password string `yaml:"password" config:"secret"`
	DB       int    `yaml:"db"`
}

// CustomData declares the attributes users may carry in their custom data.
type CustomData struct {
	Schema   []Attribute `yaml:"schema"`
	FreeForm bool        `yaml:"free_form"`
	MaxDepth int         `yaml:"max_depth"`
	MaxKeys  int         `yaml:"max_keys"`
	MaxSize  int64       `yaml:"max_size" config:"size"`
	// UserWritable lets users write custom data no attribute declares
	// (POST /me, registration, invitations); off, only administrators do.
	UserWritable bool `yaml:"user_writable"`
}

// Attribute declares one custom-data attribute.
type Attribute struct {
	Name       string   `yaml:"name"`
	Type       string   `yaml:"type"`
	Required   bool     `yaml:"required"`
	MaxLength  int      `yaml:"max_length"`
	Values     []string `yaml:"values"`
	EditableBy string   `yaml:"editable_by"`
}

// Branding is shown on the hosted pages and in emails.
type Branding struct {
	ProductName  string `yaml:"product_name"`
	LogoURL      string `yaml:"logo_url"`
	PrimaryColor string `yaml:"primary_color"`
}

//go:embed defaults.yaml
var defaultsYAML []byte

// Defaults returns the documented default configuration file; parsing it
// gives Default().
func Defaults() []byte { return append([]byte(nil), defaultsYAML...) }

// Default returns the default configuration.
func Default() *Config {
	msg := func(subject, template string) Message {
		return Message{Enabled: true, Subject: subject, Format: "both", Template: template}
	}
	ep := func(uri string) Endpoint { return Endpoint{Enabled: true, URI: uri} }
	return &Config{
		Server: Server{
			Addr:              "localhost:8080",
			TrustedProxies:    []string{},
			MaxBody:           1 * MiB,
			MaxUpload:         25 * MiB,
			ShutdownTimeout:   15 * time.Second,
			AllowedReturnURLs: []string{},
			ManagementAddr:    "127.0.0.1:8081",
		},
		Database: Database{
			DSN:            "sqlite:userdb.db",
			MigrateOnStart: true,
			MaxOpenConns:   20,
		},
		Log:            Log{Level: "info", Format: "json"},
		Hashing:        Hashing{Memory: 19 * MiB, Iterations: 2, Parallelism: 1, Queue: 10000},
		SuperAdminRole: "super-admin",
		Transformer:    "none",
		AccountsHref:   "http://localhost/accounts",
		GroupsHref:     "http://localhost/groups",
		Sessions: Sessions{
			CookieName:       "userdb",
			SameSite:         "lax",
			Secure:           "auto",
			IdleTimeout:      30 * time.Minute,
			Lifetime:         12 * time.Hour,
			RememberLifetime: 0, // "Keep me signed in" is the operator's choice: off at ASVS L2
			CacheTTL:         time.Minute,
			TouchInterval:    time.Minute,
		},
		Registration: Registration{RequireVerification: true, Account: "default"},
		Setup:        Setup{Enabled: true},
		Endpoints: Endpoints{
			Login:         ep("/login"),
			Logout:        ep("/logout"),
			Me:            ep("/me"),
			Register:      ep("/register"),
			Verify:        ep("/verify"),
			Forgot:        ep("/forgot"),
			Change:        ep("/change"),
			Expired:       ep("/expired"),
			CheckPassword: ep("/users/check_password"),
		},
		Password: Password{
			Policy:        Policy{Mode: "nist", MinLength: 12, MaxLength: 128, Lowers: 1, Numbers: 1},
			ExpiryWarning: []time.Duration{14 * day, 3 * day},
			TemporaryTTL:  3 * day,
			BreachCheck:   "off",
			Breach:        defaultBreach(),
		},
		Lockout: Lockout{AfterFailures: 10, UnlockAfter: 15 * time.Minute},
		Tokens: Tokens{
			VerificationTTL: 24 * time.Hour,
			ResetTTL:        time.Hour,
			InviteTTL:       7 * day,
		},
		SMTP: SMTP{
			Port:    587,
			From:    "userdb <no-reply@localhost>",
			TLS:     "starttls",
			Timeout: 10 * time.Second,
		},
		Email: Email{
			AccountVerification: LinkMessage{
				Message: msg("Please verify your account", "account-verification"),
			},
			AccountVerificationSuccessful: msg("Your account has been confirmed", "account-verification-successful"),
			AccountWelcome:                msg("Your registration was successful", "account-welcome"),
			ForgotPassword: LinkMessage{
				Message: msg("Reset your password", "forgot-password"),
			},
			PasswordResetSuccessful: msg("Your password has been changed", "password-reset-successful"),
		},
		Outbox: Outbox{
			PollInterval: 2 * time.Second,
			Batch:        20,
			MaxAttempts:  12,
			Backoff:      10 * time.Second,
			MaxBackoff:   time.Hour,
			Lease:        5 * time.Minute,
		},
		CustomData:  CustomData{Schema: []Attribute{}, FreeForm: false, MaxDepth: 8, MaxKeys: 200, MaxSize: 16 * KiB},
		Branding:    Branding{ProductName: "userdb", PrimaryColor: "#2f5bea"},
		Protection:  defaultProtection(),
		Upstream:    Upstream{Timeout: 10 * time.Second, FlowTTL: 10 * time.Minute, Connectors: []ConnectorConfig{}},
		OAuth:       defaultOAuth(),
		ForwardAuth: ForwardAuth{Default: ForwardAuthSignedIn, Rules: []ForwardAuthRule{}},
		MFA:         defaultMFA(),
		MagicLink:   defaultMagicLink(),
		Passkeys:    defaultPasskeys(),
		APIKeys:     defaultAPIKeys(),
	}
}

// BaseURL returns the public URL of the server without a trailing slash:
// server.base_url, or http(s)://addr with an unspecified host read as
// localhost.
func (c *Config) BaseURL() string {
	if c.Server.BaseURL != "" {
		return strings.TrimSuffix(c.Server.BaseURL, "/")
	}
	scheme := "http://"
	if c.Server.TLS.CertFile != "" {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(c.Server.Addr)
	if err != nil {
		return scheme + c.Server.Addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + net.JoinHostPort(host, port)
}

// VerifyURL returns the link of account verification emails, to which the
// token is appended: email.account_verification.endpoint, or the verify
// endpoint under BaseURL.
func (c *Config) VerifyURL() string {
	return c.link(c.Email.AccountVerification.Endpoint, c.Endpoints.Verify.URI)
}

// ResetURL returns the link of forgot-password emails, to which the token is
// appended: email.forgot_password.endpoint, or the change endpoint under
// BaseURL.
func (c *Config) ResetURL() string {
	return c.link(c.Email.ForgotPassword.Endpoint, c.Endpoints.Change.URI)
}

func (c *Config) link(endpoint, uri string) string {
	if endpoint != "" {
		return endpoint
	}
	return c.BaseURL() + uri
}

// Database kinds returned by DatabaseKind.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

// DatabaseKind returns SQLite, Postgres or MySQL according to the scheme of
// database.dsn, or "" for an unknown scheme.
func (c *Config) DatabaseKind() string {
	dsn := c.Database.DSN
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres
	case strings.HasPrefix(dsn, "mysql://"):
		return MySQL
	}
	return ""
}

// SQLitePath returns the database file named by a sqlite: DSN, without any
// query parameters: sqlite:userdb.db and sqlite://userdb.db give userdb.db,
// sqlite:///var/lib/userdb.db gives /var/lib/userdb.db. It returns "" for
// other databases.
func (c *Config) SQLitePath() string {
	p, ok := strings.CutPrefix(c.Database.DSN, "sqlite:")
	if !ok {
		return ""
	}
	p = strings.TrimPrefix(p, "//")
	p, _, _ = strings.Cut(p, "?")
	return p
}
