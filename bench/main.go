// Command bench is userdb's load harness. It starts a userdb server (in this
// process by default, as a child process with --bin, or uses one already
// running with --url), seeds users straight into its database, and measures
// the hot paths — GET /me, POST /login, a storm of sign-ins, registration
// and forgotten passwords — each against a ceiling measured in the same run:
// a trivial net/http handler for /me and the raw argon2id hash rate for the
// sign-ins. It prints a table and can write the figures as JSON.
//
//	go run ./bench --users 100000 --duration 10s --out results.json
//
// See docs/performance.md for what each measurement means and its caveats.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench: "+err.Error())
		os.Exit(1)
	}
}

// Scenario names, in the order they run.
const (
	scTrivial     = "trivial"
	scMe          = "me"
	scHash        = "hash"
	scLogin       = "login"
	scLoginTOTP   = "login-totp"
	scLoginStorm  = "login-storm"
	scRegister    = "register"
	scForgot      = "forgot"
	scAdminSearch = "admin-search"
	scStartup     = "startup"
	scImport      = "import"

	scSign            = "rs256"
	scOAuthToken      = "oauth-token"
	scOAuthIntrospect = "oauth-introspect"
)

// allScenarios lists every scenario in running order. The baselines
// (trivial, hash) also run whenever the scenario they are the ceiling of
// runs; startup needs --bin.
var allScenarios = []string{scStartup, scTrivial, scMe, scHash, scLogin, scLoginStorm, scLoginTOTP, scRegister, scForgot, scAdminSearch,
	scSign, scOAuthToken, scOAuthIntrospect, scImport}

// defaultScenarios run when --scenarios is not given; import, which takes
// a while, runs when asked for.
const defaultScenarios = "startup,me,login,login-storm,login-totp,register,forgot,admin-search,oauth-token,oauth-introspect"

