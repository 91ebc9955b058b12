package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/mail/mailtest"
	"github.com/userdb/userdb/internal/redistest"
)

// The timeline of the cluster test's load. Node n2 is killed at the first
// moment after killAfter that it is in the middle of sending an email;
// each later event follows the one before after step.
const (
	killAfter = 4 * time.Second
	step      = 4 * time.Second // kill, restart, Redis stops, Redis starts, n3 restarts, the load ends
	smtpHeld  = 1500 * time.Millisecond
)

// cluster is three userdb nodes on one PostgreSQL database and one Redis,
// behind HAProxy, sending email to MailDev.
type cluster struct {
	t      *testing.T
	db     *sql.DB
	redis  *redistest.Server
	md     *mailtest.MailDev
	hold   *smtpHold // n2's way to MailDev
	nodes  []*node
	lb     string // HAProxy's address
	lbLogs *lockedBuffer
	env    []string // the nodes' settings, Redis aside
	apiKey string   // a super-admin API key
}

func startCluster(t *testing.T) *cluster {
	t.Helper()
	tool(t, "USERDB_TEST_HAPROXY", "apt-get install haproxy (.ci/run does)", "haproxy", "/usr/sbin/haproxy")
	dsn, db := clusterDatabase(t)
	c := &cluster{t: t, db: db, redis: redistest.Start(t), md: mailtest.New(t, mailtest.Options{})}
	c.hold = newSMTPHold(t, fmt.Sprintf("%s:%d", c.md.SMTPHost(), c.md.SMTPPort()), smtpHeld)
	lbPort := freePort(t)
	c.env = []string{
		"USERDB_DATABASE_DSN=" + dsn,
		"USERDB_DATABASE_MAX_OPEN_CONNS=6",
		"USERDB_SECRETS_COOKIE_KEY=" + instanceKey(),
		"USERDB_SECRETS_ENCRYPTION_KEY=" + instanceKey(),
		fmt.Sprintf("USERDB_SERVER_BASE_URL=http://127.0.0.1:%d", lbPort),
		"USERDB_SERVER_TRUSTED_PROXIES=127.0.0.1/32",
		// Plain HTTP through HAProxy and straight to the nodes: one cookie
		// name for both (behind HTTPS it is __Host-userdb everywhere).
		"USERDB_SESSIONS_SECURE=never",
		"USERDB_SERVER_SHUTDOWN_GRACE=1s",
		"USERDB_SERVER_MANAGEMENT_ADDR=127.0.0.1:0",
		"USERDB_SMTP_HOST=" + c.md.SMTPHost(),
		fmt.Sprintf("USERDB_SMTP_PORT=%d", c.md.SMTPPort()),
		"USERDB_SMTP_TLS=none",
		"USERDB_SMTP_FROM=userdb <no-reply@example.com>",
		"USERDB_OUTBOX_POLL_INTERVAL=200ms",
		"USERDB_OUTBOX_BACKOFF=500ms",
		"USERDB_OUTBOX_MAX_BACKOFF=1s",
		"USERDB_OUTBOX_LEASE=3s",
		"USERDB_HASHING_MEMORY=64KiB",
		"USERDB_HASHING_ITERATIONS=1",
		"USERDB_LOG_LEVEL=warn",
		"USERDB_PROTECTION_DEVICES_NOTIFY=false",
		// Every client of the test is 127.0.0.1: limits wide enough for the
		// load, still counted (in Redis, or per node while it is down).
		"USERDB_PROTECTION_RATE_LIMITS_LOGIN_PER_IP=100000/1m",
		"USERDB_PROTECTION_RATE_LIMITS_LOGIN_PER_NAME=10000/1m",
		"USERDB_PROTECTION_RATE_LIMITS_FORGOT_PER_IP=100000/1h",
		"USERDB_PROTECTION_RATE_LIMITS_ADMIN_API_PER_KEY=100000/1m",
	}
	withRedis := append(append([]string(nil), c.env...), "USERDB_REDIS_ADDR="+c.redis.Addr())
	for i := range 3 {
		env := withRedis
		if i == 1 {
			// n2, the node to be killed, sends through the relay that
			// holds each message's end back.
			env = append(append([]string(nil), withRedis...), fmt.Sprintf("USERDB_SMTP_PORT=%d", c.hold.port()))
		}
		c.nodes = append(c.nodes, newNode(t, fmt.Sprintf("n%d", i+1), env))
	}
	c.nodes[0].start() // migrates the database
	var wg sync.WaitGroup
	for _, n := range c.nodes[1:] {
		wg.Add(1)
		go func() { defer wg.Done(); n.start() }()
	}
	wg.Wait()
	// HAProxy listens on the port the base URL names.
	c.lb = fmt.Sprintf("127.0.0.1:%d", lbPort)
	c.lbLogs = haproxy(t, c.lb, c.nodes)
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.nodes {
				t.Logf("logs of %s:\n%s", n.name, n.logs)
			}
			t.Logf("HAProxy:\n%s", c.lbLogs)
		}
	})

	cmd := exec.Command(binary, "apikey", "create", "cluster-test", "--role", "super-admin")
	cmd.Env = append(os.Environ(), c.env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("userdb apikey create: %v\n%s%s", err, out, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if s, ok := strings.CutPrefix(line, "secret"); ok {
			c.apiKey = strings.TrimSpace(s)
		}
	}
	if c.apiKey == "" {
		t.Fatalf("no secret in:\n%s", out)
	}
	return c
}

