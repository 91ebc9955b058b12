package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
)

// harness holds one run: the server measured, the seeded data and the
// report being filled.
type harness struct {
	o        *options
	progress io.Writer
	report   *Report

	cfg    *server.Config // nil with --url
	params password.Params
	dir    string // temporary directory, removed by close
	seeder *seeder
	tag    string

	tgt      *target
	startups []time.Duration // with --bin: every start measured
	idleRSS  float64         // with --bin: MiB, after the last start

	cookieName string
	cookies    []string // session secrets for me
	apiKey     string   // a super-admin API key for admin-search and the OAuth client
	// ccID and ccSecret are the OAuth client of the OAuth scenarios, made
	// by the first of them.
	ccID, ccSecret string
	users          int // seeded users; 0 with --url
	closers        []func() error
}

// newHarness prepares a run: the configuration, the database and its seed,
// and the server. On failure it undoes what it did.
func newHarness(ctx context.Context, o *options, progress io.Writer) (h *harness, err error) {
	tag := make([]byte, 3)
	rand.Read(tag)
	h = &harness{o: o, progress: progress, tag: hex.EncodeToString(tag)}
	h.report = &Report{
		Started: time.Now().UTC().Truncate(time.Second), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		Users: o.users, Sessions: o.sessions,
	}
	defer func() {
		if err != nil {
			h.close()
			h = nil
		}
	}()
	if o.url != "" {
		return h, h.useURL(ctx)
	}
	if err := h.configure(); err != nil {
		return h, err
	}
	if err := h.seed(ctx); err != nil {
		return h, err
	}
	return h, h.start(ctx)
}

// logf writes a progress line.
func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.progress, "bench: "+format+"\n", args...)
}

