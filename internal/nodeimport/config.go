package nodeimport

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/userdb/userdb/config"
)

// originalDefaults is defaults.yml of userdb@1.0.13, verbatim. The original
// merged its caller's options over it, so an option missing from a file to
// translate has this value.
//
//go:embed userdb-1.0.13-defaults.yml
var originalDefaults []byte

// TranslateConfig turns the options of the original library, as YAML or
// JSON (what was passed to userdb.initialize), into a userdb configuration
// file. Options missing from original take the original's defaults, as they
// did there, so every key the original had an option for is written out
// with the original's effective value, even where userdb's default differs.
//
// The result is YAML that config.Load accepts. Each key carries a comment
// naming the option it comes from; options with no equivalent are listed in
// a comment at the top with the reason, and so are values that had to be
// changed (the placeholders of the original's defaults, such as SMTP_HOST,
// become userdb's defaults). notes repeats those explanations, one line
// each, for the command line to show. Secrets of the original that userdb
// does not need (session.secret, tokenSigningKey) are never copied; the SMTP
// password is, since the mail server still needs it.
func TranslateConfig(original []byte) (out []byte, notes []string, err error) {
	defaults, err := parseOptions(originalDefaults)
	if err != nil {
		return nil, nil, fmt.Errorf("the original's defaults: %w", err)
	}
	given, err := parseOptions(original)
	if err != nil {
		return nil, nil, err
	}
	t := &translator{opts: mergeOptions(defaults, given), used: make(map[string]bool), out: newYAMLDoc()}
	t.translate()
	return t.out.bytes(t.header()), t.notes, nil
}

// parseOptions decodes the original's options: a JSON object or YAML
// mapping. Empty input is no options.
func parseOptions(data []byte) (map[string]any, error) {
	m := map[string]any{}
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return m, nil
	}
	if trimmed[0] == '{' {
		// JSON first: YAML reads most JSON, but not all (tabs, for one).
		if err := json.Unmarshal(trimmed, &m); err == nil {
			return m, nil
		}
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, fmt.Errorf("the original configuration is neither JSON nor YAML: %w", err)
	}
	switch v := v.(type) {
	case nil:
		return m, nil
	case map[string]any:
		return v, nil
	}
	return nil, fmt.Errorf("the original configuration must be a mapping of options")
}

// mergeOptions merges over onto base the way lodash's _.merge did for the
// original: mappings key by key, anything else replaced.
func mergeOptions(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		bm, ok1 := out[k].(map[string]any)
		om, ok2 := v.(map[string]any)
		if ok1 && ok2 {
			out[k] = mergeOptions(bm, om)
		} else {
			out[k] = v
		}
	}
	return out
}

// translator writes the userdb keys of the original's options.
type translator struct {
	opts    map[string]any
	used    map[string]bool // option paths read
	out     *yamlDoc
	dropped []string // "option: why", options with no equivalent
	notes   []string
}

// placeholders are the values of the original's defaults.yml that stand for
// the operator's own.
var placeholders = map[string]bool{
	"FROM_EMAIL_ADDRESS": true, "SMTP_USER": true, "SMTP_PASS": true,
	"SMTP_PORT": true, "SMTP_HOST": true, "SMTP_SERVER_NAME": true,
}

func (t *translator) translate() {
	t.logging()
	t.general()
	t.sessions()
	t.endpoints()
	t.password()
	t.lockout()
	t.tokens()
	t.smtp()
	t.email()
	t.database()
	t.unknown()
	// A difference on purpose (ASVS 4.3.1): the original had no second
	// factors; a migrated administrator would otherwise be surprised.
	t.note("mfa.admins: administrators (holders of admin or super-admin) must add a second factor within 7 days of " +
		"their first sign-in (mfa.admins_grace); the original had none. Set mfa.admins: optional to sign them in with a password alone")
}

// ---- reading the original's options

