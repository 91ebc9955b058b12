package sqlstore_test

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
func newDatabase(t testing.TB, dialect string) string {
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
func adminStore(t testing.TB, dsn string) *sqlstore.Store {
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
func openStore(t testing.TB, dsn string) *sqlstore.Store {
	t.Helper()
	s, err := sqlstore.Open(t.Context(), dsn, sqlstore.Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func mustExec(t testing.TB, s *sqlstore.Store, q string, args ...any) {
	t.Helper()
	if _, err := s.DB().ExecContext(context.Background(), q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func TestConformance(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		// Open one database first: it skips here, once, rather than in every
		// subtest of the suite, and names the server the suite runs against
		// (go test -v shows it; .ci/run checks it).
		s := newStore(t, dialect)
		t.Logf("conformance suite on %s", serverVersion(t, s))
		storetest.Run(t, func(t *testing.T) userdb.Store { return newStore(t, dialect) })
	})
}

// serverVersion names the database server behind s and its version, as the
// server reports them ("PostgreSQL 15.19", "10.11.19-MariaDB-0+deb12u1").
func serverVersion(t *testing.T, s *sqlstore.Store) string {
	t.Helper()
	q := map[string]string{
		sqlstore.SQLite:   "SELECT 'SQLite ' || sqlite_version()",
		sqlstore.Postgres: "SELECT 'PostgreSQL ' || current_setting('server_version')",
		sqlstore.MySQL:    "SELECT VERSION()",
	}[s.Dialect()]
	var v string
	if err := s.DB().QueryRowContext(t.Context(), q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if s.Dialect() == sqlstore.MySQL && !strings.Contains(v, "MariaDB") {
		v = "MySQL " + v
	}
	return v
}

// TestFindUsersBroad runs the search tests with every word that matches a
// user taken as broad: the suite's few users otherwise always make a
// search selective (search.go).
func TestFindUsersBroad(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		if dialect != sqlstore.SQLite {
			newDatabase(t, dialect)
		}
		storetest.RunFindUsers(t, func(t *testing.T) userdb.Store {
			s := newStore(t, dialect)
			sqlstore.SetTermProbe(s, 1)
			return s
		})
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
		{"postgres bad option", "postgres://u:pw-secret@localhost/db?sslmode=sometimes", "not a valid PostgreSQL URL: sslmode is invalid"},
		{"postgres bad port in query", "postgres://u@localhost/db?password=pw-secret&port=pw-secret", "not a valid PostgreSQL URL"},
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

// rebind writes the ? placeholders of q the way the dialect wants them.
func rebind(dialect, q string) string {
	if dialect != sqlstore.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dbTime is t as the dialect stores it, for tests that write rows directly.
func dbTime(dialect string, t time.Time) any {
	if dialect == sqlstore.SQLite {
		return t.UTC().Format("2006-01-02T15:04:05.000000Z")
	}
	return t.UTC()
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := userdb.ErrorCode(err); got != code {
		t.Fatalf("%s: got %v (code %q), want code %q", what, err, got, code)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestMigrateUpgradeKeepsData(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		s := openStore(t, newDatabase(t, dialect))

		// wantStatus checks that the migrations up to version upTo (0 for
		// none, -1 for all) are applied and the others not.
		wantStatus := func(upTo int) {
			t.Helper()
			ms, err := s.MigrationStatus(ctx)
			must(t, err)
			if len(ms) < 4 {
				t.Fatalf("MigrationStatus lists %d migrations, want at least 4", len(ms))
			}
			prev := 0
			for _, m := range ms {
				if m.Version <= prev || m.Name == "" {
					t.Errorf("migration %+v, want a version above %d with a name", m, prev)
				}
				prev = m.Version
				if applied := upTo < 0 || m.Version <= upTo; (m.AppliedAt != nil) != applied {
					t.Errorf("migration %d applied = %v, want %v", m.Version, m.AppliedAt != nil, applied)
				}
			}
		}
		wantPending := func() {
			t.Helper()
			err := s.Ping(ctx)
			wantCode(t, "Ping with pending migrations", err, userdb.EINTERNAL)
			if !strings.Contains(err.Error(), "pending") {
				t.Errorf("Ping error %q does not say migrations are pending", err)
			}
		}

		wantStatus(0)
		wantPending()
		must(t, s.MigrateTo(ctx, 1))
		wantStatus(1)
		wantPending()

		// Data written at version 1, directly: the code writes columns
		// later versions add (users' name keys, the sort keys of 0090).
		acc := &userdb.Account{ID: "acc_v1", Name: "Old Co", Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}
		mustExec(t, s, rebind(dialect, `INSERT INTO accounts (id, name, name_fold, description, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			acc.ID, acc.Name, userdb.Fold(acc.Name), "", "ENABLED", dbTime(dialect, t0), dbTime(dialect, t0))
		insert := rebind(dialect, `INSERT INTO users (id, account_id, username, username_fold, email, email_fold,
			given_name, surname, full_name, status, password_hash, custom_data, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		for _, u := range []struct{ id, username, email, given, surname string }{
			{"usr_v1alice", "Alice", "Alice@Example.com", "Alice", "Zeta"},
			{"usr_v1bob", "bob", "bob@example.com", "Bob", "Young"},
		} {
			mustExec(t, s, insert, u.id, acc.ID, u.username, userdb.Fold(u.username), u.email, userdb.Fold(u.email),
				u.given, u.surname, u.given+" "+u.surname, "ENABLED", "$argon2id$stub", `{"plan":"gold"}`,
				dbTime(dialect, t0), dbTime(dialect, t0))
		}
		mustExec(t, s, rebind(dialect, `INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)`), "usr_v1alice", "rol_admin_default")

		must(t, s.Migrate(ctx))
		wantStatus(-1)
		must(t, s.Ping(ctx))
		must(t, s.Migrate(ctx)) // nothing left to do
		wantStatus(-1)

		alice, err := s.FindUserByLogin(ctx, "ALICE@example.COM")
		must(t, err)
		if alice.ID != "usr_v1alice" || alice.FullName != "Alice Zeta" || alice.AccountID != acc.ID ||
			alice.PasswordHash != "$argon2id$stub" || alice.CustomData["plan"] != "gold" || alice.Version != 1 ||
			!alice.CreatedAt.Equal(t0) || !slices.Equal(alice.Roles, []string{"admin"}) {
			t.Errorf("user written at version 1 reads back as %+v", alice)
		}
		// Version 2 backfilled the folded names it sorts by, and version 3
		// the search terms.
		bySurname, _, err := s.FindUsers(ctx, userdb.UserFilter{AccountID: acc.ID, Sort: userdb.SortSurname})
		must(t, err)
		if got := userIDs(bySurname); !slices.Equal(got, []string{"usr_v1bob", "usr_v1alice"}) {
			t.Errorf("users by surname = %v, want bob (Young) before alice (Zeta)", got)
		}
		found, _, err := s.FindUsers(ctx, userdb.UserFilter{Query: "ZE ALI"})
		must(t, err)
		if got := userIDs(found); !slices.Equal(got, []string{"usr_v1alice"}) {
			t.Errorf("search of the backfilled names = %v, want alice", got)
		}
		// Version 5 backfilled the folded descriptions roles are searched by.
		roles, err := s.SearchRoles(ctx, userdb.RoleFilter{Query: "EVERY account"})
		must(t, err)
		if len(roles) != 1 || roles[0].Name != userdb.RoleSuperAdmin {
			t.Errorf("search of the backfilled role descriptions = %v, want super-admin", roles)
		}
	})
}

func userIDs(us []*userdb.User) []string {
	var ids []string
	for _, u := range us {
		ids = append(ids, u.ID)
	}
	return ids
}

func TestMigrateToRejectsUnknownVersion(t *testing.T) {
	s := openStore(t, newDatabase(t, sqlstore.SQLite))
	for _, v := range []int{-1, 999} {
		err := s.MigrateTo(t.Context(), v)
		wantCode(t, "MigrateTo("+strconv.Itoa(v)+")", err, userdb.EINVALID)
	}
}

// TestMigrateConcurrently runs the migrations from two stores at once, as
// two nodes starting together would: both succeed and each migration is
// applied once.
func TestMigrateConcurrently(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		dsn := newDatabase(t, dialect)
		stores := []*sqlstore.Store{openStore(t, dsn), openStore(t, dsn)}
		var wg sync.WaitGroup
		errs := make([]error, len(stores))
		for i, s := range stores {
			wg.Go(func() { errs[i] = s.Migrate(t.Context()) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("store %d: Migrate: %v", i, err)
			}
		}
		must(t, stores[0].Ping(t.Context()))
		roles, err := stores[1].FindRoles(t.Context(), userdb.DefaultAccountID)
		must(t, err)
		if len(roles) != 2 {
			t.Errorf("default account has %d roles, want the 2 of the first migration", len(roles))
		}
	})
}

// TestErrorsNameTheField checks the messages and fields of mapped
// constraint violations, which the conformance suite checks only by code.
func TestErrorsNameTheField(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		s := newStore(t, dialect)
		user := func(id, username, email, account string) *userdb.User {
			return &userdb.User{ID: id, AccountID: account, Username: username, Email: email,
				Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}
		}
		must(t, s.CreateUser(ctx, user("usr_1", "one", "one@example.com", userdb.DefaultAccountID)))
		must(t, s.CreateUser(ctx, user("usr_2", "two", "two@example.com", userdb.DefaultAccountID)))
		taken := "ONE@example.com"
		tests := []struct {
			name        string
			run         func() error
			code, field string
		}{
			{"email taken", func() error {
				return s.CreateUser(ctx, user("usr_3", "three", "One@Example.com", userdb.DefaultAccountID))
			}, userdb.ECONFLICT, "email"},
			{"username taken", func() error {
				return s.CreateUser(ctx, user("usr_3", "ONE", "three@example.com", userdb.DefaultAccountID))
			}, userdb.ECONFLICT, "username"},
			{"email taken by update", func() error {
				_, err := s.UpdateUser(ctx, "usr_2", userdb.UserUpdate{Email: &taken}, t0)
				return err
			}, userdb.ECONFLICT, "email"},
			{"missing account", func() error {
				return s.CreateUser(ctx, user("usr_3", "three", "three@example.com", "acc_missing"))
			}, userdb.ENOTFOUND, "account"},
			{"account name taken", func() error {
				return s.CreateAccount(ctx, &userdb.Account{ID: "acc_x", Name: "DEFAULT", Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0})
			}, userdb.ECONFLICT, "name"},
			{"role name taken", func() error {
				return s.CreateRole(ctx, &userdb.Role{ID: "rol_x", AccountID: userdb.DefaultAccountID, Name: "Admin",
					Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0})
			}, userdb.ECONFLICT, "name"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.run()
				wantCode(t, tc.name, err, tc.code)
				var e *userdb.Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v is not a *userdb.Error", err)
				}
				if e.Field != tc.field {
					t.Errorf("error %v names field %q, want %q", err, e.Field, tc.field)
				}
			})
		}
		// A failed write leaves the user as it was.
		two, err := s.FindUserByID(ctx, "usr_2")
		must(t, err)
		if two.Email != "two@example.com" || two.Version != 1 {
			t.Errorf("user after a failed update = %+v", two)
		}
	})
}

// TestFindUsersByteOrder pages through users whose names mix case,
// punctuation and non-ASCII letters: every dialect must order them as Go
// orders their folded bytes, then by id, and keyset pagination must visit
// each once.
func TestFindUsersByteOrder(t *testing.T) {
	names := []string{"Zed", "adam", "Émile", "émilie", "_under", "a-b", "a_b", "ab", "A.c", "zoë", "Zoe", "b", "B2"}
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		s := newStore(t, dialect)
		var users []*userdb.User
		for i, n := range names {
			u := &userdb.User{ID: userdb.NewID("usr"), AccountID: userdb.DefaultAccountID, Username: n,
				Email: "u" + strconv.Itoa(i) + "@example.com",
				// Three surnames: most users tie on the sort value.
				Surname: []string{"Ng", "ng", "Ñu"}[i%3], Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}
			u.FullName = u.Surname
			must(t, s.CreateUser(ctx, u))
			users = append(users, u)
		}
		keys := map[string]func(*userdb.User) string{
			userdb.SortUsername: func(u *userdb.User) string { return userdb.Fold(u.Username) },
			userdb.SortSurname:  func(u *userdb.User) string { return userdb.Fold(u.Surname) },
			userdb.SortCreated:  func(*userdb.User) string { return "" },
		}
		for sortKey, key := range keys {
			for _, desc := range []bool{false, true} {
				t.Run(sortKey+"/desc="+strconv.FormatBool(desc), func(t *testing.T) {
					want := slices.Clone(users)
					slices.SortFunc(want, func(a, b *userdb.User) int {
						return cmp.Or(strings.Compare(key(a), key(b)), strings.Compare(a.ID, b.ID))
					})
					if desc {
						slices.Reverse(want)
					}
					var got []*userdb.User
					f := userdb.UserFilter{Sort: sortKey, Desc: desc, Limit: 2}
					for range len(names) {
						page, next, err := s.FindUsers(ctx, f)
						must(t, err)
						got = append(got, page...)
						if next == "" {
							break
						}
						f.Cursor = next
					}
					if !slices.Equal(userIDs(got), userIDs(want)) {
						t.Errorf("order = %v\nwant    %v", usernames(got), usernames(want))
					}
				})
			}
		}
	})
}

func usernames(us []*userdb.User) []string {
	var names []string
	for _, u := range us {
		names = append(names, u.Username)
	}
	return names
}

func TestFindUsersRejectsForeignCursor(t *testing.T) {
	ctx := t.Context()
	s := newStore(t, sqlstore.SQLite)
	for i := range 3 {
		must(t, s.CreateUser(ctx, &userdb.User{ID: userdb.NewID("usr"), AccountID: userdb.DefaultAccountID,
			Username: "u" + strconv.Itoa(i), Email: "u" + strconv.Itoa(i) + "@example.com",
			Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}))
	}
	_, next, err := s.FindUsers(ctx, userdb.UserFilter{Sort: userdb.SortEmail, Limit: 1})
	must(t, err)
	tests := []struct {
		name string
		f    userdb.UserFilter
	}{
		{"other sort", userdb.UserFilter{Sort: userdb.SortUsername, Cursor: next}},
		{"other direction", userdb.UserFilter{Sort: userdb.SortEmail, Desc: true, Cursor: next}},
		{"truncated", userdb.UserFilter{Sort: userdb.SortEmail, Cursor: next[:len(next)/2]}},
		{"negative limit", userdb.UserFilter{Limit: -1}},
		{"unknown status", userdb.UserFilter{Status: "SLEEPING"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := s.FindUsers(ctx, tc.f)
			wantCode(t, tc.name, err, userdb.EINVALID)
		})
	}
}

// TestTimesKeptToTheMicrosecond checks that what a create stores and what a
// read returns are equal, not merely the same instant: UTC, microseconds.
func TestTimesKeptToTheMicrosecond(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		s := newStore(t, dialect)
		tokyo := time.FixedZone("JST", 9*3600)
		created := time.Date(2026, 5, 6, 7, 8, 9, 123456789, tokyo)
		u := &userdb.User{ID: "usr_t", AccountID: userdb.DefaultAccountID, Username: "t", Email: "t@example.com",
			Status: userdb.StatusEnabled, CreatedAt: created, UpdatedAt: created, LastLoginAt: &created}
		must(t, s.CreateUser(ctx, u))
		want := time.Date(2026, 5, 5, 22, 8, 9, 123456000, time.UTC)
		if u.CreatedAt != want || *u.LastLoginAt != want {
			t.Errorf("CreateUser left CreatedAt %v, LastLoginAt %v; want both %v", u.CreatedAt, *u.LastLoginAt, want)
		}
		got, err := s.FindUserByID(ctx, u.ID)
		must(t, err)
		if got.CreatedAt != want || got.UpdatedAt != want || got.LastLoginAt == nil || *got.LastLoginAt != want {
			t.Errorf("read back CreatedAt %v, UpdatedAt %v, LastLoginAt %v; want %v", got.CreatedAt, got.UpdatedAt, got.LastLoginAt, want)
		}
	})
}

func TestTxPanicRollsBack(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		ctx := t.Context()
		s := newStore(t, dialect)
		func() {
			defer func() {
				if recover() == nil {
					t.Error("the panic did not reach the caller")
				}
			}()
			s.Tx(ctx, func(tx userdb.Store) error {
				must(t, tx.CreateAccount(ctx, &userdb.Account{ID: "acc_p", Name: "p", Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}))
				panic("boom")
			})
		}()
		_, err := s.FindAccountByID(ctx, "acc_p")
		wantCode(t, "account created before the panic", err, userdb.ENOTFOUND)
		// The connection went back to the pool: writes still work.
		must(t, s.CreateAccount(ctx, &userdb.Account{ID: "acc_q", Name: "q", Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}))
	})
}