// auth is the API key's header.
func (c *cluster) auth() []string { return []string{"Authorization", "Bearer " + c.apiKey} }

// createUser creates an enabled, verified user through url and returns its id.
func (c *cluster) createUser(hc *http.Client, url, email string) string {
	c.t.Helper()
	m, _ := mustCall(c.t, hc, 201, "POST", url+"/api/v1/users", map[string]any{
		"email": email, "password": "correct horse battery", "emailVerified": true,
	}, c.auth()...)
	return m["id"].(string)
}

// outcome is one request of the load.
type outcome struct {
	op         string
	start, end time.Time
	status     int
	err        error
}

// load is what the load's workers did and were told.
type load struct {
	mu       sync.Mutex
	outcomes []outcome
	sessions []session            // created by sign-ins
	created  map[string]int       // user id -> last customData.n acknowledged
	logins   map[string]int       // user id -> acknowledged sign-ins
	updates  map[string]int       // user id -> acknowledged updates
	forgot   map[string]time.Time // address -> when /forgot was acknowledged
}

type session struct {
	secret, userID string
	at             time.Time
}

func (l *load) record(o outcome) {
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
}

// TestCluster runs a bounded load of sign-ins, GET /me, admin writes and
// password resets through HAProxy onto three nodes; one node is killed
// with SIGKILL in the middle of sending an email and started again, then
// the cluster's Redis is stopped and started again, then another node gets
// a rolling restart (SIGTERM). Afterwards: the only failed requests are
// those in flight on the killed node; every session made before the kill
// works on the other nodes; every acknowledged write and its event are
// there; every reset email queued was delivered once. Then a user disabled
// on one node loses access through the others within a second, with Redis
// and (on three more nodes) without it.
func TestCluster(t *testing.T) {
	setup := time.Now()
	c := startCluster(t)
	lb := "http://" + c.lb
	hc := &http.Client{Timeout: 20 * time.Second}
	t.Logf("the cluster started in %v", time.Since(setup).Round(time.Millisecond))

	// Users the load signs in, and users it resets the password of (each
	// once, so that each address expects one email).
	type user struct{ id, email string }
	loaders, resets := make([]user, 16), make([]user, 80)
	var cw sync.WaitGroup
	for k := range 4 {
		cw.Add(1)
		go func() {
			defer cw.Done()
			hc := &http.Client{Timeout: 20 * time.Second}
			for i := k; i < len(loaders)+len(resets); i += 4 {
				if i < len(loaders) {
					email := fmt.Sprintf("load%d@example.com", i)
					loaders[i] = user{c.createUser(hc, lb, email), email}
				} else {
					email := fmt.Sprintf("reset%d@example.com", i)
					resets[i-len(loaders)] = user{c.createUser(hc, lb, email), email}
				}
			}
		}()
	}
	cw.Wait()
	t.Logf("%d users created in %v", len(loaders)+len(resets), time.Since(setup).Round(time.Millisecond))

	l := &load{created: map[string]int{}, logins: map[string]int{}, updates: map[string]int{}, forgot: map[string]time.Time{}}
	begin := time.Now()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var workers int
	worker := func(pause time.Duration, step func(hc *http.Client, i int)) {
		workers++
		wg.Add(1)
		go func() {
			defer wg.Done()
			hc := &http.Client{Timeout: 20 * time.Second}
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(pause):
				}
				step(hc, i)
			}
		}()
	}
	do := func(hc *http.Client, op string, want int, method, target string, body any, header ...string) (int, []byte, string, bool) {
		start := time.Now()
		status, raw, session, err := httpCall(hc, method, target, body, header...)
		o := outcome{op: op, start: start, end: time.Now(), status: status, err: err}
		l.record(o)
		return status, raw, session, err == nil && status == want
	}

	// Sign-ins.
	for range 2 {
		worker(150*time.Millisecond, func(hc *http.Client, i int) {
			u := loaders[rand.IntN(len(loaders))]
			_, _, secret, ok := do(hc, "login", 200, "POST", lb+"/login", map[string]string{"login": u.email, "password": "correct horse battery"})
			if ok && secret != "" {
				l.mu.Lock()
				l.sessions = append(l.sessions, session{secret, u.id, time.Now()})
				l.logins[u.id]++
				l.mu.Unlock()
			}
		})
	}
	// GET /me with any session made so far.
	for range 3 {
		worker(15*time.Millisecond, func(hc *http.Client, i int) {
			l.mu.Lock()
			if len(l.sessions) == 0 {
				l.mu.Unlock()
				return
			}
			s := l.sessions[rand.IntN(len(l.sessions))]
			l.mu.Unlock()
			do(hc, "me", 200, "GET", lb+"/me", nil, "Cookie", "userdb="+s.secret)
		})
	}
	// Admin writes: a new user, then an update of its custom data with the
	// version just read.
	worker(100*time.Millisecond, func(hc *http.Client, i int) {
		email := fmt.Sprintf("written%d@example.com", i)
		_, raw, _, ok := do(hc, "create", 201, "POST", lb+"/api/v1/users", map[string]any{
			"email": email, "password": "correct horse battery", "emailVerified": true,
		}, c.auth()...)
		if !ok {
			return
		}
		var u struct {
			ID      string `json:"id"`
			Version int64  `json:"version"`
		}
		json.Unmarshal(raw, &u)
		l.mu.Lock()
		l.created[u.ID] = 0
		l.mu.Unlock()
		_, _, _, ok = do(hc, "update", 200, "PATCH", lb+"/api/v1/users/"+u.ID, map[string]any{
			"version": u.Version, "customData": map[string]any{"n": i + 1},
		}, c.auth()...)
		if ok {
			l.mu.Lock()
			l.created[u.ID] = i + 1
			l.updates[u.ID]++
			l.mu.Unlock()
		}
	})
	// Password resets, each address once.
	var nextReset atomic.Int64
	worker(300*time.Millisecond, func(hc *http.Client, i int) {
		k := int(nextReset.Add(1)) - 1
		if k >= len(resets) {
			return
		}
		if _, _, _, ok := do(hc, "forgot", 200, "POST", lb+"/forgot", map[string]string{"login": resets[k].email}); ok {
			l.mu.Lock()
			l.forgot[resets[k].email] = time.Now()
			l.mu.Unlock()
		}
	})

	// The events of the run.
	time.Sleep(killAfter)
	victim := c.nodes[1]
	inFlight := ""
	for deadline := time.Now().Add(15 * time.Second); inFlight == "" && time.Now().Before(deadline); {
		inFlight = c.hold.heldTo()
		time.Sleep(5 * time.Millisecond)
	}
	if inFlight == "" {
		t.Fatal("n2 sent no email within 15s")
	}
	killed := time.Now()
	victim.kill()
	// The kernel closes the node's sockets only once the process is gone,
	// which under load can take a while after the signal: until then a
	// connection may still be accepted, and then reset.
	died := time.Now()
	at := func(k int) { time.Sleep(time.Until(killed.Add(time.Duration(k) * step))) }
	at(1)
	restarted := time.Now()
	victim.start()
	at(2)
	c.redis.Stop()
	redisStopped := time.Now()
	for _, n := range c.nodes {
		waitRedisState(t, n, false)
	}
	// Redis down: signing in and GET /me work (the load goes on too).
	_, secret := mustCall(t, hc, 200, "POST", lb+"/login", map[string]string{"login": loaders[0].email, "password": "correct horse battery"})
	mustCall(t, hc, 200, "GET", lb+"/me", nil, "Cookie", "userdb="+secret)
	at(3)
	redisStarted := time.Now()
	c.redis.Restart()
	for _, n := range c.nodes {
		waitRedisState(t, n, true)
	}
	// A rolling restart of n3 (SIGTERM: it drains, then stops) drops
	// nothing: HAProxy sees /readyz fail before the listener closes.
	at(4)
	rolled := time.Now()
	c.nodes[2].stop()
	stopped := time.Now()
	c.nodes[2].start()
	t.Logf("n3 stopped in %v and was ready again %v later", stopped.Sub(rolled).Round(time.Millisecond), time.Since(stopped).Round(time.Millisecond))
	at(5)
	close(stop)
	wg.Wait()
	for _, n := range c.nodes {
		t.Logf("%s at the end of the load: %s", n.name, n.memory())
	}
	elapsed := time.Since(begin)
	ms := func(at time.Time) time.Duration { return at.Sub(begin).Round(time.Millisecond) }
	t.Logf("timeline: %s killed at %v while sending an email to %s, started again at %v; Redis stopped at %v, started at %v; n3 restarted with SIGTERM at %v; load ended at %v",
		victim.name, ms(killed), inFlight, ms(restarted), ms(redisStopped), ms(redisStarted), ms(rolled), ms(time.Now()))

	// Failures: only requests in flight on the killed node when it died.
	var failed []outcome
	perOp := map[string]int{}
	for _, o := range l.outcomes {
		perOp[o.op]++
		if o.err == nil && o.status >= 200 && o.status < 300 {
			continue
		}
		if o.start.Before(died) && o.end.After(killed) {
			failed = append(failed, o)
			continue
		}
		t.Errorf("%s at %v failed (not in flight between the kill and the node's death): status %d, %v", o.op, o.start.Sub(begin).Round(time.Millisecond), o.status, o.err)
	}
	if len(failed) > workers {
		t.Errorf("%d requests failed at the kill; at most %d (one per worker) can have been in flight", len(failed), workers)
	}
	var inFlightFailures []string
	for _, o := range failed {
		inFlightFailures = append(inFlightFailures, fmt.Sprintf("%s (status %d, %v)", o.op, o.status, o.err))
	}
	t.Logf("cluster load: %d requests in %v through HAProxy (%.0f/s; %v), %d failed, all in flight on the killed node (at most %d could be): %v",
		len(l.outcomes), elapsed.Round(time.Millisecond), float64(len(l.outcomes))/elapsed.Seconds(), perOp, len(failed), workers, inFlightFailures)

	// Every session made before the kill works on the nodes that lived.
	before := 0
	for _, s := range l.sessions {
		if !s.at.Before(killed) {
			continue
		}
		before++
		for _, n := range []*node{c.nodes[0], c.nodes[2]} {
			if status, raw, _, err := httpCall(hc, "GET", n.url()+"/me", nil, "Cookie", "userdb="+s.secret); err != nil || status != 200 {
				t.Errorf("a session made before the kill, on %s: %d %v %s", n.name, status, err, raw)
			}
		}
	}
	if before == 0 {
		t.Error("no session was made before the kill")
	}

	// Every acknowledged write is there, with its event.
	for id, n := range l.created {
		m, _ := mustCall(t, hc, 200, "GET", c.nodes[0].url()+"/api/v1/users/"+id, nil, c.auth()...)
		cd, _ := m["customData"].(map[string]any)
		if n > 0 && fmt.Sprint(cd["n"]) != fmt.Sprint(n) {
			t.Errorf("user %s: customData.n = %v, the acknowledged update set %d", id, cd["n"], n)
		}
	}
	events := func(typ string) map[string]int {
		rows, err := c.db.Query("SELECT user_id, COUNT(*) FROM events WHERE type = $1 GROUP BY user_id", typ)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		m := map[string]int{}
		for rows.Next() {
			var id string
			var n int
			rows.Scan(&id, &n)
			m[id] = n
		}
		return m
	}
	created, updated, logins := events("user.created"), events("user.updated"), events("login.succeeded")
	for id := range l.created {
		if created[id] != 1 {
			t.Errorf("user %s: %d user.created events", id, created[id])
		}
	}
	for id, n := range l.updates {
		if updated[id] < n {
			t.Errorf("user %s: %d user.updated events for %d acknowledged updates", id, updated[id], n)
		}
	}
	for id, n := range l.logins {
		if logins[id] < n {
			t.Errorf("user %s: %d login.succeeded events for %d acknowledged sign-ins", id, logins[id], n)
		}
	}

	checks := time.Now()
	c.checkResetEmails(l, killed, inFlight)
	t.Logf("checks after the load took %v", time.Since(checks).Round(time.Millisecond))

	// A user disabled through one node loses access through the others at
	// once (the load is over; Redis went down and came back meanwhile).
	id := c.createUser(hc, lb, "disabled-with-redis@example.com")
	d := disableAndMeasure(t, c, hc, c.nodes[0], c.nodes[1:], id, "disabled-with-redis@example.com", 0)
	t.Logf("with Redis: disabled on %s, refused on %s and %s after %v", c.nodes[0].name, c.nodes[1].name, c.nodes[2].name, d)
	if d > time.Second {
		t.Errorf("with Redis, the other nodes refused the disabled user's session after %v, more than 1s", d)
	}

	// Without Redis: three more nodes on the same database, whose caches
	// keep a session for sessions.cache_ttl (1s here).
	plain := append(append([]string(nil), c.env...), "USERDB_SESSIONS_CACHE_TTL=1s")
	var trio []*node
	for i := range 3 {
		trio = append(trio, newNode(t, fmt.Sprintf("plain%d", i+1), plain))
	}
	for _, n := range trio {
		n.start()
	}
	id = c.createUser(hc, lb, "disabled-without-redis@example.com")
	d = disableAndMeasure(t, c, hc, trio[0], trio[1:], id, "disabled-without-redis@example.com", time.Second)
	t.Logf("without Redis (sessions.cache_ttl 1s): disabled on %s, refused on %s and %s after %v", trio[0].name, trio[1].name, trio[2].name, d)
	for _, n := range trio {
		n.stop()
	}
}