// get returns the option at a dotted path and marks it read.
func (t *translator) get(path string) (any, bool) {
	t.used[path] = true
	return t.peek(path)
}

// peek returns the option at a dotted path.
func (t *translator) peek(path string) (any, bool) {
	var v any = t.opts
	for part := range strings.SplitSeq(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[part]; !ok {
			return nil, false
		}
	}
	return v, true
}

// str returns a string (or a number, as text) option; ok is false when it
// is missing or null.
func (t *translator) str(path string) (string, bool) {
	v, ok := t.get(path)
	switch v := v.(type) {
	case string:
		return v, ok
	case int, float64, bool:
		return fmt.Sprint(v), ok
	}
	return "", false
}

// boolean returns a boolean option, or def when it is missing or not a
// boolean (which is noted).
func (t *translator) boolean(path string, def bool) bool {
	v, ok := t.get(path)
	switch v := v.(type) {
	case bool:
		return v
	case nil:
		return def
	case string:
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	if ok {
		t.note("%s: %v is not true or false; taken as %v", path, v, def)
	}
	return def
}

// number returns a whole-number option, or def when it is missing, null or
// not a number (which is noted).
func (t *translator) number(path string, def int) int {
	v, ok := t.get(path)
	switch v := v.(type) {
	case int:
		return v
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v)
		}
	case string:
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return n
		}
	case nil:
		return def
	}
	if ok {
		t.note("%s: %v is not a whole number; taken as %d", path, v, def)
	}
	return def
}

// ---- writing userdb's keys

// set writes a userdb key from the original option named in from.
func (t *translator) set(key string, value any, from string) {
	t.out.set(key, value, "original: "+from)
}

// adjust writes a userdb key whose value is not the original's, and says why.
func (t *translator) adjust(key string, value any, from, why string) {
	t.out.set(key, value, "original: "+from+"; "+why)
	t.notes = append(t.notes, fmt.Sprintf("%s: %s", from, why))
}

// drop records an option that has no equivalent, and why.
func (t *translator) drop(path, why string) {
	t.used[path] = true
	t.dropped = append(t.dropped, path+": "+why)
	t.notes = append(t.notes, path+": not carried over: "+why)
}

func (t *translator) note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// seconds returns n seconds, negative counting as 0 and the enormous as the
// longest duration.
func seconds(n int) time.Duration {
	n = min(max(n, 0), math.MaxInt64/int(time.Second))
	return time.Duration(n) * time.Second
}

// ---- the options, section by section

func (t *translator) logging() {
	level := "info"
	if t.boolean("debug", false) {
		level = "debug"
	}
	t.set("log.level", level, "debug")
	t.drop("debugEndpoints", "userdb logs every request (method, path, status) at level info, and never request bodies, which hold passwords")
	t.drop("logger", "userdb logs to standard error through log/slog (log.format: json or text); a Go program passes its own logger with server.WithLogger")
	t.drop("strategies", "passport strategies are JavaScript; a Go program embedding userdb adds its own with server.WithStrategy, picked by the realm request header as in the original")
}

func (t *translator) general() {
	def := config.Default()
	if role, _ := t.str("super-admin"); strings.TrimSpace(role) != "" {
		t.set("super_admin_role", strings.TrimSpace(role), "super-admin")
	} else {
		t.adjust("super_admin_role", def.SuperAdminRole, "super-admin", "empty; userdb needs a name")
	}

	switch v, _ := t.get("transformer"); v {
	case "stormpath":
		t.set("transformer", "stormpath", "transformer")
	case nil, "", "none":
		t.set("transformer", "none", "transformer")
	default:
		t.adjust("transformer", "none", "transformer", fmt.Sprintf("%v is not a transformer userdb has (none or stormpath)", v))
	}

	for _, key := range []string{"accounts_href", "groups_href"} {
		href, _ := t.str(key)
		fallback := def.AccountsHref
		if key == "groups_href" {
			fallback = def.GroupsHref
		}
		if isAbsoluteURL(href) {
			t.set(key, href, key)
		} else {
			t.adjust(key, fallback, key, fmt.Sprintf("%q is not an absolute http(s) URL", href))
		}
	}
}

