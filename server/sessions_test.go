package server_test

import (
	"context"
	"crypto/tls"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
)

// TestSessionIdleTimeout: a session used within the idle timeout lives on,
// past the timeout counted from sign-in; one left idle longer ends, and its
// record is removed.
func TestSessionIdleTimeout(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Sessions.IdleTimeout = 30 * time.Minute })
	u := e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	// Each step is past the cache's TTL, so the session is read again from
	// the store, whose last-seen time has not been written yet (the batch
	// has not run): the pending time must count.
	for i := range 3 {
		e.clock.Add(29 * time.Minute)
		if r := c.do("GET", "/me", nil); r.status != 200 {
			t.Fatalf("GET /me %d×29 minutes after sign-in, in use: %d", i+1, r.status)
		}
	}
	e.clock.Add(30*time.Minute + time.Second)
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("GET /me after 30 idle minutes: %d", r.status)
	}
	if list, err := inside.Service(e.srv).Sessions(ctxCLI(), u.ID); err != nil || len(list) != 0 {
		t.Fatalf("sessions after the idle timeout: %d (%v), want the record removed", len(list), err)
	}
}

// TestSessionAbsoluteLifetime: however busy, a session ends at its
// lifetime, and the cookie says so.
func TestSessionAbsoluteLifetime(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Sessions.Lifetime = 2 * time.Hour
		c.Sessions.IdleTimeout = time.Hour
	})
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	r := c.login("ann@example.com", "correct horse battery")
	if ck := sessionCookie(t, r); ck.MaxAge != 7200 {
		t.Fatalf("cookie Max-Age %d, want the lifetime 7200", ck.MaxAge)
	}
	for _, at := range []time.Duration{50 * time.Minute, 100 * time.Minute} {
		e.clock.Add(50 * time.Minute)
		if r := c.do("GET", "/me", nil); r.status != 200 {
			t.Fatalf("GET /me %v after sign-in: %d", at, r.status)
		}
	}
	e.clock.Add(20*time.Minute + time.Second) // 2h0m1s after sign-in, 20 minutes after the last use
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("GET /me past the lifetime: %d", r.status)
	}
}

// TestSignOutEverywhereElse: DELETE /me/sessions ends the caller's other
// sessions, keeps the current one, and leaves other users alone.
func TestSignOutEverywhereElse(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	e.addUser("eve@example.com", "correct horse battery")
	a, b, c, eve := e.client(), e.client(), e.client(), e.client()
	for _, x := range []*client{a, b, c} {
		x.mustLogin("ann@example.com", "correct horse battery")
	}
	eve.mustLogin("eve@example.com", "correct horse battery")
	current := currentSession(t, a)

	r := a.do("DELETE", "/me/sessions", nil)
	if r.status != 200 || r.json(t)["ended"] != float64(2) {
		t.Fatalf("DELETE /me/sessions: %d %s, want 2 ended", r.status, r.body)
	}
	if r := a.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("the current session ended too: %d", r.status)
	}
	for i, x := range []*client{b, c} {
		if r := x.do("GET", "/me", nil); r.status != 401 {
			t.Fatalf("other session %d still works: %d", i, r.status)
		}
	}
	if r := eve.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("another user's session ended: %d", r.status)
	}
	list := a.do("GET", "/me/sessions", nil).json(t)["sessions"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != current || list[0].(map[string]any)["current"] != true {
		t.Fatalf("sessions after signing out elsewhere: %v, want only %s", list, current)
	}
	if r := a.do("DELETE", "/me/sessions", nil); r.status != 200 || r.json(t)["ended"] != float64(0) {
		t.Fatalf("second DELETE /me/sessions: %d %s", r.status, r.body)
	}
}

