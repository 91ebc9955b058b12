package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// migrationFiles holds one directory of numbered SQL files per dialect:
// migrations/<dialect>/NNNN_name.sql, applied in order of NNNN.
//
//go:embed migrations
var migrationFiles embed.FS

// Migration is one schema change and, once applied, when it was applied.
type Migration struct {
	Version   int
	Name      string
	AppliedAt *time.Time // nil while pending
}

// migration is a Migration as embedded: its statements.
type migration struct {
	version    int
	name       string
	statements []string
}

// migrations returns the dialect's embedded migrations in order.
func (d *dialect) migrations() ([]migration, error) {
	dir := path.Join("migrations", d.name)
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		version, err := strconv.Atoi(num)
		if !ok || err != nil || version <= 0 || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("sqlstore: migration file %s is not named NNNN_name.sql", e.Name())
		}
		text, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if len(ms) > 0 && ms[len(ms)-1].version >= version {
			return nil, fmt.Errorf("sqlstore: migration %d of %s is out of order", version, d.name)
		}
		ms = append(ms, migration{version: version, name: name, statements: splitStatements(string(text))})
	}
	return ms, nil
}

// splitStatements splits a migration file into statements, each ending with
// a semicolon at the end of a line. Running them one by one keeps MySQL's
// multi-statement mode off. Comment-only pieces are dropped.
func splitStatements(text string) []string {
	var out []string
	var cur strings.Builder
	code := false
	for line := range strings.Lines(text) {
		trimmed := strings.TrimSpace(line)
		if trimmed != "" && !strings.HasPrefix(trimmed, "--") {
			code = true
		}
		cur.WriteString(line)
		if strings.HasSuffix(trimmed, ";") && !strings.HasPrefix(trimmed, "--") {
			if code {
				out = append(out, strings.TrimSpace(cur.String()))
			}
			cur.Reset()
			code = false
		}
	}
	if code {
		out = append(out, strings.TrimSpace(cur.String()))
	}
	return out
}

// Migrate applies every pending migration.
func (s *Store) Migrate(ctx context.Context) error {
	return s.MigrateTo(ctx, 0)
}

// MigrateTo applies the pending migrations up to and including version
// (0 for all of them). Each runs in a transaction with its record in
// schema_migrations; on MySQL, which commits DDL implicitly, a migration
// that fails part way leaves the statements before the failure applied.
// Concurrent migrations of one database, from several processes, run one
// after the other. Down migrations do not exist: a version at or below the
// current one does nothing.
func (s *Store) MigrateTo(ctx context.Context, version int) error {
	if s.tx != nil {
		return userdb.Errorf(userdb.EINVALID, "cannot migrate inside a transaction")
	}
	ms, err := s.d.migrations()
	if err != nil {
		return userdb.Internal(err)
	}
	if version < 0 || version > ms[len(ms)-1].version {
		return userdb.FieldError("version", "no migration has version %d; the latest is %d", version, ms[len(ms)-1].version)
	}
	conn, err := s.wdb.Conn(ctx)
	if err != nil {
		return s.wrap(err)
	}
	defer conn.Close()
	err = s.d.withLock(ctx, conn, func() error {
		if _, err := conn.ExecContext(ctx, s.d.migrationsTable); err != nil {
			return err
		}
		for _, m := range ms {
			if version > 0 && m.version > version {
				break
			}
			applied, err := s.apply(ctx, conn, m)
			if err != nil {
				return fmt.Errorf("migration %04d_%s: %w", m.version, m.name, err)
			}
			if applied {
				s.log.InfoContext(ctx, "applied database migration", "dialect", s.d.name, "version", m.version, "name", m.name)
			}
		}
		return nil
	})
	return s.wrap(err)
}

// apply applies m unless it is recorded as applied already, and reports
// whether it did.
func (s *Store) apply(ctx context.Context, conn *sql.Conn, m migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	// Checked inside the transaction: on SQLite, which has no migration
	// lock, BEGIN IMMEDIATE makes another process's migration wait until
	// this one commits, and then this check sees it.
	var done int
	err = tx.QueryRowContext(ctx, s.d.rebind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?"), m.version).Scan(&done)
	if err != nil || done > 0 {
		return false, err
	}
	for _, stmt := range m.statements {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return false, err
		}
	}
	_, err = tx.ExecContext(ctx, s.d.rebind("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"),
		m.version, m.name, s.d.time(time.Now()))
	if err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// appliedMigrations returns the recorded migrations by version.
func (s *Store) appliedMigrations(ctx context.Context, q querier) (map[int]Migration, error) {
	rows, err := q.QueryContext(ctx, "SELECT version, name, applied_at FROM schema_migrations")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	applied := map[int]Migration{}
	for rows.Next() {
		var m Migration
		if err := rows.Scan(&m.Version, &m.Name, nullTimeDest{&m.AppliedAt}); err != nil {
			return nil, err
		}
		applied[m.Version] = m
	}
	return applied, rows.Err()
}

// MigrationStatus lists the migrations this program knows, and any the
// database records that it does not, in order of version.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	ms, err := s.d.migrations()
	if err != nil {
		return nil, userdb.Internal(err)
	}
	var tables int
	if err := s.queryRow(ctx, s.d.tableExists, []any{"schema_migrations"}, &tables); err != nil {
		return nil, err
	}
	applied := map[int]Migration{}
	if tables > 0 {
		if applied, err = s.appliedMigrations(ctx, s.reader()); err != nil {
			return nil, s.wrap(err)
		}
	}
	var out []Migration
	for _, m := range ms {
		st := Migration{Version: m.version, Name: m.name}
		if a, ok := applied[m.version]; ok {
			st.AppliedAt = a.AppliedAt
			delete(applied, m.version)
		}
		out = append(out, st)
	}
	for _, a := range applied {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Migration) int { return a.Version - b.Version })
	return out, nil
}