var cookieName = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")

func (t *translator) sessions() {
	def := config.Default().Sessions

	name, ok := t.str("session.name") // express-session's own option
	from := "session.name"
	if key, keyOK := t.str("session.key"); !ok && keyOK {
		name, ok, from = key, true, "session.key"
	}
	switch {
	case !ok:
	case cookieName.MatchString(name):
		t.set("sessions.cookie_name", name, from)
	default:
		t.adjust("sessions.cookie_name", def.CookieName, from, fmt.Sprintf("%q is not a valid cookie name", name))
	}

	// sessionsExpireInSeconds set the cookie's maxAge (in ms) unless the
	// session options had one. With rolling (the original's default)
	// every response renewed it: an idle timeout. Without, the session
	// ended that long after sign-in.
	expire := seconds(t.number("sessionsExpireInSeconds", 0))
	from = "sessionsExpireInSeconds"
	if ms := t.number("session.cookie.maxAge", -1); ms >= 0 {
		expire, from = seconds(ms/1000), "session.cookie.maxAge"
	}
	if t.boolean("session.rolling", true) {
		t.set("sessions.idle_timeout", config.FormatDuration(expire), from+" with session.rolling")
		t.out.set("sessions.lifetime", config.FormatDuration(def.Lifetime),
			"no equivalent: sessions of the original lasted as long as they were used; userdb ends them after this")
	} else {
		t.set("sessions.idle_timeout", "0s", "session.rolling: false, so sessions did not end when idle")
		if expire > 0 {
			t.set("sessions.lifetime", config.FormatDuration(expire), from+" without session.rolling")
		} else {
			t.out.set("sessions.lifetime", config.FormatDuration(def.Lifetime),
				"no equivalent: sessions of the original never ended; userdb ends them after this")
		}
	}

	switch v, _ := t.get("session.cookie.secure"); v {
	case nil:
	case true:
		t.set("sessions.secure", "always", "session.cookie.secure")
	case "auto":
		t.set("sessions.secure", "auto", "session.cookie.secure")
	default:
		t.adjust("sessions.secure", "auto", "session.cookie.secure",
			"was off; userdb marks the cookie Secure everywhere but on plain-HTTP localhost")
	}
	switch v, _ := t.get("session.cookie.sameSite"); v {
	case nil:
	case true, "strict", "Strict":
		t.set("sessions.same_site", "strict", "session.cookie.sameSite")
	case "lax", "Lax":
		t.set("sessions.same_site", "lax", "session.cookie.sameSite")
	default:
		t.adjust("sessions.same_site", "lax", "session.cookie.sameSite", fmt.Sprintf("%v is not offered; lax is the loosest userdb allows", v))
	}
	for _, opt := range []string{"session.cookie.httpOnly", "session.cookie.path", "session.cookie.domain"} {
		if _, ok := t.get(opt); ok {
			t.drop(opt, "userdb's session cookie is always HttpOnly, for the whole site, and for its own host only")
		}
	}

	t.drop("session.secret", "the session cookie holds a random id that userdb looks up in its database, so nothing is signed; the old secret is not needed and was not copied")
	t.drop("session.resave", "an express-session setting; userdb stores a session at sign-in and records its last use in batches")
	t.drop("session.saveUninitialized", "an express-session setting; userdb creates no session before sign-in")
	if _, ok := t.get("session.store"); ok {
		t.drop("session.store", "userdb keeps sessions in its own database, which every node shares")
	}
}

// endpointNames are the original's endpoints, all of which userdb has.
var endpointNames = []string{"login", "logout", "me", "verify", "forgot", "change", "expired"}

