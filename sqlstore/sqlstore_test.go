package sqlstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
	"github.com/userdb/userdb/storetest"
)

// The servers the tests run against, besides SQLite, when these are set.
const (
	postgresEnv = "USERDB_TEST_POSTGRES_DSN" // postgres://postgres@127.0.0.1:5432/test?sslmode=disable
	mysqlEnv    = "USERDB_TEST_MYSQL_DSN"    // mysql://root@127.0.0.1:3306/test
)

var dialects = []string{sqlstore.SQLite, sqlstore.Postgres, sqlstore.MySQL}

// forEachDialect runs fn as a subtest named after each dialect, the
// dialects in parallel (each on a database of its own). Dialects whose DSN
// variable is unset are skipped with a message.
func forEachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// newDatabase returns the DSN of a fresh, empty database of the dialect,
// dropped when the test ends: a file in the test's temporary directory for
// SQLite, a schema of its own on PostgreSQL, a database of its own on MySQL.
// A server whose DSN is set but which does not answer fails the test.
func newDatabase(t *testing.T, dialect string) string {
	t.Helper()
	if dialect == sqlstore.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "userdb.db")
	}
	env := postgresEnv
	if dialect == sqlstore.MySQL {
		env = mysqlEnv
	}
	base := os.Getenv(env)
	if base == "" {
		t.Skipf("%s is not set; set it to run the %s tests", env, dialect)
	}
	admin := adminStore(t, base)
	name := "t_" + randomHex(t, 8)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	// name is made of [a-z0-9_] here, so it can be spliced into DDL.
	if dialect == sqlstore.Postgres {
		mustExec(t, admin, "CREATE SCHEMA "+name)
		t.Cleanup(func() { mustExec(t, admin, "DROP SCHEMA "+name+" CASCADE") })
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return u.String()
	}
	mustExec(t, admin, "CREATE DATABASE "+name)
	t.Cleanup(func() { mustExec(t, admin, "DROP DATABASE "+name) })
	u.Path = "/" + name
	return u.String()
}

// admins holds one connection per server DSN, shared by the tests to
// create and drop their databases, and closed by TestMain.
var admins struct {
	sync.Mutex
	m map[string]*sqlstore.Store
}

// adminStore returns the shared connection to the server of dsn, and fails
// the test when the server does not answer.
func adminStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	admins.Lock()
	defer admins.Unlock()
	if s, ok := admins.m[dsn]; ok {
		return s
	}
	s, err := sqlstore.Open(context.Background(), dsn, sqlstore.Options{MaxOpenConns: 4})
	if err != nil {
		t.Fatalf("a test DSN is set but the server does not answer: %v", err)
	}
	if admins.m == nil {
		admins.m = map[string]*sqlstore.Store{}
	}
	admins.m[dsn] = s
	return s
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, s := range admins.m {
		s.Close()
	}
	cleanupBenchmarks()
	os.Exit(code)
}

// newStore opens a fresh database of the dialect, migrated to the latest
// version and closed when the test ends.
func newStore(t *testing.T, dialect string) *sqlstore.Store {
	t.Helper()
	s := openStore(t, newDatabase(t, dialect))
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return s
}

// openStore opens dsn and closes the store when the test ends.
func openStore(t *testing.T, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustExec(t *testing.T, s *sqlstore.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestConformance(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		if dialect != sqlstore.SQLite {
			// Skip here, once, rather than in every subtest of the suite.
			newDatabase(t, dialect)
		}
		storetest.Run(t, func(t *testing.T) userdb.Store { return newStore(t, dialect) })
	})
}

func TestOpenRejectsBadDSN(t *testing.T) {
	tests := []struct {
		name, dsn, want string
	}{
		{"empty", "", "unknown kind of database"},
		{"unknown scheme", "oracle://scott:tiger-secret@db/orcl", "unknown kind of database"},
		{"driver format", "root:hunter2-secret@tcp(127.0.0.1:3306)/test", "unknown kind of database"},
		{"sqlite without path", "sqlite:", "needs a file path"},
		{"sqlite path with query", "sqlite:/tmp/x.db?mode=ro", "must not contain"},
		{"postgres bad port", "postgres://u:pw-secret@localhost:notaport/db", "not a valid URL"},
		{"postgres bad option", "postgres://u:pw-secret@localhost/db?sslmode=sometimes", "not a valid PostgreSQL URL"},
		{"mysql bad port", "mysql://u:pw-secret@localhost:notaport/db", "not a valid URL"},
		{"mysql without database", "mysql://u:pw-secret@localhost:3306/", "want mysql://"},
		{"mysql without host", "mysql:///db", "want mysql://"},
		{"mysql bad parameter", "mysql://u:pw-secret@localhost/db?parseTime=maybe", "database DSN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlstore.Open(t.Context(), tc.dsn, sqlstore.Options{})
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", tc.dsn)
			}
			if got := userdb.ErrorCode(err); got != userdb.EINVALID {
				t.Errorf("code = %q, want %q (%v)", got, userdb.EINVALID, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats the password", err)
			}
		})
	}
}

func TestOpenSQLiteForms(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, dsn, file string
	}{
		{"scheme", "sqlite:" + filepath.Join(dir, "a.db"), filepath.Join(dir, "a.db")},
		{"scheme with slashes", "sqlite://" + filepath.Join(dir, "b.sqlite"), filepath.Join(dir, "b.sqlite")},
		{"bare path", filepath.Join(dir, "sub", "c.db"), filepath.Join(dir, "sub", "c.db")},
		{"memory", "sqlite::memory:", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t, tc.dsn)
			if s.Dialect() != sqlstore.SQLite {
				t.Errorf("Dialect() = %q, want sqlite", s.Dialect())
			}
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := s.FindAccountByID(t.Context(), userdb.DefaultAccountID); err != nil {
				t.Fatal(err)
			}
			if tc.file == "" {
				return
			}
			fi, err := os.Stat(tc.file)
			if err != nil {
				t.Fatalf("database file: %v", err)
			}
			// The file holds password hashes: owner only.
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode = %v, want 0600", perm)
			}
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	tests := []struct{ name, dsn string }{
		{"postgres", "postgres://nobody:pw@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"},
		{"mysql", "mysql://nobody:pw@127.0.0.1:1/none?timeout=2s"},
		{"sqlite directory", "sqlite:" + t.TempDir()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlstore.Open(t.Context(), tc.dsn, sqlstore.Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if got := userdb.ErrorCode(err); got != userdb.EINTERNAL {
				t.Errorf("code = %q, want %q (%v)", got, userdb.EINTERNAL, err)
			}
		})
	}
}
