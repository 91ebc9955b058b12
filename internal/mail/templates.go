package mail

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
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

// Data is what the templates see.
type Data struct {
	ProductName string
	BaseURL     string
	Link        string // the action link ("" for notices), one-time token included
	User        UserData
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

// UserData describes the recipient.
type UserData struct {
	GivenName, Surname, FullName, Email, Username string
}

// NewUserData returns the template view of u.
func NewUserData(u *userdb.User) UserData {
	return UserData{
		GivenName: u.GivenName, Surname: u.Surname, FullName: u.FullName,
		Email: u.Email, Username: u.Username,
	}
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

// LoadTemplates parses the embedded templates, each replaced by the file of
// the same name in overrideDir when there is one ("" for none). It fails when
// a template does not parse, and when overrideDir holds a .txt or .html file
// that is no template's name, so a misspelt override is not silently ignored.
func LoadTemplates(overrideDir string) (*Templates, error) {
	var override fs.FS
	if overrideDir != "" {
		override = os.DirFS(overrideDir)
		if err := checkOverrides(override); err != nil {
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
		src, err := read(kind + ".txt")
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		tt, err := texttemplate.New(kind + ".txt").Parse(src)
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		t.text[kind] = tt

		src, err = read(kind + ".html")
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		ht, err := htmltemplate.New(layoutFile).Funcs(htmlFuncs).Parse(layout)
		if err == nil {
			ht, err = ht.New(kind + ".html").Parse(src)
		}
		if err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		t.html[kind] = ht
	}
	// Execute every template once, so an override that names a field that
	// does not exist fails now rather than when the first email goes out.
	sample := Data{ProductName: "P", BaseURL: "https://example.com", Link: "https://example.com/x",
		User:    UserData{GivenName: "G", Surname: "S", FullName: "G S", Email: "g@example.com", Username: "g"},
		SignIn:  SignInData{Time: "1 March 2026, 12:00 UTC", Place: "Sweden", Browser: "Firefox on Linux", IP: "192.0.2.1"},
		Expires: "in 3 days"}
	for _, kind := range kinds {
		if _, err := t.Render(kind, FormatBoth, "{{.ProductName}}", sample); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// checkOverrides fails on template-like files in dir that match no template.
func checkOverrides(dir fs.FS) error {
	entries, err := fs.ReadDir(dir, ".")
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		ext := path.Ext(name)
		if e.IsDir() || (ext != ".txt" && ext != ".html") {
			continue
		}
		if name != layoutFile && !slices.Contains(kinds, strings.TrimSuffix(name, ext)) {
			return fmt.Errorf("%s is not a template name (want %s or <kind>.txt|.html with kind one of %s)",
				name, layoutFile, strings.Join(kinds, ", "))
		}
	}
	return nil
}

// Render renders an email of kind in format (FormatText, FormatHTML or
// FormatBoth). subject is itself a text template executed on data; the
// result is folded onto one line, so no value can inject a mail header.
func (t *Templates) Render(kind, format, subject string, data Data) (*Rendered, error) {
	tt, ok := t.text[kind]
	if !ok {
		return nil, fmt.Errorf("mail: unknown email kind %q", kind)
	}
	if format != FormatText && format != FormatHTML && format != FormatBoth {
		return nil, fmt.Errorf("mail: unknown email format %q (want text, html or both)", format)
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
		if err := t.html[kind].ExecuteTemplate(&b, kind+".html", v); err != nil {
			return nil, fmt.Errorf("mail: %w", err)
		}
		r.HTML = b.String()
	}
	return r, nil
}