// options are the harness's command-line settings.
type options struct {
	users       int
	sessions    int
	storm       int
	totpUsers   int
	importRows  int
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	concurrency int // 0: each scenario's default
	maxRequests int64
	scenarios   map[string]bool
	out         string

	configFile string
	db         string
	url        string
	bin        string
	startups   int
	serverLog  string

	login    string
	password string
	apiKey   string
	pid      int

	cpuProfile string
	waitIdle   time.Duration

	explicit map[string]bool // flags given on the command line
}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var scenarios string
	fs.IntVar(&o.users, "users", 10_000, "users to seed")
	fs.IntVar(&o.sessions, "sessions", 1000, "distinct sessions the me scenario cycles through")
	fs.IntVar(&o.storm, "storm", 500, "sign-ins started at once by login-storm")
	fs.IntVar(&o.totpUsers, "totp-users", 1000, "seeded users login-totp enrols in TOTP first (each may use two codes per 30 s step; at most --users)")
	fs.IntVar(&o.importRows, "import-rows", 100_000, "rows of the CSV file the import scenario imports (with --bin)")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each throughput scenario runs")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured load before trivial and me (fills caches and connection pools)")
	fs.DurationVar(&o.timeout, "timeout", time.Minute, "limit on each request")
	fs.IntVar(&o.concurrency, "concurrency", 0, "concurrent clients of every throughput scenario (default: 64 for trivial, me and forgot; 8 for login, login-totp and register; 4 for admin-search; 16 for the OAuth scenarios)")
	fs.Int64Var(&o.maxRequests, "max-requests", 5_000_000, "most requests one scenario makes, whatever its duration")
	fs.StringVar(&scenarios, "scenarios", defaultScenarios, "comma-separated scenarios: "+strings.Join(allScenarios, ","))
	fs.StringVar(&o.out, "out", "", "write the results as JSON to this file")
	fs.StringVar(&o.configFile, "config", "", "userdb configuration file for the server the harness starts (USERDB_* variables apply too)")
	fs.StringVar(&o.db, "db", "", "database DSN (PostgreSQL or MySQL) instead of a temporary SQLite file; seeded rows are removed afterwards")
	fs.StringVar(&o.url, "url", "", "base URL of a running userdb to measure instead of starting one (no seeding: see --login)")
	fs.StringVar(&o.bin, "bin", "", "userdb binary to run as a child process ('BIN serve') instead of serving in this process")
	fs.IntVar(&o.startups, "startups", 5, "with --bin: how many times the startup scenario starts the server")
	fs.StringVar(&o.serverLog, "server-log", "", "file for the server's log (default: formatted, then discarded; with --bin, a temporary file)")
	fs.StringVar(&o.login, "login", "", "with --url: username or email of an existing user to sign in as")
	fs.StringVar(&o.password, "password", "", "with --url: that user's password")
	fs.StringVar(&o.apiKey, "api-key", "", "with --url: a super-admin API key, for admin-search")
	fs.IntVar(&o.pid, "pid", 0, "with --url: process id of the server, to read its memory (same machine only)")
	fs.DurationVar(&o.waitIdle, "wait-idle", 0, "before each scenario, wait up to this long for the machine's other processes to use under 5% of its CPU (shared machines)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the scenarios (not of seeding) to this file")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	o.explicit = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { o.explicit[f.Name] = true })

	o.scenarios = map[string]bool{}
	for _, s := range strings.Split(scenarios, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !known(s) {
			return nil, fmt.Errorf("--scenarios: unknown scenario %q (known: %s)", s, strings.Join(allScenarios, ", "))
		}
		o.scenarios[s] = true
	}
	// The ceilings run with what they bound, so every ratio is of one run.
	if o.scenarios[scMe] {
		o.scenarios[scTrivial] = true
	}
	if o.scenarios[scLogin] || o.scenarios[scLoginTOTP] {
		o.scenarios[scHash] = true
	}
	if o.scenarios[scOAuthToken] || o.scenarios[scOAuthIntrospect] {
		o.scenarios[scSign] = true
	}
	switch {
	case o.users < 1:
		return nil, errors.New("--users must be at least 1")
	case o.sessions < 1:
		return nil, errors.New("--sessions must be at least 1")
	case o.storm < 1:
		return nil, errors.New("--storm must be at least 1")
	case o.totpUsers < 1:
		return nil, errors.New("--totp-users must be at least 1")
	case o.importRows < 100 || o.importRows > 10_000_000:
		return nil, errors.New("--import-rows must be 100 to 10000000")
	case o.duration <= 0 || o.duration > time.Hour:
		return nil, errors.New("--duration must be above 0 and at most 1h")
	case o.warmup < 0 || o.warmup > time.Minute:
		return nil, errors.New("--warmup must be 0 to 1m")
	case o.timeout <= 0:
		return nil, errors.New("--timeout must be above 0")
	case o.concurrency < 0 || o.concurrency > 10_000:
		return nil, errors.New("--concurrency must be 0 to 10000")
	case o.waitIdle < 0 || o.waitIdle > time.Hour:
		return nil, errors.New("--wait-idle must be 0 to 1h")
	case o.maxRequests < 1:
		return nil, errors.New("--max-requests must be at least 1")
	case o.url != "" && (o.db != "" || o.bin != "" || o.configFile != ""):
		return nil, errors.New("--url measures a running server: it cannot be combined with --db, --bin or --config")
	case o.url == "" && (o.login != "" || o.password != "" || o.pid != 0 || o.apiKey != ""):
		return nil, errors.New("--login, --password, --api-key and --pid go with --url")
	case (o.login == "") != (o.password == ""):
		return nil, errors.New("--login and --password go together")
	}
	if o.url != "" {
		o.url = strings.TrimRight(o.url, "/")
		if !o.explicit["sessions"] {
			// Each session costs one sign-in on a server the harness cannot seed.
			o.sessions = 64
		}
	}
	if o.sessions > o.users && o.url == "" {
		o.sessions = o.users
	}
	return o, nil
}

func known(s string) bool {
	for _, k := range allScenarios {
		if k == s {
			return true
		}
	}
	return false
}

// concurrencyFor returns the concurrency of a throughput scenario.
func (o *options) concurrencyFor(scenario string) int {
	if o.concurrency > 0 {
		return o.concurrency
	}
	switch scenario {
	case scLogin, scLoginTOTP, scRegister:
		return 8
	case scAdminSearch:
		return 4
	case scOAuthToken, scOAuthIntrospect:
		return 16
	}
	return 64
}

// run runs the harness with the command line args.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	h, err := newHarness(ctx, o, stderr)
	if err != nil {
		return err
	}
	report, runErr := h.run(ctx)
	if cerr := h.close(); runErr == nil {
		runErr = cerr
	}
	if report != nil {
		report.print(stdout)
		if o.out != "" {
			if err := report.write(o.out); err != nil && runErr == nil {
				runErr = err
			}
		}
	}
	return runErr
}
