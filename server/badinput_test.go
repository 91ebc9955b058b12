package server_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// dbState is what a request could change: every row of the tables the
// seed API writes, as text, and the events by id and type.
type dbState struct {
	rows   []string
	events []string
}

// stateTables are compared row by row, every column (the user's version,
// status, failed count and hash; sessions; tokens with their consumed time...).
var stateTables = []string{"accounts", "users", "user_roles", "roles", "password_history", "sessions", "tokens", "outbox", "api_keys"}

func (e *env) state() dbState {
	e.t.Helper()
	db := inside.Service(e.srv).Store().(interface{ DB() *sql.DB }).DB()
	var s dbState
	for _, table := range stateTables {
		s.rows = append(s.rows, dumpRows(e.t, db, table, "SELECT * FROM "+table+" ORDER BY 1, 2")...)
	}
	s.events = dumpRows(e.t, db, "event", "SELECT id, type FROM events ORDER BY id")
	return s
}

func dumpRows(t testing.TB, db *sql.DB, table, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		b.WriteString(table)
		for i, c := range cols {
			if v, ok := vals[i].([]byte); ok {
				fmt.Fprintf(&b, " %s=%x", c, v)
			} else {
				fmt.Fprintf(&b, " %s=%v", c, vals[i])
			}
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// unchanged fails unless the state is as before, but for new events of
// the allowed types (failed sign-ins are recorded).
func (e *env) unchanged(t *testing.T, before dbState, allowEvents ...string) {
	t.Helper()
	after := e.state()
	if !slices.Equal(before.rows, after.rows) {
		var gone, added []string
		for _, r := range before.rows {
			if !slices.Contains(after.rows, r) {
				gone = append(gone, r)
			}
		}
		for _, r := range after.rows {
			if !slices.Contains(before.rows, r) {
				added = append(added, r)
			}
		}
		t.Fatalf("state changed:\n  before: %s\n  after:  %s", strings.Join(gone, "\n          "), strings.Join(added, "\n          "))
	}
	if len(after.events) < len(before.events) || !slices.Equal(before.events, after.events[:len(before.events)]) {
		t.Fatalf("events changed: %v -> %v", before.events, after.events)
	}
	for _, ev := range after.events[len(before.events):] {
		if _, typ, _ := strings.Cut(ev, " type="); !slices.Contains(allowEvents, typ) {
			t.Fatalf("new event %s", ev)
		}
	}
}

// chunked is a request body sent without a Content-Length, so that only
// reading it finds it too large.
type chunked string

// send is client.do with chunked bodies too.
func (c *client) send(method, path string, body any, header ...string) response {
	c.e.t.Helper()
	b, ok := body.(chunked)
	if !ok {
		return c.do(method, path, body, header...)
	}
	req, err := http.NewRequest(method, c.e.http.URL+path, io.MultiReader(strings.NewReader(string(b))))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: rb, header: res.Header}
}

type badCase struct {
	name   string
	c      *client
	method string
	path   string
	body   any
	want   int
	msg    string   // a part of the message
	events []string // event types the request may add
}

// checkBad runs the cases: each gets its status and an error body with a
// message, and changes nothing.
func (e *env) checkBad(t *testing.T, cases []badCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state()
			r := tc.c.send(tc.method, tc.path, tc.body)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.want, r.body)
			}
			if r.status != 404 && r.status != 405 {
				m := r.json(t)
				msg, _ := m["message"].(string)
				if status, _ := m["status"].(float64); msg == "" || int(status) != tc.want {
					t.Fatalf("error body %.300s", r.body)
				}
				if !strings.Contains(msg, tc.msg) {
					t.Fatalf("message %q, want it to say %q", msg, tc.msg)
				}
			}
			e.unchanged(t, before, tc.events...)
		})
	}
}

