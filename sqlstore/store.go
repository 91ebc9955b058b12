package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/userdb/userdb"
)

var _ userdb.Store = (*Store)(nil)

// Options tune a Store. The zero value is ready to use.
type Options struct {
	// MaxOpenConns caps the connections to PostgreSQL or MySQL, or the
	// SQLite read pool (SQLite always writes through one connection).
	// 0 picks a default.
	MaxOpenConns int
	// Logger receives migration progress; nil discards it.
	Logger *slog.Logger
}

const defaultMaxOpenConns = 20

// Store is the SQL implementation of userdb.Store for SQLite, PostgreSQL and
// MySQL/MariaDB. Open one with Open and bring its schema up to date with
// Migrate.
type Store struct {
	d   *dialect
	rdb *sql.DB // plain reads
	wdb *sql.DB // writes and transactions: the same pool as rdb except on SQLite
	tx  *sql.Tx // set on the Store that Tx hands to its function
	log *slog.Logger
	// stmts keeps the prepared statements of lookup; nil where the driver
	// keeps its own (PostgreSQL).
	stmts *stmtCache
	// search overrides the limits of search plans (search.go); tests set it.
	search searchLimits
}

// Open connects to the database named by dsn:
//
//	sqlite:PATH or PATH.db     a SQLite file, created when missing
//	sqlite::memory:            a private in-memory SQLite database (tests)
//	postgres://... or postgresql://...
//	mysql://user:pass@host:port/db?params
//
// It checks that the database answers but does not migrate it. A DSN it
// cannot use fails with EINVALID; an unreachable database with EINTERNAL.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.MaxOpenConns <= 0 {
		opts.MaxOpenConns = defaultMaxOpenConns
	}
	var s *Store
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite://"):
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite://"), opts)
	case strings.HasPrefix(dsn, "sqlite:"):
		s, err = openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"), opts)
	case !strings.Contains(dsn, "://") && strings.HasSuffix(dsn, ".db"):
		s, err = openSQLite(ctx, dsn, opts)
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		s, err = openPostgres(ctx, dsn, opts)
	case strings.HasPrefix(dsn, "mysql://"):
		s, err = openMySQL(ctx, dsn, opts)
	default:
		// The DSN is not echoed: it may hold a password.
		return nil, invalidDSN("unknown kind of database; want sqlite:PATH, a path ending in .db, postgres://... or mysql://...")
	}
	if err != nil {
		return nil, err
	}
	s.log = log
	return s, nil
}

func invalidDSN(format string, args ...any) error {
	return &userdb.Error{Code: userdb.EINVALID, Field: "dsn", Message: "database DSN: " + fmt.Sprintf(format, args...)}
}

func unreachable(dialect string, err error) error {
	return &userdb.Error{Code: userdb.EINTERNAL, Message: "cannot connect to the " + dialect + " database", Err: err}
}

