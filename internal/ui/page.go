package ui

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"time"

	"github.com/userdb/userdb/internal/httpx"
)

//go:embed templates
var sharedFS embed.FS

// ParsePages parses the page templates of a surface, once, when the
// program starts: each page is templates/<name>.html of fsys, with the
// surface's templates/layout.html and templates/parts.html, the shared
// pieces of this package (alerts.html) and the functions of FieldFuncs and
// funcs. A missing or broken template is an error, so the program stops at
// start-up rather than at a user's request.
func ParsePages(fsys fs.FS, names []string, funcs template.FuncMap) (map[string]*template.Template, error) {
	out := make(map[string]*template.Template, len(names))
	for _, name := range names {
		t, err := template.New(name).Funcs(FieldFuncs).Funcs(funcs).ParseFS(sharedFS, "templates/*.html")
		if err == nil {
			t, err = t.ParseFS(fsys, "templates/layout.html", "templates/parts.html", "templates/"+name+".html")
		}
		if err != nil {
			return nil, fmt.Errorf("parsing the %s page: %w", name, err)
		}
		out[name] = t
	}
	return out, nil
}

// MustParsePages is ParsePages for package variables: it panics on error.
func MustParsePages(fsys fs.FS, names []string, funcs template.FuncMap) map[string]*template.Template {
	t, err := ParsePages(fsys, names, funcs)
	if err != nil {
		panic(err)
	}
	return t
}

// Render writes the page t (its "layout" template) executed with data,
// with the status, as HTML that nobody caches. csp, when not "", replaces
// the Content-Security-Policy of the security headers (a page that loads a
// logo from elsewhere, or whose form leads to another site). A template
// that fails is logged and answered with a 500 and the text failed.
func Render(w http.ResponseWriter, r *http.Request, t *template.Template, status int, data any, csp, failed string) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		httpx.Logger(r).Error("rendering page", "page", t.Name(), "err", err)
		http.Error(w, failed, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	if csp != "" {
		h.Set("Content-Security-Policy", csp)
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Message is the content of a page that only says something, with a link
// onwards.
type Message struct {
	Title, Text    string
	Link, LinkText string
	Kind           string // alert style of Text: "", "error" or "success"
}

// Flash is a one-time message shown at the top of the next page.
type Flash struct {
	Kind string // alert style: "success" or "info"
	Text string
}

// Flashes carry a flash message across a redirect in a cookie. The cookie
// holds only a key of Kinds, whose text is Text(key), so nobody can make a
// page say something else by setting it.
type Flashes struct {
	Cookie string // the cookie's name
	Path   string // the cookie's path: the pages that show the messages
	Kinds  map[string]string
	Text   func(key string, args ...any) string
}

// Set shows the message of key on the next page the browser renders.
func (f Flashes) Set(w http.ResponseWriter, r *http.Request, key string) {
	http.SetCookie(w, &http.Cookie{Name: f.Cookie, Value: key, Path: f.Path, MaxAge: 60,
		HttpOnly: true, Secure: httpx.IsHTTPS(r), SameSite: http.SameSiteLaxMode})
}

// Take returns the pending flash message, if any, and clears it.
func (f Flashes) Take(w http.ResponseWriter, r *http.Request) *Flash {
	c, err := r.Cookie(f.Cookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: f.Cookie, Value: "", Path: f.Path, MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: httpx.IsHTTPS(r), SameSite: http.SameSiteLaxMode})
	if kind, ok := f.Kinds[c.Value]; ok {
		return &Flash{Kind: kind, Text: f.Text(c.Value)}
	}
	return nil
}