// configure builds the configuration of the server the harness starts.
func (h *harness) configure() error {
	cfg, err := server.LoadConfig(h.o.configFile, os.Getenv)
	if err != nil {
		return err
	}
	if h.o.db == "" {
		if h.dir, err = os.MkdirTemp("", "userdb-bench-"); err != nil {
			return err
		}
		cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(h.dir, "userdb.db"))
	} else {
		cfg.Database.DSN = h.o.db
		// PostgreSQL and MySQL need configured keys; any will do here.
		if cfg.Secrets.CookieKey == "" {
			cfg.Secrets.CookieKey = randomKey()
		}
		if cfg.Secrets.EncryptionKey == "" {
			cfg.Secrets.EncryptionKey = randomKey()
		}
	}
	cfg.Database.MigrateOnStart = true
	cfg.Registration.Enabled = true
	// The load comes from one address at rates no person reaches: rate
	// limits would answer most of it with 429, and the run measures the
	// server's capacity, not its limits.
	cfg.Protection.RateLimits.Enabled = false
	if err := cfg.Validate(); err != nil {
		return err
	}
	h.cfg = cfg
	h.cookieName = cfg.Sessions.CookieName
	h.params = password.Params{
		Memory: uint32(cfg.Hashing.Memory / 1024), Iterations: uint32(cfg.Hashing.Iterations),
		Parallelism: uint8(cfg.Hashing.Parallelism), SaltLen: 16, KeyLen: 32,
	}
	workers := cfg.Hashing.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	h.report.Hashing = HashParams{MemoryKiB: h.params.Memory, Iterations: h.params.Iterations,
		Parallelism: h.params.Parallelism, Workers: workers}
	h.report.Database = cfg.DatabaseKind()
	return nil
}

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// seed migrates the database and writes the users and sessions, all users
// sharing one password hash computed once.
func (h *harness) seed(ctx context.Context) error {
	st, err := sqlstore.Open(ctx, string(h.cfg.Database.DSN), sqlstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	hash, err := password.NewHasher(h.params, 1, 1).Hash(ctx, benchPassword)
	if err != nil {
		return err
	}
	h.seeder = newSeeder(st, h.tag)
	if h.o.db != "" {
		// From here on, close removes what the run wrote.
		h.closers = append(h.closers, func() error {
			st, err := sqlstore.Open(context.Background(), string(h.cfg.Database.DSN), sqlstore.Options{})
			if err != nil {
				return err
			}
			defer st.Close()
			h.seeder.db = st.DB()
			return h.seeder.cleanup(context.Background())
		})
	}
	t0 := time.Now()
	h.logf("seeding %d users and %d sessions into %s", h.o.users, h.o.sessions, h.report.Database)
	last := time.Now()
	err = h.seeder.users(ctx, h.o.users, hash, func(done int) {
		if time.Since(last) > 5*time.Second {
			h.logf("  %d users", done)
			last = time.Now()
		}
	})
	if err != nil {
		return err
	}
	if err := st.IndexSearchTerms(ctx, "usr_b"+h.tag); err != nil {
		return err
	}
	if h.cookies, err = h.seeder.sessions(ctx, h.o.sessions, h.o.users, time.Duration(h.cfg.Sessions.Lifetime)); err != nil {
		return err
	}
	if h.apiKey, err = h.seeder.apiKey(ctx, st, h.cfg.SuperAdminRole); err != nil {
		return err
	}
	h.report.SeedSeconds = round(time.Since(t0).Seconds(), 2)
	h.users = h.o.users
	h.logf("seeded in %.1f s", h.report.SeedSeconds)
	return h.seeder.check(ctx, st, h.o.users, h.cookies[0])
}

// benchPassword is every seeded user's password: long enough for any policy
// and in no list of common passwords.
const benchPassword = "bench-Quartz-Lantern-4719"

// start starts the server: in this process, or as a child with --bin.
func (h *harness) start(ctx context.Context) error {
	if h.o.bin == "" {
		h.report.Mode = "in-process"
		log, closeLog, err := h.serverLogger()
		if err != nil {
			return err
		}
		tgt, open, err := startInProcess(ctx, h.cfg, log)
		if err != nil {
			closeLog()
			return err
		}
		h.tgt = tgt
		h.closers = append(h.closers, func() error { return errors.Join(tgt.stop(), closeLog()) })
		h.report.OpenMS = ms(open)
		return nil
	}
	h.report.Mode = "child"
	logPath := h.o.serverLog
	if logPath == "" {
		logPath = filepath.Join(h.tempDir(), "server.log")
	}
	env := append(h.childEnv(), "USERDB_REGISTRATION_ENABLED=true", "USERDB_PROTECTION_RATE_LIMITS_ENABLED=false")
	starts := 1
	if h.o.scenarios[scStartup] {
		starts = max(1, h.o.startups)
	}
	for i := range starts {
		tgt, took, err := startChild(ctx, h.o.bin, h.o.configFile, string(h.cfg.Database.DSN), env, logPath)
		if err != nil {
			return err
		}
		h.startups = append(h.startups, took)
		if i < starts-1 {
			if err := tgt.stop(); err != nil {
				return err
			}
			continue
		}
		h.tgt = tgt
		h.closers = append(h.closers, tgt.stop)
	}
	// Idle: the start-up work done, nothing asked of it yet.
	time.Sleep(2 * time.Second)
	if m, err := readMemory(h.tgt.pid); err == nil {
		h.idleRSS = m.RSS
	}
	return nil
}

// childEnv is the environment a userdb process the harness starts needs
// besides its own: PostgreSQL and MySQL need the keys the run generated.
func (h *harness) childEnv() []string {
	if h.o.db == "" {
		return nil
	}
	return []string{"USERDB_SECRETS_COOKIE_KEY=" + string(h.cfg.Secrets.CookieKey),
		"USERDB_SECRETS_ENCRYPTION_KEY=" + string(h.cfg.Secrets.EncryptionKey)}
}

// tempDir returns the run's temporary directory, creating it if needed.
func (h *harness) tempDir() string {
	if h.dir == "" {
		d, err := os.MkdirTemp("", "userdb-bench-")
		if err != nil {
			return os.TempDir()
		}
		h.dir = d
	}
	return h.dir
}

// serverLogger returns the in-process server's logger: JSON at the
// configured level, as userdb serve logs, written to --server-log or
// formatted and discarded.
func (h *harness) serverLogger() (*slog.Logger, func() error, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(h.cfg.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	var w io.Writer = io.Discard
	closeLog := func() error { return nil }
	if h.o.serverLog != "" {
		f, err := os.OpenFile(h.o.serverLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, err
		}
		w, closeLog = f, f.Close
	}
	opts := &slog.HandlerOptions{Level: level}
	if h.cfg.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), closeLog, nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), closeLog, nil
}

