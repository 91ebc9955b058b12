package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
)

const testPassword = "a long pass phrase\n"

// cli runs commands against one SQLite database in a temp directory, with
// cheap password hashing.
type cli struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	t.Helper()
	dir := t.TempDir()
	return &cli{t: t, dir: dir, env: map[string]string{
		"USERDB_DATABASE_DSN":       "sqlite:" + dbFile(dir),
		"USERDB_HASHING_MEMORY":     "64KiB",
		"USERDB_HASHING_ITERATIONS": "1",
	}}
}

// dbFile returns the database file in dir.
func dbFile(dir string) string { return filepath.Join(dir, "userdb.db") }

// result is what one run of the command did.
type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	return c.runCtx(context.Background(), stdin, args...)
}

func (c *cli) runCtx(ctx context.Context, stdin string, args ...string) result {
	var out, errb bytes.Buffer
	environ := func() []string {
		var list []string
		for k, v := range c.env {
			list = append(list, k+"="+v)
		}
		return list
	}
	code := runEnv(&env{ctx: ctx, getenv: func(k string) string { return c.env[k] }, environ: environ,
		stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}, args)
	return result{code, out.String(), errb.String()}
}

// ok runs a command that must succeed and returns its stdout.
func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("userdb %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

// fail runs a command that must exit with code and say want in one line on
// stderr.
func (c *cli) fail(code int, want string, stdin string, args ...string) {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != code {
		c.t.Fatalf("userdb %s: exit %d, want %d (stderr %q)", strings.Join(args, " "), r.code, code, r.stderr)
	}
	mustOneLine(c.t, r.stderr, want)
}

// mustOneLine checks that stderr is exactly one "userdb: " line containing want.
func mustOneLine(t *testing.T, stderr, want string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "userdb: ") || !strings.Contains(stderr, want) {
		t.Fatalf("stderr %q is not one line naming %q", stderr, want)
	}
}

// user returns `user show REF --json` decoded.
func (c *cli) user(ref string) map[string]any {
	c.t.Helper()
	var u map[string]any
	out := c.ok("", "user", "show", ref, "--json")
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		c.t.Fatalf("user show --json: %v: %s", err, out)
	}
	return u
}

// events returns the events of a type, newest first.
func (c *cli) events(typ string) []eventView {
	c.t.Helper()
	var got struct{ Events []eventView }
	out := c.ok("", "events", "--type", typ, "--json")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		c.t.Fatalf("events --json: %v: %s", err, out)
	}
	return got.Events
}

// store opens the test database directly, for what the command line cannot
// do (lock a user) or does not show (the outbox).
func (c *cli) store() *sqlstore.Store {
	c.t.Helper()
	st, err := sqlstore.Open(context.Background(), c.env["USERDB_DATABASE_DSN"], sqlstore.Options{})
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { st.Close() })
	return st
}

// lock locks a user as failed sign-ins would.
func (c *cli) lock(id string) {
	c.t.Helper()
	c.lockAt(id, time.Now())
}

// lockAt locks a user as a failed sign-in at that time would.
func (c *cli) lockAt(id string, at time.Time) {
	c.t.Helper()
	if _, locked, err := c.store().RecordFailedLogin(context.Background(), id, at.UTC(), 1); err != nil || !locked {
		c.t.Fatalf("locking %s: locked=%v, %v", id, locked, err)
	}
}