// TestSessionListFields checks every field GET /me/sessions shows.
func TestSessionListFields(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	t0 := e.clock.Now()
	a, b := e.client(), e.client()
	if r := a.do("POST", "/login", map[string]string{"login": "ann@example.com", "password": "correct horse battery"}, "User-Agent", "Phone/1.0"); r.status != 200 {
		t.Fatalf("login a: %d", r.status)
	}
	e.clock.Add(10 * time.Minute)
	if r := b.do("POST", "/login", map[string]string{"login": "ann@example.com", "password": "correct horse battery"}, "User-Agent", "Laptop/2.0"); r.status != 200 {
		t.Fatalf("login b: %d", r.status)
	}
	e.clock.Add(5 * time.Minute)
	a.do("GET", "/me", nil, "User-Agent", "Phone/1.0")
	e.clock.Add(time.Minute)
	r := b.do("GET", "/me/sessions", nil, "User-Agent", "Laptop/2.0")
	list := r.json(t)["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions: %s", r.body)
	}
	ts := func(s map[string]any, k string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s[k].(string))
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		return v
	}
	// Newest first: b, then a.
	want := []struct {
		ua                string
		created, lastSeen time.Time
		current           bool
	}{
		{"Laptop/2.0", t0.Add(10 * time.Minute), t0.Add(16 * time.Minute), true},
		{"Phone/1.0", t0, t0.Add(15 * time.Minute), false},
	}
	for i, w := range want {
		s := list[i].(map[string]any)
		if s["userAgent"] != w.ua || s["ip"] != "127.0.0.1" || s["current"] != w.current {
			t.Errorf("session %d: %v; want user agent %s from 127.0.0.1, current %v", i, s, w.ua, w.current)
		}
		if !ts(s, "createdAt").Equal(w.created) || !ts(s, "lastSeenAt").Equal(w.lastSeen) {
			t.Errorf("session %d: created %v last seen %v; want %v and %v", i, s["createdAt"], s["lastSeenAt"], w.created, w.lastSeen)
		}
		if !ts(s, "expiresAt").Equal(w.created.Add(time.Duration(e.cfg.Sessions.Lifetime))) {
			t.Errorf("session %d expires %v", i, s["expiresAt"])
		}
		if id, _ := s["id"].(string); !strings.HasPrefix(id, "ses_") {
			t.Errorf("session %d id %q: want the public id", i, id)
		}
		for _, k := range []string{"token", "tokenHash", "secret"} {
			if _, ok := s[k]; ok {
				t.Errorf("session %d shows %s", i, k)
			}
		}
	}
}

// sessionCookie returns the session cookie a response sets.
func sessionCookie(t *testing.T, r response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "userdb" || c.Name == "__Host-userdb" { // __Host- whenever Secure (ASVS 3.4.4)
			return c
		}
	}
	t.Fatalf("no session cookie in %d %s", r.status, r.body)
	return nil
}

// TestSessionCookieSecureFlag: Secure is relaxed only on plain HTTP from this
// machine to a loopback host; a Host header naming localhost is not enough.
func TestSessionCookieSecureFlag(t *testing.T) {
	cases := []struct {
		name, mode, host, remote string
		tls                      bool
		header                   []string
		want                     bool
	}{
		{"loopback development", "auto", "localhost:8080", "127.0.0.1:50000", false, nil, false},
		{"loopback IPv6", "auto", "[::1]:8080", "[::1]:50000", false, nil, false},
		{"loopback IP host", "auto", "127.0.0.1:8080", "127.0.0.1:50000", false, nil, false},
		{"public host", "auto", "id.example.com", "203.0.113.7:50000", false, nil, true},
		{"public host from loopback", "auto", "id.example.com", "127.0.0.1:50000", false, nil, true},
		{"Host localhost from elsewhere", "auto", "localhost", "203.0.113.7:50000", false, nil, true},
		{"local proxy (X-Forwarded-For)", "auto", "localhost:8080", "127.0.0.1:50000", false, []string{"X-Forwarded-For", "203.0.113.7"}, true},
		{"local proxy (X-Forwarded-Proto)", "auto", "localhost:8080", "127.0.0.1:50000", false, []string{"X-Forwarded-Proto", "https"}, true},
		{"local proxy (Forwarded)", "auto", "localhost:8080", "127.0.0.1:50000", false, []string{"Forwarded", "for=203.0.113.7;proto=https"}, true},
		{"TLS to localhost", "auto", "localhost:8443", "127.0.0.1:50000", true, nil, true},
		{"always", "always", "localhost:8080", "127.0.0.1:50000", false, nil, true},
		{"never", "never", "id.example.com", "203.0.113.7:50000", false, nil, false},
	}
	envs, secrets := map[string]*env{}, map[string]string{}
	for _, mode := range []string{"auto", "always", "never"} {
		envs[mode] = newEnv(t, func(c *server.Config) { c.Sessions.Secure = mode })
		envs[mode].addUser("ann@example.com", "correct horse battery")
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := envs[tc.mode]
			for _, path := range []string{"/login", "/logout"} {
				req := httptest.NewRequest("POST", "http://"+tc.host+path,
					strings.NewReader(`{"login":"ann@example.com","password":"correct horse battery"}`))
				req.Host, req.RemoteAddr = tc.host, tc.remote
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
				for i := 0; i+1 < len(tc.header); i += 2 {
					req.Header.Set(tc.header[i], tc.header[i+1])
				}
				if tc.tls {
					req.TLS = &tls.ConnectionState{}
				}
				if path == "/logout" {
					name := "userdb"
					if tc.want {
						name = "__Host-userdb" // a Secure cookie has the prefix (ASVS 3.4.4)
					}
					req.AddCookie(&http.Cookie{Name: name, Value: secrets[tc.mode]})
				}
				w := httptest.NewRecorder()
				e.srv.ServeHTTP(w, req)
				ck := sessionCookie(t, response{status: w.Code, body: w.Body.Bytes(), header: w.Header()})
				if ck.Secure != tc.want || (ck.Name == "__Host-userdb") != tc.want {
					t.Errorf("%s: %s Secure = %v, want %v", path, ck.Name, ck.Secure, tc.want)
				}
				if path == "/login" {
					secrets[tc.mode] = ck.Value
				}
			}
		})
	}
}

