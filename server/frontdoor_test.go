package server_test

import (
	"strings"
	"testing"
)

const browserAccept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

// The front door: / leads a browser to sign in, or to the profile once
// signed in, and tells a JSON client where things are.
func TestFrontDoor(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()

	r := c.do("GET", "/", nil, "Accept", browserAccept)
	if r.status != 303 && r.status != 302 || r.header.Get("Location") != "/signin" {
		t.Fatalf("signed out GET /: %d %q, want a redirect to /signin", r.status, r.header.Get("Location"))
	}
	r = c.do("GET", "/", nil)
	if r.status != 200 || r.json(t)["signIn"] != "/signin" {
		t.Fatalf("JSON GET /: %d %s", r.status, r.body)
	}

	c.mustLogin("ann@example.com", "correct horse battery")
	r = c.do("GET", "/", nil, "Accept", browserAccept)
	if r.header.Get("Location") != "/profile" {
		t.Fatalf("signed in GET /: %d %q, want a redirect to /profile", r.status, r.header.Get("Location"))
	}
}

// Unknown paths get the branded page or the JSON error, never Go's plain
// text; a path served for other methods answers 405 with Allow.
func TestNotFoundPages(t *testing.T) {
	e := newEnv(t)
	c := e.client()

	r := c.do("GET", "/no/such/page", nil, "Accept", browserAccept)
	if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(r.body), "Page not found") || !strings.Contains(string(r.body), `href="/"`) {
		t.Fatalf("browser 404: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	r = c.do("GET", "/no/such/page", nil)
	if r.status != 404 || r.json(t)["status"] != float64(404) || r.json(t)["message"] != "Not found." {
		t.Fatalf("JSON 404: %d %s", r.status, r.body)
	}
	r = c.do("DELETE", "/healthz", nil)
	if r.status != 405 || r.header.Get("Allow") != "GET" || r.json(t)["status"] != float64(405) {
		t.Fatalf("DELETE /healthz: %d %q %s", r.status, r.header.Get("Allow"), r.body)
	}
	r = c.do("PUT", "/signin", nil, "Accept", browserAccept)
	if r.status != 405 || r.header.Get("Allow") != "GET, POST" || !strings.Contains(string(r.body), "<html") {
		t.Fatalf("PUT /signin: %d %q %s", r.status, r.header.Get("Allow"), r.body)
	}
	// The mux still adds the trailing slash of a subtree.
	r = c.do("GET", "/admin", nil, "Accept", browserAccept)
	if r.status/100 != 3 || r.header.Get("Location") != "/admin/" {
		t.Fatalf("GET /admin: %d %q", r.status, r.header.Get("Location"))
	}
}

// A browser asking for /me sees the profile page; JSON clients keep the
// original's JSON.
func TestMeForBrowsers(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()

	r := c.do("GET", "/me", nil, "Accept", browserAccept)
	if loc := r.header.Get("Location"); r.status != 302 || !strings.HasPrefix(loc, "/signin?next=") {
		t.Fatalf("signed-out browser GET /me: %d %q", r.status, loc)
	}
	c.mustLogin("ann@example.com", "correct horse battery")
	r = c.do("GET", "/me", nil, "Accept", browserAccept)
	if r.status != 302 || r.header.Get("Location") != "/profile" {
		t.Fatalf("browser GET /me: %d %q", r.status, r.header.Get("Location"))
	}
	for _, accept := range []string{"application/json", "*/*", ""} {
		r = c.do("GET", "/me", nil, "Accept", accept)
		if r.status != 200 || r.json(t)["account"] == nil {
			t.Fatalf("GET /me with Accept %q: %d %s", accept, r.status, r.body)
		}
	}
	r = c.do("GET", "/me", nil, "Accept", browserAccept, "X-Requested-With", "XMLHttpRequest")
	if r.status != 200 || r.json(t)["account"] == nil {
		t.Fatalf("XHR GET /me: %d %s", r.status, r.body)
	}
}

// The profile offers administrators the console, and nobody else.
func TestProfileLinksConsole(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	e.addUser("root@example.com", "correct horse battery", "super-admin")
	for _, tc := range []struct {
		email string
		want  bool
	}{{"ann@example.com", false}, {"root@example.com", true}} {
		c := e.client()
		c.mustLogin(tc.email, "correct horse battery")
		for _, path := range []string{"/profile", "/profile/sessions"} {
			r := c.do("GET", path, nil, "Accept", browserAccept)
			if got := strings.Contains(string(r.body), `href="/admin/"`); r.status != 200 || got != tc.want {
				t.Errorf("%s %s: %d, console link %v, want %v", tc.email, path, r.status, got, tc.want)
			}
		}
	}
}
