package main

import (
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb"
)

// nodeSource creates a SQLite copy of the Node library's schema in dir
// (the import tests' knex.sqlite.sql), fills it with an account, a role, an
// ENABLED user with a membership and an old password, and a LOCKED user,
// and returns its path and a connection to change it through.
func nodeSource(t *testing.T, dir string) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(dir, "node.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	schema, err := os.ReadFile("../../internal/nodeimport/testdata/knex.sqlite.sql")
	if err != nil {
		t.Fatal(err)
	}
	hash := func(pw string) string {
		h, err := bcrypt.GenerateFromPassword([]byte(pw), 10) // bcryptjs's cost in the original
		if err != nil {
			t.Fatal(err)
		}
		return string(h)
	}
	stmts := []string{string(schema),
		`INSERT INTO accounts (id, name, status, created_date) VALUES ('acc-acme', 'Acme', 'ENABLED', 1500000000)`,
		`INSERT INTO roles (id, account_id, name, status, created_date) VALUES ('rol-editor', 'acc-acme', 'editor', 'ENABLED', 1500000001)`,
		`INSERT INTO users (id, account_id, givenName, surname, username, email, password, password_updated_on, last_login_on,
			status, customData, created_date) VALUES ('usr-alice', 'acc-acme', 'Alice', 'Liddell', 'alice', 'alice@example.com', '` +
			hash("alice-pass") + `', 1600000000, 1700000000, 'ENABLED', '{"plan":"gold"}', 1500000002)`,
		`INSERT INTO users (id, account_id, username, email, password, last_failed_login_on, failed_login_count, status, created_date)
			VALUES ('usr-dave', 'acc-acme', 'dave', 'dave@example.com', '` + hash("dave-pass") + `', 1700000500, 5, 'LOCKED', 1500000003)`,
		`INSERT INTO users_roles (user_id, role_id) VALUES ('usr-alice', 'rol-editor')`,
		`INSERT INTO old_passwords (user_id, password, created_date) VALUES ('usr-alice', '` + hash("alice-old") + `', 1550000000)`,
	}
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
	return path, db
}

var reportLine = regexp.MustCompile(`(?m)^\s*(accounts|users|roles|users_roles|old_passwords)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$`)

// reportCounts reads the table of a printed report: table -> created,
// updated, unchanged, failed.
func reportCounts(t *testing.T, out string) map[string][4]int {
	t.Helper()
	got := make(map[string][4]int)
	for _, m := range reportLine.FindAllStringSubmatch(out, -1) {
		var c [4]int
		for i := range c {
			c[i], _ = strconv.Atoi(m[i+2])
		}
		got[m[1]] = c
	}
	if len(got) != 5 {
		t.Fatalf("the report has no table of the 5 original tables:\n%s", out)
	}
	return got
}