func (t *translator) endpoints() {
	def := config.Default().Endpoints
	defaults := map[string]config.Endpoint{
		"login": def.Login, "logout": def.Logout, "me": def.Me, "verify": def.Verify,
		"forgot": def.Forgot, "change": def.Change, "expired": def.Expired,
	}
	for _, name := range endpointNames {
		key, opt := "endpoints."+name, "endpoints."+name
		t.set(key+".enabled", t.boolean(opt+".enabled", true), opt+".enabled")
		uri, ok := t.str(opt + ".uri")
		switch {
		case !ok:
		case isPath(uri):
			t.set(key+".uri", uri, opt+".uri")
		default:
			t.adjust(key+".uri", defaults[name].URI, opt+".uri", fmt.Sprintf("%q is not a path starting with /", uri))
		}
	}
	if t.boolean("endpoints.expired.enabled", true) {
		// Issue 22: a difference on purpose, which a front end may trip on.
		t.note("endpoints.expired: POST /expired changes only a password that has expired or must change, after the " +
			"sign-in that stopped for it (password_change_required) or with the current password; the original changed " +
			"any signed-in user's password there: use POST /me/password {currentPassword, password}")
	}
}

func (t *translator) password() {
	def := config.Default().Password.Policy
	mode := "off"
	if t.boolean("passwordPolicy.enabled", false) {
		mode = "composition"
	}
	t.set("password.policy.mode", mode, "passwordPolicy.enabled")
	minLen := t.number("passwordPolicy.length", 5)
	if minLen < 1 {
		t.adjust("password.policy.min_length", 1, "passwordPolicy.length", fmt.Sprintf("%d; userdb needs at least 1", minLen))
		minLen = 1
	} else {
		t.set("password.policy.min_length", minLen, "passwordPolicy.length")
	}
	counts := 0
	for _, c := range []struct{ key, opt string }{
		{"uppers", "uppers"}, {"lowers", "lowers"}, {"numbers", "numbers"}, {"specials", "specials"},
	} {
		n := t.number("passwordPolicy."+c.opt, 0)
		if n < 0 {
			t.adjust("password.policy."+c.key, 0, "passwordPolicy."+c.opt, fmt.Sprintf("%d; a count cannot be negative", n))
			n = 0
		} else {
			t.set("password.policy."+c.key, n, "passwordPolicy."+c.opt)
		}
		counts += n
	}
	if need := max(minLen, counts); need > def.MaxLength {
		t.adjust("password.policy.max_length", need, "passwordPolicy.length",
			fmt.Sprintf("userdb's longest password (%d) raised to what the policy requires", def.MaxLength))
	}

	history := t.number("passwordsCantMatch", 0)
	if history < 0 {
		t.adjust("password.history", 0, "passwordsCantMatch", fmt.Sprintf("%d; taken as off", history))
	} else {
		t.set("password.history", history, "passwordsCantMatch")
	}

	// The original checked the age of a password only with the expired
	// endpoint enabled (README, "Password Policy").
	age := t.number("passwordsExpireInSeconds", 0)
	expired := t.boolean("endpoints.expired.enabled", false)
	switch {
	case !expired:
		t.out.set("password.max_age", "0s", "original: passwordsExpireInSeconds, which applied only with endpoints.expired.enabled")
	case age <= 0:
		t.set("password.max_age", "0s", "passwordsExpireInSeconds")
	default:
		t.set("password.max_age", config.FormatDuration(seconds(age)), "passwordsExpireInSeconds with endpoints.expired.enabled")
	}
}

func (t *translator) lockout() {
	after := t.number("disableAccountAfterFailedLoginAttempts", 0)
	if after < 0 {
		t.adjust("lockout.after_failures", 0, "disableAccountAfterFailedLoginAttempts", fmt.Sprintf("%d; taken as off", after))
	} else {
		t.set("lockout.after_failures", after, "disableAccountAfterFailedLoginAttempts")
	}
	unlock := t.number("reenableLockedAccountsAfterSeconds", 900)
	if unlock < 0 {
		unlock = 0
	}
	// The original only unlocked when a script called unlockUsers(); userdb
	// lets a locked user try again once this has passed.
	t.set("lockout.unlock_after", config.FormatDuration(seconds(unlock)), "reenableLockedAccountsAfterSeconds")
}