func TestFirstSuperAdmin(t *testing.T) {
	c := newCLI(t)
	out := c.ok(testPassword, "user", "add", "--email", "a@example.com", "--password-stdin", "--role", "super-admin")
	if !strings.Contains(out, "a@example.com") || !strings.Contains(out, "super-admin") || !strings.Contains(out, "ENABLED") {
		t.Fatalf("user add printed %q", out)
	}

	raw := c.ok("", "user", "show", "a@example.com", "--json")
	u := c.user("a@example.com")
	if u["email"] != "a@example.com" || u["status"] != "ENABLED" || u["account"] != userdb.DefaultAccountID || u["hasPassword"] != true {
		t.Fatalf("user = %v", u)
	}
	if roles, _ := u["roles"].([]any); len(roles) != 1 || roles[0] != "super-admin" {
		t.Fatalf("roles = %v", u["roles"])
	}
	for key := range u {
		if k := strings.ToLower(key); k == "hash" || k == "password" || k == "passwordhash" {
			t.Fatalf("show --json has the key %q", key)
		}
	}
	if strings.Contains(raw, "$argon2id$") {
		t.Fatalf("show --json leaks the hash: %s", raw)
	}

	created := c.events("user.created")
	if len(created) != 1 || created[0].User != u["id"] || created[0].Actor != cliActor {
		t.Fatalf("user.created events = %+v", created)
	}
	if table := c.ok("", "events"); !strings.Contains(table, "user.created") || !strings.Contains(table, cliActor) {
		t.Fatalf("events table: %s", table)
	}
}

func TestBadInputIsOneClearLine(t *testing.T) {
	cases := []struct {
		name   string
		config string // YAML written to a file passed with --config
		env    map[string]string
		stdin  string
		args   []string
		code   int
		want   string
	}{
		{name: "invalid DSN", args: []string{"user", "list", "--db", "foo://x"},
			code: 1, want: "database.dsn (--db): must start with sqlite:"},
		{name: "invalid DSN in the environment", env: map[string]string{"USERDB_DATABASE_DSN": "foo://x"},
			args: []string{"user", "list"}, code: 1, want: "database.dsn: must start with sqlite:"},
		{name: "unknown config key", config: "sessions:\n  idel_timeout: 5m\n", args: []string{"user", "list"},
			code: 1, want: "sessions.idel_timeout: unknown key"},
		{name: "negative duration", config: "sessions:\n  idle_timeout: -5m\n", args: []string{"user", "list"},
			code: 1, want: "sessions.idle_timeout"},
		{name: "bad value in the environment", env: map[string]string{"USERDB_LOCKOUT_AFTER_FAILURES": "many"},
			args: []string{"user", "list"}, code: 1, want: "USERDB_LOCKOUT_AFTER_FAILURES: must be an integer"},
		{name: "missing config file", args: []string{"user", "list", "--config", "/nonexistent/userdb.yaml"},
			code: 1, want: "/nonexistent/userdb.yaml"},
		{name: "invalid address", args: []string{"serve", "--addr", "nowhere"},
			code: 1, want: "server.addr (--addr)"},
		{name: "no password option", args: []string{"user", "add", "--email", "b@example.com"},
			code: 2, want: "--password-stdin"},
		{name: "both password options", stdin: testPassword, args: []string{"user", "add", "--email", "b@example.com", "--password-stdin", "--invite"},
			code: 2, want: "--invite"},
		{name: "empty password", args: []string{"user", "add", "--email", "b@example.com", "--password-stdin"},
			code: 2, want: "no password on standard input"},
		{name: "no command", args: nil, code: 2, want: "no command given"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, want: `unknown command "frobnicate"`},
		{name: "unknown action", args: []string{"user", "frobnicate"}, code: 2, want: `unknown action "frobnicate"`},
		{name: "unknown flag", args: []string{"user", "list", "--colour"}, code: 2, want: "-colour"},
		{name: "missing argument", args: []string{"user", "show"}, code: 2, want: "usage: userdb user show USER"},
		{name: "bad limit", args: []string{"user", "list", "--limit", "0"}, code: 2, want: "--limit"},
		{name: "nothing to update", args: []string{"user", "update", "x@example.com"}, code: 2, want: "nothing to change"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCLI(t)
			for k, v := range tc.env {
				c.env[k] = v
			}
			args := tc.args
			if tc.config != "" {
				file := filepath.Join(c.dir, "userdb.yaml")
				if err := os.WriteFile(file, []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(slices.Clone(args), "--config", file)
			}
			c.fail(tc.code, tc.want, tc.stdin, args...)
			if _, err := os.Stat(dbFile(c.dir)); err == nil {
				t.Fatal("the command created the database")
			}
		})
	}
}

