package nodeimport_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/nodeimport"
)

// translate translates an original configuration and loads the result with
// config.Load, which must accept it.
func translate(t *testing.T, original []byte) (*config.Config, string, []string) {
	t.Helper()
	out, notes, err := nodeimport.TranslateConfig(original)
	if err != nil {
		t.Fatalf("TranslateConfig: %v", err)
	}
	path := filepath.Join(t.TempDir(), "userdb.yaml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := config.Load(path, nil)
	if err != nil {
		t.Fatalf("config.Load rejects the translation: %v\n%s", err, out)
	}
	return c, string(out), notes
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check compares named values.
func check(t *testing.T, got, want map[string]any) {
	t.Helper()
	for k, w := range want {
		if g := got[k]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s = %#v, want %#v", k, g, w)
		}
	}
}

func d(s string) time.Duration {
	v, err := config.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return v
}

// TestTranslateOriginalDefaults translates the original's own defaults.yml
// (testdata/defaults.yml, copied from userdb@1.0.13): the placeholders in it
// must not make an invalid configuration, and every value must keep the
// original's behaviour.
func TestTranslateOriginalDefaults(t *testing.T) {
	original := readFile(t, "defaults.yml")
	c, out, notes := translate(t, original)
	e := c.Email
	check(t, map[string]any{
		"log.level":                   c.Log.Level,
		"super_admin_role":            c.SuperAdminRole,
		"transformer":                 c.Transformer,
		"accounts_href":               c.AccountsHref,
		"groups_href":                 c.GroupsHref,
		"sessions.cookie_name":        c.Sessions.CookieName,
		"sessions.idle_timeout":       c.Sessions.IdleTimeout,
		"endpoints.verify":            c.Endpoints.Verify,
		"endpoints.expired":           c.Endpoints.Expired,
		"endpoints.login":             c.Endpoints.Login,
		"endpoints.change":            c.Endpoints.Change,
		"password.policy":             c.Password.Policy,
		"password.history":            c.Password.History,
		"password.max_age":            c.Password.MaxAge,
		"lockout":                     c.Lockout,
		"tokens.verification_ttl":     c.Tokens.VerificationTTL,
		"tokens.reset_ttl":            c.Tokens.ResetTTL,
		"smtp":                        c.SMTP,
		"email.account_verification":  e.AccountVerification,
		"email.forgot_password":       e.ForgotPassword,
		"email.account_welcome":       e.AccountWelcome,
		"email.password_reset_succes": e.PasswordResetSuccessful,
	}, map[string]any{
		"log.level":             "debug",
		"super_admin_role":      "super-admin",
		"transformer":           "stormpath",
		"accounts_href":         "http://localhost/accounts",
		"groups_href":           "http://localhost/groups",
		"sessions.cookie_name":  "userdb",
		"sessions.idle_timeout": time.Duration(0),
		"endpoints.verify":      config.Endpoint{Enabled: false, URI: "/verify"},
		"endpoints.expired":     config.Endpoint{Enabled: false, URI: "/expired"},
		"endpoints.login":       config.Endpoint{Enabled: true, URI: "/login"},
		"endpoints.change":      config.Endpoint{Enabled: true, URI: "/change"},
		"password.policy": config.Policy{Mode: "off", MinLength: 5, MaxLength: 128,
			Uppers: 0, Lowers: 1, Numbers: 1, Specials: 0},
		"password.history": 0,
		// 30 days, but the expired endpoint is off, so the original never expired passwords.
		"password.max_age":        time.Duration(0),
		"lockout":                 config.Lockout{AfterFailures: 0, UnlockAfter: d("15m")},
		"tokens.verification_ttl": d("24h"),
		"tokens.reset_ttl":        d("1h"),
		// FROM_EMAIL_ADDRESS, SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASS: userdb's defaults.
		"smtp": config.SMTP{Host: "", Port: 465, Username: "", Password: "", From: config.Default().SMTP.From,
			TLS: "tls", Timeout: d("5s")},
		"email.account_verification": config.LinkMessage{
			Message:  config.Message{Enabled: false, Subject: "Please verify your account", Format: "text", Template: "account-verification"},
			Endpoint: "http://localhost:3000/verify",
		},
		"email.forgot_password": config.LinkMessage{
			Message:  config.Message{Enabled: false, Subject: "Reset your password", Format: "text", Template: "forgot-password"},
			Endpoint: "http://localhost:3000/change",
		},
		"email.account_welcome":       config.Message{Enabled: false, Subject: "Your registration was successful", Format: "text", Template: "account-welcome"},
		"email.password_reset_succes": config.Message{Enabled: false, Subject: "Your password has been changed", Format: "text", Template: "password-reset-successful"},
	})

	// Every option of the original is accounted for in the output: as the
	// origin of a key, or among the options with no equivalent.
	var opts map[string]any
	if err := yaml.Unmarshal(original, &opts); err != nil {
		t.Fatal(err)
	}
	for _, opt := range leaves("", opts) {
		if !strings.Contains(out, opt) {
			t.Errorf("the output does not mention the original's option %s", opt)
		}
	}
	for _, opt := range []string{"session.secret", "tokenSigningKey", "logger", "database.driver", "database.options",
		"strategies", "debugEndpoints", "smtp.options.tls"} {
		if !strings.Contains(out, "#   "+opt+": ") || !containsPrefix(notes, opt+": ") {
			t.Errorf("option %s is not listed, with its reason, among those with no equivalent", opt)
		}
	}
	for _, placeholder := range []string{"FROM_EMAIL_ADDRESS", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASS"} {
		if !containsSubstring(notes, placeholder) {
			t.Errorf("no note about the placeholder %s", placeholder)
		}
	}
	for _, secret := range []string{"jsjjhdhgdghd", "674a3323-9a91-4bc4-b8a5-0c13d6a08a00"} {
		if strings.Contains(out, secret) {
			t.Errorf("the output holds the original's secret %s", secret)
		}
	}
}

// TestTranslateCustom translates a configuration (JSON, as a program passed
// it to initialize) that sets every option to something other than the
// original's default, and checks where each value lands.
func TestTranslateCustom(t *testing.T) {
	c, out, notes := translate(t, readFile(t, "custom.json"))
	e := c.Email
	check(t, map[string]any{
		"log.level":             c.Log.Level,
		"super_admin_role":      c.SuperAdminRole,
		"transformer":           c.Transformer,
		"accounts_href":         c.AccountsHref,
		"groups_href":           c.GroupsHref,
		"endpoints":             c.Endpoints,
		"sessions.cookie_name":  c.Sessions.CookieName,
		"sessions.idle_timeout": c.Sessions.IdleTimeout,
		"sessions.secure":       c.Sessions.Secure,
		"sessions.same_site":    c.Sessions.SameSite,
		"password":              c.Password,
		"lockout":               c.Lockout,
		"tokens.verification":   c.Tokens.VerificationTTL,
		"tokens.reset":          c.Tokens.ResetTTL,
		"smtp":                  c.SMTP,
		"email.verification":    e.AccountVerification,
		"email.verified":        e.AccountVerificationSuccessful,
		"email.welcome":         e.AccountWelcome,
		"email.forgot":          e.ForgotPassword,
		"email.reset":           e.PasswordResetSuccessful,
	}, map[string]any{
		"log.level":        "info",
		"super_admin_role": "root",
		"transformer":      "none",
		"accounts_href":    "https://api.example.com/accounts",
		"groups_href":      "https://api.example.com/groups",
		"endpoints": config.Endpoints{
			Login:         config.Endpoint{Enabled: true, URI: "/api/login"},
			Logout:        config.Endpoint{Enabled: false, URI: "/api/logout"},
			Me:            config.Endpoint{Enabled: true, URI: "/api/me"},
			Register:      config.Default().Endpoints.Register,
			Verify:        config.Endpoint{Enabled: true, URI: "/api/verify"},
			Forgot:        config.Endpoint{Enabled: false, URI: "/forgot"},
			Change:        config.Endpoint{Enabled: true, URI: "/api/change"},
			Expired:       config.Endpoint{Enabled: true, URI: "/api/expired"},
			CheckPassword: config.Default().Endpoints.CheckPassword,
		},
		"sessions.cookie_name":  "sid",
		"sessions.idle_timeout": d("1h"),
		"sessions.secure":       "always",
		"sessions.same_site":    "strict",
		"password": config.Password{
			Policy:  config.Policy{Mode: "composition", MinLength: 12, MaxLength: 128, Uppers: 1, Lowers: 2, Numbers: 3, Specials: 1},
			History: 4,
			MaxAge:  d("90d"), // the expired endpoint is on
			// What the original did not have keeps userdb's defaults.
			TemporaryTTL:  config.Default().Password.TemporaryTTL,
			ExpiryWarning: config.Default().Password.ExpiryWarning,
			BreachCheck:   config.Default().Password.BreachCheck,
			Breach:        config.Default().Password.Breach,
		},
		"lockout":             config.Lockout{AfterFailures: 5, UnlockAfter: d("30m")},
		"tokens.verification": d("48h"),
		"tokens.reset":        d("30m"),
		"smtp": config.SMTP{Host: "smtp.example.com", Port: 2525, Username: "mailer", Password: "mail-pass",
			From: "Example <no-reply@example.com>", TLS: "starttls", Timeout: d("20s")},
		"email.verification": config.LinkMessage{
			Message:  config.Message{Enabled: true, Subject: "Verify!", Format: "html", Template: "account-verification"},
			Endpoint: "https://app.example.com/verify",
		},
		"email.verified": config.Message{Enabled: true, Subject: "Verified", Format: "text", Template: "account-verification-successful"},
		"email.welcome":  config.Message{Enabled: true, Subject: "Your registration was successful", Format: "html", Template: "account-welcome"},
		"email.forgot": config.LinkMessage{
			Message:  config.Message{Enabled: true, Subject: "Reset your password", Format: "text", Template: "forgot-password"},
			Endpoint: "https://app.example.com/reset",
		},
		"email.reset": config.Message{Enabled: true, Subject: "Changed", Format: "text", Template: "password-reset-successful"},
	})
	for _, want := range []string{
		"myOwnOption: not carried over: not an option of userdb 1.0.13",
		"smtp.options.pool: not carried over",
		"database.options: not carried over",
		"--from mysql://app:PASSWORD@db.example.com/users",
		"email.accountVerification.template: an EJS template of your own",
	} {
		if !containsSubstring(notes, want) {
			t.Errorf("no note says %q; notes:\n%s", want, strings.Join(notes, "\n"))
		}
	}
	for _, secret := range []string{"s3cr3t-session", "sign-me-please", "db-pass"} {
		if strings.Contains(out, secret) || containsSubstring(notes, secret) {
			t.Errorf("the translation holds the secret %s", secret)
		}
	}
}

func TestTranslateCases(t *testing.T) {
	tests := []struct {
		name     string
		original string
		check    func(t *testing.T, c *config.Config)
		note     string // a note that must be given
	}{
		{
			name:     "sessions without rolling end after a fixed time",
			original: "session: {rolling: false}\nsessionsExpireInSeconds: 7200",
			check: func(t *testing.T, c *config.Config) {
				if c.Sessions.IdleTimeout != 0 || c.Sessions.Lifetime != d("2h") {
					t.Errorf("idle %s, lifetime %s; want 0s, 2h", c.Sessions.IdleTimeout, c.Sessions.Lifetime)
				}
			},
		},
		{
			name:     "cookie maxAge wins over sessionsExpireInSeconds",
			original: "session: {cookie: {maxAge: 600000}}\nsessionsExpireInSeconds: 7200",
			check: func(t *testing.T, c *config.Config) {
				if c.Sessions.IdleTimeout != d("10m") {
					t.Errorf("idle %s, want 10m", c.Sessions.IdleTimeout)
				}
			},
		},
		{
			name:     "smtp connection URL",
			original: "smtp: {from: a@example.com, options: 'smtps://u:p@mail.example.com'}",
			check: func(t *testing.T, c *config.Config) {
				want := config.SMTP{Host: "mail.example.com", Port: 465, Username: "u", Password: "p", From: "a@example.com",
					TLS: "tls", Timeout: config.Default().SMTP.Timeout}
				if c.SMTP != want {
					t.Errorf("smtp %+v, want %+v", c.SMTP, want)
				}
			},
		},
		{
			name:     "ignoreTLS",
			original: "smtp: {options: {host: mail.example.com, port: 25, secure: false, requireTLS: false, ignoreTLS: true}}",
			check: func(t *testing.T, c *config.Config) {
				if c.SMTP.TLS != "none" || c.SMTP.Port != 25 {
					t.Errorf("tls %q port %d, want none 25", c.SMTP.TLS, c.SMTP.Port)
				}
			},
		},
		{
			name:     "opportunistic STARTTLS becomes required",
			original: "smtp: {options: {host: mail.example.com, port: 587, secure: false, requireTLS: false}}",
			check: func(t *testing.T, c *config.Config) {
				if c.SMTP.TLS != "starttls" {
					t.Errorf("tls %q, want starttls", c.SMTP.TLS)
				}
			},
			note: "nodemailer used STARTTLS when offered",
		},
		{
			name:     "a policy longer than userdb's longest password",
			original: "passwordPolicy: {enabled: true, length: 200}",
			check: func(t *testing.T, c *config.Config) {
				if p := c.Password.Policy; p.MinLength != 200 || p.MaxLength != 200 || p.Mode != "composition" {
					t.Errorf("policy %+v, want composition 200..200", p)
				}
			},
		},
		{
			name:     "bad values fall back to defaults",
			original: "endpoints: {login: {uri: login}}\naccounts_href: nowhere\npasswordResetTokenExpire: 0\nemail: {forgotPassword: {format: pdf, endpoint: /change}}",
			check: func(t *testing.T, c *config.Config) {
				if c.Endpoints.Login.URI != "/login" || c.AccountsHref != config.Default().AccountsHref ||
					c.Tokens.ResetTTL != d("1h") || c.Email.ForgotPassword.Format != "both" || c.Email.ForgotPassword.Endpoint != "" {
					t.Errorf("got %+v %q %s %+v", c.Endpoints.Login, c.AccountsHref, c.Tokens.ResetTTL, c.Email.ForgotPassword)
				}
			},
			note: `endpoints.login.uri: "login" is not a path`,
		},
		{
			name:     "out-of-range numbers are clamped",
			original: "sessionsExpireInSeconds: -5\npasswordsExpireInSeconds: 99999999999999\nendpoints: {expired: {enabled: true}}",
			check: func(t *testing.T, c *config.Config) {
				if c.Sessions.IdleTimeout != 0 || c.Password.MaxAge <= 0 {
					t.Errorf("idle %s, max age %s; want 0s and a long positive duration", c.Sessions.IdleTimeout, c.Password.MaxAge)
				}
			},
		},
		{
			name:     "knex on SQLite",
			original: "database: {options: {client: sqlite3, connection: {filename: ./users.sqlite}}}",
			check:    func(t *testing.T, c *config.Config) {},
			note:     "--from sqlite:./users.sqlite",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _, notes := translate(t, []byte(tt.original))
			tt.check(t, c)
			if tt.note != "" && !containsSubstring(notes, tt.note) {
				t.Errorf("no note says %q; notes:\n%s", tt.note, strings.Join(notes, "\n"))
			}
		})
	}
}

