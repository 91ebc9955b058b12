package server_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/redistest"
	"github.com/userdb/userdb/server"
)

// benchSessions signs in n users on e and returns their session secrets.
func benchSessions(b *testing.B, e *env, n int) []string {
	b.Helper()
	svc := inside.Service(e.srv)
	secrets := make([]string, n)
	for i := range secrets {
		email := fmt.Sprintf("bench%d@example.com", i)
		e.addUser(email, "correct horse battery")
		l, err := svc.Login(context.Background(), email, "correct horse battery")
		if err != nil {
			b.Fatal(err)
		}
		secrets[i] = l.Secret
	}
	return secrets
}

// timeRequests sends n requests from 64 concurrent clients, each made by
// newReq for a session secret, and returns how long they took. Every
// answer must be 200.
func timeRequests(b *testing.B, n int, secrets []string, newReq func(secret string) *http.Request) time.Duration {
	b.Helper()
	var left atomic.Int64
	left.Store(int64(n))
	var wg sync.WaitGroup
	var failed atomic.Value
	start := time.Now()
	for c := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			secret := secrets[c%len(secrets)]
			for left.Add(-1) >= 0 {
				res, err := benchClient.Do(newReq(secret))
				if err != nil {
					failed.Store(err.Error())
					return
				}
				res.Body.Close()
				if res.StatusCode != 200 {
					failed.Store(res.Status)
					return
				}
			}
		}()
	}
	wg.Wait()
	if f := failed.Load(); f != nil {
		b.Fatalf("a request failed: %v", f)
	}
	return time.Since(start)
}

func meRequest(base string) func(string) *http.Request {
	return func(secret string) *http.Request {
		req, _ := http.NewRequest("GET", base+"/me", nil)
		req.Header.Set("Cookie", "userdb="+secret)
		req.Header.Set("Accept", "application/json")
		return req
	}
}

// benchRounds is how many times rounds alternates between its targets.
const benchRounds = 8

// rounds splits b.N requests into rounds that alternate between the two
// targets, so that a change in the machine's load touches both alike, and
// returns each one's total time.
func rounds(b *testing.B, secretsA, secretsB []string, a, bb func(string) *http.Request) (ta, tb time.Duration) {
	per := max(b.N/benchRounds, 1)
	for range benchRounds {
		ta += timeRequests(b, per, secretsA, a)
		tb += timeRequests(b, per, secretsB, bb)
	}
	return ta, tb
}

// BenchmarkMeRedis measures GET /me through a node whose caches are kept
// right by the Redis invalidation bus (subscribed, on a Redis server of the
// benchmark's own), as a ratio of the same node without Redis, in the same
// run (the target: at least 0.95; the bus must not tax the hot path).
func BenchmarkMeRedis(b *testing.B) {
	rs := redistest.Start(b)
	plain := newEnvB(b)
	withRedis := newEnvB(b, func(cfg *server.Config) { cfg.Redis.Addr = rs.Addr() })
	// Both run their background work, so that they differ by Redis alone.
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, e := range []*env{plain, withRedis} {
		wg.Add(1)
		go func() { defer wg.Done(); e.srv.Run(ctx) }()
	}
	defer func() { cancel(); wg.Wait() }()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if r := withRedis.client().do("GET", "/readyz", nil); r.json(b)["checks"].(map[string]any)["redis"] == "ok" {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("the bus did not subscribe")
		}
		time.Sleep(10 * time.Millisecond)
	}
	sPlain, sRedis := benchSessions(b, plain, 64), benchSessions(b, withRedis, 64)
	b.ResetTimer()
	tPlain, tRedis := rounds(b, sPlain, sRedis, meRequest(plain.http.URL), meRequest(withRedis.http.URL))
	b.StopTimer()
	n := float64(max(b.N/benchRounds, 1) * benchRounds)
	b.ReportMetric(n/tRedis.Seconds(), "redis-req/s")
	b.ReportMetric(n/tPlain.Seconds(), "plain-req/s")
	b.ReportMetric(tPlain.Seconds()/tRedis.Seconds(), "ratio")
}

// BenchmarkForwardAuth measures forward authentication (a session cookie,
// a rule that needs a role) as a ratio of GET /me on the same server, in
// the same run.
func BenchmarkForwardAuth(b *testing.B) {
	e := newEnvB(b, withForwardAuth)
	secrets := benchSessions(b, e, 64)
	fa := func(secret string) *http.Request {
		req, _ := http.NewRequest("GET", e.http.URL+"/authz/forward-auth", nil)
		req.Header.Set("X-Original-URL", "https://app.test/home")
		req.Header.Set("Cookie", "userdb="+secret)
		req.Header.Set("Accept", "application/json")
		return req
	}
	b.ResetTimer()
	tMe, tFA := rounds(b, secrets, secrets, meRequest(e.http.URL), fa)
	b.StopTimer()
	n := float64(max(b.N/benchRounds, 1) * benchRounds)
	b.ReportMetric(n/tFA.Seconds(), "forward-auth-req/s")
	b.ReportMetric(n/tMe.Seconds(), "me-req/s")
	b.ReportMetric(tMe.Seconds()/tFA.Seconds(), "ratio")
}