func (t *translator) tokens() {
	def := config.Default().Tokens
	for _, c := range []struct {
		key, opt string
		def      time.Duration
	}{
		{"tokens.verification_ttl", "accountVerificationTokenExpire", def.VerificationTTL},
		{"tokens.reset_ttl", "passwordResetTokenExpire", def.ResetTTL},
	} {
		if n := t.number(c.opt, int(c.def/time.Second)); n > 0 {
			t.set(c.key, config.FormatDuration(seconds(n)), c.opt)
		} else {
			t.adjust(c.key, config.FormatDuration(c.def), c.opt, fmt.Sprintf("%d; links must be valid for some time", n))
		}
	}
	t.drop("tokenSigningKey", "userdb's links carry random tokens kept as SHA-256 hashes, so nothing is signed; the key was not copied, and links the original sent stop working")
}

// smtpOptions are nodemailer options with no userdb equivalent, and why.
var smtpOptions = map[string]string{
	"name":         "userdb has no setting for the name it greets the server with",
	"localAddress": "userdb has no setting for the local address; the system chooses it",
	"debug":        "userdb never logs the SMTP conversation (it carries the credentials); every email sent or failed is logged",
	"logger":       "userdb logs through log/slog",
	"lmtp":         "userdb speaks SMTP only",
	"authMethod":   "userdb picks the strongest mechanism the server offers",
	"tls":          "userdb verifies the server's certificate against the system's roots and has no other TLS settings",
	"pool":         "userdb opens one connection per email",
	"service":      "name the server with smtp.host and smtp.port",
}

