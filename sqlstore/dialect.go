package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialect names, as Store.Dialect reports them.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
	MySQL    = "mysql"
)

// sqliteTimeLayout is how SQLite stores times: fixed-width UTC text, so that
// comparing the text (in WHERE and ORDER BY) compares the times.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// dialect holds everything that differs between the SQL databases. The
// queries themselves are written once, with ? placeholders.
type dialect struct {
	name string
	// numbered placeholders: $1, $2... instead of ?.
	numbered bool
	// textTime stores times as text in sqliteTimeLayout.
	textTime bool
	// returningID reads the id of a new row with INSERT ... RETURNING id
	// instead of sql.Result.LastInsertId.
	returningID bool
	// forUpdate locks the rows a SELECT reads until the transaction ends.
	// It is empty on SQLite, where BEGIN IMMEDIATE already holds the
	// database's only write lock for the whole transaction.
	forUpdate string
	// skipLocked is forUpdate, skipping rows another transaction has locked
	// where the database can.
	skipLocked string
	// migrationsTable creates the table recording applied migrations.
	migrationsTable string
	// tableExists counts the tables named by its one argument.
	tableExists string
	// lock serializes migrations across processes on conn; unlock undoes it.
	lock, unlock string

	isUnique     func(error) bool
	isForeignKey func(error) bool
	// constraint names the constraint or key a violation error is about.
	constraint func(error) string
}

var sqliteDialect = &dialect{
	name:     SQLite,
	textTime: true,
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`,
	tableExists: `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?`,
	isUnique: func(err error) bool {
		code := sqliteCode(err)
		return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	},
	isForeignKey: func(err error) bool { return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY },
	constraint: func(err error) string {
		// "UNIQUE constraint failed: users.email_fold"
		_, after, _ := strings.Cut(err.Error(), "failed: ")
		return after
	},
}

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

var postgresDialect = &dialect{
	name:        Postgres,
	numbered:    true,
	returningID: true,
	forUpdate:   " FOR UPDATE",
	skipLocked:  " FOR UPDATE SKIP LOCKED",
	migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL)`,
	tableExists: `SELECT COUNT(*) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name = ?`,
	// The lock is per database; schemas of one database migrate in turn.
	lock:         `SELECT pg_advisory_lock(7355608001)`,
	unlock:       `SELECT pg_advisory_unlock(7355608001)`,
	isUnique:     func(err error) bool { return pgCode(err) == "23505" },
	isForeignKey: func(err error) bool { return pgCode(err) == "23503" },
	constraint: func(err error) string {
		var e *pgconn.PgError
		if errors.As(err, &e) {
			return e.ConstraintName
		}
		return ""
	},
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// newMySQLDialect returns the MySQL dialect; skipLocked says whether the
// server understands FOR UPDATE SKIP LOCKED (MySQL 8, MariaDB 10.6).
func newMySQLDialect(skipLocked bool) *dialect {
	d := &dialect{
		name:       MySQL,
		forUpdate:  " FOR UPDATE",
		skipLocked: " FOR UPDATE",
		migrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME(6) NOT NULL
		) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
		tableExists: `SELECT COUNT(*) FROM information_schema.tables
			WHERE table_schema = DATABASE() AND table_name = ?`,
		lock:   `SELECT GET_LOCK(CONCAT('userdb_migrate.', DATABASE()), 60)`,
		unlock: `SELECT RELEASE_LOCK(CONCAT('userdb_migrate.', DATABASE()))`,
		// 1062: duplicate entry; 1452: no parent row; 1451: row still referenced.
		isUnique:     func(err error) bool { return mysqlCode(err) == 1062 },
		isForeignKey: func(err error) bool { c := mysqlCode(err); return c == 1452 || c == 1451 },
		constraint: func(err error) string {
			// "Duplicate entry 'a@b.c' for key 'ux_users_email_fold'": the
			// key name comes after the (user-supplied) value.
			msg := err.Error()
			if i := strings.LastIndex(msg, " for key "); i >= 0 {
				return msg[i:]
			}
			return ""
		},
	}
	if skipLocked {
		d.skipLocked = " FOR UPDATE SKIP LOCKED"
	}
	return d
}

func mysqlCode(err error) uint16 {
	var e *mysql.MySQLError
	if errors.As(err, &e) {
		return e.Number
	}
	return 0
}

// mysqlSkipLocked reports whether a server VERSION() string names a server
// with SKIP LOCKED: MariaDB 10.6 or MySQL 8.0.1 and later.
func mysqlSkipLocked(version string) bool {
	nums := strings.SplitN(strings.SplitN(version, "-", 2)[0], ".", 3)
	if len(nums) < 2 {
		return false
	}
	major, err1 := strconv.Atoi(nums[0])
	minor, err2 := strconv.Atoi(nums[1])
	if err1 != nil || err2 != nil {
		return false
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return major > 10 || major == 10 && minor >= 6
	}
	return major >= 8
}

// rebind rewrites the ? placeholders of q for the dialect. Queries never
// contain a literal question mark.
func (d *dialect) rebind(q string) string {
	if !d.numbered {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// ignoreDuplicate ends an INSERT so that a row whose key exists already is
// skipped; col is a column of the key. (Not MySQL's INSERT IGNORE: it would
// skip foreign-key violations too.)
func (d *dialect) ignoreDuplicate(col string) string {
	if d.name == MySQL {
		return " ON DUPLICATE KEY UPDATE " + col + " = " + col
	}
	return " ON CONFLICT DO NOTHING"
}

// time converts t to the value the dialect stores: UTC, truncated to the
// microseconds every dialect keeps.
func (d *dialect) time(t time.Time) any {
	t = storedTime(t)
	if d.textTime {
		return t.Format(sqliteTimeLayout)
	}
	return t
}

// nullTime is time for a nullable column.
func (d *dialect) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.time(*t)
}

// storedTime is t as the store returns it after a round trip.
func storedTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// storedTimePtr is storedTime for an optional time.
func storedTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	st := storedTime(*t)
	return &st
}

// withLock runs fn on conn holding the dialect's migration lock, if it has one.
func (d *dialect) withLock(ctx context.Context, conn *sql.Conn, fn func() error) error {
	if d.lock == "" {
		return fn()
	}
	// GET_LOCK answers 1 when it got the lock; pg_advisory_lock waits.
	var got any
	if err := conn.QueryRowContext(ctx, d.lock).Scan(&got); err != nil {
		return err
	}
	if d.name == MySQL && got != int64(1) {
		return errors.New("timed out waiting for another process to finish migrating")
	}
	// Unlock with a fresh context: ctx may be the reason fn returned.
	defer conn.ExecContext(context.WithoutCancel(ctx), d.unlock)
	return fn()
}
