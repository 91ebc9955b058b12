package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"net/url"
	"os"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/userdb/userdb"
)

// Email kinds: the five workflow emails of the original library, plus the
// invitation of an administrator-created user and the passwordless sign-in
// link.
const (
	KindVerification          = "account-verification"
	KindVerificationSucceeded = "account-verification-successful"
	KindWelcome               = "account-welcome"
	KindForgotPassword        = "forgot-password"
	KindPasswordResetDone     = "password-reset-successful"
	KindInvitation            = "invitation"
	KindMagicLink             = "magic-link"
	// KindEmailChange confirms a new email address (sent to it);
	// KindEmailChangeNotice tells the old address a change was asked for.
	KindEmailChange       = "email-change"
	KindEmailChangeNotice = "email-change-notice"
	// KindNewDevice tells of a sign-in from a device not seen before, with a
	// "This wasn't me" link; KindPasswordExpiring warns before a password
	// expires.
	KindNewDevice        = "new-device"
	KindPasswordExpiring = "password-expiring"
	// Security notices (ASVS 2.2.3, 2.5.5): KindEmailChanged goes to the old
	// address when an administrator changes it; KindPasswordSet tells of a
	// password set by an administrator or the command line;
	// KindAPIKeyChanged tells a key's creator of its creation or
	// revocation, KindAPIKeyExpiring of its coming expiry. Data.Detail
	// says what happened.
	KindEmailChanged   = "email-changed"
	KindPasswordSet    = "password-set"
	KindAPIKeyChanged  = "api-key-changed"
	KindAPIKeyExpiring = "api-key-expiring"
	// Second factors: one added or removed, a recovery code used, a code
	// of the authenticator app used twice, every factor reset by an
	// administrator.
	KindFactorAdded   = "mfa-factor-added"
	KindFactorRemoved = "mfa-factor-removed"
	KindRecoveryUsed  = "mfa-recovery-code-used"
	KindCodeReused    = "mfa-code-reused"
	KindMFAReset      = "mfa-reset"
)

var kinds = []string{
	KindVerification, KindVerificationSucceeded, KindWelcome, KindForgotPassword,
	KindPasswordResetDone, KindInvitation, KindMagicLink, KindEmailChange, KindEmailChangeNotice,
	KindNewDevice, KindPasswordExpiring,
	KindEmailChanged, KindPasswordSet, KindAPIKeyChanged, KindAPIKeyExpiring,
	KindFactorAdded, KindFactorRemoved, KindRecoveryUsed, KindCodeReused, KindMFAReset,
}

// Kinds returns every email kind that has templates.
func Kinds() []string { return slices.Clone(kinds) }

// Body formats accepted by Render.
const (
	FormatText = "text"
	FormatHTML = "html"
	FormatBoth = "both"
)

// layoutFile holds the HTML frame and the "button" template that every HTML
// email uses; it can be overridden like the others.
const layoutFile = "layout.html"

//go:embed templates
var embedded embed.FS

// Data is what the templates see. Envelope, User, Token, URL and URI are
// the original's template model (email.js:134-171 rendered its EJS files
// with envelope, user, token, url and uri), so a template of one's own
// translates name for name: <%= url %> is {{.URL}}, <%= user.givenName %>
// is {{.User.GivenName}}.
type Data struct {
	ProductName string
	BaseURL     string
	Link        string // the action link ("" for notices), one-time token included
	User        UserData
	// Envelope is the message's sender, recipient and subject (Render sets
	// the subject).
	Envelope Envelope
	// URL is Link; URI is Link without its token, the endpoint; Token is
	// the one-time token alone (SetLink sets the three).
	URL, URI, Token string
	// SignIn describes the sign-in of a new-device notice.
	SignIn SignInData
	// Expires is when the password runs out (password-expiring), or how
	// long a sign-in link works (magic-link), in words.
	Expires string
	// Detail is what a security notice tells of, in a sentence.
	Detail string
	// Code is the six-digit code of a sign-in email (magic-link).
	Code string
}

// SignInData is what a new-device notice says of the sign-in, in words.
type SignInData struct {
	Time, Place, Browser, IP string
}

// Envelope is the envelope of an email.
type Envelope struct {
	From, To, Subject string
}

// UserData describes the recipient: the whole user but its secrets.
type UserData struct {
	ID                                                        string
	GivenName, MiddleName, Surname, FullName, Email, Username string
	Status                                                    string
	CustomData                                                map[string]any
}

