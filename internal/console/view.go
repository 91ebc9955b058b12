package console

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/web"
)

//go:embed templates
var templateFS embed.FS

//go:embed static/console.css
var consoleCSS []byte

// pageNames are the page templates; each is rendered inside layout.html
// with the shared pieces of parts.html.
var pageNames = []string{
	"users", "user", "user_new", "accounts", "account", "roles", "role",
	"events", "apikeys", "import", "message",
}

// templates holds every page, parsed once when the program starts: a
// missing or broken template stops it there rather than at a request.
var templates = mustParse(templateFS)

func mustParse(fsys fs.FS) map[string]*template.Template {
	t, err := parsePages(fsys)
	if err != nil {
		panic(err)
	}
	return t
}

func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	out := make(map[string]*template.Template, len(pageNames))
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(fsys,
			"templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: parsing the %s page: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

var funcs = template.FuncMap{
	"field":     newField,
	"optional":  func(f field) field { f.Required = false; return f },
	"filter":    func(f field) field { f.Required, f.Quiet = false, true; return f },
	"hint":      func(h string, f field) field { f.Hint = h; return f },
	"rows":      func(n int, f field) field { f.Rows = n; return f },
	"choices":   func(o []option, f field) field { f.Options = o; return f },
	"date":      fmtTime,
	"day":       func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
	"ago":       ago,
	"status":    func(s userdb.Status) string { return strings.ToLower(string(s)) },
	"details":   details,
	"join":      strings.Join,
	"hasPrefix": strings.HasPrefix,
	"has": func(list []string, s string) bool {
		for _, x := range list {
			if x == s {
				return true
			}
		}
		return false
	},
}

// fmtTime shows a time, or a dash for none (a nil *time.Time).
func fmtTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2 Jan 2006, 15:04")
	case *time.Time:
		if v == nil {
			return "—"
		}
		return v.UTC().Format("2 Jan 2006, 15:04")
	}
	return ""
}

// ago shows a time as a date, for tables (the full time is in its title).
func ago(t *time.Time) string {
	if t == nil {
		return "Never"
	}
	return t.UTC().Format("2 Jan 2006")
}

// details shows an event's details as "key: value" pairs in a stable order.
func details(d map[string]any) []string {
	keys := make([]string, 0, len(d))
	for k := range d {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		v := d[k]
		var s string
		switch x := v.(type) {
		case string:
			s = x
		default:
			b, _ := json.Marshal(x)
			s = string(b)
		}
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		out = append(out, k+": "+s)
	}
	return out
}

// asset is a file the console serves itself, at a URL that changes with its
// content so browsers may cache it for long.
type asset struct {
	body []byte
	url  string
}

func newAsset(body []byte) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, url: Prefix + "assets/console.css?v=" + hex.EncodeToString(sum[:6])}
}

func (c *Console) serveCSS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Length", strconv.Itoa(len(c.css.body)))
	w.Write(c.css.body)
}

// view is what every page template receives.
type view struct {
	Page                    string // template name, also a class on <body>
	Nav                     string // the section highlighted in the navigation
	Title                   string
	Brand                   web.Branding
	Style, Theme, Icon, CSS string
	Me                      *admin
	// SignedIn is the user shown in the top bar: the administrator, or the
	// user refused on the 403 page (who may want to sign out).
	SignedIn *userdb.User
	Flash    *flash
	// Error is about the whole page or form; Errors are about single fields.
	Error  string
	Errors map[string]string
	// Focus names the field to focus, the first one at fault.
	Focus string
	Data  any

	form url.Values
}

// newView starts the view of a page, keeping what the user typed into a
// posted form (never a password: see newField).
func (c *Console) newView(r *http.Request, me *admin, page, nav, title string) *view {
	form := maps.Clone(r.PostForm)
	if form == nil {
		form = url.Values{}
	}
	v := &view{
		Page: page, Nav: nav, Title: title, Brand: c.kit.Brand,
		Style: c.kit.StyleURL, Theme: c.kit.ThemeURL, Icon: c.kit.IconURL, CSS: c.css.url,
		Me: me, Errors: map[string]string{}, form: form,
	}
	if me != nil {
		v.SignedIn = me.User
	}
	return v
}

// Value returns what the user typed into a field (or what the page put there).
func (v *view) Value(name string) string { return v.form.Get(name) }

// Values returns every value of a field (checkboxes).
func (v *view) Values(name string) []string { return v.form[name] }

// Posted reports whether the form posted the field.
func (v *view) Posted(name string) bool { _, ok := v.form[name]; return ok }

// setValue pre-fills a field unless the form posted it.
func (v *view) setValue(name, value string) {
	if v.form == nil {
		v.form = url.Values{}
	}
	if _, posted := v.form[name]; !posted {
		v.form.Set(name, value)
	}
}

