package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb/config"
)

// writeFile writes content to a new file in a temporary directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// env returns a getenv reading from m.
func env(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// mustProblems returns the problems of err, failing the test if err is not a
// *config.Problems.
func mustProblems(t *testing.T, err error) []config.Problem {
	t.Helper()
	var p *config.Problems
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is not *config.Problems", err, err)
	}
	return p.List
}

func TestDefaultIsValid(t *testing.T) {
	if err := config.Default().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDefaultsFile(t *testing.T) {
	c, err := config.Load(writeFile(t, "userdb.yaml", string(config.Defaults())), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, config.Default()) {
		t.Errorf("Load(defaults.yaml) = %+v, want Default()", c)
	}
}

func TestLoadWithoutFileOrEnv(t *testing.T) {
	c, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, config.Default()) {
		t.Errorf("Load(\"\", nil) = %+v, want Default()", c)
	}
}

func TestLoadFileOverlay(t *testing.T) {
	path := writeFile(t, "userdb.yaml", `
server:
  addr: 0.0.0.0:9000
  trusted_proxies: [10.0.0.0/8, 192.168.0.0/16]
sessions:
  idle_timeout: 3600   # a bare number is seconds, as in the original
  lifetime: 1d12h
hashing:
  memory: 64MiB
registration:
  enabled: true
endpoints:
  me: {uri: /whoami}
email:
  forgot_password:
    subject: Forgot?
    endpoint: https://app.example.com/reset
custom_data:
  schema:
    - {name: department, type: string, max_length: 100}
    - {name: employee_no, type: integer, required: true, editable_by: admin}
`)
	c, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Default()
	want.Server.Addr = "0.0.0.0:9000"
	want.Server.TrustedProxies = []string{"10.0.0.0/8", "192.168.0.0/16"}
	want.Sessions.IdleTimeout = time.Hour
	want.Sessions.Lifetime = 36 * time.Hour
	want.Hashing.Memory = 64 * config.MiB
	want.Registration.Enabled = true
	want.Endpoints.Me.URI = "/whoami" // enabled stays true
	want.Email.ForgotPassword.Subject = "Forgot?"
	want.Email.ForgotPassword.Endpoint = "https://app.example.com/reset"
	want.CustomData.Schema = []config.Attribute{
		{Name: "department", Type: "string", MaxLength: 100},
		{Name: "employee_no", Type: "integer", Required: true, EditableBy: "admin"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", c, want)
	}
}

func TestLoadFileErrors(t *testing.T) {
	if _, err := config.Load(filepath.Join(t.TempDir(), "missing.yaml"), nil); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: error %v, want one wrapping os.ErrNotExist", err)
	}
	if _, err := config.Load(writeFile(t, "bad.yaml", "server: [\n"), nil); err == nil {
		t.Error("bad YAML: no error")
	}
}

func TestLoadProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want []config.Problem
	}{
		{
			name: "unknown nested key",
			yaml: "sessions:\n  idel_timeout: 5m\n",
			want: []config.Problem{{Key: "sessions.idel_timeout", Message: "unknown key"}},
		},
		{
			name: "unknown top-level key",
			yaml: "sesions: {}\n",
			want: []config.Problem{{Key: "sesions", Message: "unknown key"}},
		},
		{
			name: "unknown key deep in a list",
			yaml: "custom_data:\n  schema:\n    - {name: a, type: string, colour: red}\n",
			want: []config.Problem{{Key: "custom_data.schema[0].colour", Message: "unknown key"}},
		},
		{
			name: "unknown key of an embedded email struct",
			yaml: "email:\n  account_welcome:\n    endpoint: https://example.com/\n",
			want: []config.Problem{{Key: "email.account_welcome.endpoint", Message: "unknown key"}},
		},
		{
			name: "_file on a key that is not secret",
			yaml: "server:\n  addr_file: /tmp/addr\n",
			want: []config.Problem{{Key: "server.addr_file", Message: "unknown key"}},
		},
		{
			name: "mfa.admins not one of the policies",
			yaml: "mfa:\n  admins: always\n",
			want: []config.Problem{{Key: "mfa.admins", Message: `must be one of off, optional, required, not "always"`}},
		},
		{
			name: "negative mfa.admins_grace from the environment",
			env:  map[string]string{"USERDB_MFA_ADMINS_GRACE": "-1"},
			want: []config.Problem{{Key: "mfa.admins_grace", Message: "must not be negative"}},
		},
		{
			name: "negative duration",
			yaml: "sessions:\n  idle_timeout: -5m\n",
			want: []config.Problem{{Key: "sessions.idle_timeout", Message: "must not be negative"}},
		},
		{
			name: "negative duration in seconds from the environment",
			env:  map[string]string{"USERDB_LOCKOUT_UNLOCK_AFTER": "-60"},
			want: []config.Problem{{Key: "lockout.unlock_after", Message: "must not be negative"}},
		},
		{
			name: "bad duration",
			yaml: "tokens:\n  reset_ttl: soon\n",
			want: []config.Problem{{Key: "tokens.reset_ttl",
				Message: `invalid duration "soon": use seconds or a value like 90s, 15m, 1h30m, 30d`}},
		},
		{
			name: "wrong types",
			yaml: "registration:\n  enabled: maybe\nserver:\n  trusted_proxies: 10.0.0.0/8\n  tls: on\n" +
				"  max_body: [1]\ndatabase:\n  max_open_conns: many\nsessions:\n  lifetime: {days: 3}\n",
			want: []config.Problem{
				{Key: "registration.enabled", Message: "must be true or false"},
				{Key: "server.trusted_proxies", Message: "must be a list of strings"},
				{Key: "server.tls", Message: "must be a mapping of keys"},
				{Key: "server.max_body", Message: "must be a size such as 1MiB"},
				{Key: "database.max_open_conns", Message: "must be an integer"},
				{Key: "sessions.lifetime", Message: "must be a duration such as 15m"},
			},
		},
		{
			name: "invalid enum",
			yaml: "sessions:\n  same_site: none\n",
			want: []config.Problem{{Key: "sessions.same_site", Message: `must be one of lax, strict, not "none"`}},
		},
		{
			name: "bad environment values",
			env: map[string]string{
				"USERDB_REGISTRATION_ENABLED": "maybe",
				"USERDB_SMTP_PORT":            "smtp",
				"USERDB_SERVER_MAX_BODY":      "1 lot",
			},
			want: []config.Problem{
				{Key: "USERDB_SERVER_MAX_BODY", Message: `invalid size "1 lot": use bytes or a value like 512KiB, 1MiB, 25MB`},
				{Key: "USERDB_REGISTRATION_ENABLED", Message: "must be true or false"},
				{Key: "USERDB_SMTP_PORT", Message: "must be an integer"},
			},
		},
		{
			name: "several problems from file, environment and validation at once",
			yaml: "sessions:\n  idel_timeout: 5m\n  idle_timeout: -1s\nsmtp:\n  tls: ssl\nlog:\n  level: verbose\n",
			env:  map[string]string{"USERDB_DATABASE_DSN": "oracle://db", "USERDB_HASHING_WORKERS": "x"},
			want: []config.Problem{
				{Key: "sessions.idel_timeout", Message: "unknown key"},
				{Key: "USERDB_HASHING_WORKERS", Message: "must be an integer"},
				{Key: "sessions.idle_timeout", Message: "must not be negative"},
				{Key: "database.dsn", Message: "must start with sqlite:, postgres://, postgresql:// or mysql://"},
				{Key: "log.level", Message: `must be one of debug, info, warn, error, not "verbose"`},
				{Key: "smtp.tls", Message: `must be one of none, starttls, tls, not "ssl"`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "userdb.yaml", tt.yaml)
			}
			c, err := config.Load(path, env(tt.env))
			if c != nil {
				t.Error("Load returned a config with its error")
			}
			if got := mustProblems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}

func TestProblemsError(t *testing.T) {
	p := &config.Problems{List: []config.Problem{
		{Key: "sessions.idle_timeout", Message: "must not be negative"},
		{Key: "smtp.tls", Message: "must be one of none, starttls, tls"},
	}}
	want := "sessions.idle_timeout: must not be negative; smtp.tls: must be one of none, starttls, tls"
	if got := p.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestLoadEnv(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(c *config.Config) any
		want  any
	}{
		{"string", map[string]string{"USERDB_SERVER_ADDR": ":9090"},
			func(c *config.Config) any { return c.Server.Addr }, ":9090"},
		{"DSN", map[string]string{"USERDB_DATABASE_DSN": "postgres://u@db/userdb", "USERDB_SECRETS_COOKIE_KEY": key32,
			"USERDB_SECRETS_ENCRYPTION_KEY": key32},
			func(c *config.Config) any { return c.DatabaseKind() }, config.Postgres},
		{"nested three levels", map[string]string{"USERDB_SERVER_TLS_CERT_FILE": "c.pem", "USERDB_SERVER_TLS_KEY_FILE": "k.pem"},
			func(c *config.Config) any { return c.Server.TLS }, config.TLS{CertFile: "c.pem", KeyFile: "k.pem"}},
		{"key of an embedded struct", map[string]string{"USERDB_EMAIL_ACCOUNT_VERIFICATION_SUBJECT": "Hi"},
			func(c *config.Config) any { return c.Email.AccountVerification.Subject }, "Hi"},
		{"duration", map[string]string{"USERDB_SESSIONS_IDLE_TIMEOUT": "1h30m"},
			func(c *config.Config) any { return c.Sessions.IdleTimeout }, 90 * time.Minute},
		{"duration in days", map[string]string{"USERDB_TOKENS_INVITE_TTL": "14d"},
			func(c *config.Config) any { return c.Tokens.InviteTTL }, 14 * 24 * time.Hour},
		{"duration in seconds", map[string]string{"USERDB_SESSIONS_IDLE_TIMEOUT": "900"},
			func(c *config.Config) any { return c.Sessions.IdleTimeout }, 15 * time.Minute},
		{"size", map[string]string{"USERDB_SERVER_MAX_BODY": "25MB"},
			func(c *config.Config) any { return c.Server.MaxBody }, int64(25e6)},
		{"integer", map[string]string{"USERDB_LOCKOUT_AFTER_FAILURES": "3"},
			func(c *config.Config) any { return c.Lockout.AfterFailures }, 3},
		{"boolean true", map[string]string{"USERDB_REGISTRATION_ENABLED": "true"},
			func(c *config.Config) any { return c.Registration.Enabled }, true},
		{"boolean false", map[string]string{"USERDB_DATABASE_MIGRATE_ON_START": "0"},
			func(c *config.Config) any { return c.Database.MigrateOnStart }, false},
		{"boolean yes", map[string]string{"USERDB_CUSTOM_DATA_FREE_FORM": "no", "USERDB_REGISTRATION_ENABLED": "Yes"},
			func(c *config.Config) any { return [2]bool{c.CustomData.FreeForm, c.Registration.Enabled} }, [2]bool{false, true}},
		{"list", map[string]string{"USERDB_SERVER_TRUSTED_PROXIES": "10.0.0.0/8, 172.16.0.0/12,,"},
			func(c *config.Config) any { return c.Server.TrustedProxies }, []string{"10.0.0.0/8", "172.16.0.0/12"}},
		{"top-level key", map[string]string{"USERDB_SUPER_ADMIN_ROLE": "root"},
			func(c *config.Config) any { return c.SuperAdminRole }, "root"},
		{"secret", map[string]string{"USERDB_SMTP_PASSWORD": "hunter2"},
			func(c *config.Config) any { return string(c.SMTP.Password) }, "hunter2"},
		{"empty value counts as unset", map[string]string{"USERDB_SERVER_ADDR": ""},
			func(c *config.Config) any { return c.Server.Addr }, "localhost:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load("", env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEnvOverridesFile(t *testing.T) {
	path := writeFile(t, "userdb.yaml", "server:\n  addr: localhost:1000\n  base_url: https://id.example.com\n")
	c, err := config.Load(path, env(map[string]string{"USERDB_SERVER_ADDR": "localhost:2000"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Server.Addr != "localhost:2000" || c.Server.BaseURL != "https://id.example.com" {
		t.Errorf("addr %q, base_url %q; want the environment's addr and the file's base_url", c.Server.Addr, c.Server.BaseURL)
	}
}

func TestEnvName(t *testing.T) {
	tests := map[string]string{
		"server.addr":                    "USERDB_SERVER_ADDR",
		"sessions.idle_timeout":          "USERDB_SESSIONS_IDLE_TIMEOUT",
		"smtp.password":                  "USERDB_SMTP_PASSWORD",
		"endpoints.check_password.uri":   "USERDB_ENDPOINTS_CHECK_PASSWORD_URI",
		"email.forgot_password.endpoint": "USERDB_EMAIL_FORGOT_PASSWORD_ENDPOINT",
	}
	for key, want := range tests {
		if got := config.EnvName(key); got != want {
			t.Errorf("EnvName(%q) = %q, want %q", key, got, want)
		}
	}
}

const key32 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // base64 of 32 bytes

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	secret := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	smtp := secret("smtp", "s3cret\n")
	redis := secret("redis", "two lines\n\n")
	crlf := secret("crlf", "windows\r\n")
	cookie := secret("cookie", key32+"\n")
	dsn := secret("dsn", "postgres://u:pw@db/userdb\n")

	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		check func(c *config.Config) string
		want  string
	}{
		{"YAML _file", "smtp:\n  password_file: " + smtp + "\n", nil,
			func(c *config.Config) string { return string(c.SMTP.Password) }, "s3cret"},
		{"only one newline is trimmed", "", map[string]string{"USERDB_REDIS_PASSWORD_FILE": redis},
			func(c *config.Config) string { return string(c.Redis.Password) }, "two lines\n"},
		{"CRLF is trimmed", "", map[string]string{"USERDB_REDIS_PASSWORD_FILE": crlf},
			func(c *config.Config) string { return string(c.Redis.Password) }, "windows"},
		{"environment _FILE", "", map[string]string{"USERDB_SECRETS_COOKIE_KEY_FILE": cookie},
			func(c *config.Config) string { return string(c.Secrets.CookieKey) }, key32},
		{"environment _FILE beats YAML value", "smtp:\n  password: from-yaml\n", map[string]string{"USERDB_SMTP_PASSWORD_FILE": smtp},
			func(c *config.Config) string { return string(c.SMTP.Password) }, "s3cret"},
		{"DSN from a file", "database:\n  dsn_file: " + dsn + "\nsecrets:\n  cookie_key: " + key32 + "\n  encryption_key: " + key32 + "\n", nil,
			func(c *config.Config) string { return string(c.Database.DSN) }, "postgres://u:pw@db/userdb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "userdb.yaml", tt.yaml)
			}
			c, err := config.Load(path, env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if got := tt.check(c); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSecretFileProblems(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	smtp := writeFile(t, "smtp", "s3cret")
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		key  string
	}{
		{"YAML file missing", "smtp:\n  password_file: " + missing + "\n", nil, "smtp.password_file"},
		{"environment file missing", "", map[string]string{"USERDB_SMTP_PASSWORD_FILE": missing}, "USERDB_SMTP_PASSWORD_FILE"},
		{"YAML value and file", "smtp:\n  password: x\n  password_file: " + smtp + "\n", nil, "smtp.password_file"},
		{"environment value and file", "", map[string]string{"USERDB_SMTP_PASSWORD": "x", "USERDB_SMTP_PASSWORD_FILE": smtp},
			"USERDB_SMTP_PASSWORD_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, "userdb.yaml", tt.yaml)
			}
			_, err := config.Load(path, env(tt.env))
			got := mustProblems(t, err)
			if len(got) != 1 || got[0].Key != tt.key {
				t.Errorf("problems %v, want one for %s", got, tt.key)
			}
		})
	}
}

func TestBaseURL(t *testing.T) {
	tests := []struct {
		addr, baseURL, cert, want string
	}{
		{"localhost:8080", "", "", "http://localhost:8080"},
		{":8080", "", "", "http://localhost:8080"},
		{"0.0.0.0:80", "", "", "http://localhost:80"},
		{"[::]:8443", "", "cert.pem", "https://localhost:8443"},
		{"[::1]:8080", "", "", "http://[::1]:8080"},
		{"id.example.com:443", "", "cert.pem", "https://id.example.com:443"},
		{":8080", "https://id.example.com/auth/", "", "https://id.example.com/auth"},
	}
	for _, tt := range tests {
		c := config.Default()
		c.Server.Addr, c.Server.BaseURL, c.Server.TLS.CertFile = tt.addr, tt.baseURL, tt.cert
		if got := c.BaseURL(); got != tt.want {
			t.Errorf("BaseURL() with addr %q, base_url %q, cert %q = %q, want %q", tt.addr, tt.baseURL, tt.cert, got, tt.want)
		}
	}
}

func TestLinks(t *testing.T) {
	c := config.Default()
	c.Server.BaseURL = "https://id.example.com"
	c.Endpoints.Verify.URI = "/account/verify"
	if got, want := c.VerifyURL(), "https://id.example.com/account/verify"; got != want {
		t.Errorf("VerifyURL() = %q, want %q", got, want)
	}
	if got, want := c.ResetURL(), "https://id.example.com/change"; got != want {
		t.Errorf("ResetURL() = %q, want %q", got, want)
	}
	c.Email.AccountVerification.Endpoint = "https://app.example.com/verify"
	c.Email.ForgotPassword.Endpoint = "https://app.example.com/reset"
	if got, want := c.VerifyURL(), "https://app.example.com/verify"; got != want {
		t.Errorf("VerifyURL() with endpoint = %q, want %q", got, want)
	}
	if got, want := c.ResetURL(), "https://app.example.com/reset"; got != want {
		t.Errorf("ResetURL() with endpoint = %q, want %q", got, want)
	}
}

func TestDatabase(t *testing.T) {
	tests := []struct {
		dsn, kind, path, secrets string
	}{
		{"sqlite:userdb.db", config.SQLite, "userdb.db", "userdb.db.secrets"},
		{"sqlite://data/userdb.db?_pragma=busy_timeout(5000)", config.SQLite, "data/userdb.db", "data/userdb.db.secrets"},
		{"sqlite:///var/lib/userdb/userdb.db", config.SQLite, "/var/lib/userdb/userdb.db", "/var/lib/userdb/userdb.db.secrets"},
		{"sqlite::memory:", config.SQLite, ":memory:", ""},
		{"postgres://u:p@db:5432/userdb?sslmode=require", config.Postgres, "", ""},
		{"postgresql://db/userdb", config.Postgres, "", ""},
		{"mysql://u:p@db:3306/userdb", config.MySQL, "", ""},
		{"oracle://db", "", "", ""},
	}
	for _, tt := range tests {
		c := config.Default()
		c.Database.DSN = tt.dsn
		if got := c.DatabaseKind(); got != tt.kind {
			t.Errorf("DatabaseKind() of %s = %q, want %q", tt.dsn, got, tt.kind)
		}
		if got := c.SQLitePath(); got != tt.path {
			t.Errorf("SQLitePath() of %s = %q, want %q", tt.dsn, got, tt.path)
		}
		if got := c.SecretsFile(); got != tt.secrets {
			t.Errorf("SecretsFile() of %s = %q, want %q", tt.dsn, got, tt.secrets)
		}
	}
}