// NewUserData returns the template view of u.
func NewUserData(u *userdb.User) UserData {
	return UserData{
		ID: u.ID, GivenName: u.GivenName, MiddleName: u.MiddleName, Surname: u.Surname, FullName: u.FullName,
		Email: u.Email, Username: u.Username, Status: string(u.Status), CustomData: u.CustomData,
	}
}

// SetLink sets Link and URL to link, Token to its sptoken parameter and URI
// to link without it.
func (d *Data) SetLink(link string) {
	d.Link, d.URL, d.URI, d.Token = link, link, link, ""
	u, err := url.Parse(link)
	if err != nil || link == "" {
		return
	}
	q := u.Query()
	d.Token = q.Get("sptoken")
	q.Del("sptoken")
	u.RawQuery = q.Encode()
	d.URI = u.String()
}

// Rendered is a rendered email. Text or HTML is empty when that format was
// not asked for.
type Rendered struct {
	Subject, Text, HTML string
}

// view is what the body templates execute on: the data and the rendered
// subject (the HTML title).
type view struct {
	Data
	Subject string
}

// action is the argument of the "button" template.
type action struct{ Label, Link string }

var htmlFuncs = htmltemplate.FuncMap{
	"action": func(label, link string) action { return action{label, link} },
}

// Templates holds the parsed templates of every kind. It is safe for
// concurrent use.
type Templates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

// Use is the template an email of the configuration names: Name is an
// email kind, or a template of one's own in the override directory, whose
// files are Name without its .txt or .html ending followed by .txt (for
// format text), .html (html) or both (both). Option names the setting in
// errors.
type Use struct {
	Option, Name, Format string
}

// OwnTemplateError is a template of one's own (Use) that cannot be loaded:
// a missing file or one that does not parse or execute.
type OwnTemplateError struct {
	Option string
	Err    error
}

func (e *OwnTemplateError) Error() string { return e.Option + ": " + e.Err.Error() }
func (e *OwnTemplateError) Unwrap() error { return e.Err }

// LoadTemplates parses the embedded templates, each replaced by the file of
// the same name in overrideDir when there is one ("" for none), and the
// templates of one's own that uses name. It fails when a template does not
// parse or execute, when a file of one's own is missing (naming it), and
// when overrideDir holds a .txt or .html file that is no template's name,
// so a misspelt override is not silently ignored.
func LoadTemplates(overrideDir string, uses ...Use) (*Templates, error) {
	var override fs.FS
	if overrideDir != "" {
		override = os.DirFS(overrideDir)
	}
	var own []Use
	named := make(map[string]bool) // the files of own
	for _, u := range uses {
		if !slices.Contains(kinds, u.Name) {
			own = append(own, u)
			for _, f := range ownFiles(u) {
				named[f] = true
			}
		}
	}
	if override != nil {
		if err := checkOverrides(override, named); err != nil {
			return nil, fmt.Errorf("mail: templates in %s: %w", overrideDir, err)
		}
	}
	read := func(name string) (string, error) {
		if override != nil {
			b, err := fs.ReadFile(override, name)
			if err == nil {
				return string(b), nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return "", err
			}
		}
		b, err := embedded.ReadFile(path.Join("templates", name))
		return string(b), err
	}

	layout, err := read(layoutFile)
	if err != nil {
		return nil, fmt.Errorf("mail: %w", err)
	}
	t := &Templates{
		text: make(map[string]*texttemplate.Template),
		html: make(map[string]*htmltemplate.Template),
	}
	for _, kind := range kinds {
		if err := t.parse(kind, kind+".txt", kind+".html", layout, read); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
	}
	for _, u := range own {
		if err := t.parseOwn(u, overrideDir, override, layout); err != nil {
			return nil, &OwnTemplateError{Option: u.Option, Err: err}
		}
	}
	// Execute every template once, so an override that names a field that
	// does not exist fails now rather than when the first email goes out.
	sample := Data{ProductName: "P", BaseURL: "https://example.com",
		User:     UserData{ID: "usr_1", GivenName: "G", Surname: "S", FullName: "G S", Email: "g@example.com", Username: "g", Status: "ENABLED"},
		Envelope: Envelope{From: "app@example.com", To: "g@example.com"},
		SignIn:   SignInData{Time: "1 March 2026, 12:00 UTC", Place: "Sweden", Browser: "Firefox on Linux", IP: "192.0.2.1"},
		Expires:  "in 3 days"}
	sample.SetLink("https://example.com/x?sptoken=T")
	for _, kind := range kinds {
		if _, err := t.Render(kind, FormatBoth, "{{.ProductName}}", sample); err != nil {
			return nil, err
		}
	}
	for _, u := range own {
		if _, err := t.Render(u.Name, u.Format, "{{.ProductName}}", sample); err != nil {
			return nil, &OwnTemplateError{Option: u.Option, Err: err}
		}
	}
	return t, nil
}

