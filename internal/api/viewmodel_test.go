package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// agent is the header react-stormpath 2.0.1 adds to every same-origin call.
const agent = "stormpath-sdk-react/2.0.1 react/15.7.0"

// newServer runs the whole server (middleware included) on a fresh SQLite
// database with the stormpath transformer.
func newServer(t *testing.T, configure ...func(*server.Config)) *httptest.Server {
	t.Helper()
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(t.TempDir(), "userdb.db"))
	cfg.Hashing.Memory = 64 * 1024
	cfg.Hashing.Iterations = 1
	cfg.Transformer = "stormpath"
	cfg.AccountsHref = "https://api.example.com/v1/accounts"
	cfg.GroupsHref = "https://api.example.com/v1/groups"
	for _, f := range configure {
		f(cfg)
	}
	srv, err := server.Open(context.Background(), cfg, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	ctx := service.WithActor(service.WithMeta(context.Background(), service.Meta{ActorID: "test"}), service.SystemActor())
	if _, err := inside.Service(srv).AdminCreateUser(ctx, service.NewUser{Email: "ann@example.com", GivenName: "Ann",
		Surname: "Smith", Password: "correct horse battery", Verified: true}); err != nil {
		t.Fatal(err)
	}
	return hs
}

type result struct {
	status int
	header http.Header
	body   []byte
}