func TestMigrateFromNodeDatabase(t *testing.T) {
	c := newCLI(t)
	src, rw := nodeSource(t, c.dir)
	from := "sqlite:" + src
	ctx := context.Background()

	// A dry run prints what it would do and writes no data.
	r := c.run("", "migrate-from", "userdb-node", "--from", from, "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "dry run, nothing was written") {
		t.Fatalf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	created := map[string][4]int{
		"accounts": {1, 0, 0, 0}, "roles": {1, 0, 0, 0}, "users": {2, 0, 0, 0},
		"users_roles": {1, 0, 0, 0}, "old_passwords": {1, 0, 0, 0},
	}
	if got := reportCounts(t, r.stdout); !maps.Equal(got, created) {
		t.Errorf("dry run counts %v, want %v", got, created)
	}
	st := c.store()
	if n, err := st.CountUsers(ctx, userdb.UserFilter{}, 0); err != nil || n != 0 {
		t.Fatalf("after the dry run: %d users, %v; want none", n, err)
	}
	if _, err := st.FindAccountByID(ctx, "acc-acme"); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Fatalf("after the dry run, the account: %v; want not found", err)
	}

	// The import: the same counts, and the rows are in userdb as they were.
	r = c.run("", "migrate-from", "userdb-node", "--from", from)
	if r.code != 0 || strings.Contains(r.stdout, "dry run") || r.stderr != "" {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if got := reportCounts(t, r.stdout); !maps.Equal(got, created) {
		t.Errorf("import counts %v, want %v", got, created)
	}
	alice := c.user("usr-alice")
	if alice["id"] != "usr-alice" || alice["account"] != "acc-acme" || alice["email"] != "alice@example.com" ||
		alice["status"] != "ENABLED" || alice["emailVerified"] != true || !slices.Equal(toStrings(alice["roles"]), []string{"editor"}) ||
		alice["passwordChangedAt"] != "2020-09-13T12:26:40Z" || alice["lastLoginAt"] != "2023-11-14T22:13:20Z" ||
		alice["customData"].(map[string]any)["plan"] != "gold" {
		t.Errorf("alice after the import: %v", alice)
	}
	if u, err := st.FindUserByID(ctx, "usr-alice"); err != nil || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte("alice-pass")) != nil {
		t.Errorf("alice's bcrypt hash was not kept: %v", err)
	}
	if u, err := st.FindUserByID(ctx, "usr-dave"); err != nil || u.Status != userdb.StatusLocked || u.FailedLogins != 5 {
		t.Errorf("dave after the import: %+v, %v; want LOCKED with 5 failures", u, err)
	}
	if h, err := st.FindPasswordHistory(ctx, "usr-alice", 10); err != nil || len(h) != 1 {
		t.Errorf("alice's password history: %d entries, %v; want 1", len(h), err)
	}

	// Again: nothing changes.
	r = c.run("", "migrate-from", "userdb-node", "--from", from)
	if r.code != 0 {
		t.Fatalf("second import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	unchanged := map[string][4]int{
		"accounts": {0, 0, 1, 0}, "roles": {0, 0, 1, 0}, "users": {0, 0, 2, 0},
		"users_roles": {0, 0, 1, 0}, "old_passwords": {0, 0, 1, 0},
	}
	if got := reportCounts(t, r.stdout); !maps.Equal(got, unchanged) {
		t.Errorf("second import counts %v, want %v (no change)", got, unchanged)
	}

	// A row that cannot be imported is reported with its id, and fails
	// the command (the rest is imported), in a dry run as well.
	if _, err := rw.Exec(`INSERT INTO users (id, account_id, username, password, status, created_date)
		VALUES ('usr-noemail', 'acc-acme', 'ghost', '', 'ENABLED', 1500000004)`); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"--dry-run"}, {}} {
		r = c.run("", append([]string{"migrate-from", "userdb-node", "--from", from}, args...)...)
		if r.code != 1 || !strings.Contains(r.stdout, "users usr-noemail: the user has no email (not imported)") {
			t.Fatalf("import %v with a bad row: exit %d\n%s", args, r.code, r.stdout)
		}
		mustOneLine(t, r.stderr, "1 row of the source")
		if got := reportCounts(t, r.stdout)["users"]; got != [4]int{0, 0, 2, 1} {
			t.Errorf("import %v with a bad row: users %v, want 2 unchanged, 1 failed", args, got)
		}
	}
}

func TestMigrateFromUsage(t *testing.T) {
	c := newCLI(t)
	src, _ := nodeSource(t, c.dir)
	from := "sqlite:" + src
	cfg := "../../internal/nodeimport/testdata/defaults.yml"
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"migrate-from"}, "the only source is userdb-node"},
		{[]string{"migrate-from", "stormpath", "--from", from}, "the only source is userdb-node"},
		{[]string{"migrate-from", "userdb-node"}, "give --from DSN"},
		{[]string{"migrate-from", "userdb-node", "--from", from, "--config", cfg}, "give --from DSN"},
		{[]string{"migrate-from", "userdb-node", "--config", cfg, "--dry-run"}, "--dry-run and --db go with --from"},
		{[]string{"migrate-from", "userdb-node", "--from", from, "--out", filepath.Join(c.dir, "x.yaml")}, "--out goes with --config"},
		{[]string{"migrate-from", "userdb-node", "--from", from, "extra"}, "takes no arguments"},
		{[]string{"migrate-from", "userdb-node", "--from"}, "flag needs an argument"},
		{[]string{"migrate-from", "userdb-node", "--form", from}, "flag provided but not defined"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			c.fail(2, tc.want, "", tc.args...)
		})
	}
	if _, err := os.Stat(dbFile(c.dir)); !os.IsNotExist(err) {
		t.Errorf("a usage error created the userdb database: %v", err)
	}
}

