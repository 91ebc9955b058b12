package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
)

// TestRun runs every scenario briefly against a small seed and checks the
// report: the harness itself must keep working as the server changes.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server and hashes passwords for a few seconds")
	}
	out := filepath.Join(t.TempDir(), "results.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{
		"--users", "300", "--sessions", "40", "--duration", "300ms", "--warmup", "100ms",
		"--storm", "12", "--totp-users", "30", "--scenarios", strings.Join(allScenarios, ","), "--out", out,
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	ran := map[string]*Result{}
	for _, r := range rep.Results {
		ran[r.Scenario] = r
		if r.Error != "" {
			t.Errorf("%s failed: %s", r.Scenario, r.Error)
		}
	}
	for _, name := range []string{scTrivial, scMe, scHash, scLogin, scLoginStorm, scLoginTOTP, scRegister, scForgot, scSign, scOAuthToken, scOAuthIntrospect} {
		r := ran[name]
		switch {
		case r == nil:
			t.Errorf("%s did not run", name)
		case r.Requests == 0 || r.PerSecond <= 0:
			t.Errorf("%s measured nothing: %+v", name, r)
		case r.Errors != 0 && name != scForgot:
			t.Errorf("%s: %d errors: %v", name, r.Errors, r.ErrorSamples)
		}
	}
	if r := ran[scMe]; r != nil && (r.Ceiling != scTrivial || r.Ratio <= 0) {
		t.Errorf("me has no ratio to trivial: %+v", r)
	}
	if r := ran[scLogin]; r != nil && (r.Ceiling != scHash || r.Ratio <= 0) {
		t.Errorf("login has no ratio to hash: %+v", r)
	}
	if r := ran[scLoginTOTP]; r != nil && (r.Ceiling != scHash || r.Ratio <= 0) {
		t.Errorf("login-totp has no ratio to hash: %+v", r)
	}
	if r := ran[scOAuthToken]; r != nil && (r.Ceiling != scSign || r.Ratio <= 0) {
		t.Errorf("oauth-token has no ratio to rs256: %+v", r)
	}
	if r := ran[scLoginStorm]; r != nil && r.Requests != 12 {
		t.Errorf("login-storm made %d sign-ins, want 12", r.Requests)
	}
	if r := ran[scStartup]; r == nil || r.Skipped == "" {
		t.Errorf("startup without --bin should be skipped: %+v", r)
	}
	if !strings.Contains(stdout.String(), "targets:") {
		t.Errorf("no targets in the table:\n%s", stdout.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--scenarios", "me,nope"},
		{"--url", "http://127.0.0.1:1", "--db", "postgres://x"},
		{"--login", "a@example.com"},
		{"--users", "0"},
		{"--duration", "0s"},
		{"extra"},
	} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
	}
	o, err := parseFlags([]string{"--scenarios", "me,login", "--users", "10", "--sessions", "50"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !o.scenarios[scTrivial] || !o.scenarios[scHash] {
		t.Errorf("the ceilings of me and login are not scheduled: %v", o.scenarios)
	}
	if o.sessions != 10 {
		t.Errorf("sessions = %d, want at most the users (10)", o.sessions)
	}
	if o.concurrencyFor(scMe) != 64 || o.concurrencyFor(scLogin) != 8 {
		t.Errorf("default concurrency: me %d, login %d", o.concurrencyFor(scMe), o.concurrencyFor(scLogin))
	}
}

// discardWriter is a ResponseWriter that keeps nothing, so that a benchmark
// of a handler measures the handler.
type discardWriter struct{ h http.Header }

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *discardWriter) WriteHeader(int)             {}

// statusWriter is a discardWriter that keeps the status.
type statusWriter struct {
	discardWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) { w.status = code }

// BenchmarkMeHandler measures the server's handling of GET /me without
// the network: middleware, session lookup and JSON, per request.
func BenchmarkMeHandler(b *testing.B) {
	ctx := context.Background()
	const sessions = 100
	var secrets []string
	cfg := seeded(b, "bench0", 1000, password.Params{Memory: 8 * 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32},
		func(sd *seeder) (err error) {
			secrets, err = sd.sessions(ctx, sessions, 1000, 24*time.Hour)
			return err
		})
	// The access log formatted as in production, then dropped.
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	srv, err := server.Open(ctx, cfg, server.WithLogger(log))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close(context.Background()) })
	reqs := make([]*http.Request, sessions)
	for i := range reqs {
		req, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:8080/me", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Body = http.NoBody // as the server makes it for a GET
		req.Header.Set("Cookie", "userdb="+secrets[i])
		req.Header.Set("Accept", "application/json")
		reqs[i] = req
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := snapCPU(os.Getpid())
	b.RunParallel(func(pb *testing.PB) {
		w := &discardWriter{h: http.Header{}}
		i := 0
		for pb.Next() {
			clear(w.h)
			srv.ServeHTTP(w, reqs[i%sessions])
			i++
		}
	})
	// CPU time per request tells more than wall time on a shared machine.
	if cpu1 := snapCPU(os.Getpid()); cpu0.ok && cpu1.ok {
		b.ReportMetric(float64(cpu1.procs-cpu0.procs)*1e7/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkLoginHandler measures the server's handling of POST /login
// without the network, at the default argon2id parameters, against the raw
// hash in the same run: rounds of each, alternated, so that a machine's
// other load weighs on both. It reports the CPU time of each per operation
// and their ratio (the login harness scenario's "by CPU").
func BenchmarkLoginHandler(b *testing.B) {
	ctx := context.Background()
	p := password.DefaultParams()
	const users = 1000
	cfg := seeded(b, "login0", users, p, nil)
	srv, err := server.Open(ctx, cfg, server.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close(context.Background()) })
	var failed atomic.Int64
	login := func(i int) {
		req, _ := loginRequest(ctx, "http://127.0.0.1:8080", emailOf("login0", i%users), benchPassword)
		req.RemoteAddr = "127.0.0.1:40000"
		w := &statusWriter{discardWriter: discardWriter{h: http.Header{}}}
		srv.ServeHTTP(w, req)
		if w.status != http.StatusOK {
			failed.Add(1)
		}
	}
	login(0) // warm the caches and the pool
	b.ResetTimer()
	cpu := alternateCPU(b, cpuOp{runtime.NumCPU(), hashOnce(p)}, cpuOp{8, login})
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sign-ins failed", n)
	}
	b.ReportMetric(float64(cpu[1].Nanoseconds())/float64(b.N), "login-cpu-ns/op")
	b.ReportMetric(float64(cpu[0].Nanoseconds())/float64(b.N), "hash-cpu-ns/op")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "ratio")
}