func TestBadInputGetsClear4xx(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Registration.Enabled = true })
	e.addUser("ann@example.com", "correct horse battery")
	signedIn := e.client()
	signedIn.mustLogin("ann@example.com", "correct horse battery")
	anon := e.client()

	huge := `{"login":"` + strings.Repeat("a", 1<<20) + `","password":"x"}`
	long := strings.Repeat("p", 2000)
	loginFailed := []string{"login.failed"}
	e.checkBad(t, []badCase{
		{"login invalid JSON", anon, "POST", "/login", `{"login":`, 400, "not valid JSON", nil},
		{"login not an object", anon, "POST", "/login", `[1,2]`, 400, "JSON object", nil},
		{"login wrong type", anon, "POST", "/login", `{"login":"ann@example.com","password":12}`, 400, "password", nil},
		{"login missing fields", anon, "POST", "/login", `{}`, 400, "required", nil},
		{"login empty body", anon, "POST", "/login", ``, 400, "empty", nil},
		{"login two objects", anon, "POST", "/login", `{"login":"a"} {"login":"b"}`, 400, "single JSON object", nil},
		{"login 1 MB body", anon, "POST", "/login", huge, 413, "1 MiB", nil},
		{"login password too long", anon, "POST", "/login", map[string]string{"login": "ann@example.com", "password": long}, 400, "at most 1024", nil},
		{"login unknown user", anon, "POST", "/login", map[string]string{"login": "nobody@example.com", "password": "x"}, 401, "Invalid username or password", loginFailed},
		{"register invalid email", anon, "POST", "/register", map[string]string{"email": "not-an-email", "password": "a long enough secret"}, 400, "email", nil},
		{"register missing password", anon, "POST", "/register", map[string]string{"email": "new@example.com"}, 400, "Password is required", nil},
		{"register weak password", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "password"}, 400, "", nil},
		{"register duplicate email", anon, "POST", "/register", map[string]string{"email": "ANN@example.com", "password": "a long enough secret"}, 409, "", nil},
		{"register name too long", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "a long enough secret", "givenName": strings.Repeat("n", 101)}, 400, "", nil},
		{"register control characters", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "a long enough secret", "surname": "a\x00b"}, 400, "", nil},
		{"register customData not object", anon, "POST", "/register", `{"email":"new@example.com","password":"a long enough secret","customData":"x"}`, 400, "customData", nil},
		{"register password too long", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": long}, 400, "at most 1024", nil},
		{"verify unknown token", anon, "GET", "/verify?sptoken=abc", nil, 400, "invalid or has expired", nil},
		{"verify no token", anon, "GET", "/verify", nil, 400, "invalid or has expired", nil},
		{"verify huge token", anon, "GET", "/verify?sptoken=" + strings.Repeat("t", 5000), nil, 400, "invalid or has expired", nil},
		{"resend missing login", anon, "POST", "/verify", `{}`, 400, "required", nil},
		{"forgot missing email", anon, "POST", "/forgot", `{}`, 400, "required", nil},
		{"forgot wrong type", anon, "POST", "/forgot", `{"email":["a"]}`, 400, "email", nil},
		{"forgot GET without email", anon, "GET", "/forgot", nil, 400, "required", nil},
		{"forgot GET empty email", anon, "GET", "/forgot?email=", nil, 400, "required", nil},
		{"forgot GET blank email", anon, "GET", "/forgot?email=%20%20", nil, 400, "required", nil},
		{"forgot GET email too long", anon, "GET", "/forgot?email=" + strings.Repeat("e", 300) + "%40example.com", nil, 400, "at most 254", nil},
		{"change unknown token", anon, "GET", "/change?sptoken=zzz", nil, 400, "invalid or has expired", nil},
		{"change post unknown token", anon, "POST", "/change", map[string]string{"sptoken": "zzz", "password": "a long enough secret"}, 400, "invalid or has expired", nil},
		{"change post no token", anon, "POST", "/change", map[string]string{"password": "a long enough secret"}, 400, "invalid or has expired", nil},
		{"me anonymous", anon, "GET", "/me", nil, 401, "Not signed in", nil},
		{"update me anonymous", anon, "POST", "/me", `{}`, 401, "Not signed in", nil},
		{"update me invalid JSON", signedIn, "POST", "/me", `{"givenName":`, 400, "not valid JSON", nil},
		{"update me wrong type", signedIn, "POST", "/me", `{"givenName":5}`, 400, "givenName", nil},
		{"update me name too long", signedIn, "POST", "/me", map[string]string{"givenName": strings.Repeat("n", 300)}, 400, "", nil},
		{"change password missing current", signedIn, "POST", "/me/password", map[string]string{"password": "a long enough secret"}, 400, "Current password is required", nil},
		{"change password too long", signedIn, "POST", "/me/password", map[string]string{"currentPassword": "correct horse battery", "password": long}, 400, "at most 1024", nil},
		{"expired missing password", signedIn, "POST", "/expired", `{}`, 400, "Password is required", nil},
		{"end unknown session", signedIn, "DELETE", "/me/sessions/ses_nope", nil, 404, "", nil},
		{"end a huge session id", signedIn, "DELETE", "/me/sessions/" + strings.Repeat("s", 3000), nil, 404, "", nil},
		{"end sessions anonymous", anon, "DELETE", "/me/sessions", nil, 401, "Not signed in", nil},
		{"end a session anonymous", anon, "DELETE", "/me/sessions/ses_nope", nil, 401, "Not signed in", nil},
		{"check_password invalid JSON", anon, "POST", "/users/check_password", `nope`, 400, "not valid JSON", nil},
		{"check_password missing password", anon, "POST", "/users/check_password", `{}`, 400, "password is required", nil},
		{"check_password wrong type", anon, "POST", "/users/check_password", `{"password":12345678}`, 400, "password", nil},
		{"logout anonymous", anon, "POST", "/logout", nil, 401, "Not signed in", nil},
		{"logout GET anonymous", anon, "GET", "/logout", nil, 401, "Not signed in", nil},
		{"unknown route", anon, "GET", "/nope", nil, 404, "", nil},
		{"wrong method", anon, "PUT", "/login", `{}`, 405, "", nil},
	})
	t.Run("login wrong content type", func(t *testing.T) {
		before := e.state()
		r := anon.do("POST", "/login", []byte("login=a"), "Content-Type", "text/plain")
		if r.status != 400 || !strings.Contains(string(r.body), "not supported") {
			t.Fatalf("%d %s", r.status, r.body)
		}
		e.unchanged(t, before)
	})
	// A cookie that names no session is no session.
	t.Run("logout with a made-up cookie", func(t *testing.T) {
		forged := e.client()
		forged.jar.SetCookies(mustURL(e.http.URL), []*http.Cookie{{Name: "userdb", Value: strings.Repeat("x", 43)}})
		before := e.state()
		for _, m := range []string{"GET", "POST"} {
			if r := forged.do(m, "/logout", nil); r.status != 401 {
				t.Fatalf("%s /logout: %d %s", m, r.status, r.body)
			}
		}
		e.unchanged(t, before)
	})
	if r := signedIn.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("the signed-in client lost its session: %d", r.status)
	}
}