// disableAndMeasure signs the user in through a, uses the session on every
// other node (so that each has it cached), disables the user through a and
// returns how long until the others refuse the session. With a cache TTL
// (no Redis), it also checks that no request started more than ttl after a
// node cached the session was answered with it, whatever the machine's
// load did to the polling.
func disableAndMeasure(t *testing.T, c *cluster, hc *http.Client, a *node, others []*node, id, email string, ttl time.Duration) time.Duration {
	t.Helper()
	_, secret := mustCall(t, hc, 200, "POST", a.url()+"/login", map[string]string{"login": email, "password": "correct horse battery"})
	cached := map[*node]time.Time{}
	for _, n := range others {
		mustCall(t, hc, 200, "GET", n.url()+"/me", nil, "Cookie", "userdb="+secret)
		cached[n] = time.Now() // the copy was loaded before this
	}
	mustCall(t, hc, 200, "POST", a.url()+"/api/v1/users/"+id+"/disable", nil, c.auth()...)
	disabled := time.Now()
	for _, n := range others {
		for {
			sent := time.Now()
			status, _, _, err := httpCall(hc, "GET", n.url()+"/me", nil, "Cookie", "userdb="+secret)
			if err == nil && status == 401 {
				break
			}
			if ttl > 0 && sent.After(cached[n].Add(ttl)) {
				t.Errorf("%s served the disabled user's session %v after caching it, more than sessions.cache_ttl (%v)", n.name, sent.Sub(cached[n]), ttl)
				break
			}
			if time.Since(disabled) > 10*time.Second {
				t.Fatalf("%s still serves the session of a user disabled 10s ago", n.name)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	return time.Since(disabled)
}

// waitRedisState waits until the node's /readyz says Redis is up (or
// down), staying ready throughout.
func waitRedisState(t *testing.T, n *node, up bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		status, redis := n.readyz()
		if status != 200 {
			t.Errorf("%s: /readyz %d while Redis is %v", n.name, status, map[bool]string{true: "up", false: "down"}[up])
		}
		if (redis == "ok") == up && redis != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: /readyz says Redis %q", n.name, redis)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkResetEmails waits until every queued reset email is sent and checks
// that MailDev received each exactly once. One email may have come twice:
// the one the killed node's sender had handed to MailDev and not yet marked
// sent (it sends one at a time), which another node sent again after its
// lease; its attempts then show the second claim.
func (c *cluster) checkResetEmails(l *load, killed time.Time, inFlight string) {
	t := c.t
	t.Helper()
	ctx := waitContext(t, 60*time.Second)
	type queued struct {
		attempts int
		sent     bool
	}
	var outbox map[string]queued
	for {
		outbox = map[string]queued{}
		rows, err := c.db.QueryContext(ctx, "SELECT to_address, attempts, sent_at IS NOT NULL FROM outbox WHERE kind = 'forgot-password'")
		if err != nil {
			t.Fatal(err)
		}
		pending := 0
		for rows.Next() {
			var to string
			var q queued
			rows.Scan(&to, &q.attempts, &q.sent)
			if _, dup := outbox[to]; dup {
				t.Errorf("two reset emails queued for %s", to)
			}
			outbox[to] = q
			if !q.sent {
				pending++
			}
		}
		rows.Close()
		if pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d reset emails still unsent", pending)
		case <-time.After(200 * time.Millisecond):
		}
	}
	msgs, err := c.md.Messages()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range msgs {
		if strings.Contains(m.Subject, "Reset your password") {
			for _, to := range m.To {
				got[strings.ToLower(to)]++
			}
		}
	}
	twice := 0
	for to, q := range outbox {
		switch n := got[to]; {
		case n == 1:
		case n == 2 && q.attempts >= 2:
			twice++
			t.Logf("%s was delivered twice: the killed node's sender had handed it to MailDev before it died (attempts %d)", to, q.attempts)
		default:
			t.Errorf("%s: queued once, delivered %d times (attempts %d)", to, n, q.attempts)
		}
	}
	if twice > 1 {
		t.Errorf("%d emails came twice; only the one the killed node was sending can", twice)
	}
	// The email the killed node was sending when it died (MailDev never
	// got its end) was sent by another node after its lease, once.
	if q, ok := outbox[strings.ToLower(inFlight)]; !ok || got[strings.ToLower(inFlight)] != 1 || q.attempts < 2 {
		t.Errorf("the email to %s, in flight at the kill: queued %v, delivered %d times, %d attempts; want once, by a second attempt",
			inFlight, ok, got[strings.ToLower(inFlight)], q.attempts)
	}
	// A /forgot answers before its work runs (20-40 ms later, so that its
	// timing says nothing): one acknowledged by the killed node just before
	// it died may have queued nothing. None other may be missing.
	missing := 0
	for to, ack := range l.forgot {
		if _, ok := outbox[to]; ok {
			continue
		}
		missing++
		if ack.Before(killed.Add(-time.Second)) || ack.After(killed) {
			t.Errorf("/forgot for %s acknowledged at %v queued no email", to, ack)
		}
	}
	reclaimed := 0
	for _, q := range outbox {
		if q.attempts > 1 {
			reclaimed++
		}
	}
	t.Logf("reset emails: %d acknowledged, %d queued, each delivered once (%d twice); %d claimed more than once; %d acknowledged by the killed node within a second of its death queued none",
		len(l.forgot), len(outbox), twice, reclaimed, missing)
}