// parse parses the text template txt and the HTML template html (framed by
// layout) as the templates of name; "" skips one.
func (t *Templates) parse(name, txt, html, layout string, read func(string) (string, error)) error {
	if txt != "" {
		src, err := read(txt)
		if err != nil {
			return err
		}
		tt, err := texttemplate.New(txt).Parse(src)
		if err != nil {
			return err
		}
		t.text[name] = tt
	}
	if html != "" {
		src, err := read(html)
		if err != nil {
			return err
		}
		ht, err := htmltemplate.New(layoutFile).Funcs(htmlFuncs).Parse(layout)
		if err == nil {
			ht, err = ht.New(html).Parse(src)
		}
		if err != nil {
			return err
		}
		t.html[name] = ht
	}
	return nil
}

// parseOwn parses the files of a template of one's own from override.
func (t *Templates) parseOwn(u Use, dir string, override fs.FS, layout string) error {
	files := ownFiles(u)
	if override == nil {
		return fmt.Errorf("%q is no built-in template (%s), so it must be a file of email.templates_dir, which is not set",
			u.Name, strings.Join(kinds, ", "))
	}
	for _, f := range files {
		if _, err := fs.Stat(override, f); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s is missing from %s (format %s needs %s)", f, dir, u.Format, strings.Join(files, " and "))
		} else if err != nil {
			return err
		}
	}
	var txt, html string
	for _, f := range files {
		if path.Ext(f) == ".txt" {
			txt = f
		} else {
			html = f
		}
	}
	read := func(name string) (string, error) {
		b, err := fs.ReadFile(override, name)
		return string(b), err
	}
	return t.parse(u.Name, txt, html, layout, read)
}

// ownFiles returns the files a template of one's own needs for its format.
func ownFiles(u Use) []string {
	base := strings.TrimSuffix(strings.TrimSuffix(u.Name, ".html"), ".txt")
	switch u.Format {
	case FormatText:
		return []string{base + ".txt"}
	case FormatHTML:
		return []string{base + ".html"}
	}
	return []string{base + ".txt", base + ".html"}
}

// checkOverrides fails on template-like files in dir that match no
// template: neither an email kind's nor one of own.
func checkOverrides(dir fs.FS, own map[string]bool) error {
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		if e.IsDir() || (ext != ".txt" && ext != ".html") || own[name] {
			continue
		}
		if name != layoutFile && !slices.Contains(kinds, strings.TrimSuffix(name, ext)) {
			return fmt.Errorf("%s is not a template name (want %s, <kind>.txt|.html with kind one of %s, or a file a template option names)",
				name, layoutFile, strings.Join(kinds, ", "))
		}
	}
	return nil
}

// Render renders an email of kind in format (FormatText, FormatHTML or
// FormatBoth). subject is itself a text template executed on data; the
// result is folded onto one line, so no value can inject a mail header.
func (t *Templates) Render(kind, format, subject string, data Data) (*Rendered, error) {
	tt, ht := t.text[kind], t.html[kind]
	if tt == nil && ht == nil {
		return nil, fmt.Errorf("mail: unknown email kind %q", kind)
	}
	if format != FormatText && format != FormatHTML && format != FormatBoth {
		return nil, fmt.Errorf("mail: unknown email format %q (want text, html or both)", format)
	}
	// A template of one's own has the files of the format it was loaded for.
	if (format != FormatHTML && tt == nil) || (format != FormatText && ht == nil) {
		return nil, fmt.Errorf("mail: template %s has no %s body for format %s", kind, map[bool]string{true: "text", false: "HTML"}[tt == nil], format)
	}
	st, err := texttemplate.New("subject").Parse(subject)
	if err != nil {
		return nil, fmt.Errorf("mail: subject of %s: %w", kind, err)
	}
	var b bytes.Buffer
	if err := st.Execute(&b, data); err != nil {
		return nil, fmt.Errorf("mail: subject of %s: %w", kind, err)
	}
	r := &Rendered{Subject: strings.Join(strings.Fields(b.String()), " ")}
	if r.Subject == "" {
		return nil, fmt.Errorf("mail: subject of %s is empty", kind)
	}

	data.Envelope.Subject = r.Subject
	v := view{Data: data, Subject: r.Subject}
	if format != FormatHTML {
		b.Reset()
		if err := tt.Execute(&b, v); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		r.Text = b.String()
	}
	if format != FormatText {
		b.Reset()
		if err := ht.Execute(&b, v); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		r.HTML = b.String()
	}
	return r, nil
}