// TestMigrateFromBadSource: a source that is not there, not a database or
// not the original's fails with one line naming the problem, without the
// password of its DSN, before the userdb database is created.
func TestMigrateFromBadSource(t *testing.T) {
	c := newCLI(t)
	text := filepath.Join(c.dir, "notes.db")
	if err := os.WriteFile(text, []byte("not a database\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(c.dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err == nil {
		_, err = db.Exec("CREATE TABLE accounts (id TEXT)")
		db.Close()
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, from, want string }{
		{"garbage", "userdb.example.com", "want mysql://..., postgres://... or sqlite:PATH"},
		{"unknown scheme", "oracle://scott:hunter2@db/orcl", "want mysql://..., postgres://... or sqlite:PATH"},
		{"missing file", "sqlite:" + filepath.Join(c.dir, "missing.db"), "no such file"},
		{"not a database", "sqlite:" + text, "cannot connect to the sqlite database"},
		{"another schema", "sqlite:" + other, "table accounts has no column name; is this the database of userdb 1.0.x?"},
		{"unreachable mysql", "mysql://root:hunter2@127.0.0.1:1/users", "cannot connect to the mysql database"},
		{"unreachable postgres", "postgres://app:hunter2@127.0.0.1:1/users?sslmode=disable", "cannot connect to the postgres database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run("", "migrate-from", "userdb-node", "--from", tc.from)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1 (stderr %q)", r.code, r.stderr)
			}
			mustOneLine(t, r.stderr, tc.want)
			if strings.Contains(r.stderr, "hunter2") {
				t.Errorf("the error shows the password: %s", r.stderr)
			}
			if r.stdout != "" {
				t.Errorf("stdout: %q, want nothing", r.stdout)
			}
		})
	}
	if _, err := os.Stat(dbFile(c.dir)); !os.IsNotExist(err) {
		t.Errorf("a bad source created the userdb database: %v", err)
	}
}

func toStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// TestMigrateFromSuperAdminOfAnAccount: the original's super-admin role made
// its holders super-admins in any account (index.js:383-393, user.can's
// pass); the report says, per user, how userdb keeps them so.
func TestMigrateFromSuperAdminOfAnAccount(t *testing.T) {
	c := newCLI(t)
	src, rw := nodeSource(t, c.dir)
	for _, q := range []string{
		`INSERT INTO roles (id, account_id, name, status, created_date) VALUES ('rol-super', 'acc-acme', 'super-admin', 'ENABLED', 1500000005)`,
		`INSERT INTO users_roles (user_id, role_id) VALUES ('usr-alice', 'rol-super')`,
	} {
		if _, err := rw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	r := c.run("", "migrate-from", "userdb-node", "--from", "sqlite:"+src)
	if r.code != 0 || !strings.Contains(r.stdout, "users usr-alice: holds super-admin in account acc-acme") {
		t.Fatalf("import: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	alice := c.user("usr-alice")
	// Her editor role of Acme is left out (the report says so): in the
	// default account the name would mean its own editor role.
	if alice["account"] != userdb.DefaultAccountID || !slices.Equal(toStrings(alice["roles"]), []string{"super-admin"}) {
		t.Errorf("alice after the import: %v; want the default account with super-admin only", alice)
	}
	if !strings.Contains(r.stdout, "usr-alice/rol-editor: role editor of its former account is not kept") {
		t.Errorf("the report does not say alice's editor role was left out:\n%s", r.stdout)
	}
}
