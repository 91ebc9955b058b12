package console

import (
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/ui"
)

//go:embed templates
var templateFS embed.FS

//go:embed static/console.css
var consoleCSS []byte

// pageNames are the page templates; each is rendered inside layout.html
// with the shared pieces of parts.html.
var pageNames = []string{
	"users", "user", "user_new", "accounts", "account", "roles", "role",
	"events", "apikeys", "import", "message", "connectors", "clients", "client",
}

// templates holds every page, parsed once when the program starts: a
// missing or broken template stops it there rather than at a request.
var templates = ui.MustParsePages(templateFS, pageNames, funcs)

var funcs = template.FuncMap{
	"field": func(v *view, name, label, typ, autocomplete string) ui.Field {
		return v.Field(name, label, typ, autocomplete)
	},
	"clientForm": func(v *view, d *clientsData) clientForm { return clientForm{V: v, D: d} },
	"clientTypes": func() []ui.Option {
		return []ui.Option{{Value: "confidential", Label: "Confidential: keeps a secret"}, {Value: "public", Label: "Public: SPA or native app"}}
	},
	"tokenFormats": func() []ui.Option {
		return []ui.Option{{Value: "jwt", Label: "JWT, verified by APIs offline"}, {Value: "opaque", Label: "Opaque, checked by introspection"}}
	},
	"date":      fmtTime,
	"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
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

// timeLayout shows times in UTC and says so.
const timeLayout = "2 Jan 2006, 15:04 MST"

// fmtTime shows a time, or a dash for none (a nil *time.Time).
func fmtTime(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format(timeLayout)
	case *time.Time:
		if v == nil {
			return "—"
		}
		return v.UTC().Format(timeLayout)
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
		if empty(v) {
			continue // nothing to read: no "null", no ""
		}
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

// empty reports whether an event detail's value says nothing.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// view is what every page template receives.
type view struct {
	ui.Form
	Page                    string // template name, also a class on <body>
	Nav                     string // the section highlighted in the navigation
	Title                   string
	Brand                   ui.Branding
	Style, Theme, Icon, CSS string
	Me                      *admin
	// SignedIn is the user shown in the top bar: the administrator, or the
	// user refused on the 403 page (who may want to sign out).
	SignedIn *userdb.User
	Flash    *ui.Flash
	Data     any
}

// newView starts the view of a page, keeping what the user typed into a
// posted form (never a password: see ui.Form.Field).
func (c *Console) newView(r *http.Request, me *admin, page, nav, title string) *view {
	v := &view{
		Form: ui.NewForm(r.PostForm),
		Page: page, Nav: nav, Title: title, Brand: c.look.Brand,
		Style: c.look.URLs.Style, Theme: c.look.URLs.Theme, Icon: c.look.URLs.Icon, CSS: c.css.URL,
		Me: me,
	}
	if me != nil {
		v.SignedIn = me.User
	}
	return v
}

// setError shows err next to its field when the form has that field (a
// custom-data attribute's error goes to the custom-data field), and above
// the form otherwise (ui.Form.SetError).
func (v *view) setError(r *http.Request, err error, fields ...string) {
	v.SetError(r, err, msg("internal"), fields...)
}

// render writes a page with the status. An absolute logo URL is the only
// thing loaded from elsewhere.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, v *view) {
	v.Flash = flashes.Take(w, r)
	csp := ""
	if src := c.look.LogoOrigin; src != "" {
		csp = httpx.ContentSecurityPolicy(nil, []string{src})
	}
	ui.Render(w, r, templates[v.Page], status, v, csp, "An internal error occurred.")
}

// message renders a page that only says something.
func (c *Console) message(w http.ResponseWriter, r *http.Request, me *admin, status int, m ui.Message) {
	v := c.newView(r, me, "message", "", m.Title)
	v.Data = m
	c.render(w, r, status, v)
}

// forbidden answers a signed-in user who is not an administrator.
func (c *Console) forbidden(w http.ResponseWriter, r *http.Request, u *userdb.User) {
	m := ui.Message{Title: msg("forbidden-title"), Text: msg("forbidden"),
		Kind: "error", Link: c.edge.Options().ProfilePage, LinkText: "Go to your profile"}
	v := c.newView(r, nil, "message", "", m.Title)
	v.SignedIn, v.Data = u, m
	c.render(w, r, http.StatusForbidden, v)
}

// notFound answers a console path that does not exist.
func (c *Console) notFound(w http.ResponseWriter, r *http.Request, me *admin) {
	c.message(w, r, me, http.StatusNotFound, ui.Message{Title: msg("notfound-title"), Text: msg("notfound"),
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
	c.message(w, r, me, status, ui.Message{Title: title, Text: text, Kind: "error",
		Link: Prefix + "users", LinkText: "Back to users"})
}

// fieldOf returns the input field an error is about, "" for none.
func fieldOf(err error) string {
	var e *userdb.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}