// setValues pre-fills a multi-valued field (checkboxes).
func (v *view) setValues(name string, values []string) {
	if v.form == nil {
		v.form = url.Values{}
	}
	v.form[name] = values
}

// invalid notes a message about one field.
func (v *view) invalid(name, text string) {
	v.Errors[name] = text
	if v.Focus == "" {
		v.Focus = name
	}
}

// setError shows err next to its field when the form has that field
// (a custom-data attribute's error goes to the custom-data field), and
// above the form otherwise. Internal errors are logged and shown as a
// generic message.
func (v *view) setError(r *http.Request, err error, fields ...string) {
	if userdb.ErrorCode(err) == userdb.EINTERNAL {
		httpx.Logger(r).Error("console page failed", "page", v.Page, "err", err)
		v.Error = msg("internal")
		return
	}
	text := userdb.ErrorMessage(err)
	var e *userdb.Error
	if errors.As(err, &e) && e.Field != "" {
		name := e.Field
		if strings.HasPrefix(name, "customData") {
			name = "customData"
		}
		for _, f := range fields {
			if f == name {
				v.invalid(f, text)
				return
			}
		}
	}
	v.Error = text
}

// field is one labelled input of a form: an <input>, a <select> (with
// Options) or a <textarea> (with Rows).
type field struct {
	Name, Label, Type, Autocomplete string
	Value, Error, Hint              string
	Required, Autofocus             bool
	// Quiet leaves out the "(optional)" of a search filter.
	Quiet   bool
	Rows    int
	Options []option
}

// option is one choice of a select.
type option struct {
	Value, Label string
}

// newField describes an input for the templates:
// {{template "field" (field . "email" "Email" "email" "email")}}.
// Password inputs are never pre-filled.
func newField(v *view, name, label, typ, autocomplete string) field {
	f := field{Name: name, Label: label, Type: typ, Autocomplete: autocomplete,
		Error: v.Errors[name], Required: true, Autofocus: v.Focus == name}
	if typ != "password" {
		f.Value = v.Value(name)
	}
	return f
}

// render writes a page with the status.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	v.Flash = takeFlash(w, r)
	var buf bytes.Buffer
	if err := templates[v.Page].ExecuteTemplate(&buf, "layout", v); err != nil {
		httpx.Logger(r).Error("rendering console page", "page", v.Page, "err", err)
		http.Error(w, "An internal error occurred.", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if src := c.kit.LogoOrigin; src != "" {
		// An absolute logo URL is the only thing loaded from elsewhere.
		h.Set("Content-Security-Policy", httpx.ContentSecurityPolicy(nil, []string{src}))
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// message is the content of the message page.
type message struct {
	Title, Text    string
	Link, LinkText string
	Kind           string // "", "error" or "success"
}

// message renders a page that only says something.
func (c *Console) message(w http.ResponseWriter, r *http.Request, me *admin, status int, m message) {
	v := c.newView(r, me, "message", "", m.Title)
	v.Data = m
	c.render(w, r, status, v)
}

// forbidden answers a signed-in user who is not an administrator.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, u *userdb.User) {
	m := message{Title: msg("forbidden-title"), Text: msg("forbidden"),
		Kind: "error", Link: c.edge.Options().ProfilePage, LinkText: "Go to your profile"}
	v := c.newView(r, nil, "message", "", m.Title)
	v.SignedIn, v.Data = u, m
	c.render(w, r, http.StatusForbidden, v)
}

// notFound answers a console path that does not exist.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request, me *admin) {
	c.message(w, r, me, http.StatusNotFound, message{Title: msg("notfound-title"), Text: msg("notfound"),
		Link: Prefix + "users", LinkText: "Back to users"})
}

// fail answers a request whose page could not be built: a user of another
// account is "not found" (the service says so), a refusal is 403, and
// anything unexpected is logged and shown as a generic 500.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, me *admin, err error) {
	status := httpx.StatusOf(err)
	text := userdb.ErrorMessage(err)
	title := msg("error-title")
	switch {
	case status == http.StatusInternalServerError:
		httpx.Logger(r).Error("console page failed", "path", r.URL.Path, "err", err)
		text = msg("internal")
	case status == http.StatusNotFound:
		title = msg("notfound-title")
	case status == http.StatusForbidden:
		title = msg("forbidden-title")
	case status == http.StatusUnauthorized:
		status = http.StatusBadRequest
	}
	c.message(w, r, me, status, message{Title: title, Text: text, Kind: "error",
		Link: Prefix + "users", LinkText: "Back to users"})
}

// formStatus is the status of a form shown again with an error.
func formStatus(err error) int {
	if s := httpx.StatusOf(err); s != http.StatusUnauthorized {
		return s
	}
	return http.StatusBadRequest
}

// fieldOf returns the input field an error is about, "" for none.
func fieldOf(err error) string {
	var e *userdb.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