// seedPosts are the seed API's POST endpoints, with the client to send as
// (signed in for the ones that need it).
func seedPosts(anon, signedIn *client) []struct {
	path string
	c    *client
} {
	return []struct {
		path string
		c    *client
	}{
		{"/login", anon}, {"/register", anon}, {"/verify", anon}, {"/forgot", anon}, {"/change", anon},
		{"/users/check_password", anon}, {"/me", signedIn}, {"/me/password", signedIn},
		{"/expired", signedIn}, {"/logout", signedIn},
	}
}

// TestOneMegabyteBodies sends bodies of a megabyte to every seed POST
// endpoint at the default body limit (1 MiB): over the limit with a
// Content-Length (413 before any handler runs), over it without one (the
// handler's read fails: 400), and just under it with the megabyte in a
// field (the field's own limit: 4xx). None changes anything.
func TestOneMegabyteBodies(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Registration.Enabled = true
		c.Endpoints.Verify.Enabled = true
	})
	if e.cfg.Server.MaxBody != 1<<20 {
		t.Fatalf("default body limit %d, want 1 MiB", e.cfg.Server.MaxBody)
	}
	e.addUser("ann@example.com", "correct horse battery")
	signedIn := e.client()
	signedIn.mustLogin("ann@example.com", "correct horse battery")
	anon := e.client()

	over := `{"password":"` + strings.Repeat("a", 1<<20) + `"}`
	var cases []badCase
	for _, p := range seedPosts(anon, signedIn) {
		cases = append(cases, badCase{"over the limit " + p.path, p.c, "POST", p.path, over, 413, "limit is 1 MiB", nil})
		// POST /logout reads no body: without a Content-Length nothing
		// finds it too large, and the logout is not bad input.
		if p.path != "/logout" {
			cases = append(cases, badCase{"over the limit, chunked " + p.path, p.c, "POST", p.path, chunked(over), 400, "limit 1 MiB", nil})
		}
	}
	mb := strings.Repeat("a", 1_000_000)
	cases = append(cases, []badCase{
		// An over-long login is no user's: it fails like an unknown user.
		{"1 MB login", anon, "POST", "/login", map[string]string{"login": mb, "password": "correct horse battery"}, 401, "Invalid username or password", []string{"login.failed"}},
		{"1 MB login password", anon, "POST", "/login", map[string]string{"login": "ann@example.com", "password": mb}, 400, "at most 1024", nil},
		{"1 MB register name", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": "a long enough secret", "givenName": mb}, 400, "givenName", nil},
		{"1 MB register email", anon, "POST", "/register", map[string]string{"email": mb + "@example.com", "password": "a long enough secret"}, 400, "email", nil},
		{"1 MB register password", anon, "POST", "/register", map[string]string{"email": "new@example.com", "password": mb}, 400, "at most 1024", nil},
		{"1 MB register customData", anon, "POST", "/register", map[string]any{"email": "new@example.com", "password": "a long enough secret", "customData": map[string]string{"k": mb}}, 400, "customData", nil},
		{"1 MB resend login", anon, "POST", "/verify", map[string]string{"login": mb}, 400, "at most 254", nil},
		{"1 MB forgot email", anon, "POST", "/forgot", map[string]string{"email": mb}, 400, "at most 254", nil},
		{"1 MB change token", anon, "POST", "/change", map[string]string{"sptoken": mb, "password": "a long enough secret"}, 400, "invalid or has expired", nil},
		{"1 MB update me", signedIn, "POST", "/me", map[string]string{"surname": mb}, 400, "surname", nil},
		{"1 MB update me customData", signedIn, "POST", "/me", map[string]any{"customData": map[string]string{"k": mb}}, 400, "customData", nil},
		{"1 MB current password", signedIn, "POST", "/me/password", map[string]string{"currentPassword": mb, "password": "a long enough secret"}, 400, "Current password is incorrect", nil},
		{"1 MB new password", signedIn, "POST", "/me/password", map[string]string{"currentPassword": "correct horse battery", "password": mb}, 400, "at most 1024", nil},
		{"1 MB expired password", signedIn, "POST", "/expired", map[string]string{"password": mb}, 403, "has not expired", nil},
	}...)
	e.checkBad(t, cases)

	// The policy's answer to a password too long to be good is "not good".
	r := anon.do("POST", "/users/check_password", map[string]string{"password": mb})
	if m := r.json(t); r.status != 200 || m["good"] != false || !strings.Contains(fmt.Sprint(m["error"]), "at most 1024") {
		t.Fatalf("check_password of 1 MB: %d %s", r.status, r.body)
	}
	if r := signedIn.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("the signed-in client lost its session: %d", r.status)
	}
}

