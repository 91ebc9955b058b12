package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/userdb/userdb/internal/config"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
)

// serve runs the server until ctx ends (SIGINT or SIGTERM), then shuts down
// gracefully.
func serve(e *env, args []string) error {
	var c common
	fs := c.flags("serve", false)
	addr := fs.String("addr", "", "address to listen on")
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
	}
	start := time.Now()
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
		if err := cfg.Validate(); err != nil {
			return err
		}
	}
	log := newLogger(e, cfg.Log)
	srv, err := server.Open(e.ctx, cfg, server.WithLogger(log))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		srv.Close(context.WithoutCancel(e.ctx))
		return fmt.Errorf("listening on %s: %w", cfg.Server.Addr, err)
	}
	log.Info("userdb listening", "addr", ln.Addr().String(), "url", cfg.BaseURL(),
		"database", cfg.DatabaseKind(), "startup", time.Since(start).Round(time.Millisecond).String())
	if err := srv.ListenAndServe(e.ctx, ln); err != nil {
		return err
	}
	log.Info("userdb stopped")
	return nil
}

// newLogger builds the process logger from the log settings.
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

// migrate applies pending migrations (up) or lists them (status).
func migrate(e *env, args []string) error {
	var c common
	fs := c.flags("migrate", false)
	pos, err := parse(fs, args, 0, 1, "[up|status]")
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
	st, err := sqlstore.Open(e.ctx, string(cfg.Database.DSN), sqlstore.Options{})
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
			applied = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		fmt.Fprintf(e.stdout, "%04d  %-28s %s\n", m.Version, m.Name, applied)
	}
	return nil
}

// configCmd prints the defaults or checks a configuration.
func configCmd(e *env, args []string) error {
	if len(args) == 0 {
		return usagef("config: defaults or check")
	}
	var c common
	fs := c.flags("config "+args[0], false)
	if _, err := parse(fs, args[1:], 0, 0, ""); err != nil {
		return err
	}
	switch args[0] {
	case "defaults":
		_, err := e.stdout.Write(config.Defaults())
		return err
	case "check":
		_, err := c.load(e)
		if p, ok := err.(*config.Problems); ok {
			for _, pr := range p.List {
				fmt.Fprintln(e.stdout, pr.String())
			}
			return fmt.Errorf("%d problem(s) in the configuration", len(p.List))
		} else if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, "config ok")
		return nil
	}
	return usagef("config: unknown action %q (defaults or check)", args[0])
}
