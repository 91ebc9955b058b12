package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/redistest"
	"github.com/userdb/userdb/server"
)

// node is one server of a two-node cluster, with its background work (the
// invalidation bus among it) running.
type node struct {
	*env
	name string
}

// twoNodes opens two servers on one database file and one Redis, as two
// nodes behind a load balancer, and runs their background work. Their
// clock stands still, so nothing cached expires by itself: a cache that
// stops answering was invalidated.
func twoNodes(t *testing.T, redisAddr string) (a, b node) {
	t.Helper()
	dsn := "sqlite:" + filepath.ToSlash(filepath.Join(t.TempDir(), "shared.db"))
	open := func(name string) node {
		e := newEnv(t, func(cfg *server.Config) {
			cfg.Database.DSN = dsn
			cfg.Redis.Addr = redisAddr
		})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.srv.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		return node{env: e, name: name}
	}
	a, b = open("A"), open("B")
	if redisAddr != "" {
		a.waitRedis(t, true)
		b.waitRedis(t, true)
	}
	return a, b
}

// readyz returns the node's /readyz status and its check of Redis.
func (n node) readyz(t *testing.T) (int, string) {
	t.Helper()
	r := n.client().do("GET", "/readyz", nil)
	checks, _ := r.json(t)["checks"].(map[string]any)
	redis, _ := checks["redis"].(string)
	return r.status, redis
}

