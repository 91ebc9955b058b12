package server_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/server"
)

func TestLibraryMiddleware(t *testing.T) {
	e := newEnv(t)
	e.addUser("root@example.com", "correct horse battery", "super-admin")
	e.addUser("ed@example.com", "correct horse battery", "admin")
	e.addUser("pat@example.com", "correct horse battery")

	app := http.NewServeMux()
	app.Handle("/", e.srv)
	who := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := server.CallerFrom(r.Context())
		w.Write([]byte(c.Email))
	})
	app.Handle("/app/any", e.srv.Authenticated(who))
	app.Handle("/app/admins", e.srv.Authenticated(e.srv.Authorized([]string{"admin", "auditor"}, false)(who)))
	app.Handle("/app/both", e.srv.Authenticated(e.srv.Authorized([]string{"admin", "auditor"}, true)(who)))
	e.http.Config.Handler = app

	cases := []struct {
		user, path string
		want       int
	}{
		{"", "/app/any", 401},
		{"pat@example.com", "/app/any", 200},
		{"pat@example.com", "/app/admins", 403},
		{"ed@example.com", "/app/admins", 200},
		{"ed@example.com", "/app/both", 403},
		{"root@example.com", "/app/both", 200}, // super-admin passes everything
	}
	for _, tc := range cases {
		t.Run(tc.user+tc.path, func(t *testing.T) {
			c := e.client()
			if tc.user != "" {
				c.mustLogin(tc.user, "correct horse battery")
			}
			r := c.do("GET", tc.path, nil)
			if r.status != tc.want {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.want)
			}
			if tc.want == 200 && string(r.body) != tc.user {
				t.Fatalf("caller %q, want %q", r.body, tc.user)
			}
		})
	}
	// A browser that is not signed in is sent to the sign-in page.
	r := e.client().do("GET", "/app/any", nil, "Accept", "text/html")
	if r.status != 302 || !strings.Contains(r.header.Get("Location"), "next=%2Fapp%2Fany") {
		t.Fatalf("browser: %d %q", r.status, r.header.Get("Location"))
	}
}

func TestRealmStrategy(t *testing.T) {
	token := "s3cret-token"
	var bob *userdb.User
	e := newEnv(t, func(*server.Config) {})
	bob = e.addUser("bob@example.com", "correct horse battery")
	// A second server on the same database with a header-token strategy.
	srv := openWith(t, e, server.WithStrategy("token", server.StrategyFunc(func(r *http.Request) (*userdb.User, error) {
		if r.Header.Get("X-Token") != token {
			return nil, userdb.Errorf(userdb.EUNAUTHORIZED, "bad token")
		}
		return bob, nil
	})))
	h := srv.Authenticated(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := server.CallerFrom(r.Context())
		w.Write([]byte(c.ID))
	}))
	for _, tc := range []struct {
		realm, token string
		want         int
	}{
		{"token", token, 200},
		{"token", "wrong", 401},
		{"nonsense", token, 401},
		{"", token, 401}, // the default realm is the session cookie
	} {
		req := httptest.NewRequest("GET", "/x", nil)
		req.Header.Set("Accept", "application/json")
		if tc.realm != "" {
			req.Header.Set("realm", tc.realm)
		}
		req.Header.Set("X-Token", tc.token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("realm %q token %q: %d, want %d", tc.realm, tc.token, rec.Code, tc.want)
		}
		if tc.want == 200 && rec.Body.String() != bob.ID {
			t.Errorf("caller %q", rec.Body.String())
		}
	}
}