func (t *translator) smtp() {
	def := config.Default().SMTP

	from, ok := t.str("smtp.from")
	switch {
	case !ok:
	case placeholders[from] || from == "":
		t.adjust("smtp.from", def.From, "smtp.from", fmt.Sprintf("was the placeholder %q; set the sender address", from))
	case validAddress(from):
		t.set("smtp.from", from, "smtp.from")
	default:
		t.adjust("smtp.from", def.From, "smtp.from", fmt.Sprintf("%q is not an email address", from))
	}

	// nodemailer took a connection URL as well as options.
	if opts, _ := t.peek("smtp.options"); opts != nil {
		if s, ok := opts.(string); ok {
			t.used["smtp.options"] = true
			t.smtpURL(s)
			return
		}
	}

	secure := t.boolean("smtp.options.secure", false)
	requireTLS := t.boolean("smtp.options.requireTLS", false)
	ignoreTLS := t.boolean("smtp.options.ignoreTLS", false)
	defPort := 587
	if secure {
		defPort = 465 // nodemailer's default with secure
	}

	host, ok := t.str("smtp.options.host")
	switch {
	case !ok:
	case placeholders[host] || host == "":
		t.adjust("smtp.host", "", "smtp.options.host", fmt.Sprintf("was the placeholder %q; emails are written to the log until this is set", host))
	default:
		t.set("smtp.host", host, "smtp.options.host")
	}

	port, ok := t.str("smtp.options.port")
	switch n, err := strconv.Atoi(port); {
	case !ok:
		t.out.set("smtp.port", defPort, "nodemailer's default port")
	case err == nil && n >= 1 && n <= 65535:
		t.set("smtp.port", n, "smtp.options.port")
	case placeholders[port]:
		t.adjust("smtp.port", defPort, "smtp.options.port", fmt.Sprintf("was the placeholder %q; %d is the usual port", port, defPort))
	default:
		t.adjust("smtp.port", defPort, "smtp.options.port", fmt.Sprintf("%q is not a port; %d is the usual port", port, defPort))
	}

	for _, c := range []struct{ key, opt string }{
		{"smtp.username", "smtp.options.auth.user"}, {"smtp.password", "smtp.options.auth.pass"},
	} {
		v, ok := t.str(c.opt)
		switch {
		case !ok:
		case placeholders[v]:
			t.adjust(c.key, "", c.opt, fmt.Sprintf("was the placeholder %q; set it if the server needs authentication", v))
		case c.key == "smtp.password" && v != "":
			t.set(c.key, v, c.opt)
			t.note("smtp.options.auth.pass: copied to smtp.password; consider password_file or USERDB_SMTP_PASSWORD instead")
		default:
			t.set(c.key, v, c.opt)
		}
	}

	// nodemailer: secure is TLS from the start; otherwise STARTTLS when
	// the server offers it, required with requireTLS, never with ignoreTLS.
	switch {
	case secure:
		t.set("smtp.tls", "tls", "smtp.options.secure, which wins over smtp.options.ignoreTLS and smtp.options.requireTLS")
	case ignoreTLS:
		t.set("smtp.tls", "none", "smtp.options.ignoreTLS, which wins over smtp.options.requireTLS")
	case requireTLS:
		t.set("smtp.tls", "starttls", "smtp.options.requireTLS")
	default:
		t.adjust("smtp.tls", "starttls", "smtp.options.secure, smtp.options.ignoreTLS, smtp.options.requireTLS",
			"all false: nodemailer used STARTTLS when offered, userdb requires it (set none for a server without TLS)")
	}

	timeout := 0
	for _, opt := range []string{"connectionTimeout", "greetingTimeout", "socketTimeout"} {
		timeout = max(timeout, t.number("smtp.options."+opt, 0))
	}
	if timeout > 0 {
		d := time.Duration(timeout) * time.Millisecond
		t.set("smtp.timeout", config.FormatDuration(d), "the longest of smtp.options.connectionTimeout, smtp.options.greetingTimeout, smtp.options.socketTimeout")
	}

	opts, _ := t.peek("smtp.options")
	if m, ok := opts.(map[string]any); ok {
		for _, k := range sortedKeys(m) {
			if why, ok := smtpOptions[k]; ok {
				t.drop("smtp.options."+k, why)
			}
		}
	}
}

// smtpURL translates a nodemailer connection URL such as
// smtps://user:pass@smtp.example.com:465.
func (t *translator) smtpURL(s string) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		t.note("smtp.options: not an smtp:// or smtps:// URL; SMTP left unset, so emails are written to the log")
		return
	}
	t.set("smtp.host", u.Hostname(), "smtp.options (URL)")
	tls, port := "starttls", 587
	if u.Scheme == "smtps" {
		tls, port = "tls", 465
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		port = p
	}
	t.set("smtp.port", port, "smtp.options (URL)")
	t.set("smtp.tls", tls, "smtp.options (URL scheme)")
	if u.User != nil {
		t.set("smtp.username", u.User.Username(), "smtp.options (URL)")
		if pass, ok := u.User.Password(); ok {
			t.set("smtp.password", pass, "smtp.options (URL)")
			t.note("smtp.options: the password is copied to smtp.password; consider password_file or USERDB_SMTP_PASSWORD instead")
		}
	}
}

// emailKinds are the original's workflow emails and userdb's keys for them.
var emailKinds = []struct {
	opt, key string
	link     bool // has an endpoint
}{
	{"accountVerification", "account_verification", true},
	{"accountVerificationSuccessful", "account_verification_successful", false},
	{"accountWelcome", "account_welcome", false},
	{"forgotPassword", "forgot_password", true},
	{"passwordResetSuccessful", "password_reset_successful", false},
}

var templateName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