func TestMalformedEmailWritesNothing(t *testing.T) {
	c := newCLI(t)
	c.fail(1, `email "not-an-email" is not a valid address`, testPassword,
		"user", "add", "--email", "not-an-email", "--password-stdin")
	if _, err := os.Stat(dbFile(c.dir)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the database file was created (stat: %v)", err)
	}
	if out := c.ok("", "user", "list", "--json"); !strings.Contains(out, `"users": []`) {
		t.Fatalf("a user was written: %s", out)
	}
	if ev := c.events("user."); len(ev) != 0 {
		t.Fatalf("events were written: %+v", ev)
	}
}

func TestUnreachableDatabaseKeepsThePasswordOut(t *testing.T) {
	c := newCLI(t)
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	c.env["USERDB_SECRETS_COOKIE_KEY"] = key
	c.env["USERDB_SECRETS_ENCRYPTION_KEY"] = key
	r := c.run("", "user", "list", "--db", "postgres://admin:s3cretPW@127.0.0.1:1/userdb?connect_timeout=2")
	if r.code != 1 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	mustOneLine(t, r.stderr, "cannot connect to the postgres database")
	if strings.Contains(r.stderr, "s3cretPW") {
		t.Fatalf("the DSN password is shown: %s", r.stderr)
	}
}

func TestMask(t *testing.T) {
	e := &env{secrets: []string{"", "hunter22"}}
	if got := e.mask("failed for postgres://u:hunter22@db: hunter22 refused"); got != "failed for postgres://u:xxxxx@db: xxxxx refused" {
		t.Fatalf("mask = %q", got)
	}
	if got := dsnPasswords("postgres://u:p1@h/db?password=p2"); !slices.Equal(got, []string{"p1", "p2"}) {
		t.Fatalf("dsnPasswords = %q", got)
	}
}

func TestHelp(t *testing.T) {
	c := newCLI(t)
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}, {"user", "-h"}, {"account", "help"}} {
		r := c.run("", args...)
		if r.code != 0 || r.stderr != "" || r.stdout != usage {
			t.Fatalf("userdb %v: exit %d, stderr %q, stdout %.40q", args, r.code, r.stderr, r.stdout)
		}
	}
	r := c.run("", "user", "add", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "Usage: userdb user add --email E") || !strings.Contains(r.stdout, "-password-stdin") {
		t.Fatalf("user add -h: exit %d: %q %q", r.code, r.stdout, r.stderr)
	}
	if _, err := os.Stat(dbFile(c.dir)); err == nil {
		t.Fatal("help opened the database")
	}
}