func openSQLite(ctx context.Context, path string, opts Options) (*Store, error) {
	switch {
	case path == "":
		return nil, invalidDSN("sqlite needs a file path, as in sqlite:/var/lib/userdb/userdb.db")
	case strings.ContainsAny(path, "?#"):
		return nil, invalidDSN("the sqlite file path must not contain '?' or '#'")
	}
	// The driver reads these from the query; the path before it is used as is.
	const common = "?_busy_timeout=5000&_foreign_keys=1"
	if path == ":memory:" {
		// Every connection to :memory: is a database of its own, so one
		// connection serves reads and writes alike.
		db, err := sql.Open("sqlite", path+common)
		if err != nil {
			return nil, unreachable(SQLite, err)
		}
		db.SetMaxOpenConns(1)
		db.SetConnMaxIdleTime(0)
		db.SetConnMaxLifetime(0)
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, unreachable(SQLite, err)
		}
		return &Store{d: sqliteDialect, rdb: db, wdb: db, stmts: newStmtCache(db), search: defaultSearchLimits}, nil
	}
	if err := createPrivateFile(path); err != nil {
		return nil, unreachable(SQLite, err)
	}
	// One writer connection: SQLite allows one writer at a time, so writers
	// queue in the pool (honouring ctx) instead of failing with SQLITE_BUSY,
	// and _txlock=immediate takes the write lock when a transaction begins,
	// so a transaction that reads and then writes cannot deadlock.
	wdb, err := sql.Open("sqlite", path+common+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		return nil, unreachable(SQLite, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	wdb.SetConnMaxLifetime(0)
	// The writer goes first: it switches the file to WAL, in which readers
	// never wait for the writer.
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, unreachable(SQLite, err)
	}
	// Readers map the file (up to 1 GiB) rather than copy each page into a
	// small per-connection cache: a search over a million users reads
	// thousands of rows, and the pages are shared with the OS's cache.
	rdb, err := sql.Open("sqlite", path+common+"&_query_only=1&_pragma=mmap_size(1073741824)")
	if err == nil {
		rdb.SetMaxOpenConns(opts.MaxOpenConns)
		rdb.SetMaxIdleConns(opts.MaxOpenConns)
		err = rdb.PingContext(ctx)
	}
	if err != nil {
		wdb.Close()
		return nil, unreachable(SQLite, err)
	}
	return &Store{d: sqliteDialect, rdb: rdb, wdb: wdb, stmts: newStmtCache(rdb), search: defaultSearchLimits}, nil
}

// createPrivateFile creates the database file, if missing, readable by its
// owner only: it holds password hashes. SQLite gives the -wal and -shm files
// the same permissions.
func createPrivateFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	return f.Close()
}

func openPostgres(ctx context.Context, dsn string, opts Options) (*Store, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, invalidDSN("not a valid URL: %v", urlReason(err))
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// The driver's reason, such as "sslmode is invalid", unless it
		// could hold the password.
		var pe *pgconn.ParseConfigError
		if !errors.As(err, &pe) || pe.Unwrap() == nil {
			return nil, invalidDSN("not a valid PostgreSQL URL")
		}
		reason := pe.Unwrap().Error()
		for _, secret := range []string{u.Query().Get("password"), passwordOf(u)} {
			if secret != "" && strings.Contains(reason, secret) {
				return nil, invalidDSN("not a valid PostgreSQL URL")
			}
		}
		return nil, invalidDSN("not a valid PostgreSQL URL: %s", reason)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	db.SetConnMaxLifetime(30 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, unreachable(Postgres, err)
	}
	return &Store{d: postgresDialect, rdb: db, wdb: db, search: defaultSearchLimits}, nil
}

func openMySQL(ctx context.Context, dsn string, opts Options) (*Store, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, invalidDSN("not a valid URL: %v", urlReason(err))
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	if u.Host == "" || dbName == "" || strings.Contains(dbName, "/") {
		return nil, invalidDSN("want mysql://user:password@host:port/database")
	}
	// The driver's own format carries no credentials here, so its errors
	// cannot repeat the password; they are set on the parsed config.
	cfg, err := mysql.ParseDSN("tcp(" + u.Host + ")/" + url.PathEscape(dbName) + "?" + u.RawQuery)
	if err != nil {
		return nil, invalidDSN("%v", err)
	}
	cfg.User = u.User.Username()
	cfg.Passwd = passwordOf(u)
	// Times are DATETIME(6) holding UTC.
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	// Rows affected counts the rows a WHERE matched, as on the other
	// dialects, not only those whose values changed.
	cfg.ClientFoundRows = true
	// Migrations are split into statements, so no query ever needs
	// several statements: keep them off, which blunts any injection.
	cfg.MultiStatements = false
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, invalidDSN("%v", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(opts.MaxOpenConns)
	db.SetMaxIdleConns(opts.MaxOpenConns)
	db.SetConnMaxLifetime(5 * time.Minute)
	var version string
	if err := db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		db.Close()
		return nil, unreachable(MySQL, err)
	}
	return &Store{d: newMySQLDialect(mysqlSkipLocked(version)), rdb: db, wdb: db, stmts: newStmtCache(db), search: defaultSearchLimits}, nil
}