// send makes a request as react-stormpath's UserService does from a page
// of the same origin: Accept JSON, X-Stormpath-Agent, and the headers
// Chromium adds (Origin on POST, Sec-Fetch-Site). site is the
// Sec-Fetch-Site value ("" for none).
func send(t *testing.T, hc *http.Client, hs *httptest.Server, method, path, body, accept, site string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, hs.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("X-Stormpath-Agent", agent)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if site != "" {
		req.Header.Set("Sec-Fetch-Site", site)
		if method != http.MethodGet {
			origin := hs.URL
			if site == "cross-site" {
				origin = "https://evil.example"
			}
			req.Header.Set("Origin", origin)
		}
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return result{res.StatusCode, res.Header, b}
}

func noRedirects() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// viewModel decodes a view model strictly: no field react-stormpath does
// not know, none missing.
type viewModel struct {
	Form struct {
		Fields []struct {
			Name        *string `json:"name"`
			Label       *string `json:"label"`
			Placeholder *string `json:"placeholder"`
			Required    *bool   `json:"required"`
			Type        *string `json:"type"`
		} `json:"fields"`
	} `json:"form"`
	AccountStores []json.RawMessage `json:"accountStores"`
}

func decodeViewModel(t *testing.T, r result) (names, types []string) {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if !strings.Contains(r.header.Get("Vary"), "Accept") {
		t.Errorf("Vary = %q, want Accept (the same URL answers HTML browsers with a redirect)", r.header.Get("Vary"))
	}
	var vm viewModel
	dec := json.NewDecoder(strings.NewReader(string(r.body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vm); err != nil {
		t.Fatalf("not a view model: %v: %s", err, r.body)
	}
	// react-stormpath calls data.accountStores.forEach: null would throw.
	if !strings.Contains(string(r.body), `"accountStores":[]`) {
		t.Errorf("accountStores is not an empty list: %s", r.body)
	}
	for _, f := range vm.Form.Fields {
		if f.Name == nil || f.Label == nil || f.Placeholder == nil || f.Required == nil || f.Type == nil {
			t.Fatalf("field lacks name, label, placeholder, required or type: %s", r.body)
		}
		if *f.Label == "" || *f.Placeholder == "" || !*f.Required {
			t.Errorf("field %s: empty label or placeholder, or not required: %s", *f.Name, r.body)
		}
		names, types = append(names, *f.Name), append(types, *f.Type)
	}
	return names, types
}

func TestLoginViewModel(t *testing.T) {
	hs := newServer(t)
	hc := noRedirects()

	for _, accept := range []string{"application/json", "application/json, text/plain, */*", "*/*"} {
		names, types := decodeViewModel(t, send(t, hc, hs, "GET", "/login", "", accept, "same-origin"))
		if strings.Join(names, ",") != "login,password" || strings.Join(types, ",") != "text,password" {
			t.Errorf("Accept %q: fields %v of types %v, want login (text), password (password)", accept, names, types)
		}
	}

	// A browser still gets the hosted sign-in page, with its next=.
	r := send(t, hc, hs, "GET", "/login?next=%2Fprofile", "", "text/html,application/xhtml+xml,*/*;q=0.8", "none")
	if r.status != http.StatusFound || r.header.Get("Location") != "/signin?next=%2Fprofile" {
		t.Fatalf("browser GET /login: %d to %q, want 302 to /signin?next=%%2Fprofile", r.status, r.header.Get("Location"))
	}
}

func TestRegisterViewModel(t *testing.T) {
	hs := newServer(t, func(c *server.Config) { c.Registration.Enabled = true })
	hc := noRedirects()

	names, types := decodeViewModel(t, send(t, hc, hs, "GET", "/register", "", "application/json", "same-origin"))
	if strings.Join(names, ",") != "givenName,surname,email,password" || strings.Join(types, ",") != "text,text,email,password" {
		t.Errorf("fields %v of types %v", names, types)
	}
	// Every field the view model asks for is one POST /register takes.
	r := send(t, hc, hs, "POST", "/register",
		`{"givenName":"Bea","surname":"Jones","email":"bea@example.com","password":"a long enough secret"}`,
		"application/json", "same-origin")
	if r.status != http.StatusCreated {
		t.Fatalf("POST /register with the view model's fields: %d %s", r.status, r.body)
	}

	r = send(t, hc, hs, "GET", "/register?next=%2Fprofile", "", "text/html", "none")
	if r.status != http.StatusFound || r.header.Get("Location") != "/signup?next=%2Fprofile" {
		t.Fatalf("browser GET /register: %d to %q, want 302 to /signup?next=%%2Fprofile", r.status, r.header.Get("Location"))
	}
}

func TestRegisterViewModelWhenRegistrationIsOff(t *testing.T) {
	hs := newServer(t) // registration is off by default
	r := send(t, noRedirects(), hs, "GET", "/register", "", "application/json", "same-origin")
	var body struct {
		Status  int    `json:"status"`
		Message string `json:"message"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil || r.status != http.StatusForbidden ||
		body.Status != 403 || body.Message != "Registration is not enabled." {
		t.Fatalf("GET /register with registration off: %d %s, want 403 Registration is not enabled.", r.status, r.body)
	}
}

func TestViewModelFollowsConfiguredEndpoints(t *testing.T) {
	hs := newServer(t, func(c *server.Config) {
		c.Registration.Enabled = true
		c.Endpoints.Login.URI = "/auth/login"
		c.Endpoints.Register.Enabled = false
	})
	hc := noRedirects()
	names, _ := decodeViewModel(t, send(t, hc, hs, "GET", "/auth/login", "", "application/json", "same-origin"))
	if len(names) != 2 {
		t.Fatalf("moved login endpoint: fields %v", names)
	}
	for _, path := range []string{"/login", "/register"} {
		if r := send(t, hc, hs, "GET", path, "", "application/json", "same-origin"); r.status != http.StatusNotFound {
			t.Errorf("GET %s (moved or disabled): %d %s, want 404", path, r.status, r.body)
		}
	}
}

// TestStormpathAgentHeaderIsTolerated walks react-stormpath's calls with its
// X-Stormpath-Agent header, as a same-origin page sends them, through the
// whole middleware chain; a cross-site post with the header is still refused.
func TestStormpathAgentHeaderIsTolerated(t *testing.T) {
	hs := newServer(t)
	hc := noRedirects()
	const js = "application/json"

	steps := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/login", "", 200},
		{"GET", "/me", "", 401},
		{"POST", "/login", `{"login":"ann@example.com","password":"correct horse battery"}`, 200},
		{"GET", "/me", "", 200},
		{"POST", "/me", `{"givenName":"Anne"}`, 200},
		{"POST", "/forgot", `{"email":"ann@example.com"}`, 200},
		{"POST", "/logout", "", 200},
		{"GET", "/me", "", 401},
	}
	for _, s := range steps {
		r := send(t, hc, hs, s.method, s.path, s.body, js, "same-origin")
		if r.status != s.want {
			t.Fatalf("%s %s with X-Stormpath-Agent: %d, want %d: %s", s.method, s.path, r.status, s.want, r.body)
		}
		if s.path == "/me" && s.want == 200 {
			var me struct {
				Account struct {
					Email, Href string
					Groups      *struct{ Href string }
				}
			}
			if err := json.Unmarshal(r.body, &me); err != nil || me.Account.Email != "ann@example.com" ||
				!strings.HasPrefix(me.Account.Href, "https://api.example.com/v1/accounts/") || me.Account.Groups == nil {
				t.Fatalf("GET /me is not the stormpath shape: %s", r.body)
			}
		}
	}

	// The header is no pass: without the browser's same-origin signal, a
	// post from another site is refused as before.
	r := send(t, hc, hs, "POST", "/login", `{"login":"ann@example.com","password":"correct horse battery"}`, js, "cross-site")
	if r.status != http.StatusForbidden || !strings.Contains(string(r.body), "Cross-origin request refused.") {
		t.Fatalf("cross-site POST /login with X-Stormpath-Agent: %d %s, want 403", r.status, r.body)
	}
}
