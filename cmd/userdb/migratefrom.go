package main

import (
	"fmt"
	"log/slog"
	"os"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/nodeimport"
	"github.com/userdb/userdb/sqlstore"
)

// migrateFrom moves a Node userdb installation over: its database (--from)
// or its configuration file (--config).
func migrateFrom(e *env, args []string) error {
	var c common
	fs := c.flags("migrate-from userdb-node", false)
	from := fs.String("from", "", "DSN of the original database (mysql://, postgres://, sqlite:PATH); only read")
	dryRun := fs.Bool("dry-run", false, "with --from: report what would change and write no data (the userdb database is still created and migrated)")
	out := fs.String("out", "", "with --config: write the YAML to this `file` (mode 0600) instead of stdout")
	fs.Lookup("config").Usage = "the original's configuration `file` (JSON or YAML), to translate"
	const synopsis = "(--from DSN [--dry-run] [--db DSN] | --config FILE [--out FILE])"
	if len(args) > 0 && isHelp(args[0]) {
		_, err := parse(e, fs, []string{"-h"}, 0, 0, synopsis)
		return err
	}
	if len(args) == 0 || args[0] != "userdb-node" {
		return usagef("migrate-from: the only source is userdb-node")
	}
	if _, err := parse(e, fs, args[1:], 0, 0, synopsis); err != nil {
		return err
	}
	original := c.config
	switch {
	case (*from == "") == (original == ""):
		return usagef("migrate-from userdb-node: give --from DSN (the original database) or --config FILE (its configuration)")
	case original != "" && (*dryRun || c.db != ""):
		return usagef("migrate-from userdb-node: --dry-run and --db go with --from, not --config")
	case *from != "" && *out != "":
		return usagef("migrate-from userdb-node: --out goes with --config, not --from")
	}
	if original != "" {
		return translateConfig(e, original, *out)
	}

	// The source first: a wrong --from should not create or migrate the
	// userdb database.
	e.secrets = append(e.secrets, dsnPasswords(*from)...)
	src, dialect, err := nodeimport.Open(e.ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := nodeimport.CheckSource(e.ctx, src, dialect); err != nil {
		return err
	}

	c.config = "" // here --config named the original's file; userdb's comes from --db and USERDB_*
	cfg, err := c.load(e)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	st, err := sqlstore.Open(e.ctx, cfg.Database.DSN, sqlstore.Options{MaxOpenConns: cfg.Database.MaxOpenConns, Logger: log})
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(e.ctx); err != nil {
		return err
	}
	// Weak bcrypt hashes are wrapped in argon2id as they are written, with
	// the hashing parameters and pepper userdb serve will verify them with.
	hasher, err := inside.Hasher(cfg)
	if err != nil {
		return err
	}
	rep, err := nodeimport.Import(e.ctx, src, dialect, st, nodeimport.Options{DryRun: *dryRun, Logger: log, Wrapper: hasher, SuperAdminRole: cfg.SuperAdminRole})
	if rep != nil {
		if werr := rep.WriteText(e.stdout); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	// As with userdb import, rows left behind fail the command, so that
	// a script cannot miss them; the report above lists each.
	if n := rep.Failed(); n > 0 {
		rows, verb := "rows", "were"
		if n == 1 {
			rows, verb = "row", "was"
		}
		if rep.DryRun {
			verb = "would be"
		}
		return fmt.Errorf("%d %s of the source %s left out (listed in the report)", n, rows, verb)
	}
	return nil
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
