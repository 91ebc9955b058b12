package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"time"
	"unicode"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

//go:embed templates
var templateFS embed.FS

// pageNames are the page templates; each is rendered inside layout.html
// with the shared pieces of parts.html.
var pageNames = []string{
	"signin", "signup", "verify", "forgot", "reset", "expired",
	"profile", "sessions", "invitation", "message", "emailchange", "notme",
	"identities", "upstreamlink", "apps",
}

// templates holds every page, parsed once when the program starts: a
// missing or broken template stops it there rather than at a user's request.
var templates = mustParse(templateFS)

func mustParse(fsys fs.FS) map[string]*template.Template {
	t, err := parsePages(fsys)
	if err != nil {
		panic(err)
	}
	return t
}

// parsePages parses the page templates of fsys.
func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(fsys,
			"templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("web: parsing the %s page: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"field":    newField,
	"optional": func(f field) field { f.Required = false; return f },
	"focus":    func(f field) field { f.Autofocus = f.Autofocus || !f.focusSet; return f },
	"date":     func(t time.Time) string { return t.UTC().Format("2 Jan 2006, 15:04 UTC") },
	"initials": initials,
}

// initials are the letters on a user's avatar: of the first and last name,
// else of the email address.
func initials(u *userdb.User) string {
	first := func(s string) string {
		for _, r := range s {
			return string(unicode.ToUpper(r))
		}
		return ""
	}
	if s := first(u.GivenName) + first(u.Surname); s != "" {
		return s
	}
	return first(u.Email)
}

// view is what every page template receives: the branding, the flash
// message, the form's errors and values, and the page's own data.
type view struct {
	Page  string // template name, also a class on <body>
	Title string
	Brand Branding
	Asset assetURLs
	Flash *flash
	// Error is about the whole form; Errors are about single fields.
	Error  string
	Errors map[string]string
	// err is the error Error came from: a rate limit's says when to retry.
	err error
	// Focus names the field that gets the focus, the first one at fault;
	// "" leaves it to the template.
	Focus string
	// User is the signed-in user on pages that need one.
	User *userdb.User
	// Next is where to go after signing in, already checked (see returnTo).
	Next        string
	CanRegister bool
	Data        any
	// Buttons are the upstream providers offered (sign-in and sign-up);
	// Realm the one the typed address's domain signs in with.
	Buttons []button
	Realm   *button
	// HasApps shows the connected-applications page in the account's
	// navigation (the OAuth provider is on).
	HasApps bool

	form url.Values
}

// newView starts the view of a page, keeping what the user typed into a
// posted form (but never a password: see field).
func (p *Pages) newView(r *http.Request, page string, titleArgs ...any) *view {
	v := &view{
		Page: page, Title: msg("title-"+page, titleArgs...), Brand: p.brand, Asset: p.assets.urls,
		Errors: map[string]string{}, CanRegister: p.registrationEnabled(), form: maps.Clone(r.PostForm),
		HasApps: p.apps != nil,
	}
	return v
}

// Value returns what the user typed into a field of the posted form.
func (v *view) Value(name string) string { return v.form.Get(name) }

// setValue pre-fills a field (a stored name on the profile form).
func (v *view) setValue(name, value string) {
	if v.form == nil {
		v.form = url.Values{}
	}
	v.form.Set(name, value)
}

// invalid notes a message about one field of the form.
func (v *view) invalid(name, msg string) {
	v.Errors[name] = msg
	if v.Focus == "" {
		v.Focus = name
	}
}

// setError shows err next to its field when the form has that field, and
// above the form otherwise. Internal errors are logged and shown as a
// generic message, like everywhere else (see userdb.ErrorMessage).
func (v *view) setError(r *http.Request, err error, fields ...string) {
	if userdb.ErrorCode(err) == userdb.EINTERNAL {
		httpx.Logger(r).Error("page failed", "page", v.Page, "err", err)
		v.Error = msg("internal-form")
		return
	}
	v.err = err
	msg := userdb.ErrorMessage(err)
	var e *userdb.Error
	if errors.As(err, &e) && e.Field != "" {
		for _, f := range fields {
			if f == e.Field {
				v.invalid(f, msg)
				return
			}
		}
	}
	v.Error = msg
}