// TestExpiredPasswordTooLong: POST /expired for a user whose password did
// expire, with a new password over the maximum length, changes nothing.
func TestExpiredPasswordTooLong(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Password.MaxAge = 24 * 3600 * 1e9 })
	e.addUser("ann@example.com", "correct horse battery")
	e.clock.Add(25 * time.Hour)
	c := e.client()
	c.mustChangeAtLogin("ann@example.com", "correct horse battery")
	e.checkBad(t, []badCase{
		{"over the maximum", c, "POST", "/expired", map[string]string{"password": strings.Repeat("p", 1025)}, 400, "at most 1024", nil},
		{"1 MB", c, "POST", "/expired", map[string]string{"password": strings.Repeat("p", 1_000_000)}, 400, "at most 1024", nil},
		{"weak", c, "POST", "/expired", map[string]string{"password": "password"}, 400, "", nil},
	})
	if r := c.do("POST", "/expired", map[string]string{"password": "a brand new secret"}); r.status != 200 {
		t.Fatalf("the pending sign-in was lost by a refused change: %d %s", r.status, r.body)
	}
}

// TestExpiredAndReusedTokens: verification and reset links that expired,
// were used, or were replaced by a newer one are refused over HTTP with the
// same 400, and change nothing: the user row, its sessions and its tokens
// stay as they were.
func TestExpiredAndReusedTokens(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Registration.Enabled = true })
	anon := e.client()
	const bad = "invalid or has expired"

	// An expired verification link: the user stays PENDING.
	if r := anon.do("POST", "/register", map[string]string{"email": "bob@example.com", "password": "a long enough secret"}); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	verify := tokenOf(t, e.lastEmail("bob@example.com", "account-verification"))
	e.clock.Add(time.Duration(e.cfg.Tokens.VerificationTTL) + time.Minute)
	e.checkBad(t, []badCase{
		{"expired verification link", anon, "GET", "/verify?sptoken=" + verify, nil, 400, bad, nil},
	})
	u, err := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "bob@example.com")
	if err != nil || u.Status != "PENDING" || u.EmailVerifiedAt != nil {
		t.Fatalf("after an expired link: %+v %v", u, err)
	}

	// A fresh link works once; its second use is refused.
	if r := anon.do("POST", "/verify", map[string]string{"login": "bob@example.com"}); r.status != 200 {
		t.Fatalf("resend: %d", r.status)
	}
	fresh := tokenOf(t, e.lastEmail("bob@example.com", "account-verification"))
	if fresh == verify {
		t.Fatal("no new verification link after a resend")
	}
	if r := anon.do("GET", "/verify?sptoken="+fresh, nil); r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	e.checkBad(t, []badCase{
		{"used verification link", anon, "GET", "/verify?sptoken=" + fresh, nil, 400, bad, nil},
		{"replaced verification link", anon, "GET", "/verify?sptoken=" + verify, nil, 400, bad, nil},
	})

	// Reset links: expired, replaced by a newer one, used.
	signedIn := e.client()
	signedIn.mustLogin("bob@example.com", "a long enough secret")
	forgot := func() string {
		t.Helper()
		before := e.countEmails("bob@example.com", "forgot-password")
		if r := anon.do("POST", "/forgot", map[string]string{"email": "bob@example.com"}); r.status != 200 {
			t.Fatalf("forgot: %d", r.status)
		}
		if n := e.countEmails("bob@example.com", "forgot-password"); n != before+1 {
			t.Fatalf("%d reset emails after a forgot, want %d", n, before+1)
		}
		return tokenOf(t, e.lastEmail("bob@example.com", "forgot-password"))
	}
	expired := forgot()
	e.clock.Add(time.Duration(e.cfg.Tokens.ResetTTL) + time.Minute)
	replaced := forgot()
	current := forgot()
	set := func(tok string) map[string]string {
		return map[string]string{"sptoken": tok, "password": "a brand new secret"}
	}
	e.checkBad(t, []badCase{
		{"expired reset link checked", anon, "GET", "/change?sptoken=" + expired, nil, 400, bad, nil},
		{"expired reset link used", anon, "POST", "/change", set(expired), 400, bad, nil},
		{"replaced reset link checked", anon, "GET", "/change?sptoken=" + replaced, nil, 400, bad, nil},
		{"replaced reset link used", anon, "POST", "/change", set(replaced), 400, bad, nil},
		{"good link, password too long", anon, "POST", "/change", map[string]string{"sptoken": current, "password": strings.Repeat("p", 1025)}, 400, "at most 1024", nil},
		{"good link as a query, no password", anon, "POST", "/change?sptoken=" + current, `{}`, 400, "Password is required", nil},
	})
	if r := anon.do("POST", "/change", set(current)); r.status != 200 {
		t.Fatalf("reset with the current link: %d %s", r.status, r.body)
	}
	e.checkBad(t, []badCase{
		{"used reset link checked", anon, "GET", "/change?sptoken=" + current, nil, 400, bad, nil},
		{"used reset link used again", anon, "POST", "/change", map[string]string{"sptoken": current, "password": "yet another secret"}, 400, bad, nil},
	})
	if r := signedIn.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("session survived the reset: %d", r.status)
	}
	e.client().mustLogin("bob@example.com", "a brand new secret")
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