// waitRedis waits until the node's /readyz says Redis is up (or down).
func (n node) waitRedis(t *testing.T, up bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, redis := n.readyz(t)
		if status != 200 {
			t.Fatalf("node %s: /readyz %d with Redis %q: a node without Redis still serves", n.name, status, redis)
		}
		if (redis == "ok") == up {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("node %s: /readyz still says Redis %q", n.name, redis)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// me returns the status of GET /me on the node with a session secret.
func (n node) me(t *testing.T, secret string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", n.http.URL+"/me", nil)
	req.Header.Set("Cookie", "userdb="+secret)
	req.Header.Set("Accept", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// signedIn creates a user through node a and signs it in; the session is
// then used once on every node, so each has it cached.
func signedIn(t *testing.T, a node, email string, nodes ...node) (userID, secret string) {
	t.Helper()
	u := a.addUser(email, "correct horse battery")
	l, err := inside.Service(a.srv).Login(context.Background(), email, "correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if s := n.me(t, l.Secret); s != 200 {
			t.Fatalf("GET /me on %s: %d", n.name, s)
		}
	}
	return u.ID, l.Secret
}

// waitSignedOut waits until the session no longer works on the node and
// returns how long that took.
func waitSignedOut(t *testing.T, n node, secret string) time.Duration {
	t.Helper()
	start := time.Now()
	for n.me(t, secret) != 401 {
		if time.Since(start) > 10*time.Second {
			t.Fatalf("node %s still serves the session of a disabled user", n.name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Since(start)
}

// TestInvalidationAcrossNodes disables a user on node A while node B holds
// its session in cache: through Redis, B drops it at once. With Redis
// stopped, both nodes stay ready, say Redis is down, serve sessions from
// the database and see changes at once; with Redis back, the bus
// resubscribes without a restart and invalidation works again.
func TestInvalidationAcrossNodes(t *testing.T) {
	rs := redistest.Start(t)
	a, b := twoNodes(t, rs.Addr())

	disable := func(id string) {
		t.Helper()
		if _, err := inside.Service(a.srv).AdminSuspendUser(ctxCLI(), id); err != nil {
			t.Fatal(err)
		}
	}

	id, secret := signedIn(t, a, "one@example.com", a, b)
	disable(id)
	t.Logf("through Redis: node B refused the session %v after the disable on A returned", waitSignedOut(t, b, secret))

	rs.Stop()
	a.waitRedis(t, false)
	b.waitRedis(t, false)
	if m := metricOf(t, b, "userdb_redis_up"); m != "0" {
		t.Errorf("userdb_redis_up = %s while Redis is down", m)
	}
	id, secret = signedIn(t, a, "two@example.com", a, b)
	if s := b.me(t, secret); s != 200 {
		t.Fatalf("GET /me on B with Redis down: %d", s)
	}
	disable(id)
	if s := b.me(t, secret); s != 401 {
		t.Fatalf("GET /me on B with Redis down, right after the disable on A: %d; the cache was trusted", s)
	}

	rs.Restart()
	a.waitRedis(t, true)
	b.waitRedis(t, true)
	id, secret = signedIn(t, a, "three@example.com", a, b)
	disable(id)
	t.Logf("after Redis came back: node B refused the session %v after the disable", waitSignedOut(t, b, secret))
	if m := metricOf(t, b, "userdb_cache_resyncs_total"); m == "0" || m == "1" {
		t.Errorf("userdb_cache_resyncs_total = %s after a reconnection", m)
	}
}

// TestNodesWithoutRedis: without Redis, a node learns of another's change
// when its cached copy expires, after sessions.cache_ttl, as documented.
func TestNodesWithoutRedis(t *testing.T) {
	a, b := twoNodes(t, "")
	id, secret := signedIn(t, a, "one@example.com", a, b)
	if _, err := inside.Service(a.srv).AdminSuspendUser(ctxCLI(), id); err != nil {
		t.Fatal(err)
	}
	if s := a.me(t, secret); s != 401 {
		t.Fatalf("GET /me on A, where the user was disabled: %d", s)
	}
	if s := b.me(t, secret); s != 200 {
		t.Fatalf("GET /me on B within the cache TTL: %d; expected the cached session (this test shows the bound)", s)
	}
	b.clock.Add(b.cfg.Sessions.CacheTTL)
	if s := b.me(t, secret); s != 401 {
		t.Fatalf("GET /me on B after sessions.cache_ttl: %d", s)
	}
}

// metricOf returns the value of an unlabelled metric of the node.
func metricOf(t *testing.T, n node, name string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	n.srv.ManagementHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("no metric %s", name)
	return ""
}

// TestOAuthRevocationAcrossNodes: two nodes of one issuer on one database
// and one Redis, their revocation poll set to an hour so that only the bus
// can tell node B. A user's sign-out everywhere on node A, and a client's
// revocation of a refresh token on A (RFC 7009, which revokes the access
// tokens issued with it), make B's introspection report the access token
// inactive at once.
func TestOAuthRevocationAcrossNodes(t *testing.T) {
	rs := redistest.Start(t)
	noPoll := func(c *server.Config) {
		c.Redis.Addr = rs.Addr()
		c.OAuth.RevocationPoll = time.Hour
	}
	a := oauthEnv(t, noPoll)
	b := oauthEnv(t, noPoll, func(c *server.Config) {
		c.Database.DSN = a.cfg.Database.DSN
		c.Server.BaseURL = a.cfg.Server.BaseURL // one issuer, as behind a load balancer
	})
	for _, e := range []*env{a, b} {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.srv.Run(ctx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
	}
	node{env: a, name: "A"}.waitRedis(t, true)
	node{env: b, name: "B"}.waitRedis(t, true)

	u := a.addUser("ada@example.com", "correct horse battery")
	c, cfg, _ := codeClient(t, a, oauth.ClientInput{FirstParty: ptr(true)})
	activeAtB := func(tok string) bool {
		_, in := b.tokenPost(oauth.IntrospectPath, c.ID, cfg.ClientSecret, url.Values{"token": {tok}})
		return in["active"] == true
	}
	// waitInactive waits until B reports the token inactive, and says how
	// long that took after the revocation on A returned.
	waitInactive := func(what, tok string) time.Duration {
		t.Helper()
		start := time.Now()
		for activeAtB(tok) {
			if time.Since(start) > 10*time.Second {
				t.Fatalf("%s on A: node B still reports the access token active (oauth.revocation_poll is an hour)", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
		return time.Since(start)
	}

	a.clock.Add(2 * time.Second)
	tok := signIn(t, a, a.browser(t), cfg, "ada@example.com", "correct horse battery", "")
	if !activeAtB(tok.AccessToken) {
		t.Fatal("node B does not take node A's token")
	}
	a.clock.Add(2 * time.Second)
	if _, err := inside.Service(a.srv).EndOtherSessions(ctxCLI(), u, ""); err != nil {
		t.Fatal(err)
	}
	t.Logf("sign-out everywhere on A: node B reported the token inactive %v later", waitInactive("sign-out everywhere", tok.AccessToken))
	if status, body := refresh(b, c, cfg.ClientSecret, tok.RefreshToken); status != 400 {
		t.Errorf("refresh at B after the sign-out on A: %d %v", status, body)
	}

	a.clock.Add(2 * time.Second)
	tok = signIn(t, a, a.browser(t), cfg, "ada@example.com", "correct horse battery", "")
	if !activeAtB(tok.AccessToken) {
		t.Fatal("node B does not take node A's second token")
	}
	if status, body := a.tokenPost(oauth.RevokePath, c.ID, cfg.ClientSecret, url.Values{"token": {tok.RefreshToken}}); status != 200 {
		t.Fatalf("revoke at A: %d %v", status, body)
	}
	t.Logf("refresh token revoked on A: node B reported its access token inactive %v later", waitInactive("revoking the refresh token", tok.AccessToken))
}