// hashOnce is the raw argon2id hash of a sign-in at p.
func hashOnce(p password.Params) func(int) {
	salt := make([]byte, p.SaltLen)
	return func(int) { argon2.IDKey([]byte(benchPassword), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen) }
}

// cpuOp is an operation alternateCPU runs on conc goroutines; its
// argument counts from 1 within a round.
type cpuOp struct {
	conc int
	op   func(int)
}

// alternateCPU runs each op b.N times in four rounds that take them in
// turn, so that a machine's other load weighs on all of them, and returns
// the process's CPU time each took.
func alternateCPU(b *testing.B, ops ...cpuOp) []time.Duration {
	run := func(n int, o cpuOp) time.Duration {
		var next atomic.Int64
		var wg sync.WaitGroup
		cpu0 := snapCPU(os.Getpid())
		for range o.conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
					o.op(i)
				}
			}()
		}
		wg.Wait()
		cpu1 := snapCPU(os.Getpid())
		return time.Duration(cpu1.procs-cpu0.procs) * 10 * time.Millisecond
	}
	cpu := make([]time.Duration, len(ops))
	const rounds = 4
	for r := range rounds {
		n := b.N / rounds
		if r == rounds-1 {
			n = b.N - n*(rounds-1)
		}
		for i, o := range ops {
			cpu[i] += run(n, o)
		}
	}
	return cpu
}

// seeded makes a migrated SQLite database in a temporary directory holding
// users whose password is benchPassword hashed with p, lets more seed it
// further (nil: nothing more), and returns the configuration of a server
// on it.
func seeded(b *testing.B, tag string, users int, p password.Params, more func(*seeder) error) *server.Config {
	b.Helper()
	ctx := context.Background()
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.Join(b.TempDir(), "userdb.db")
	st, err := sqlstore.Open(ctx, cfg.Database.DSN, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	hash, err := password.NewHasher(p, 1, 1).Hash(ctx, benchPassword)
	if err != nil {
		b.Fatal(err)
	}
	sd := newSeeder(st, tag)
	if err := sd.users(ctx, users, hash, nil); err != nil {
		b.Fatal(err)
	}
	if more != nil {
		if err := more(sd); err != nil {
			b.Fatal(err)
		}
	}
	return cfg
}