// useURL prepares measuring a server the harness did not start: with
// --login, it signs in to get sessions for me.
func (h *harness) useURL(ctx context.Context) error {
	h.report.Mode = "url"
	h.report.Database = "unknown"
	h.report.Users, h.report.Sessions = 0, 0
	h.tgt = &target{base: h.o.url, pid: h.o.pid}
	h.apiKey = h.o.apiKey
	h.params = password.DefaultParams()
	h.report.Hashing = HashParams{MemoryKiB: h.params.Memory, Iterations: h.params.Iterations,
		Parallelism: h.params.Parallelism, Workers: runtime.NumCPU()}
	h.report.Notes = append(h.report.Notes, "--url: the hash ceiling assumes the server runs on this machine with the default argon2id parameters")
	c := newClient(8)
	defer c.close()
	hctx, cancel := context.WithTimeout(ctx, h.o.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(hctx, http.MethodGet, h.o.url+"/healthz", nil)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	res, err := c.do(req)
	if err != nil {
		return fmt.Errorf("--url: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("--url: GET /healthz answered %d", res.StatusCode)
	}
	if h.o.login == "" {
		return nil
	}
	h.logf("signing in %d times as %s for the me scenario's sessions", h.o.sessions, h.o.login)
	for range h.o.sessions {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		cookie, status, err := h.signIn(ctx, c, h.o.login, h.o.password)
		if err != nil {
			return fmt.Errorf("--login: %w", err)
		}
		if status != http.StatusOK || cookie == nil {
			return fmt.Errorf("--login: POST /login answered %d", status)
		}
		h.cookieName = cookie.Name
		h.cookies = append(h.cookies, cookie.Value)
	}
	h.report.Sessions = len(h.cookies)
	return nil
}

// signIn posts one sign-in and returns the session cookie it set.
func (h *harness) signIn(ctx context.Context, c *client, login, pw string) (*http.Cookie, int, error) {
	ctx, cancel := context.WithTimeout(ctx, h.o.timeout)
	defer cancel()
	req, err := loginRequest(ctx, h.tgt.base, login, pw)
	if err != nil {
		return nil, 0, err
	}
	res, err := c.do(req)
	if err != nil {
		return nil, 0, err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	for _, ck := range res.Cookies() {
		if ck.Value != "" && ck.MaxAge >= 0 {
			return ck, res.StatusCode, nil
		}
	}
	return nil, res.StatusCode, nil
}

// run runs the chosen scenarios in order and evaluates the targets.
func (h *harness) run(ctx context.Context) (*Report, error) {
	if h.o.cpuProfile != "" {
		f, err := os.Create(h.o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
		if h.report.Mode != "in-process" {
			h.report.Notes = append(h.report.Notes, "--cpuprofile profiles this process: the load generator, not the server")
		}
	}
	for _, name := range allScenarios {
		if !h.o.scenarios[name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return h.report, err
		}
		if h.o.waitIdle > 0 && name != scStartup {
			h.waitIdle(ctx)
		}
		h.logf("running %s", name)
		r := h.scenario(ctx, name)
		h.report.Results = append(h.report.Results, r)
		switch {
		case r.Skipped != "":
			h.logf("  skipped: %s", r.Skipped)
		case r.Error != "":
			h.logf("  failed: %s", r.Error)
		case name != scStartup:
			h.logf("  %.1f/s, p50 %.2f ms, p99 %.2f ms, %d errors", r.PerSecond, r.P50MS, r.P99MS, r.Errors)
		}
	}
	h.report.evaluate()
	return h.report, ctx.Err()
}

// waitIdle waits, up to --wait-idle, until the machine's CPU has been
// used under 5% for a second: by then the previous scenario's background
// work is done and, on a shared machine, others have paused.
func (h *harness) waitIdle(ctx context.Context) {
	deadline := time.Now().Add(h.o.waitIdle)
	for {
		a := snapCPU()
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
		b := snapCPU()
		if !a.ok || !b.ok || b.total <= a.total {
			return // cannot tell
		}
		busy := float64(b.busy-a.busy) / float64(b.total-a.total)
		if busy < 0.05 {
			return
		}
		if time.Now().After(deadline) {
			h.logf("  the machine is still %.0f%% busy; going on", 100*busy)
			return
		}
	}
}

// close stops the server, removes what the run wrote to a database it does
// not own, and removes the temporary directory.
func (h *harness) close() error {
	var err error
	for i := len(h.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, h.closers[i]())
	}
	h.closers = nil
	if h.dir != "" {
		err = errors.Join(err, os.RemoveAll(h.dir))
		h.dir = ""
	}
	return err
}

// loginRequest returns POST /login for login and pw.
func loginRequest(ctx context.Context, base, login, pw string) (*http.Request, error) {
	return jsonRequest(ctx, base+"/login", `{"login":`+quote(login)+`,"password":`+quote(pw)+`}`)
}