// TestSQLiteReadsDoNotWaitForWriter holds the single writer connection in a
// transaction and reads through the Store meanwhile.
func TestSQLiteReadsDoNotWaitForWriter(t *testing.T) {
	s := newStore(t, sqlstore.SQLite)
	ctx := t.Context()
	err := s.Tx(ctx, func(tx userdb.Store) error {
		must(t, tx.CreateAccount(ctx, &userdb.Account{ID: "acc_new", Name: "new", Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}))
		// The timeout ends a read that waits for the writer (which waits
		// for this function): it bounds a hang, it does not time the read.
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if _, err := s.FindAccountByID(rctx, userdb.DefaultAccountID); err != nil {
			t.Errorf("read during a write transaction: %v", err)
		}
		_, err := s.FindAccountByID(rctx, "acc_new")
		wantCode(t, "uncommitted account seen from outside", err, userdb.ENOTFOUND)
		return nil
	})
	must(t, err)
	_, err = s.FindAccountByID(ctx, "acc_new")
	must(t, err)
}

// TestSQLiteWritersInTwoStores writes through two Stores on one file, as two
// processes would: the busy timeout and immediate transactions make every
// write wait its turn instead of failing with SQLITE_BUSY.
func TestSQLiteWritersInTwoStores(t *testing.T) {
	ctx := t.Context()
	dsn := newDatabase(t, sqlstore.SQLite)
	a := openStore(t, dsn)
	must(t, a.Migrate(ctx))
	b := openStore(t, dsn)
	must(t, a.CreateUser(ctx, &userdb.User{ID: "usr_w", AccountID: userdb.DefaultAccountID, Username: "w",
		Email: "w@example.com", Status: userdb.StatusEnabled, CreatedAt: t0, UpdatedAt: t0}))
	const calls = 40
	var wg sync.WaitGroup
	var mu sync.Mutex
	locks := 0
	for i := range calls {
		s := []*sqlstore.Store{a, b}[i%2]
		wg.Go(func() {
			_, locked, err := s.RecordFailedLogin(ctx, "usr_w", t0, calls/2)
			if err != nil {
				t.Errorf("RecordFailedLogin: %v", err)
			}
			if locked {
				mu.Lock()
				locks++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	u, err := b.FindUserByID(ctx, "usr_w")
	must(t, err)
	if u.FailedLogins != calls || u.Status != userdb.StatusLocked || locks != 1 {
		t.Errorf("after %d failures: count %d, status %s, %d calls locked; want %d, LOCKED, 1",
			calls, u.FailedLogins, u.Status, locks, calls)
	}
}
