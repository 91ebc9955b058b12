package nodeimport

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Dialects of a source database, as Open returns them and Import takes them.
const (
	MySQL    = "mysql"
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Open connects to the database of the original library, named by dsn:
//
//	mysql://user:password@host:port/database   (the original's knex on MySQL/MariaDB)
//	postgres://... or postgresql://...
//	sqlite:PATH                                (opened read-only)
//
// It returns the pool and the dialect to pass to Import. The DSN is never
// repeated in an error, since it may hold a password.
func Open(ctx context.Context, dsn string) (*sql.DB, string, error) {
	var (
		db      *sql.DB
		dialect string
		err     error
	)
	switch {
	case strings.HasPrefix(dsn, "mysql://"):
		db, err = openMySQL(dsn)
		dialect = MySQL
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(dsn)
		dialect = Postgres
	case strings.HasPrefix(dsn, "sqlite:"):
		db, err = openSQLite(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
		dialect = SQLite
	default:
		return nil, "", errors.New("source database: want mysql://..., postgres://... or sqlite:PATH")
	}
	if err != nil {
		return nil, "", err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, "", fmt.Errorf("source database: cannot connect to the %s database: %w", dialect, err)
	}
	return db, dialect, nil
}

func openMySQL(dsn string) (*sql.DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, errors.New("source database: not a valid mysql:// URL")
	}
	name := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || name == "" || strings.Contains(name, "/") {
		return nil, errors.New("source database: want mysql://user:password@host:port/database")
	}
	// The driver's own DSN format is built without credentials, so that its
	// errors cannot repeat the password.
	cfg, err := mysql.ParseDSN("tcp(" + u.Host + ")/" + url.PathEscape(name) + "?" + u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("source database: %w", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("source database: %w", err)
	}
	return sql.OpenDB(conn), nil
}

func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included.
		return nil, errors.New("source database: not a valid PostgreSQL URL")
	}
	return stdlib.OpenDB(*cfg), nil
}

func openSQLite(path string) (*sql.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, errors.New("source database: want sqlite:PATH, a path without '?' or '#'")
	}
	// Opening a missing file would create an empty database; say so instead.
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("source database: %w", err)
	}
	return sql.Open("sqlite", "file:"+path+"?mode=ro&_busy_timeout=5000")
}

// The tables of the original schema (database-drivers/knex.sql) and the
// columns the import reads from each.
var sourceTables = map[string][]string{
	"accounts": {"id", "name", "description", "status", "customData", "created_date", "updated_date"},
	"users": {"id", "account_id", "givenName", "middleName", "surname", "username", "fullName", "email",
		"password", "password_updated_on", "last_login_on", "last_failed_login_on", "failed_login_count",
		"status", "customData", "created_date", "updated_date"},
	"roles":         {"id", "account_id", "name", "description", "status", "customData", "created_date", "updated_date"},
	"users_roles":   {"user_id", "role_id"},
	"old_passwords": {"user_id", "password", "created_date"},
}

// source reads the original's tables. Column names are looked up in the
// database first, so the camelCase columns are found whether the tables were
// created with them quoted (knex) or folded to lower case (a hand-ported
// knex.sql on PostgreSQL); only names found there reach a statement.
type source struct {
	db      *sql.DB
	dialect string
	names   map[string]string // "table.column" as in sourceTables -> quoted name in the database
}

// CheckSource reports whether db, of the dialect Open returned, has the
// tables and columns Import reads, with an error that says what is missing.
func CheckSource(ctx context.Context, db *sql.DB, dialect string) error {
	_, err := newSource(ctx, db, dialect)
	return err
}

func newSource(ctx context.Context, db *sql.DB, dialect string) (*source, error) {
	switch dialect {
	case MySQL, Postgres, SQLite:
	default:
		return nil, fmt.Errorf("source database: unknown dialect %q", dialect)
	}
	s := &source{db: db, dialect: dialect, names: make(map[string]string)}
	for _, table := range slices.Sorted(maps.Keys(sourceTables)) {
		columns := sourceTables[table]
		rows, err := db.QueryContext(ctx, "SELECT * FROM "+s.quote(table)+" WHERE 1 = 0")
		if err != nil {
			return nil, fmt.Errorf("source database: cannot read table %s; is this the database of userdb 1.0.x? (%w)", table, err)
		}
		have, err := rows.Columns()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("source database: reading table %s: %w", table, err)
		}
		byFold := make(map[string]string, len(have))
		for _, c := range have {
			byFold[strings.ToLower(c)] = c
		}
		for _, c := range columns {
			name, ok := byFold[strings.ToLower(c)]
			if !ok {
				return nil, fmt.Errorf("source database: table %s has no column %s; is this the database of userdb 1.0.x?", table, c)
			}
			if strings.ContainsAny(name, "`\"") {
				return nil, fmt.Errorf("source database: table %s: column %q has a quote in its name", table, name)
			}
			s.names[table+"."+c] = s.quote(name)
		}
	}
	return s, nil
}