func TestUserLifecycle(t *testing.T) {
	c := newCLI(t)
	c.ok(testPassword, "user", "add", "--email", "b@example.com", "--username", "bea", "--password-stdin")
	c.ok("", "role", "add", "default", "editors", "--description", "Edit pages")
	id := c.user("bea")["id"].(string)
	if got := c.user(id)["email"]; got != "b@example.com" {
		t.Fatalf("user show by id: email %v", got)
	}

	steps := []struct {
		args  []string
		key   string
		value any // of key in `user show --json` afterwards
	}{
		{[]string{"user", "disable", "bea"}, "status", "DISABLED"},
		{[]string{"user", "enable", "bea"}, "status", "ENABLED"},
		{[]string{"user", "add-role", "bea", "editors"}, "roles", []any{"editors"}},
		{[]string{"user", "remove-role", "bea", "editors"}, "roles", []any{}},
		{[]string{"user", "update", "bea", "--given-name", "Bea", "--surname", "Smith"}, "fullName", "Bea Smith"},
		{[]string{"user", "update", "bea", "--custom-data", `{"team":"x"}`}, "customData", map[string]any{"team": "x"}},
	}
	for _, s := range steps {
		c.ok("", s.args...)
		if got := c.user("bea")[s.key]; !jsonEqual(got, s.value) {
			t.Fatalf("after %v: %s = %v, want %v", s.args, s.key, got, s.value)
		}
	}
	c.fail(1, `does not have the role "editors"`, "", "user", "remove-role", "bea", "editors")
	// The original's manage-user.js add-role found or created the role
	// (bin/manage-user.js:198-216).
	if out := c.ok("", "user", "add-role", "bea", "nope"); !strings.HasPrefix(out, "created role \"nope\"\n") {
		t.Fatalf("add-role of a missing role: %q", out)
	}
	c.ok("", "user", "remove-role", "bea", "nope")

	// The original's unlockUser returned without error for a user who was
	// not locked (index.js:854-860): exit 0.
	if out := c.ok("", "user", "unlock", "bea"); out != "bea: not locked\n" {
		t.Fatalf("unlock of a user not locked: %q", out)
	}
	c.lock(id)
	if u := c.user("bea"); u["status"] != "LOCKED" || u["lockedAt"] == nil {
		t.Fatalf("after locking: %v", u)
	}
	c.ok("", "user", "unlock", "bea")
	if got := c.user("bea")["status"]; got != "ENABLED" {
		t.Fatalf("status after unlock = %v", got)
	}

	if out := c.ok("", "user", "unlock-all"); out != "unlocked 0 user(s)\n" {
		t.Fatalf("unlock-all with none locked: %q", out)
	}
	// The original's unlockUsers released only users whose lock is older
	// than reenableLockedAccountsAfterSeconds (index.js:862-882): one
	// locked a moment ago stays locked, unless --all.
	c.lock(id)
	if out := c.ok("", "user", "unlock-all"); out != "unlocked 0 user(s)\n" || c.user("bea")["status"] != "LOCKED" {
		t.Fatalf("unlock-all of a fresh lock: %q", out)
	}
	if out := c.ok("", "user", "unlock-all", "--all"); out != "unlocked 1 user(s)\n" {
		t.Fatalf("unlock-all --all: %q", out)
	}
	c.lockAt(id, time.Now().Add(-time.Hour)) // locked longer than lockout.unlock_after (15m)
	if out := c.ok("", "user", "unlock-all"); out != "unlocked 1 user(s)\n" {
		t.Fatalf("unlock-all of an hour-old lock: %q", out)
	}

	for _, typ := range []string{"user.disabled", "user.enabled", "user.role_added", "user.role_removed", "user.updated", "user.unlocked"} {
		ev := c.events(typ)
		if len(ev) == 0 || ev[0].Actor != cliActor || ev[0].User != id {
			t.Errorf("%s events = %+v", typ, ev)
		}
	}

	c.ok("", "user", "delete", "bea")
	c.fail(1, `No user "bea"`, "", "user", "show", "bea")
	if ev := c.events("user.deleted"); len(ev) != 1 || ev[0].User != id {
		t.Fatalf("user.deleted events = %+v", ev)
	}
	if out := c.ok("", "events", "--user", id); !strings.Contains(out, "user.deleted") {
		t.Fatalf("events of the deleted user: %s", out)
	}
}

