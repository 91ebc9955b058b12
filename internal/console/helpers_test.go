package console_test

import (
	"context"
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
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/server"
)

// site is a whole server (pages, API and middleware) on a fresh SQLite
// database behind an httptest server.
type site struct {
	t     *testing.T
	srv   *server.Server
	http  *httptest.Server
	clock *testclock.Clock
}

func newSite(t *testing.T, configure ...func(*server.Config)) *site {
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
	s := &site{t: t, srv: srv, http: httptest.NewServer(srv), clock: clk}
	t.Cleanup(func() {
		s.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return s
}

// addUser creates an enabled, verified user through the service, in the
// account (name; "" for the default one) with the roles.
func (s *site) addUser(email, password, account string, roles ...string) *userdb.User {
	s.t.Helper()
	u, err := inside.Service(s.srv).AdminCreateUser(service.WithActor(context.Background(), service.SystemActor()), service.NewUser{
		Email: email, Password: password, GivenName: "Ann", Surname: "Lee", Verified: true,
		Account: account, Roles: roles})
	if err != nil {
		s.t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// addAccount creates an account (with its admin role).
func (s *site) addAccount(name string) *userdb.Account {
	s.t.Helper()
	a, err := inside.Service(s.srv).AdminCreateAccount(service.WithActor(context.Background(), service.SystemActor()), service.NewAccount{Name: name})
	if err != nil {
		s.t.Fatalf("create account %s: %v", name, err)
	}
	return a
}

var tokenInLink = regexp.MustCompile(`sptoken=([A-Za-z0-9_-]+)`)

// token returns the token of the link in the newest email of a kind to
// addr, once the server's background work is done (forgot and resend queue
// their email after answering).
func (s *site) token(to, kind string) string {
	s.t.Helper()
	if err := s.srv.Flush(context.Background()); err != nil {
		s.t.Fatal(err)
	}
	list, err := inside.Service(s.srv).Store().FindEmails(context.Background(), 100)
	if err != nil {
		s.t.Fatal(err)
	}
	for _, m := range list {
		if m.To == to && m.Kind == kind {
			match := tokenInLink.FindStringSubmatch(m.Text + m.HTML)
			if match == nil {
				s.t.Fatalf("no link in the %s email", kind)
			}
			return match[1]
		}
	}
	s.t.Fatalf("no %s email to %s", kind, to)
	return ""
}

// browser is a client that behaves like a browser: it asks for HTML, keeps
// cookies, sends Origin and Sec-Fetch-Site with form posts, and does not
// follow redirects, so tests see where each answer points.
type browser struct {
	s   *site
	jar *cookiejar.Jar
	hc  *http.Client
}

func (s *site) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{s: s, jar: jar, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer to the browser.
type page struct {
	status int
	header http.Header
	body   string
}

// location is where a redirect points.
func (p page) location() string { return p.header.Get("Location") }

func (b *browser) get(path string) page {
	b.s.t.Helper()
	return b.do("GET", path, nil, nil)
}

func (b *browser) post(path string, form url.Values) page {
	b.s.t.Helper()
	return b.do("POST", path, form, http.Header{"Origin": {b.s.http.URL}, "Sec-Fetch-Site": {"same-origin"}})
}

func (b *browser) do(method, path string, form url.Values, h http.Header) page {
	b.s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.s.http.URL+path, body)
	if err != nil {
		b.s.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range h {
		req.Header[k] = v
	}
	res, err := b.hc.Do(req)
	if err != nil {
		b.s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(raw)}
}

// follow gets the page a redirect points to.
func (b *browser) follow(p page) page {
	b.s.t.Helper()
	if p.status != http.StatusSeeOther && p.status != http.StatusFound {
		b.s.t.Fatalf("want a redirect, got %d: %s", p.status, p.body)
	}
	return b.get(p.location())
}

// signIn signs in through the sign-in form and returns the redirect.
func (b *browser) signIn(login, password string) page {
	b.s.t.Helper()
	p := b.post("/signin", url.Values{"login": {login}, "password": {password}})
	if p.status != http.StatusSeeOther {
		b.s.t.Fatalf("sign in %s: %d %s", login, p.status, p.body)
	}
	return p
}

// cookie returns the value of the browser's cookie of that name ("" if none).
func (b *browser) cookie(name string) string {
	u, _ := url.Parse(b.s.http.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// wantStatus fails the test unless p has the status.
func wantStatus(t *testing.T, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("status %d, want %d; Location=%q\n%s", p.status, status, p.location(), p.body)
	}
}

// wantRedirect fails the test unless p is a 303 to exactly to.
func wantRedirect(t *testing.T, p page, to string) {
	t.Helper()
	if p.status != http.StatusSeeOther || p.location() != to {
		t.Fatalf("got %d Location=%q, want 303 to %q\n%s", p.status, p.location(), to, p.body)
	}
}

// wantText fails the test unless the page's HTML contains each of texts.
func wantText(t *testing.T, p page, texts ...string) {
	t.Helper()
	for _, s := range texts {
		if !strings.Contains(p.body, s) {
			t.Fatalf("page does not show %q:\n%s", s, p.body)
		}
	}
}
