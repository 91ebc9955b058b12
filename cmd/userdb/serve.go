package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
)

// serve runs the server until ctx ends (on SIGINT or SIGTERM), then lets
// requests in flight finish and closes it.
func serve(e *env, args []string) error {
	var c common
	fs := c.flags("serve", false)
	addr := fs.String("addr", "", "`host:port` to listen on (overrides server.addr)")
	if _, err := parse(e, fs, args, 0, 0, "[--addr HOST:PORT]"); err != nil {
		return err
	}
	start := time.Now()
	c.override("server.addr", "--addr", *addr)
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	log := newLogger(e, cfg.Log)
	// Libraries that log through the default logger (zitadel/oidc's op
	// package: its routes, refused OAuth requests) write in the same format.
	slog.SetDefault(log)
	if e.getenv("GOGC") == "" {
		// Each password hash allocates hashing.memory (19 MiB) and drops it.
		// With the default GOGC of 100 and a small live heap, the runtime
		// hands those pages back to the OS between sign-ins and faults them
		// in again for the next hash, some 15% of a sign-in's CPU; 200 keeps
		// them (docs/performance.md). GOGC in the environment still rules.
		debug.SetGCPercent(200)
	}
	srv, err := server.Open(e.ctx, cfg, server.WithLogger(log))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), closeTimeout)
		defer cancel()
		srv.Close(cctx)
		return fmt.Errorf("listening on %s: %w", cfg.Server.Addr, err)
	}
	log.Info("userdb listening", "addr", ln.Addr().String(), "url", cfg.BaseURL(),
		"database", cfg.DatabaseKind(), "startup", time.Since(start).Round(time.Millisecond).String())
	if u := srv.SetupURL(); u != "" {
		// Only here, in the log: whoever reads it runs the server.
		log.Warn("no administrator yet: open setup_url in a browser to create the first one (it works once)", "setup_url", u)
	}
	if err := srv.ListenAndServe(e.ctx, ln); err != nil {
		return err
	}
	log.Info("userdb stopped")
	return nil
}

// newLogger builds the process logger from the log settings, which Load has
// validated.
func newLogger(e *env, lc config.Log) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(lc.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if lc.Format == "text" {
		return slog.New(slog.NewTextHandler(e.stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(e.stderr, opts))
}

// migrate applies the pending migrations (up, the default) or only lists
// them (status). It opens the store itself, so database.migrate_on_start
// plays no part.
func migrate(e *env, args []string) error {
	var c common
	fs := c.flags("migrate", false)
	pos, err := parse(e, fs, args, 0, 1, "[up|status]")
	if err != nil {
		return err
	}
	action := "up"
	if len(pos) == 1 {
		action = pos[0]
	}
	if action != "up" && action != "status" {
		return usagef("migrate: unknown action %q (up or status)", action)
	}
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	st, err := sqlstore.Open(e.ctx, cfg.Database.DSN, sqlstore.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	if action == "up" {
		if err := st.Migrate(e.ctx); err != nil {
			return err
		}
	}
	list, err := st.MigrationStatus(e.ctx)
	if err != nil {
		return err
	}
	for _, m := range list {
		applied := "pending"
		if m.AppliedAt != nil {
			applied = "applied " + m.AppliedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(e.stdout, "%04d  %-28s %s\n", m.Version, m.Name, applied)
	}
	return nil
}

// configCmd prints the defaults or checks a configuration.
func configCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("config: missing action (defaults or check)")
	}
	if isHelp(args[0]) {
		fmt.Fprint(e.stdout, usage)
		return nil
	}
	var c common
	fs := c.flags("config "+args[0], false)
	if _, err := parse(e, fs, args[1:], 0, 0, ""); err != nil {
		return err
	}
	switch args[0] {
	case "defaults":
		_, err := e.stdout.Write(config.Defaults())
		return err
	case "check":
		_, err := c.load(e)
		var p *config.Problems
		if errors.As(err, &p) {
			for _, pr := range p.List {
				fmt.Fprintln(e.stdout, pr.String())
			}
			return fmt.Errorf("the configuration has %d problem(s)", len(p.List))
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "config ok")
		return nil
	}
	return usagef("config: unknown action %q (defaults or check)", args[0])
}