// field is one labelled input of a form.
type field struct {
	Name, Label, Type, Autocomplete string
	Value, Error                    string
	Required, Autofocus             bool
	// focusSet says the view chose the field to focus: the template's
	// default ("| focus") then gives way.
	focusSet bool
}

// newField describes an input for the templates: {{template "field" (field
// . "email" "Email" "email" "email")}}. Password inputs are never
// pre-filled.
func newField(v *view, name, label, typ, autocomplete string) field {
	f := field{Name: name, Label: label, Type: typ, Autocomplete: autocomplete,
		Error: v.Errors[name], Required: true, Autofocus: v.Focus == name, focusSet: v.Focus != ""}
	if typ != "password" {
		f.Value = v.Value(name)
	}
	return f
}

// render writes a page with the status.
func (p *Pages) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	v.Flash = takeFlash(w, r)
	var buf bytes.Buffer
	if err := templates[v.Page].ExecuteTemplate(&buf, "layout", v); err != nil {
		httpx.Logger(r).Error("rendering page", "page", v.Page, "err", err)
		http.Error(w, msg("internal-plain"), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	httpx.SetRetryAfter(w, v.err)
	if h.Get("Content-Security-Policy") != "" {
		// An absolute logo URL is the only thing loaded from elsewhere: allow
		// images from its origin and nothing more. A form that goes on to an
		// allowed return URL of another site may lead there, and no further.
		var img, form []string
		if src := p.assets.logoOrigin; src != "" {
			img = []string{src}
		}
		if o := p.returnOrigin(v.Next); o != "" {
			form = []string{o}
		}
		if img != nil || form != nil {
			h.Set("Content-Security-Policy", httpx.ContentSecurityPolicy(form, img))
		}
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message renders a page that only says something, with a link onwards.
func (p *Pages) message(w http.ResponseWriter, r *http.Request, status int, m message) {
	v := p.newView(r, "message")
	v.Title, v.Data = m.Title, m
	p.render(w, r, status, v)
}

// message is the content of the message page.
type message struct {
	Title, Text    string
	Link, LinkText string
	Kind           string // alert style of Text: "", "error" or "success"
}

// fail answers a request whose page could not be built at all.
func (p *Pages) fail(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.StatusOf(err)
	text := userdb.ErrorMessage(err)
	if status == http.StatusInternalServerError {
		httpx.Logger(r).Error("page failed", "path", r.URL.Path, "err", err)
		text = msg("internal")
	}
	p.message(w, r, status, message{Title: msg("error-title"), Text: text, Kind: "error",
		Link: SignInPath, LinkText: msg("link-back-signin")})
}

// notFound answers a page that does not exist (or is switched off).
func (p *Pages) notFound(w http.ResponseWriter, r *http.Request) {
	p.message(w, r, http.StatusNotFound, message{Title: msg("notfound-title"),
		Text: msg("notfound"), Link: SignInPath, LinkText: msg("link-go-signin")})
}

// formStatus is the status of a form shown again with an error. A wrong
// password is bad input to the form, not an HTTP authentication challenge,
// so 401 (which requires WWW-Authenticate) becomes 400.
func formStatus(err error) int {
	if s := httpx.StatusOf(err); s != http.StatusUnauthorized {
		return s
	}
	return http.StatusBadRequest
}

// parseForm reads a posted form; a body that cannot be read is answered here.
func (p *Pages) parseForm(w http.ResponseWriter, r *http.Request) bool {
	if err := r.ParseForm(); err != nil {
		p.message(w, r, http.StatusBadRequest, message{Title: msg("form-unreadable-title"),
			Text: msg("form-unreadable-retry"), Kind: "error"})
		return false
	}
	return true
}
