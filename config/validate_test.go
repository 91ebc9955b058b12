package config_test

import (
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb/config"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *config.Config)
		want   []config.Problem // nil: valid
	}{
		{"defaults", func(c *config.Config) {}, nil},
		{"addr without port", func(c *config.Config) { c.Server.Addr = "localhost" },
			[]config.Problem{{"server.addr", "must be host:port, such as localhost:8080 or :8080"}}},
		{"addr with a port too large", func(c *config.Config) { c.Server.Addr = ":70000" },
			[]config.Problem{{"server.addr", "must be host:port, such as localhost:8080 or :8080"}}},
		{"addr port 0", func(c *config.Config) { c.Server.Addr = "127.0.0.1:0" }, nil},
		{"relative base_url", func(c *config.Config) { c.Server.BaseURL = "id.example.com" },
			[]config.Problem{{"server.base_url", "must be an absolute http(s) URL"}}},
		{"ftp base_url", func(c *config.Config) { c.Server.BaseURL = "ftp://id.example.com" },
			[]config.Problem{{"server.base_url", "must be an absolute http(s) URL"}}},
		{"base_url with query", func(c *config.Config) { c.Server.BaseURL = "https://id.example.com/?a=b" },
			[]config.Problem{{"server.base_url", "must not have a query or fragment"}}},
		{"base_url with path", func(c *config.Config) { c.Server.BaseURL = "https://example.com/id" }, nil},
		{"trusted proxy not a CIDR", func(c *config.Config) { c.Server.TrustedProxies = []string{"10.0.0.0/8", "10.0.0.1"} },
			[]config.Problem{{"server.trusted_proxies[1]", "must be a CIDR such as 10.0.0.0/8 or 192.0.2.1/32"}}},
		{"max_body zero", func(c *config.Config) { c.Server.MaxBody = 0 },
			[]config.Problem{{"server.max_body", "must be more than zero"}}},
		{"negative shutdown_timeout", func(c *config.Config) { c.Server.ShutdownTimeout = -1 },
			[]config.Problem{{"server.shutdown_timeout", "must not be negative"}}},
		{"tls cert without key", func(c *config.Config) { c.Server.TLS.CertFile = "cert.pem" },
			[]config.Problem{{"server.tls", "set both cert_file and key_file, or neither"}}},
		{"relative return URL", func(c *config.Config) { c.Server.AllowedReturnURLs = []string{"/home"} },
			[]config.Problem{{"server.allowed_return_urls[0]", "must be an absolute http(s) URL"}}},
		{"return URL whose host would break the pages' policy", func(c *config.Config) {
			c.Server.AllowedReturnURLs = []string{"https://app.example.com:8443", "https://a;script-src"}
		}, []config.Problem{{"server.allowed_return_urls[1]", "must be an absolute http(s) URL"}}},
		{"logo URL whose host would break the pages' policy", func(c *config.Config) { c.Branding.LogoURL = "https://b,c.example/logo.png" },
			[]config.Problem{{"branding.logo_url", "must be an absolute http(s) URL"}}},
		{"unknown database", func(c *config.Config) { c.Database.DSN = "sqlserver://db" },
			[]config.Problem{{"database.dsn", "must start with sqlite:, postgres://, postgresql:// or mysql://"}}},
		{"sqlite without a path", func(c *config.Config) { c.Database.DSN = "sqlite:" },
			[]config.Problem{{"database.dsn", "must name a file after sqlite:, such as sqlite:userdb.db"}}},
		{"no connections", func(c *config.Config) { c.Database.MaxOpenConns = 0 },
			[]config.Problem{{"database.max_open_conns", "must be at least 1"}}},
		{"postgres without keys", func(c *config.Config) { c.Database.DSN = "postgres://db/userdb" },
			[]config.Problem{
				{"secrets.cookie_key", "required with PostgreSQL/MySQL, where several nodes must share it: " +
					"set USERDB_SECRETS_COOKIE_KEY or secrets.cookie_key_file"},
				{"secrets.encryption_key", "required with PostgreSQL/MySQL, where several nodes must share it: " +
					"set USERDB_SECRETS_ENCRYPTION_KEY or secrets.encryption_key_file"},
			}},
		{"mysql with keys", func(c *config.Config) {
			c.Database.DSN = "mysql://u:p@db:3306/userdb"
			c.Secrets.CookieKey, c.Secrets.EncryptionKey = key32, key32
		}, nil},
		{"raw cookie key of 32 bytes", func(c *config.Config) { c.Secrets.CookieKey = "0123456789abcdef0123456789abcdef" }, nil},
		{"short keys", func(c *config.Config) { c.Secrets.CookieKey, c.Secrets.EncryptionKey = "short", "c2hvcnQ=" },
			[]config.Problem{
				{"secrets.cookie_key", "must be at least 32 bytes, raw or in base64"},
				{"secrets.encryption_key", "must be 32 bytes in base64"},
			}},
		{"log enums", func(c *config.Config) { c.Log.Level, c.Log.Format = "trace", "xml" },
			[]config.Problem{
				{"log.level", `must be one of debug, info, warn, error, not "trace"`},
				{"log.format", `must be one of json, text, not "xml"`},
			}},
		{"hashing", func(c *config.Config) {
			c.Hashing.Iterations, c.Hashing.Parallelism, c.Hashing.Memory, c.Hashing.Queue = 0, 300, 4*config.KiB, 0
		}, []config.Problem{
			{"hashing.iterations", "must be at least 1"},
			{"hashing.parallelism", "must be at most 255"},
			{"hashing.memory", "must be at least 2400KiB"},
			{"hashing.queue", "must be at least 1"},
		}},
		{"negative workers", func(c *config.Config) { c.Hashing.Workers = -1 },
			[]config.Problem{{"hashing.workers", "must not be negative"}}},
		{"no super admin role", func(c *config.Config) { c.SuperAdminRole = "" },
			[]config.Problem{{"super_admin_role", "must be set"}}},
		{"unknown transformer", func(c *config.Config) { c.Transformer = "okta" },
			[]config.Problem{{"transformer", `must be one of none, stormpath, not "okta"`}}},
		{"stormpath without hrefs", func(c *config.Config) { c.Transformer, c.AccountsHref, c.GroupsHref = "stormpath", "", "/groups" },
			[]config.Problem{
				{"accounts_href", "must be set"},
				{"groups_href", "must be an absolute http(s) URL"},
			}},
		{"session enums", func(c *config.Config) { c.Sessions.SameSite, c.Sessions.Secure = "none", "yes" },
			[]config.Problem{
				{"sessions.same_site", `must be one of lax, strict, not "none"`},
				{"sessions.secure", `must be one of auto, always, never, not "yes"`},
			}},
		{"cookie name with a space", func(c *config.Config) { c.Sessions.CookieName = "my session" },
			[]config.Problem{{"sessions.cookie_name", "must be a cookie name: letters, digits and !#$%&'*+-.^_`|~"}}},
		{"cookie name prefixed", func(c *config.Config) { c.Sessions.CookieName = "__Host-userdb" }, nil},
		{"no lifetime", func(c *config.Config) { c.Sessions.Lifetime = 0 },
			[]config.Problem{{"sessions.lifetime", "must be more than zero"}}},
		{"negative idle timeout", func(c *config.Config) { c.Sessions.IdleTimeout = -time.Second },
			[]config.Problem{{"sessions.idle_timeout", "must not be negative"}}},
		{"no registration account", func(c *config.Config) { c.Registration.Account = "" },
			[]config.Problem{{"registration.account", "must be set"}}},
		{"endpoint uri without slash", func(c *config.Config) { c.Endpoints.Me.URI = "me" },
			[]config.Problem{{"endpoints.me.uri", "must be a path starting with /"}}},
		{"endpoint uri with query", func(c *config.Config) { c.Endpoints.Login.URI = "/login?x=1" },
			[]config.Problem{{"endpoints.login.uri", "must be a path starting with /"}}},
		{"endpoint uri of another host", func(c *config.Config) { c.Endpoints.Login.URI = "//evil.example.com/login" },
			[]config.Problem{{"endpoints.login.uri", "must be a path starting with /"}}},
		{"two endpoints on one uri", func(c *config.Config) { c.Endpoints.Logout.URI = "/login" },
			[]config.Problem{{"endpoints.logout.uri", "same as endpoints.login.uri"}}},
		{"disabled endpoint may share a uri", func(c *config.Config) {
			c.Endpoints.Logout.URI, c.Endpoints.Logout.Enabled = "/login", false
		}, nil},
		{"password policy", func(c *config.Config) {
			c.Password.Policy = config.Policy{Mode: "strong", MinLength: 0, MaxLength: 3, Uppers: 2, Numbers: 2}
		}, []config.Problem{
			{"password.policy.mode", `must be one of off, composition, nist, not "strong"`},
			{"password.policy.min_length", "must be at least 1"},
			{"password.policy", "uppers, lowers, numbers and specials add up to 4, more than max_length (3)"},
		}},
		{"max_length below min_length", func(c *config.Config) { c.Password.Policy.MaxLength = 6 },
			[]config.Problem{{"password.policy.max_length", "must be at least min_length (12)"}}},
		{"negative history", func(c *config.Config) { c.Password.History = -1 },
			[]config.Problem{{"password.history", "must not be negative"}}},
		{"negative lockout", func(c *config.Config) { c.Lockout.AfterFailures = -3 },
			[]config.Problem{{"lockout.after_failures", "must not be negative"}}},
		{"token ttls", func(c *config.Config) { c.Tokens.VerificationTTL, c.Tokens.InviteTTL = 0, -1 },
			[]config.Problem{
				{"tokens.invite_ttl", "must not be negative"},
				{"tokens.verification_ttl", "must be more than zero"},
			}},
		{"smtp", func(c *config.Config) {
			c.SMTP.Port, c.SMTP.From, c.SMTP.TLS, c.SMTP.Timeout = 70000, "nobody", "ssl", 0
		}, []config.Problem{
			{"smtp.port", "must be between 1 and 65535"},
			{"smtp.from", `must be an email address such as "userdb <no-reply@example.com>"`},
			{"smtp.tls", `must be one of none, starttls, tls, not "ssl"`},
			{"smtp.timeout", "must be more than zero"},
		}},
		{"email", func(c *config.Config) {
			c.Email.AccountWelcome.Subject = ""
			c.Email.AccountWelcome.Format = "markdown"
			c.Email.ForgotPassword.Template = "../../etc/passwd"
			c.Email.ForgotPassword.Endpoint = "/reset"
		}, []config.Problem{
			{"email.account_welcome.subject", "must be set"},
			{"email.account_welcome.format", `must be one of text, html, both, not "markdown"`},
			{"email.forgot_password.template", "must be a template name such as forgot-password, or the name of a file in email.templates_dir"},
			{"email.forgot_password.endpoint", "must be an absolute http(s) URL"},
		}},
		{"disabled email needs no subject", func(c *config.Config) {
			c.Email.AccountWelcome.Enabled, c.Email.AccountWelcome.Subject = false, ""
		}, nil},
		{"outbox", func(c *config.Config) {
			c.Outbox = config.Outbox{PollInterval: 0, Batch: 0, MaxAttempts: 0, Backoff: time.Minute,
				MaxBackoff: time.Second}
		}, []config.Problem{
			{"outbox.poll_interval", "must be more than zero"},
			{"outbox.batch", "must be at least 1"},
			{"outbox.max_attempts", "must be at least 1"},
			{"outbox.max_backoff", "must be at least backoff (1m)"},
			{"outbox.lease", "must be more than zero"},
		}},
		{"management addr", func(c *config.Config) { c.Server.ManagementAddr = "8081" },
			[]config.Problem{{"server.management_addr", "must be host:port, such as localhost:8080 or :8080"}}},
		{"forward auth", func(c *config.Config) {
			c.ForwardAuth.Default = "allow"
			c.ForwardAuth.Rules = []config.ForwardAuthRule{
				{Hosts: []string{"app.example.com", "*.example.com", "a b"}, Paths: []string{"/admin/*", "admin", "/a*b"}, Roles: []string{"admin", " "}},
			}
		}, []config.Problem{
			{"forward_auth.default", `must be one of signed_in, deny, not "allow"`},
			{"forward_auth.rules[0].hosts[2]", "must be a host name, with an optional port, or *.domain"},
			{"forward_auth.rules[0].paths[1]", "must be a path starting with /, with * only at its end"},
			{"forward_auth.rules[0].paths[2]", "must be a path starting with /, with * only at its end"},
			{"forward_auth.rules[0].roles[1]", "must be a role name"},
		}},
		{"redis addr", func(c *config.Config) { c.Redis.Addr = "redis" },
			[]config.Problem{{"redis.addr", "must be host:port, such as localhost:8080 or :8080"}}},
		{"negative redis db", func(c *config.Config) { c.Redis.DB = -1 },
			[]config.Problem{{"redis.db", "must not be negative"}}},
		{"custom data schema", func(c *config.Config) {
			c.CustomData.Schema = []config.Attribute{
				{Name: "department", Type: "string", MaxLength: 100, EditableBy: "user"},
				{Name: "department", Type: "string"},
				{Name: "2fa", Type: "time", EditableBy: "anyone"},
				{Name: "age", Type: "integer", MaxLength: 3},
				{Name: "note", Type: "string", MaxLength: -1},
				{Name: "color", Type: "enum"},
				{Name: "birthdate", Type: "date", Values: []string{"x"}},
			}
		}, []config.Problem{
			{"custom_data.schema[1].name", "department is declared twice"},
			{"custom_data.schema[2].name", "must be a name of letters, digits and _ (at most 64), not starting with a digit"},
			{"custom_data.schema[2].type", `must be one of string, integer, number, boolean, date, email, url, enum, not "time"`},
			{"custom_data.schema[2].editable_by", `must be one of user, admin, not "anyone"`},
			{"custom_data.schema[3].max_length", "applies to text types only"},
			{"custom_data.schema[4].max_length", "must not be negative"},
			{"custom_data.schema[5].values", "an enum needs its values"},
			{"custom_data.schema[6].values", "applies to type enum only"},
		}},
		{"branding", func(c *config.Config) {
			c.Branding = config.Branding{ProductName: "", LogoURL: "logo.png", PrimaryColor: "blue"}
		}, []config.Problem{
			{"branding.product_name", "must be set"},
			{"branding.logo_url", "must be an absolute http(s) URL"},
			{"branding.primary_color", "must be a colour such as #2f5bea"},
		}},
		{"logo path and short colour", func(c *config.Config) { c.Branding.LogoURL, c.Branding.PrimaryColor = "/static/logo.svg", "#abc" }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := config.Default()
			tt.change(c)
			err := c.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if got := mustProblems(t, err); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%v\nwant\n%v", got, tt.want)
			}
		})
	}
}