func (t *translator) email() {
	for _, kind := range emailKinds {
		opt, key := "email."+kind.opt, "email."+kind.key
		defName := strings.ReplaceAll(kind.key, "_", "-")
		defaults := defaultMessage(kind.key)

		t.set(key+".enabled", t.boolean(opt+".enabled", false), opt+".enabled")

		subject, _ := t.str(opt + ".subject")
		if strings.TrimSpace(subject) != "" {
			t.set(key+".subject", subject, opt+".subject")
		} else {
			t.adjust(key+".subject", defaults.Subject, opt+".subject", "empty; an email needs a subject")
		}

		switch format, _ := t.str(opt + ".format"); format {
		case "text", "html":
			t.set(key+".format", format, opt+".format")
		default:
			t.adjust(key+".format", "both", opt+".format", fmt.Sprintf("%q is not text or html", format))
		}

		tmpl, _ := t.str(opt + ".template")
		name := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(tmpl, ".html"), ".ejs"), ".txt")
		switch {
		case name == defName:
			t.set(key+".template", name, opt+".template")
		case templateName.MatchString(name):
			// The file is EJS: until it is rewritten as a Go template and
			// email.templates_dir points at it, the email keeps userdb's
			// own template, so the translation loads.
			t.adjust(key+".template", defName, opt+".template",
				fmt.Sprintf("an EJS template of your own (%s): rewrite it as a Go template with the same model (<%%= url %%> is {{.URL}}, "+
					"<%%= user.givenName %%> is {{.User.GivenName}}, <%%= envelope.subject %%> is {{.Envelope.Subject}}), put it in a directory, "+
					"and set email.templates_dir to that directory and %s.template to %s (format html needs %s.html, text %s.txt, both the two)",
					tmpl, key, name+".html", name, name))
		default:
			t.adjust(key+".template", defName, opt+".template", fmt.Sprintf("%q is not a template name", tmpl))
		}

		endpoint, ok := t.str(opt + ".endpoint")
		switch {
		case !ok:
		case !kind.link:
			t.drop(opt+".endpoint", "this email carries no link")
		case endpoint == "" || isAbsoluteURL(endpoint):
			t.set(key+".endpoint", endpoint, opt+".endpoint")
			if endpoint != "" && kind.opt == "accountVerification" {
				t.note("email.accountVerification.endpoint: new users are invited with this email and link, as the original's newUserWorkflow did; " +
					"the page there completes the invitation through /invitation (JSON: GET ?sptoken=, then POST {sptoken, password, givenName, surname}), or /verify and /change")
			}
		default:
			t.adjust(key+".endpoint", "", opt+".endpoint", fmt.Sprintf("%q is not an absolute URL; links point to the server's own endpoint", endpoint))
		}
	}
}

func defaultMessage(key string) config.Message {
	e := config.Default().Email
	return e.Message(key)
}

func (t *translator) database() {
	t.drop("database.driver", "userdb has its own SQL store, chosen by database.dsn")
	why := "the original database is imported, not used: userdb migrate-from userdb-node --from DSN"
	if dsn := t.sourceDSN(); dsn != "" {
		why += ", here --from " + dsn
	}
	t.drop("database.options", why)
}

// sourceDSN returns a DSN for the database of a knex configuration
// (client and connection), without its password, or "".
func (t *translator) sourceDSN() string {
	client, _ := t.str("database.options.client")
	if conn, ok := t.str("database.options.connection"); ok {
		if u, err := url.Parse(conn); err == nil && u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), "PASSWORD")
			}
			return u.String()
		}
		return ""
	}
	if file, ok := t.str("database.options.connection.filename"); ok && strings.HasPrefix(client, "sqlite") {
		return "sqlite:" + file
	}
	host, _ := t.str("database.options.connection.host")
	db, _ := t.str("database.options.connection.database")
	if host == "" || db == "" {
		return ""
	}
	scheme := ""
	switch client {
	case "mysql", "mysql2", "mariadb":
		scheme = "mysql"
	case "pg", "postgres", "postgresql":
		scheme = "postgres"
	default:
		return ""
	}
	u := url.URL{Scheme: scheme, Host: host, Path: "/" + db}
	if port, ok := t.str("database.options.connection.port"); ok {
		u.Host = host + ":" + port
	}
	if user, ok := t.str("database.options.connection.user"); ok {
		u.User = url.User(user)
		if _, ok := t.get("database.options.connection.password"); ok {
			u.User = url.UserPassword(user, "PASSWORD")
		}
	}
	return u.String()
}

