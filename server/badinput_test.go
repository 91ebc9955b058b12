package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/server"
)

// snapshot counts what a request could have changed.
type snapshot struct{ users, events, emails int }

func (e *env) snapshot() snapshot {
	e.t.Helper()
	st := e.srv.Service().Store()
	ctx := context.Background()
	n, err := st.CountUsers(ctx, userdb.UserFilter{}, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	ev, err := st.FindEvents(ctx, userdb.EventFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	em, err := st.FindEmails(ctx, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return snapshot{n, len(ev), len(em)}
}

func TestBadInputGetsClear4xx(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Registration.Enabled = true
		c.Server.MaxBody = 64 << 10
	})
	e.addUser("ann@example.com", "correct horse battery")
	signedIn := e.client()
	signedIn.mustLogin("ann@example.com", "correct horse battery")
	anon := e.client()

	huge := `{"login":"` + strings.Repeat("a", 1<<20) + `","password":"x"}`
	long := strings.Repeat("p", 2000)
	cases := []struct {
		name   string
		c      *client
		method string
		path   string
		body   any
		want   int
	}{
		{"login invalid JSON", anon, "POST", "/login", `{"login":`, 400},
		{"login not an object", anon, "POST", "/login", `[1,2]`, 400},
		{"login wrong type", anon, "POST", "/login", `{"login":"ann@example.com","password":12}`, 400},
		{"login missing fields", anon, "POST", "/login", `{}`, 400},
		{"login empty body", anon, "POST", "/login", ``, 400},
		{"login two objects", anon, "POST", "/login", `{"login":"a"} {"login":"b"}`, 400},
		{"login 1 MB body", anon, "POST", "/login", huge, 413},
		{"login password too long", anon, "POST", "/login", map[string]string{"login": "ann@example.com", "password": long}, 400},
		{"login wrong content type", anon, "POST", "/login", nil, 400},
		{"register invalid email", anon, "POST", "/register", map[string]string{"email": "not-an-email", "password": "a long enough secret"}, 400},
		{"register missing password", anon, "POST", "/register", map[string]string{"email": "new@example.com"}, 400},
		{"register weak password", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "password"}, 400},
		{"register duplicate email", anon, "POST", "/register", map[string]string{"email": "ANN@example.com", "password": "a long enough secret"}, 409},
		{"register name too long", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "a long enough secret", "givenName": strings.Repeat("n", 101)}, 400},
		{"register control characters", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "a long enough secret", "surname": "a\x00b"}, 400},
		{"register customData not object", anon, "POST", "/register", `{"email":"new@example.com","password":"a long enough secret","customData":"x"}`, 400},
		{"register password too long", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": long}, 400},
		{"verify unknown token", anon, "GET", "/verify?sptoken=abc", nil, 400},
		{"verify no token", anon, "GET", "/verify", nil, 400},
		{"verify huge token", anon, "GET", "/verify?sptoken=" + strings.Repeat("t", 5000), nil, 400},
		{"resend missing login", anon, "POST", "/verify", `{}`, 400},
		{"forgot missing email", anon, "POST", "/forgot", `{}`, 400},
		{"forgot wrong type", anon, "POST", "/forgot", `{"email":["a"]}`, 400},
		{"change unknown token", anon, "GET", "/change?sptoken=zzz", nil, 400},
		{"change post unknown token", anon, "POST", "/change", map[string]string{"sptoken": "zzz", "password": "a long enough secret"}, 400},
		{"change post no token", anon, "POST", "/change", map[string]string{"password": "a long enough secret"}, 400},
		{"me anonymous", anon, "GET", "/me", nil, 401},
		{"update me anonymous", anon, "POST", "/me", `{}`, 401},
		{"update me invalid JSON", signedIn, "POST", "/me", `{"givenName":`, 400},
		{"update me wrong type", signedIn, "POST", "/me", `{"givenName":5}`, 400},
		{"update me name too long", signedIn, "POST", "/me", map[string]string{"givenName": strings.Repeat("n", 300)}, 400},
		{"change password missing current", signedIn, "POST", "/me/password", map[string]string{"password": "a long enough secret"}, 400},
		{"change password too long", signedIn, "POST", "/me/password", map[string]string{"currentPassword": "correct horse battery", "password": long}, 400},
		{"expired missing password", signedIn, "POST", "/expired", `{}`, 400},
		{"end unknown session", signedIn, "DELETE", "/me/sessions/ses_nope", nil, 404},
		{"check_password invalid JSON", anon, "POST", "/users/check_password", `nope`, 400},
		{"logout anonymous", anon, "POST", "/logout", nil, 401},
		{"unknown route", anon, "GET", "/nope", nil, 404},
		{"wrong method", anon, "PUT", "/login", `{}`, 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.snapshot()
			var r response
			if tc.name == "login wrong content type" {
				r = tc.c.do(tc.method, tc.path, []byte("login=a"), "Content-Type", "text/plain")
			} else {
				r = tc.c.do(tc.method, tc.path, tc.body)
			}
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, r.body)
			}
			if r.status != 404 && r.status != 405 {
				m := r.json(t)
				if msg, _ := m["message"].(string); msg == "" || int(m["status"].(float64)) != tc.want {
					t.Fatalf("error body %s", r.body)
				}
			}
			after := e.snapshot()
			// Failed sign-ins are recorded, nothing else may change.
			if after.users != before.users || after.emails != before.emails || (after.events != before.events && !strings.HasPrefix(tc.path, "/login")) {
				t.Fatalf("state changed: %+v -> %+v", before, after)
			}
		})
	}
}

func TestFormPostsWork(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	r := c.do("POST", "/login", url.Values{"username": {"ann@example.com"}, "password": {"correct horse battery"}})
	if r.status != 200 {
		t.Fatalf("form login: %d %s", r.status, r.body)
	}
}