func passwordOf(u *url.URL) string {
	p, _ := u.User.Password()
	return p
}

// urlReason is the reason a URL did not parse, without the URL itself.
func urlReason(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Dialect names the database: "sqlite", "postgres" or "mysql".
func (s *Store) Dialect() string { return s.d.name }

// DB returns the pool that writes, for statistics and administration.
// On SQLite a second, read-only pool serves plain reads.
func (s *Store) DB() *sql.DB { return s.wdb }

// ReadDB returns the pool that serves plain reads: on SQLite a read-only
// pool of its own, elsewhere the same pool as DB.
func (s *Store) ReadDB() *sql.DB { return s.rdb }

// Close closes the database pools. On a Store bound to a transaction it
// does nothing.
func (s *Store) Close() error {
	if s.tx != nil {
		return nil
	}
	var err error
	if s.stmts != nil {
		err = s.stmts.close()
	}
	err = errors.Join(err, s.wdb.Close())
	if s.rdb != s.wdb {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Ping reports whether the database answers and every migration this
// program knows is applied; otherwise it fails with EINTERNAL.
func (s *Store) Ping(ctx context.Context) error {
	if s.tx == nil {
		if err := s.rdb.PingContext(ctx); err != nil {
			return unreachable(s.d.name, err)
		}
	}
	ms, err := s.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	pending := 0
	for _, m := range ms {
		if m.AppliedAt == nil {
			pending++
		}
	}
	if pending > 0 {
		return userdb.Errorf(userdb.EINTERNAL, "%d database migrations are pending; run userdb migrate", pending)
	}
	return nil
}

// Tx runs fn in one transaction, handing it a Store bound to that
// transaction; it commits when fn returns nil and rolls back otherwise.
// On a Store already bound to a transaction it runs fn in that one.
// fn must use the Store it is given: on SQLite the outer Store's writes
// would wait for the transaction's connection. Nothing is retried.
func (s *Store) Tx(ctx context.Context, fn func(tx userdb.Store) error) error {
	return s.inTx(ctx, func(tx *Store) error { return fn(tx) })
}

// inTx is Tx for the Store's own multi-statement methods.
func (s *Store) inTx(ctx context.Context, fn func(tx *Store) error) error {
	return s.inTxWith(ctx, nil, fn)
}

// inTxWith is inTx with transaction options (nil for the defaults), which
// apply when s is not in a transaction already.
func (s *Store) inTxWith(ctx context.Context, opts *sql.TxOptions, fn func(tx *Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	tx, err := s.wdb.BeginTx(ctx, opts)
	if err != nil {
		return s.wrap(err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(&Store{d: s.d, rdb: s.rdb, wdb: s.wdb, tx: tx, log: s.log, search: s.search}); err != nil {
		tx.Rollback()
		return err
	}
	return s.wrap(tx.Commit())
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) reader() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.rdb
}

func (s *Store) writer() querier {
	if s.tx != nil {
		return s.tx
	}
	return s.wdb
}

// exec runs a write statement written with ? placeholders.
func (s *Store) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	res, err := s.writer().ExecContext(ctx, s.d.rebind(q), args...)
	return res, s.wrap(err)
}

// execCount runs a write statement and returns the rows it matched.
func (s *Store) execCount(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return n, s.wrap(err)
}

// insertID runs an INSERT into a table with an auto-increment id and
// returns the id.
func (s *Store) insertID(ctx context.Context, q string, args ...any) (int64, error) {
	if s.d.returningID {
		var id int64
		err := s.writer().QueryRowContext(ctx, s.d.rebind(q+" RETURNING id"), args...).Scan(&id)
		return id, s.wrap(err)
	}
	res, err := s.exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	id, err := res.LastInsertId()
	return id, s.wrap(err)
}

// query runs a read. Inside a transaction it reads through it.
func (s *Store) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	rows, err := s.reader().QueryContext(ctx, s.d.rebind(q), args...)
	return rows, s.wrap(err)
}

// lookup is query for a read whose text is a constant of this package,
// run through a statement prepared once for the Store's life: on SQLite,
// preparing is most of the cost of a lookup by key, and on MySQL it is
// two extra round trips. In a transaction it is query.
func (s *Store) lookup(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s.tx != nil || s.stmts == nil {
		return s.query(ctx, q, args...)
	}
	st, err := s.stmts.get(ctx, s.d.rebind(q))
	if err != nil {
		return nil, s.wrap(err)
	}
	rows, err := st.QueryContext(ctx, args...)
	return rows, s.wrap(err)
}

// stmtCache holds prepared statements on a pool by query text. Only
// constant query texts go in, so it stays small.
type stmtCache struct {
	db *sql.DB
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}}
}

func (c *stmtCache) get(ctx context.Context, q string) (*sql.Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

func (c *stmtCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	for q, st := range c.m {
		err = errors.Join(err, st.Close())
		delete(c.m, q)
	}
	return err
}

// queryRow runs a read of one row and scans it into dest.
func (s *Store) queryRow(ctx context.Context, q string, args []any, dest ...any) error {
	return s.wrap(s.reader().QueryRowContext(ctx, s.d.rebind(q), args...).Scan(dest...))
}

// lockRow reads one row inside a transaction and holds its lock until the
// transaction ends.
func (s *Store) lockRow(ctx context.Context, q string, args []any, dest ...any) error {
	return s.wrap(s.writer().QueryRowContext(ctx, s.d.rebind(q+s.d.forUpdate), args...).Scan(dest...))
}

// wrap maps a driver error to a *userdb.Error: no rows and foreign-key
// violations to ENOTFOUND, unique violations to ECONFLICT, anything else to
// EINTERNAL. The driver error stays in Err, for the logs and for callers
// that refine the message.
func (s *Store) wrap(err error) error {
	var ue *userdb.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ue):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return &userdb.Error{Code: userdb.ENOTFOUND, Message: "not found", Err: err}
	case s.d.isUnique(err):
		return &userdb.Error{Code: userdb.ECONFLICT, Message: "already exists", Err: err}
	case s.d.isForeignKey(err):
		return &userdb.Error{Code: userdb.ENOTFOUND, Message: "a record it refers to does not exist", Err: err}
	case s.d.name == Postgres && pgCode(err) == "22021":
		// PostgreSQL refuses a NUL character or invalid UTF-8 in text, which
		// the other databases store: the caller's input, whatever surface
		// it came through, not a fault of the server.
		return &userdb.Error{Code: userdb.EINVALID, Message: "text must be valid UTF-8 without NUL characters", Err: err}
	}
	return userdb.Internal(err)
}