// unknown notes the options that are none of the original's.
func (t *translator) unknown() {
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for _, k := range sortedKeys(m) {
			path := prefix + k
			if t.readAbove(path) {
				continue
			}
			if sub, ok := m[k].(map[string]any); ok && len(sub) > 0 {
				walk(path+".", sub)
				continue
			}
			switch {
			case strings.HasPrefix(path, "smtp.options."):
				t.drop(path, "a nodemailer option userdb has no equivalent for")
			case strings.HasPrefix(path, "session."):
				t.drop(path, "an express-session option userdb has no equivalent for")
			default:
				t.drop(path, "not an option of userdb 1.0.13")
			}
		}
	}
	walk("", t.opts)
}

// readAbove reports whether path, or an option containing it, was read.
func (t *translator) readAbove(path string) bool {
	for p := path; ; {
		if t.used[p] {
			return true
		}
		i := strings.LastIndexByte(p, '.')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
}

// header is the comment at the top of the output.
func (t *translator) header() string {
	var b strings.Builder
	b.WriteString("userdb configuration translated from the options of the Node library userdb 1.0.13\n")
	b.WriteString("(userdb migrate-from userdb-node --config). Options the file did not set have the\n")
	b.WriteString("original's defaults, written out below even where userdb's defaults differ;\n")
	b.WriteString("every other key keeps userdb's default (userdb config defaults lists them).\n")
	b.WriteString("endpoints.register and endpoints.check_password are userdb's own.\n")
	if len(t.dropped) > 0 {
		b.WriteString("\nOptions with no equivalent in userdb:\n")
		for _, d := range t.dropped {
			b.WriteString("  " + d + "\n")
		}
	}
	return b.String()
}

func isAbsoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func isPath(s string) bool {
	u, err := url.Parse(s)
	return err == nil && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && u.RawQuery == "" && u.Fragment == ""
}

func validAddress(s string) bool {
	_, err := mail.ParseAddress(s)
	return err == nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// yamlDoc builds a YAML document whose keys keep the order they were set in,
// with a comment on each.
type yamlDoc struct{ root *yaml.Node }

func newYAMLDoc() *yamlDoc { return &yamlDoc{root: &yaml.Node{Kind: yaml.MappingNode}} }

// set writes value at the dotted key, creating the mappings above it, with
// comment at the end of its line. Setting a key again replaces its value.
func (d *yamlDoc) set(key string, value any, comment string) {
	m := d.root
	parts := strings.Split(key, ".")
	for _, p := range parts[:len(parts)-1] {
		child := lookup(m, p)
		if child == nil {
			child = &yaml.Node{Kind: yaml.MappingNode}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p}, child)
		}
		m = child
	}
	v := &yaml.Node{}
	if err := v.Encode(value); err != nil {
		panic("nodeimport: encoding " + key + ": " + err.Error())
	}
	v.LineComment = comment
	last := parts[len(parts)-1]
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == last {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: last}, v)
}

func lookup(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// bytes encodes the document with header as its leading comment.
func (d *yamlDoc) bytes(header string) []byte {
	doc := &yaml.Node{Kind: yaml.DocumentNode, HeadComment: strings.TrimRight(header, "\n"), Content: []*yaml.Node{d.root}}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		panic("nodeimport: encoding the configuration: " + err.Error())
	}
	enc.Close()
	return b.Bytes()
}