// jsonEqual compares decoded JSON values.
func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestUserList(t *testing.T) {
	c := newCLI(t)
	for _, email := range []string{"x1@test.org", "x2@test.org", "y@test.org"} {
		c.ok(testPassword, "user", "add", "--email", email, "--password-stdin")
	}
	c.ok("", "user", "disable", "y@test.org")

	var page struct {
		Users []userView
		Next  string
	}
	decode := func(out string) {
		t.Helper()
		page.Users, page.Next = nil, ""
		if err := json.Unmarshal([]byte(out), &page); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	decode(c.ok("", "user", "list", "--sort", "email", "--limit", "2", "--json"))
	if len(page.Users) != 2 || page.Users[0].Email != "x1@test.org" || page.Next == "" {
		t.Fatalf("first page: %+v", page)
	}
	decode(c.ok("", "user", "list", "--sort", "email", "--limit", "2", "--cursor", page.Next, "--json"))
	if len(page.Users) != 1 || page.Users[0].Email != "y@test.org" || page.Next != "" {
		t.Fatalf("second page: %+v", page)
	}
	decode(c.ok("", "user", "list", "--status", "disabled", "--json"))
	if len(page.Users) != 1 || page.Users[0].Email != "y@test.org" {
		t.Fatalf("disabled users: %+v", page)
	}

	table := c.ok("", "user", "list", "--query", "x", "--sort", "email", "--desc")
	lines := strings.Split(strings.TrimSpace(table), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "ID") || !strings.Contains(lines[1], "x2@test.org") {
		t.Fatalf("table:\n%s", table)
	}
	c.fail(1, "status must be one of", "", "user", "list", "--status", "sleepy")
}

func TestPasswordsAndInvitations(t *testing.T) {
	c := newCLI(t)
	c.ok(testPassword, "user", "add", "--email", "d@example.com", "--password-stdin")
	c.ok("another long pass phrase\r\n", "user", "reset-password", "d@example.com", "--password-stdin", "--must-change")
	if ev := c.events("password.set"); len(ev) != 1 || ev[0].Details["must_change"] != true {
		t.Fatalf("password.set events = %+v", ev)
	}
	if got := c.user("d@example.com")["passwordMustChange"]; got != true {
		t.Fatalf("passwordMustChange = %v", got)
	}
	c.fail(2, "--send-email", "", "user", "reset-password", "d@example.com")

	c.ok("", "user", "reset-password", "d@example.com", "--send-email")
	out := c.ok("", "user", "add", "--email", "e@example.com", "--invite", "--json")
	var invited userView
	if err := json.Unmarshal([]byte(out), &invited); err != nil || invited.Status != userdb.StatusPending || invited.HasPassword {
		t.Fatalf("invited user: %v %s", err, out)
	}

	// The command does not send: the emails (the notice of the password
	// set, the reset link, the invitation) wait in the outbox for the server.
	emails, err := c.store().FindEmails(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, m := range emails {
		if m.SentAt != nil || m.Attempts != 0 {
			t.Errorf("email to %s was already tried: %+v", m.To, m)
		}
		to = append(to, m.To)
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{"d@example.com", "d@example.com", "e@example.com"}) {
		t.Fatalf("queued emails to %v", to)
	}
}

func TestAccountsAndRoles(t *testing.T) {
	c := newCLI(t)
	c.ok("", "account", "add", "acme", "--description", "Acme Inc")
	c.fail(1, `An account named "acme" already exists`, "", "account", "add", "acme")
	c.ok(testPassword, "user", "add", "--email", "c@acme.example", "--account", "acme", "--password-stdin", "--role", "admin")
	c.fail(1, "Only users of the default account", testPassword,
		"user", "add", "--email", "d@acme.example", "--account", "acme", "--password-stdin", "--role", "super-admin")

	var a accountView
	if err := json.Unmarshal([]byte(c.ok("", "account", "update", "acme", "--description", "Acme Ltd", "--json")), &a); err != nil || a.Description != "Acme Ltd" {
		t.Fatalf("update: %v %+v", err, a)
	}
	if out := c.ok("", "account", "disable", a.ID, "--json"); !strings.Contains(out, `"status": "DISABLED"`) {
		t.Fatalf("disable: %s", out)
	}
	if out := c.ok("", "account", "enable", "acme"); !strings.Contains(out, "ENABLED") {
		t.Fatalf("enable: %s", out)
	}
	if out := c.ok("", "account", "show", "acme"); !strings.Contains(out, "Acme Ltd") {
		t.Fatalf("show: %s", out)
	}

	c.ok("", "role", "add", "acme", "editors")
	var roles struct{ Roles []roleView }
	if err := json.Unmarshal([]byte(c.ok("", "role", "list", "--account", "acme", "--json")), &roles); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles.Roles {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"admin", "editors"}) {
		t.Fatalf("roles of acme: %v", names)
	}
	if out := c.ok("", "role", "list"); !strings.Contains(out, "acme") || !strings.Contains(out, "super-admin") {
		t.Fatalf("role list: %s", out)
	}
	c.ok("", "role", "delete", "acme", "editors")
	c.ok("", "role", "delete", roles.Roles[0].ID) // admin, by id
	c.fail(1, "has no role named", "", "role", "delete", "acme", "editors")
	c.fail(1, "cannot be deleted", "", "role", "delete", "default", "super-admin")

	c.fail(1, `still has 1 users`, "", "account", "delete", "acme")
	c.fail(1, "default account cannot be deleted", "", "account", "delete", "default")
	// The command line acts through the same checks as the admin API.
	c.fail(1, "default account cannot be disabled", "", "account", "disable", "default")
	c.fail(1, "default account cannot be renamed", "", "account", "update", "default", "--name", "other")
	c.ok("", "account", "delete", "acme", "--force")
	if out := c.ok("", "account", "list"); strings.Contains(out, "acme") || !strings.Contains(out, "default") {
		t.Fatalf("account list: %s", out)
	}
	c.fail(1, "No user", "", "user", "show", "c@acme.example")
}

func TestConfigCommands(t *testing.T) {
	c := newCLI(t)
	var defaults map[string]any
	if err := yaml.Unmarshal([]byte(c.ok("", "config", "defaults")), &defaults); err != nil || defaults["server"] == nil {
		t.Fatalf("config defaults is not YAML: %v", err)
	}

	bad := filepath.Join(c.dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("sessions:\n  same_site: sideways\nlockout:\n  unlock_after: -1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "config", "check", "--config", bad)
	if r.code != 1 {
		t.Fatalf("config check of a bad file: exit %d", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	slices.Sort(lines)
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "lockout.unlock_after: ") || !strings.HasPrefix(lines[1], "sessions.same_site: ") {
		t.Fatalf("config check printed %q", r.stdout)
	}
	mustOneLine(t, r.stderr, "2 problem(s)")

	if out := c.ok("", "config", "check"); out != "config ok\n" {
		t.Fatalf("config check of the defaults: %q", out)
	}

	// A mistyped variable is ignored, and said so with the closest name.
	c.env["USERDB_SESION_IDLE_TIMEOUT"] = "5m"
	r = c.run("", "config", "check")
	if r.code != 0 || r.stdout != "config ok\n" {
		t.Fatalf("config check with a mistyped variable: exit %d, %q", r.code, r.stdout)
	}
	mustOneLine(t, r.stderr, "USERDB_SESION_IDLE_TIMEOUT is not a setting and is ignored; did you mean USERDB_SESSIONS_IDLE_TIMEOUT?")
}

func TestMigrate(t *testing.T) {
	c := newCLI(t)
	out := c.ok("", "migrate", "status")
	if !strings.Contains(out, "0001") || strings.Contains(out, "applied") {
		t.Fatalf("status of a new database: %s", out)
	}
	out = c.ok("", "migrate", "up")
	if strings.Contains(out, "pending") || !strings.Contains(out, "applied") {
		t.Fatalf("after migrate up: %s", out)
	}
	if again := c.ok("", "migrate"); again != out {
		t.Fatalf("a second migrate changed the status:\n%s\n%s", out, again)
	}
	c.fail(2, `unknown action "down"`, "", "migrate", "down")
}

func TestServeAndGracefulShutdown(t *testing.T) {
	c := newCLI(t)
	c.env["USERDB_DATABASE_DSN"] = "" // the default, userdb.db in the working directory
	c.env["USERDB_SERVER_MANAGEMENT_ADDR"] = "127.0.0.1:0"
	t.Chdir(c.dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan result, 1)
	go func() { done <- c.runCtx(ctx, "", "serve", "--addr", addr) }()

	for _, path := range []string{"/healthz", "/readyz"} {
		// Generous: start-up creates and migrates the database, on a
		// machine that other tests share.
		deadline := time.Now().Add(30 * time.Second)
		for {
			res, err := http.Get("http://" + addr + path)
			if err == nil {
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered 200: %v", path, err)
			}
			select {
			case r := <-done:
				t.Fatalf("serve exited %d: %s", r.code, r.stderr)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "userdb.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}

	// A request in flight when the signal comes: its handler is already
	// reading the body (the server has sent "100 Continue"), and the rest
	// of the body arrives only after shutdown has begun.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	body := `{"login":"nobody@example.com","password":"a long pass phrase"}`
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Accept: application/json\r\nExpect: 100-continue\r\nContent-Length: %d\r\n\r\n", addr, len(body))
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("before the body: %q %v", line, err)
	}
	if _, err := br.ReadString('\n'); err != nil { // the blank line after 100 Continue
		t.Fatal(err)
	}

	cancel()
	// Shutdown closes the listener at once: a new connection is refused
	// while the request above is still being served.
	refused := false
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, time.Second); err != nil {
			refused = true
			break
		} else {
			c.Close()
		}
	}
	if !refused {
		t.Fatal("new connections were still accepted after shutdown began")
	}
	if _, err := io.WriteString(conn, body); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	answer, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(answer), "Invalid username or password") {
		t.Fatalf("the request in flight: %d %s", res.StatusCode, answer)
	}

	var r result
	select {
	case r = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if r.code != 0 {
		t.Fatalf("serve exited %d: %s", r.code, r.stderr)
	}
	var listening bool
	for _, line := range strings.Split(strings.TrimSpace(r.stderr), "\n") {
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("log line %q is not JSON: %v", line, err)
		}
		if entry["msg"] == "userdb listening" && entry["addr"] == addr {
			listening = true
		}
	}
	if !listening {
		t.Fatalf("no log line with the address:\n%s", r.stderr)
	}
}

func TestAPIKeys(t *testing.T) {
	c := newCLI(t)
	out := c.ok("", "apikey", "create", "ci", "--role", "super-admin", "--json")
	var k map[string]any
	if err := json.Unmarshal([]byte(out), &k); err != nil || k["secret"] == "" || k["id"] == "" {
		t.Fatalf("create: %v %s", err, out)
	}
	list := c.ok("", "apikey", "list", "--json")
	if strings.Contains(list, k["secret"].(string)) || !strings.Contains(list, k["id"].(string)) {
		t.Fatalf("list shows the secret or lacks the key: %s", list)
	}
	c.ok("", "apikey", "revoke", k["id"].(string))
	if list := c.ok("", "apikey", "list"); !strings.Contains(list, "revoked") {
		t.Fatalf("revoked key not shown as revoked: %s", list)
	}
	if r := c.run("", "apikey", "create", "bad", "--account", "nope", "--role", "admin"); r.code != 1 {
		t.Fatalf("key for a missing account: %d %s", r.code, r.stderr)
	}
}

func TestMigrateFromNodeConfig(t *testing.T) {
	c := newCLI(t)
	out := filepath.Join(c.dir, "translated.yaml")
	r := c.run("", "migrate-from", "userdb-node", "--config", "../../internal/nodeimport/testdata/defaults.yml", "--out", out)
	if r.code != 0 {
		t.Fatalf("translate: %d %s", r.code, r.stderr)
	}
	yml, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(yml), "original:") {
		t.Fatalf("translated file: %v %s", err, yml)
	}
	if res := c.run("", "config", "check", "--config", out); res.code != 0 {
		t.Fatalf("config check of the translation: %d %s %s", res.code, res.stdout, res.stderr)
	}
	if r := c.run("", "migrate-from", "userdb-node"); r.code != 2 {
		t.Fatalf("neither --from nor --config: %d", r.code)
	}
}

func TestResetMFA(t *testing.T) {
	c := newCLI(t)
	c.ok(testPassword, "user", "add", "--email", "m@example.com", "--password-stdin")
	if out := c.ok("", "user", "reset-mfa", "m@example.com"); !strings.Contains(out, "0 factor(s) removed") {
		t.Fatalf("output %q", out)
	}
	if ev := c.events("mfa.reset"); len(ev) != 1 || ev[0].Details["factors"] != float64(0) {
		t.Fatalf("mfa.reset events = %+v", ev)
	}
	c.fail(1, "No user", "", "user", "reset-mfa", "nobody@example.com")
	c.fail(2, "USER", "", "user", "reset-mfa")
}