// refine replaces the message of a mapped error of the code: ENOTFOUND
// errors about a missing thing name it, ECONFLICT errors say what is taken.
// Other errors pass unchanged.
func refine(err error, code string, e *userdb.Error) error {
	if userdb.ErrorCode(err) != code {
		return err
	}
	out := *e
	var ue *userdb.Error
	if errors.As(err, &ue) {
		out.Err = ue.Err
	}
	return &out
}

// notFound is the error for a missing thing.
func notFound(what string) *userdb.Error {
	return userdb.Errorf(userdb.ENOTFOUND, "%s not found", what)
}

// conflictOn reports whether a unique-violation error is about the
// constraint or column whose name contains key.
func (s *Store) conflictOn(err error, key string) bool {
	var ue *userdb.Error
	if !errors.As(err, &ue) || ue.Code != userdb.ECONFLICT || ue.Err == nil {
		return false
	}
	return strings.Contains(s.d.constraint(ue.Err), key)
}

// placeholders returns "?, ?, ..." with n placeholders.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// namedTime is a time the caller must set, and the field that holds it.
type namedTime struct {
	field string
	t     time.Time
}

// requireTimes fails with EINVALID naming the first time that is zero:
// callers set creation and expiry times (the store reads no clock).
func requireTimes(ts ...namedTime) error {
	for _, nt := range ts {
		if nt.t.IsZero() {
			return userdb.FieldError(nt.field, "%s is required", nt.field)
		}
	}
	return nil
}