// quote quotes an identifier of the schema: one from the fixed list above
// or from the database's own column list (newSource refuses any holding a
// quote character).
func (s *source) quote(name string) string {
	if s.dialect == MySQL {
		return "`" + name + "`"
	}
	return `"` + name + `"`
}

// selectFrom returns "SELECT <the table's columns> FROM table".
func (s *source) selectFrom(table string) string {
	cols := make([]string, len(sourceTables[table]))
	for i, c := range sourceTables[table] {
		cols[i] = s.col(table, c)
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM " + s.quote(table)
}

// col returns the quoted name of a column listed in sourceTables.
func (s *source) col(table, column string) string { return s.names[table+"."+column] }

// in returns "column IN (placeholders)" for n values.
func (s *source) in(column string, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = "?"
		if s.dialect == Postgres {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
	}
	return column + " IN (" + strings.Join(ph, ", ") + ")"
}

// query runs q and calls scan for each row.
func (s *source) query(ctx context.Context, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("source database: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("source database: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("source database: %w", err)
	}
	return nil
}

// Rows of the original tables. Text columns read NULL as "", except status,
// where NULL is reported; times are unix seconds, 0 when NULL (the original
// wrote 0 for "never").
type (
	accountRow struct {
		ID, Name, Description string
		Status                sql.NullString
		CustomData            string
		Created, Updated      int64
	}
	userRow struct {
		ID, AccountID                               string
		GivenName, MiddleName, Surname              string
		Username, FullName, Email, Password         string
		PasswordUpdated, LastLogin, LastFailedLogin int64
		FailedLogins                                int
		Status                                      sql.NullString
		CustomData                                  string
		Created, Updated                            int64
	}
	roleRow struct {
		ID, AccountID, Name, Description string
		Status                           sql.NullString
		CustomData                       string
		Created, Updated                 int64
	}
	membershipRow struct {
		UserID, RoleID string
	}
	oldPasswordRow struct {
		UserID, Hash string
		Created      int64
	}
	// userKey is what Import needs of every user before reading users in
	// batches: enough to settle duplicate emails and usernames.
	userKey struct {
		ID, Email, Username string
		Status              sql.NullString
		LastLogin           int64
	}
)

// text and number are scan destinations that accept NULL and whatever type
// the drivers return for text and integer columns.
type (
	text   struct{ p *string }
	number struct{ p *int64 }
)

func (t text) Scan(v any) error {
	var ns sql.NullString
	if err := ns.Scan(v); err != nil {
		return err
	}
	*t.p = ns.String
	return nil
}

func (n number) Scan(v any) error {
	// Float, so that a number stored as 1.7e9 or "1700000000" reads too.
	var nf sql.NullFloat64
	if err := nf.Scan(v); err != nil {
		return err
	}
	*n.p = int64(nf.Float64)
	return nil
}

func (s *source) accounts(ctx context.Context) ([]accountRow, error) {
	var out []accountRow
	q := s.selectFrom("accounts") + " ORDER BY " + s.col("accounts", "id")
	err := s.query(ctx, q, nil, func(rows *sql.Rows) error {
		var a accountRow
		err := rows.Scan(text{&a.ID}, text{&a.Name}, text{&a.Description}, &a.Status, text{&a.CustomData},
			number{&a.Created}, number{&a.Updated})
		out = append(out, a)
		return err
	})
	return out, err
}

func (s *source) roles(ctx context.Context) ([]roleRow, error) {
	var out []roleRow
	q := s.selectFrom("roles") + " ORDER BY " + s.col("roles", "id")
	err := s.query(ctx, q, nil, func(rows *sql.Rows) error {
		var r roleRow
		err := rows.Scan(text{&r.ID}, text{&r.AccountID}, text{&r.Name}, text{&r.Description}, &r.Status,
			text{&r.CustomData}, number{&r.Created}, number{&r.Updated})
		out = append(out, r)
		return err
	})
	return out, err
}

func (s *source) userKeys(ctx context.Context) ([]userKey, error) {
	var out []userKey
	q := "SELECT " + strings.Join([]string{s.col("users", "id"), s.col("users", "email"), s.col("users", "username"),
		s.col("users", "status"), s.col("users", "last_login_on")}, ", ") +
		" FROM " + s.quote("users") + " ORDER BY " + s.col("users", "id")
	err := s.query(ctx, q, nil, func(rows *sql.Rows) error {
		var k userKey
		err := rows.Scan(text{&k.ID}, text{&k.Email}, text{&k.Username}, &k.Status, number{&k.LastLogin})
		out = append(out, k)
		return err
	})
	return out, err
}

func (s *source) users(ctx context.Context, ids []string) ([]userRow, error) {
	var out []userRow
	q := s.selectFrom("users") + " WHERE " + s.in(s.col("users", "id"), len(ids)) + " ORDER BY " + s.col("users", "id")
	err := s.query(ctx, q, anys(ids), func(rows *sql.Rows) error {
		var u userRow
		var failed int64
		err := rows.Scan(text{&u.ID}, text{&u.AccountID}, text{&u.GivenName}, text{&u.MiddleName}, text{&u.Surname},
			text{&u.Username}, text{&u.FullName}, text{&u.Email}, text{&u.Password},
			number{&u.PasswordUpdated}, number{&u.LastLogin}, number{&u.LastFailedLogin}, number{&failed},
			&u.Status, text{&u.CustomData}, number{&u.Created}, number{&u.Updated})
		u.FailedLogins = int(failed)
		out = append(out, u)
		return err
	})
	return out, err
}

// memberships returns the users_roles rows of the users.
func (s *source) memberships(ctx context.Context, userIDs []string) ([]membershipRow, error) {
	q := s.selectFrom("users_roles") + " WHERE " + s.in(s.col("users_roles", "user_id"), len(userIDs)) +
		" ORDER BY " + s.col("users_roles", "user_id") + ", " + s.col("users_roles", "role_id")
	return s.scanMemberships(ctx, q, anys(userIDs))
}

// orphanMemberships returns the users_roles rows whose user does not exist.
func (s *source) orphanMemberships(ctx context.Context) ([]membershipRow, error) {
	q := s.selectFrom("users_roles") + " WHERE " + s.col("users_roles", "user_id") + " NOT IN (SELECT " +
		s.col("users", "id") + " FROM " + s.quote("users") + ") ORDER BY " +
		s.col("users_roles", "user_id") + ", " + s.col("users_roles", "role_id")
	return s.scanMemberships(ctx, q, nil)
}

func (s *source) scanMemberships(ctx context.Context, q string, args []any) ([]membershipRow, error) {
	var out []membershipRow
	err := s.query(ctx, q, args, func(rows *sql.Rows) error {
		var m membershipRow
		err := rows.Scan(text{&m.UserID}, text{&m.RoleID})
		out = append(out, m)
		return err
	})
	return out, err
}

// oldPasswords returns the old_passwords rows of the users.
func (s *source) oldPasswords(ctx context.Context, userIDs []string) ([]oldPasswordRow, error) {
	q := s.selectFrom("old_passwords") + " WHERE " + s.in(s.col("old_passwords", "user_id"), len(userIDs)) +
		" ORDER BY " + s.col("old_passwords", "user_id") + ", " + s.col("old_passwords", "created_date")
	return s.scanOldPasswords(ctx, q, anys(userIDs))
}

// orphanOldPasswords returns the old_passwords rows whose user does not exist.
func (s *source) orphanOldPasswords(ctx context.Context) ([]oldPasswordRow, error) {
	q := s.selectFrom("old_passwords") + " WHERE " + s.col("old_passwords", "user_id") + " NOT IN (SELECT " +
		s.col("users", "id") + " FROM " + s.quote("users") + ") ORDER BY " +
		s.col("old_passwords", "user_id") + ", " + s.col("old_passwords", "created_date")
	return s.scanOldPasswords(ctx, q, nil)
}

func (s *source) scanOldPasswords(ctx context.Context, q string, args []any) ([]oldPasswordRow, error) {
	var out []oldPasswordRow
	err := s.query(ctx, q, args, func(rows *sql.Rows) error {
		var p oldPasswordRow
		err := rows.Scan(text{&p.UserID}, text{&p.Hash}, number{&p.Created})
		out = append(out, p)
		return err
	})
	return out, err
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
