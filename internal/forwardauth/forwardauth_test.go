package forwardauth_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/forwardauth"
	"github.com/userdb/userdb/internal/httpx"
)

// identities are the callers the test's authenticator knows, by cookie.
var identities = map[string]*forwardauth.Identity{
	"admin": {User: "ada", Email: "ada@example.com", Name: "Ada Admin", Groups: []string{"staff", "admin"}, Account: "acme"},
	"staff": {User: "sam", Email: "sam@example.com", Name: "Sam Staff", Groups: []string{"staff"}, Account: "acme"},
}

func handler(t *testing.T, denyByDefault bool) http.Handler {
	t.Helper()
	h := forwardauth.New(forwardauth.Options{
		Authenticate: func(r *http.Request) (*forwardauth.Identity, error) {
			if c, err := r.Cookie("userdb"); err == nil && identities[c.Value] != nil {
				return identities[c.Value], nil
			}
			if r.Header.Get("Authorization") == "Bearer key-of-admin" {
				return identities["admin"], nil
			}
			return nil, userdb.Errorf(userdb.EUNAUTHORIZED, "Not signed in.")
		},
		Rules: []forwardauth.Rule{
			{Hosts: []string{"app.example.com"}, Paths: []string{"/admin", "/admin/*"}, Roles: []string{"admin"}},
			{Hosts: []string{"*.internal.example.com"}, Roles: []string{"staff"}},
			{Hosts: []string{"127.0.0.1:8081"}, Paths: []string{"/secret/*"}, Roles: []string{"admin"}},
			{Hosts: []string{"app.example.com", "127.0.0.1:8081"}},
		},
		DenyByDefault: denyByDefault,
		SignIn:        "https://id.example.com/signin",
		Logger:        slog.New(slog.DiscardHandler),
	})
	mux := http.NewServeMux()
	h.Routes(mux)
	return httpx.Chain(mux, httpx.RequestIDs(slog.New(slog.DiscardHandler)),
		httpx.TrustedProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}))
}

func TestForwardAuth(t *testing.T) {
	type want struct {
		status   int
		location string
		user     string
		groups   string
	}
	browser := map[string]string{"Accept": "text/html,application/xhtml+xml"}
	cases := []struct {
		name    string
		path    string // the endpoint
		peer    string
		headers map[string]string
		cookie  string
		want    want
	}{
		{"signed in, nginx style", forwardauth.AuthRequestPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/home"},
			"staff", want{200, "", "sam", "staff"}},
		{"signed in, Traefik style", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{
			"X-Forwarded-Proto": "https", "X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/home?x=1", "X-Forwarded-Method": "GET"},
			"staff", want{200, "", "sam", "staff"}},
		{"the role a rule asks for", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/admin/users"},
			"admin", want{200, "", "ada", "staff,admin"}},
		{"without the role", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/admin/users"},
			"staff", want{403, "", "", ""}},
		{"without the role, the exact path", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/admin"},
			"staff", want{403, "", "", ""}},
		{"a dot-dot path meets the rule of where it leads", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/public/../admin/x"},
			"staff", want{403, "", "", ""}},
		{"an encoded dot-dot path too", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Forwarded-Host": "app.example.com", "X-Forwarded-Uri": "/public/%2e%2e/admin/x"},
			"staff", want{403, "", "", ""}},
		{"a double slash too", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com//admin/x"},
			"staff", want{403, "", "", ""}},
		{"a wildcard host", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://wiki.internal.example.com/"},
			"staff", want{200, "", "sam", "staff"}},
		{"a host and port", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "http://127.0.0.1:8081/secret/x"},
			"staff", want{403, "", "", ""}},
		{"a host and port, another path", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "http://127.0.0.1:8081/open"},
			"staff", want{200, "", "sam", "staff"}},
		{"anonymous browser, Traefik: redirect", forwardauth.ForwardAuthPath, "10.0.0.2:1", merge(browser, map[string]string{"X-Original-URL": "https://app.example.com/home?a=b"}),
			"", want{302, "https://id.example.com/signin?next=https%3A%2F%2Fapp.example.com%2Fhome%3Fa%3Db", "", ""}},
		{"anonymous browser, nginx: 401 with the way", forwardauth.AuthRequestPath, "10.0.0.2:1", merge(browser, map[string]string{"X-Original-URL": "https://app.example.com/home"}),
			"", want{401, "https://id.example.com/signin?next=https%3A%2F%2Fapp.example.com%2Fhome", "", ""}},
		{"anonymous browser posting a form: 401", forwardauth.ForwardAuthPath, "10.0.0.2:1", merge(browser, map[string]string{"X-Original-URL": "https://app.example.com/home", "X-Forwarded-Method": "POST"}),
			"", want{401, "", "", ""}},
		{"anonymous API client", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/api", "Accept": "application/json"},
			"", want{401, "", "", ""}},
		{"a bearer token", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://app.example.com/admin/api", "Authorization": "Bearer key-of-admin"},
			"", want{200, "", "ada", "staff,admin"}},
		{"a bad bearer token from a browser: 401, no redirect", forwardauth.ForwardAuthPath, "10.0.0.2:1", merge(browser, map[string]string{"X-Original-URL": "https://app.example.com/home", "Authorization": "Bearer nope"}),
			"", want{401, "", "", ""}},
		{"an untrusted peer's headers are not believed", forwardauth.ForwardAuthPath, "192.0.2.1:1", map[string]string{"X-Original-URL": "https://app.example.com/home"},
			"staff", want{403, "", "", ""}},
		{"no original URL", forwardauth.ForwardAuthPath, "10.0.0.2:1", nil, "staff", want{403, "", "", ""}},
		{"a bad original URL", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "javascript:alert(1)"}, "staff", want{403, "", "", ""}},
		{"no rule matches: any signed-in user", forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://other.example.com/"},
			"staff", want{200, "", "sam", "staff"}},
	}
	h := handler(t, false)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := serve(h, c.path, c.peer, c.headers, c.cookie)
			got := want{rec.Code, rec.Header().Get("Location"), rec.Header().Get("Remote-User"), rec.Header().Get("Remote-Groups")}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
			if rec.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", rec.Header().Get("Cache-Control"))
			}
			if got.status == 200 {
				id := identities[c.cookie]
				if id == nil {
					id = identities["admin"]
				}
				for k, v := range map[string]string{"Remote-Email": id.Email, "Remote-Name": id.Name, "Remote-Account": id.Account} {
					if rec.Header().Get(k) != v {
						t.Errorf("%s = %q, want %q", k, rec.Header().Get(k), v)
					}
				}
			}
		})
	}

	t.Run("deny by default", func(t *testing.T) {
		rec := serve(handler(t, true), forwardauth.ForwardAuthPath, "10.0.0.2:1", map[string]string{"X-Original-URL": "https://other.example.com/"}, "admin")
		if rec.Code != 403 {
			t.Errorf("no rule, deny by default: %d", rec.Code)
		}
	})
}

func serve(h http.Handler, path, peer string, headers map[string]string, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, "http://id.example.com"+path, nil)
	req.RemoteAddr = peer
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: "userdb", Value: cookie})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func merge(a, b map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}
