package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/userdb/userdb/internal/nodeimport"
	"github.com/userdb/userdb/sqlstore"
)

// migrateFrom moves a Node userdb installation over: its database (--from)
// or its configuration file (--config).
func migrateFrom(e *env, args []string) error {
	if len(args) == 0 || args[0] != "userdb-node" {
		return usagef("migrate-from: the only source is userdb-node")
	}
	var c common
	fs := c.flags("migrate-from userdb-node", false)
	from := fs.String("from", "", "DSN of the original database (mysql://, postgres://, sqlite:)")
	dryRun := fs.Bool("dry-run", false, "report what would change, write nothing")
	out := fs.String("out", "", "with --config: write the YAML here (mode 0600) instead of stdout")
	if _, err := parse(e, fs, args[1:], 0, 0, "(--from DSN [--dry-run] [--db DSN] | --config FILE [--out FILE])"); err != nil {
		return err
	}
	original := c.config
	if (*from == "") == (original == "") {
		return usagef("migrate-from userdb-node: give --from DSN (the original database) or --config FILE (its configuration)")
	}
	if original != "" {
		return translateConfig(e, original, *out)
	}
	e.secrets = append(e.secrets, dsnPasswords(*from)...)
	c.config = "" // here --config named the original's file; userdb's comes from --db and USERDB_*
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := sqlstore.Open(e.ctx, string(cfg.Database.DSN), sqlstore.Options{MaxOpenConns: cfg.Database.MaxOpenConns, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(e.ctx); err != nil {
		return err
	}
	src, dialect, err := nodeimport.Open(e.ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	rep, err := nodeimport.Import(e.ctx, src, dialect, st, nodeimport.Options{DryRun: *dryRun, Logger: log})
	if rep != nil {
		if werr := rep.WriteText(e.stdout); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

// translateConfig prints the userdb YAML equivalent of the original's
// configuration file, with notes on stderr.
func translateConfig(e *env, path, out string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	yml, notes, err := nodeimport.TranslateConfig(data)
	if err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(e.stderr, "note: "+n)
	}
	if out == "" {
		_, err = e.stdout.Write(yml)
		return err
	}
	// It may hold the SMTP password.
	return os.WriteFile(out, yml, 0o600)
}