// touchCounter is a store that records the batches of last-seen times
// written through it.
type touchCounter struct {
	userdb.Store
	mu      sync.Mutex
	batches []map[string]time.Time
}

func (s *touchCounter) TouchSessions(ctx context.Context, seen map[string]time.Time) error {
	s.mu.Lock()
	cp := make(map[string]time.Time, len(seen))
	for k, v := range seen {
		cp[k] = v
	}
	s.batches = append(s.batches, cp)
	s.mu.Unlock()
	return s.Store.TouchSessions(ctx, seen)
}

func (s *touchCounter) touches() []map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]time.Time(nil), s.batches...)
}

// dataVersion reads SQLite's data_version on a connection of its own: it
// changes whenever another connection commits a write to the file.
func dataVersion(t *testing.T, conn *sql.Conn) int64 {
	t.Helper()
	var v int64
	if err := conn.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestGetMeWritesNothing: GET /me, many times, over minutes of (test) time
// and across the cache's TTL, commits nothing to the database; the batched
// flush then writes the last-seen time in one batch.
func TestGetMeWritesNothing(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Sessions.TouchInterval = time.Hour })
	e.addUser("ann@example.com", "correct horse battery")

	dsn := string(e.cfg.Database.DSN)
	st, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	counted := &touchCounter{Store: st}
	srv := openWith(t, e, server.WithStore(counted))
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	e2 := &env{t: t, srv: srv, http: hs, clock: e.clock, cfg: e.cfg}

	watcher, err := sql.Open("sqlite", strings.TrimPrefix(dsn, "sqlite:")+"?_query_only=1")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { watcher.Close() })
	conn, err := watcher.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })

	c := e2.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	sessID := currentSession(t, c)
	before := dataVersion(t, conn)
	const n = 60
	var last time.Time
	for range n {
		e.clock.Add(3 * time.Second) // a new last-seen time each request; the TTL is crossed thrice
		last = e.clock.Now()
		if r := c.do("GET", "/me", nil); r.status != 200 {
			t.Fatalf("GET /me: %d %s", r.status, r.body)
		}
	}
	if after := dataVersion(t, conn); after != before {
		t.Fatalf("%d GET /me committed a write (data_version %d -> %d)", n, before, after)
	}
	if b := counted.touches(); len(b) != 0 {
		t.Fatalf("last-seen batches written before the flush: %v", b)
	}

	// The flush (here: at Close) writes one batch with the last time.
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := counted.touches()
	if len(b) != 1 || len(b[0]) != 1 || !b[0][sessID].Equal(last) {
		t.Fatalf("flushed batches %v; want one with %s at %v", b, sessID, last)
	}
	if dataVersion(t, conn) == before {
		t.Fatal("the flush wrote nothing")
	}
	sess, err := st.FindSessionByID(context.Background(), sessID)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.LastSeenAt.Equal(last) {
		t.Fatalf("stored last seen %v, want %v", sess.LastSeenAt, last)
	}
}
