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
	"strings"

	"github.com/userdb/userdb/internal/config"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// common holds the flags every command takes.
type common struct {
	config string
	db     string
	json   bool
}

// flags returns a flag set with the common flags; errors go to the caller.
func (c *common) flags(name string, withJSON bool) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&c.config, "config", "", "configuration file")
	fs.StringVar(&c.db, "db", "", "database DSN")
	if withJSON {
		fs.BoolVar(&c.json, "json", false, "JSON output")
	}
	return fs
}

// parse parses flags that may come before, between or after the positional
// arguments, and checks the number of positional arguments.
func parse(fs *flag.FlagSet, args []string, minArgs, maxArgs int, names string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usagef("%s: see 'userdb help'", fs.Name())
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) < minArgs || len(pos) > maxArgs {
		if names == "" {
			return nil, usagef("%s takes no arguments", fs.Name())
		}
		return nil, usagef("usage: userdb %s %s", fs.Name(), names)
	}
	return pos, nil
}

// load reads the configuration with --db applied.
func (c *common) load(e *env) (*config.Config, error) {
	cfg, err := config.Load(c.config, e.getenv)
	if err != nil {
		return nil, err
	}
	if c.db != "" {
		cfg.Database.DSN = config.DSN(c.db)
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// open loads the configuration and opens the server without starting its
// background work: emails a command queues are sent by the running server.
func (c *common) open(e *env) (*server.Server, error) {
	cfg, err := c.load(e)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return server.Open(e.ctx, cfg, server.WithLogger(log))
}

// withServer opens the server, runs fn with the service and a context that
// records "cli" as the actor, and closes the server.
func (c *common) withServer(e *env, fn func(ctx context.Context, svc *service.Service) error) error {
	srv, err := c.open(e)
	if err != nil {
		return err
	}
	defer srv.Close(context.WithoutCancel(e.ctx))
	ctx := service.WithMeta(e.ctx, service.Meta{ActorID: "cli"})
	return fn(ctx, srv.Service())
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readPassword reads one line from stdin.
func readPassword(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from stdin: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usagef("--password-stdin: no password on standard input")
	}
	return line, nil
}

// stringList is a repeatable flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// optString is a flag that remembers whether it was given.
type optString struct {
	v   string
	set bool
}

func (o *optString) String() string     { return o.v }
func (o *optString) Set(v string) error { o.v, o.set = v, true; return nil }

func (o *optString) ptr() *string {
	if !o.set {
		return nil
	}
	return &o.v
}
