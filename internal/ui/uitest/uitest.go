// Package uitest is the test harness of the hosted pages and the admin
// console: a whole server on a fresh SQLite database behind an httptest
// server, and a client that behaves like a browser (it asks for HTML, keeps
// cookies, sends Origin and Sec-Fetch-Site with form posts and does not
// follow redirects, so a test sees where each answer points). The browser
// tests that run Chromium are in e2e.
package uitest

import (
	"context"
	"github.com/userdb/userdb/internal/inside"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/server"
)

// Site is a whole server (pages, console, API and middleware) on a fresh
// SQLite database behind an httptest server, with a clock the test moves.
type Site struct {
	T     *testing.T
	Srv   *server.Server
	HTTP  *httptest.Server
	Clock *testclock.Clock
}

// NewSite starts a site with registration on and fast hashing, configured
// further by configure; it stops when the test ends.
func NewSite(t *testing.T, configure ...func(*server.Config)) *Site {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(t.TempDir(), "userdb.db"))
	cfg.Hashing.Memory = 64 * 1024 // fast: hashing is tested in internal/password
	cfg.Hashing.Iterations = 1
	cfg.Registration.Enabled = true
	for _, f := range configure {
		f(cfg)
	}
	clk := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv, err := server.Open(context.Background(), cfg,
		server.WithClock(clk), server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	s := &Site{T: t, Srv: srv, HTTP: httptest.NewServer(srv), Clock: clk}
	t.Cleanup(func() {
		s.HTTP.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return s
}

// AddUser creates an enabled, verified user named Ann Lee through the
// service, in the account (its name; "" for the default one) with the roles.
func (s *Site) AddUser(email, password, account string, roles ...string) *userdb.User {
	s.T.Helper()
	u, err := inside.Service(s.Srv).AdminCreateUser(service.WithActor(context.Background(), service.SystemActor()), service.NewUser{
		Email: email, Password: password, GivenName: "Ann", Surname: "Lee", Verified: true,
		Account: account, Roles: roles})
	if err != nil {
		s.T.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// AddAccount creates an account (with its admin role).
func (s *Site) AddAccount(name string) *userdb.Account {
	s.T.Helper()
	a, err := inside.Service(s.Srv).AdminCreateAccount(service.WithActor(context.Background(), service.SystemActor()), service.NewAccount{Name: name})
	if err != nil {
		s.T.Fatalf("create account %s: %v", name, err)
	}
	return a
}

var tokenInLink = regexp.MustCompile(`sptoken=([A-Za-z0-9_-]+)`)

// Token waits for the newest email of a kind to addr and returns the token
// of its link (forgot and resend queue their email after answering).
func (s *Site) Token(to, kind string) string {
	s.T.Helper()
	// The work answers leave behind (a reset link's email) is done once
	// Flush returns: no waiting a while.
	if err := s.Srv.Flush(context.Background()); err != nil {
		s.T.Fatal(err)
	}
	list, err := inside.Service(s.Srv).Store().FindEmails(context.Background(), 100)
	if err != nil {
		s.T.Fatal(err)
	}
	for _, m := range list {
		if m.To == to && m.Kind == kind {
			match := tokenInLink.FindStringSubmatch(m.Text + m.HTML)
			if match == nil {
				s.T.Fatalf("no link in the %s email", kind)
			}
			return match[1]
		}
	}
	s.T.Fatalf("no %s email to %s", kind, to)
	return ""
}

// Browser is a client of the site that behaves like a browser.
type Browser struct {
	S   *Site
	Jar *cookiejar.Jar
	HC  *http.Client
}

// Browser returns a new browser, with no cookies.
func (s *Site) Browser() *Browser {
	jar, _ := cookiejar.New(nil)
	return &Browser{S: s, Jar: jar, HC: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Page is an answer to the browser.
type Page struct {
	Status int
	Header http.Header
	Body   string
}

// Location is where a redirect points.
func (p Page) Location() string { return p.Header.Get("Location") }

// Get asks for a page.
func (b *Browser) Get(path string) Page {
	b.S.T.Helper()
	return b.Do("GET", path, nil, nil)
}

// Post posts a form from a page of the site.
func (b *Browser) Post(path string, form url.Values) Page {
	b.S.T.Helper()
	return b.Do("POST", path, form, http.Header{"Origin": {b.S.HTTP.URL}, "Sec-Fetch-Site": {"same-origin"}})
}

// Do sends a request with a form (nil for none) and extra headers.
func (b *Browser) Do(method, path string, form url.Values, h http.Header) Page {
	b.S.T.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.S.HTTP.URL+path, body)
	if err != nil {
		b.S.T.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := b.HC.Do(req)
	if err != nil {
		b.S.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return Page{Status: res.StatusCode, Header: res.Header, Body: string(raw)}
}

// Follow gets the page a redirect points to.
func (b *Browser) Follow(p Page) Page {
	b.S.T.Helper()
	if p.Status != http.StatusSeeOther && p.Status != http.StatusFound {
		b.S.T.Fatalf("want a redirect, got %d: %s", p.Status, p.Body)
	}
	return b.Get(p.Location())
}

// SignIn signs in through the sign-in form and returns the redirect.
func (b *Browser) SignIn(login, password string) Page {
	b.S.T.Helper()
	p := b.Post("/signin", url.Values{"login": {login}, "password": {password}})
	if p.Status != http.StatusSeeOther {
		b.S.T.Fatalf("sign in %s: %d %s", login, p.Status, p.Body)
	}
	return p
}

// Cookie returns the value of the browser's cookie of that name ("" if none).
func (b *Browser) Cookie(name string) string {
	u, _ := url.Parse(b.S.HTTP.URL)
	for _, c := range b.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// WantStatus fails the test unless p has the status.
func WantStatus(t *testing.T, p Page, status int) {
	t.Helper()
	if p.Status != status {
		t.Fatalf("status %d, want %d; Location=%q\n%s", p.Status, status, p.Location(), p.Body)
	}
}

// WantRedirect fails the test unless p is a 303 to exactly to.
func WantRedirect(t *testing.T, p Page, to string) {
	t.Helper()
	if p.Status != http.StatusSeeOther || p.Location() != to {
		t.Fatalf("got %d Location=%q, want 303 to %q\n%s", p.Status, p.Location(), to, p.Body)
	}
}

// WantText fails the test unless the page's HTML contains each of texts.
func WantText(t *testing.T, p Page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.Body, s) {
			t.Fatalf("page does not show %q:\n%s", s, p.Body)
		}
	}
}