func TestTranslateRefuses(t *testing.T) {
	for name, original := range map[string]string{
		"not YAML":     "a: [1, 2",
		"not a map":    "- debug\n- logger\n",
		"broken JSON":  `{"debug": tru`,
		"scalar value": "42",
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := nodeimport.TranslateConfig([]byte(original)); err == nil {
				t.Error("TranslateConfig succeeded")
			}
		})
	}
}

// leaves returns the dotted paths of the values under m that are not
// mappings (an empty mapping counts as a value).
func leaves(prefix string, m map[string]any) []string {
	var out []string
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, leaves(prefix+k+".", sub)...)
		} else {
			out = append(out, prefix+k)
		}
	}
	return out
}

func containsSubstring(list []string, s string) bool {
	for _, l := range list {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func containsPrefix(list []string, s string) bool {
	for _, l := range list {
		if strings.HasPrefix(l, s) {
			return true
		}
	}
	return false
}

// TestTranslateWarnsOfNodeDifferences: the differences an application
// moving from userdb@1.0.13 may trip on (issue 22) are said when its
// configuration depends on them: /expired (index.js:324-352 changed any
// signed-in user's password) and the verification endpoint that invitations
// now follow (index.js:612-626).
func TestTranslateWarnsOfNodeDifferences(t *testing.T) {
	c, _, notes := translate(t, []byte(`{"endpoints": {"expired": {"enabled": true}}, "email": {"accountVerification": {"enabled": true, "endpoint": "https://app.example/welcome"}}}`))
	if c.Email.AccountVerification.Endpoint != "https://app.example/welcome" {
		t.Fatalf("endpoint %q", c.Email.AccountVerification.Endpoint)
	}
	for _, want := range []string{"endpoints.expired: POST /expired changes only a password that has expired",
		"email.accountVerification.endpoint: new users are invited with this email",
		"mfa.admins: administrators (holders of admin or super-admin) must add a second factor"} {
		if !containsPrefix(notes, want) {
			t.Errorf("no note starts %q; notes:\n%s", want, strings.Join(notes, "\n"))
		}
	}
	_, _, notes = translate(t, []byte(`{"endpoints": {"expired": {"enabled": false}}}`))
	if containsSubstring(notes, "POST /expired") {
		t.Errorf("a note on /expired with the endpoint off")
	}
}
