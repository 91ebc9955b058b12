package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// cliActor is the actor recorded in the events of command-line actions.
const cliActor = "cli"

// closeTimeout bounds how long a command waits for the server to close.
const closeTimeout = 10 * time.Second

// common holds the flags every command takes.
type common struct {
	config string
	db     string
	json   bool
	// overrides are settings given by flags, by environment variable name;
	// they win over the environment and the file. flagOf names the flag
	// that set a key, for problems.
	overrides map[string]string
	flagOf    map[string]string
}

// flags returns a flag set named after the command with the common flags.
// Parse errors are reported by parse, not printed by the flag set.
func (c *common) flags(name string, withJSON bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.config, "config", "", "configuration `file` (YAML)")
	fs.StringVar(&c.db, "db", "", "database `DSN`: sqlite:PATH, postgres://... or mysql://... (overrides database.dsn)")
	if withJSON {
		fs.BoolVar(&c.json, "json", false, "print JSON")
	}
	return fs
}

// override sets the configuration key to the value of a flag, unless the
// value is empty.
func (c *common) override(key, flagName, value string) {
	if value == "" {
		return
	}
	if c.overrides == nil {
		c.overrides, c.flagOf = map[string]string{}, map[string]string{}
	}
	c.overrides[config.EnvName(key)] = value
	c.flagOf[key] = flagName
}

// parse parses the flags in args, which may come before, between or after
// the positional arguments, and checks that there are between minArgs and
// maxArgs of those; synopsis names them for messages. With -h it prints the
// command's usage to stdout and returns flag.ErrHelp.
func parse(e *env, fs *flag.FlagSet, args []string, minArgs, maxArgs int, synopsis string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(e.stdout, "Usage: userdb %s\n\nFlags:\n", strings.TrimSpace(fs.Name()+" "+synopsis))
			fs.SetOutput(e.stdout)
			fs.PrintDefaults()
			return nil, flag.ErrHelp
		} else if err != nil {
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < minArgs || len(pos) > maxArgs {
		if maxArgs == 0 {
			return nil, usagef("%s takes no arguments, only flags", fs.Name())
		}
		return nil, usagef("usage: userdb %s %s", fs.Name(), synopsis)
	}
	return pos, nil
}

// load reads the configuration: the defaults, the --config file, USERDB_*
// variables and the flags' overrides, validated together so every problem
// is reported at once.
func (c *common) load(e *env) (*config.Config, error) {
	c.override("database.dsn", "--db", c.db)
	e.secrets = append(e.secrets, dsnPasswords(c.db)...)
	getenv := func(name string) string {
		if v, ok := c.overrides[name]; ok {
			return v
		}
		if base, ok := strings.CutSuffix(name, "_FILE"); ok && c.overrides[base] != "" {
			return "" // the flag wins over a file named in the environment
		}
		if e.getenv == nil {
			return ""
		}
		return e.getenv(name)
	}
	if e.environ != nil {
		for _, w := range config.UnknownEnv(e.environ()) {
			fmt.Fprintln(e.stderr, "userdb: warning: "+w)
		}
	}
	cfg, err := config.Load(c.config, getenv)
	var p *config.Problems
	if errors.As(err, &p) {
		for i, pr := range p.List {
			if f := c.flagOf[pr.Key]; f != "" {
				p.List[i].Key += " (" + f + ")"
			}
		}
	}
	if err != nil {
		return nil, err
	}
	e.secrets = append(e.secrets, dsnPasswords(cfg.Database.DSN)...)
	e.secrets = append(e.secrets, cfg.SMTP.Password)
	return cfg, nil
}

// dsnPasswords returns the passwords a database URL carries, in its user
// information or its password parameter.
func dsnPasswords(dsn string) []string {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil
	}
	var list []string
	if p, ok := u.User.Password(); ok {
		list = append(list, p)
	}
	if p := u.Query().Get("password"); p != "" {
		list = append(list, p)
	}
	return list
}

// open loads the configuration and opens the server without starting its
// background work: an email a command queues stays in the outbox for the
// running server to send. Warnings from opening go to stderr.
func (c *common) open(e *env) (*server.Server, error) {
	cfg, err := c.load(e)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return server.Open(e.ctx, cfg, server.WithLogger(log))
}

// withServer opens the server, runs fn with its service and a context in
// which the command line acts as the system (through the service's Admin*
// methods, which may do everything) and is the actor of every event, and
// closes the server.
func (c *common) withServer(e *env, fn func(ctx context.Context, svc *service.Service) error) error {
	srv, err := c.open(e)
	if err != nil {
		return err
	}
	ctx := service.WithActor(service.WithMeta(e.ctx, service.Meta{ActorID: cliActor}), service.SystemActor())
	err = fn(ctx, inside.Service(srv))
	cctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), closeTimeout)
	defer cancel()
	if cerr := srv.Close(cctx); err == nil {
		err = cerr
	}
	return err
}

// findUser finds a user by id, username or email.
func findUser(ctx context.Context, svc *service.Service, ref string) (*userdb.User, error) {
	return svc.AdminFindUser(ctx, service.ByRef, ref)
}

// findAccount finds an account by id or name, answering a missing one in
// the command line's words.
func findAccount(ctx context.Context, svc *service.Service, ref string) (*userdb.Account, error) {
	a, err := svc.AdminGetAccount(ctx, ref)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "No account named " + quote(ref) + "."}
	}
	return a, err
}

// quote quotes a name for a message, shortened past 80 bytes.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// maxPasswordLine is the longest password line read from stdin.
const maxPasswordLine = 4096

// readPassword reads one line from r, without its line ending.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordLine+1)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	switch {
	case line == "":
		return "", usagef("--password-stdin: no password on standard input")
	case len(line) > maxPasswordLine:
		return "", usagef("--password-stdin: the password is longer than %d bytes", maxPasswordLine)
	}
	return line, nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// optString is a string flag that remembers whether it was given, so that
// --surname= (empty) clears a field while leaving the flag out keeps it.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string     { return o.v }
func (o *optString) Set(v string) error { o.v, o.set = v, true; return nil }

// ptr returns the value when the flag was given, nil otherwise.
func (o *optString) ptr() *string {
	if !o.set {
		return nil
	}
	return &o.v
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }
