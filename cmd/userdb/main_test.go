package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// cli runs commands against one temp SQLite database with cheap hashing.
type cli struct {
	t   *testing.T
	dir string
	env map[string]string
}

func newCLI(t *testing.T) *cli {
	dir := t.TempDir()
	return &cli{t: t, dir: dir, env: map[string]string{
		"USERDB_DATABASE_DSN":       "sqlite:" + filepath.Join(dir, "userdb.db"),
		"USERDB_HASHING_MEMORY":     "64KiB",
		"USERDB_HASHING_ITERATIONS": "1",
	}}
}

type result struct {
	code           int
	stdout, stderr string
}

func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, func(k string) string { return c.env[k] }, strings.NewReader(stdin), &out, &errb)
	return result{code, out.String(), errb.String()}
}

func (c *cli) ok(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.code != 0 {
		c.t.Fatalf("userdb %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r.stdout
}

func TestFirstSuperAdmin(t *testing.T) {
	c := newCLI(t)
	c.ok("a long pass phrase\n", "user", "add", "--email", "a@example.com", "--password-stdin", "--role", "super-admin")
	out := c.ok("", "user", "show", "a@example.com", "--json")
	var u map[string]any
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		t.Fatalf("show --json: %v: %s", err, out)
	}
	if u["email"] != "a@example.com" || fmt.Sprint(u["roles"]) != "[super-admin]" || u["status"] != "ENABLED" {
		t.Fatalf("user = %v", u)
	}
	for _, bad := range []string{`"hash"`, `"password"`, "$argon2id$"} {
		if strings.Contains(out, bad) {
			t.Fatalf("show --json leaks %s: %s", bad, out)
		}
	}
	if ev := c.ok("", "events", "--json"); !strings.Contains(ev, `"user.created"`) {
		t.Fatalf("events lack user.created: %s", ev)
	}
	if ev := c.ok("", "events", "--type", "user.created"); !strings.Contains(ev, "cli") {
		t.Fatalf("event actor is not the CLI: %s", ev)
	}
}

func TestBadInputIsOneClearLine(t *testing.T) {
	c := newCLI(t)
	unknownKey := filepath.Join(c.dir, "unknown.yaml")
	os.WriteFile(unknownKey, []byte("sessions:\n  idel_timeout: 5m\n"), 0o600)
	negative := filepath.Join(c.dir, "negative.yaml")
	os.WriteFile(negative, []byte("sessions:\n  idle_timeout: -5m\n"), 0o600)
	cases := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"invalid DSN", "", []string{"user", "list", "--db", "foo://x"}, "database.dsn"},
		{"unknown config key", "", []string{"user", "list", "--config", unknownKey}, "sessions.idel_timeout"},
		{"negative duration", "", []string{"user", "list", "--config", negative}, "sessions.idle_timeout"},
		{"malformed email", "a long pass phrase\n", []string{"user", "add", "--email", "not-an-email", "--password-stdin"}, `"not-an-email" is not a valid address`},
		{"no password option", "", []string{"user", "add", "--email", "b@example.com"}, "--password-stdin"},
		{"unknown command", "", []string{"frobnicate"}, "unknown command"},
		{"unknown flag", "", []string{"user", "list", "--colour"}, "colour"},
		{"unknown user", "", []string{"user", "show", "nobody@example.com"}, "No user"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(tc.stdin, tc.args...)
			if r.code == 0 {
				t.Fatal("exit 0")
			}
			first := strings.SplitN(strings.TrimSpace(r.stderr), "\n", 2)[0]
			if !strings.HasPrefix(first, "userdb: ") || !strings.Contains(first, tc.want) {
				t.Fatalf("stderr %q does not name %q", r.stderr, tc.want)
			}
		})
	}
	if out := c.ok("", "user", "list", "--json"); !strings.Contains(out, `"users": []`) {
		t.Fatalf("something was written: %s", out)
	}
}

func TestUserLifecycle(t *testing.T) {
	c := newCLI(t)
	c.ok("a long pass phrase\n", "user", "add", "--email", "b@example.com", "--password-stdin")
	c.ok("", "role", "add", "default", "editors")
	steps := []struct {
		args []string
		want string // in `user show --json`
	}{
		{[]string{"user", "disable", "b@example.com"}, `"status": "DISABLED"`},
		{[]string{"user", "enable", "b@example.com"}, `"status": "ENABLED"`},
		{[]string{"user", "add-role", "b@example.com", "editors"}, `"editors"`},
		{[]string{"user", "update", "b@example.com", "--given-name", "Bea", "--custom-data", `{"team":"x"}`}, `"team": "x"`},
	}
	for _, s := range steps {
		c.ok("", s.args...)
		if out := c.ok("", "user", "show", "b@example.com", "--json"); !strings.Contains(out, s.want) {
			t.Fatalf("after %v: %s", s.args, out)
		}
	}
	c.ok("", "user", "remove-role", "b@example.com", "editors")
	if out := c.ok("", "user", "show", "b@example.com", "--json"); strings.Contains(out, "editors") {
		t.Fatalf("role not removed: %s", out)
	}
	if r := c.run("", "user", "unlock", "b@example.com"); r.code != 1 || !strings.Contains(r.stderr, "not locked") {
		t.Fatalf("unlock of an unlocked user: %d %s", r.code, r.stderr)
	}
	if out := c.ok("", "user", "unlock-all"); !strings.Contains(out, "unlocked 0") {
		t.Fatalf("unlock-all: %s", out)
	}
	c.ok("", "user", "delete", "b@example.com")
	if r := c.run("", "user", "show", "b@example.com"); r.code != 1 {
		t.Fatalf("deleted user still shown: %d", r.code)
	}
	if ev := c.ok("", "events", "--type", "user.deleted"); !strings.Contains(ev, "user.deleted") {
		t.Fatalf("no user.deleted event: %s", ev)
	}
}

func TestAccounts(t *testing.T) {
	c := newCLI(t)
	c.ok("", "account", "add", "acme", "--description", "Acme Inc")
	c.ok("a long pass phrase\n", "user", "add", "--email", "c@acme.example", "--account", "acme", "--password-stdin", "--role", "admin")
	if r := c.run("", "account", "delete", "acme"); r.code != 1 || !strings.Contains(r.stderr, "still has 1 users") {
		t.Fatalf("delete of an account with users: %d %s", r.code, r.stderr)
	}
	if out := c.ok("", "account", "disable", "acme", "--json"); !strings.Contains(out, `"DISABLED"`) {
		t.Fatalf("disable: %s", out)
	}
	c.ok("", "account", "delete", "acme", "--force")
	if out := c.ok("", "account", "list"); strings.Contains(out, "acme") {
		t.Fatalf("account still listed: %s", out)
	}
}

func TestConfigCommands(t *testing.T) {
	c := newCLI(t)
	var defaults map[string]any
	if err := yaml.Unmarshal([]byte(c.ok("", "config", "defaults")), &defaults); err != nil || defaults["server"] == nil {
		t.Fatalf("config defaults is not YAML: %v", err)
	}
	bad := filepath.Join(c.dir, "bad.yaml")
	os.WriteFile(bad, []byte("sessions:\n  same_site: sideways\nlockout:\n  unlock_after: -1m\n"), 0o600)
	r := c.run("", "config", "check", "--config", bad)
	if r.code != 1 || !strings.Contains(r.stdout, "sessions.same_site") || !strings.Contains(r.stdout, "lockout.unlock_after") {
		t.Fatalf("config check: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if out := c.ok("", "config", "check"); !strings.Contains(out, "config ok") {
		t.Fatalf("config check of defaults: %s", out)
	}
}

func TestServeAndGracefulShutdown(t *testing.T) {
	c := newCLI(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		code := run(ctx, []string{"serve", "--addr", addr}, func(k string) string { return c.env[k] }, strings.NewReader(""), &out, &errb)
		done <- result{code, out.String(), errb.String()}
	}()
	for _, path := range []string{"/healthz", "/readyz"} {
		deadline := time.Now().Add(5 * time.Second)
		for {
			res, err := http.Get("http://" + addr + path)
			if err == nil {
				res.Body.Close()
				if res.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never answered 200: %v", path, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if _, err := os.Stat(filepath.Join(c.dir, "userdb.db")); err != nil {
		t.Fatalf("database file: %v", err)
	}
	cancel()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("serve exited %d: %s", r.code, r.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestMigrateStatus(t *testing.T) {
	c := newCLI(t)
	out := c.ok("", "migrate", "status")
	if !strings.Contains(out, "pending") || !strings.Contains(out, "0001") {
		t.Fatalf("status of a new database: %s", out)
	}
	out = c.ok("", "migrate")
	if strings.Contains(out, "pending") {
		t.Fatalf("after migrate: %s", out)
	}
}
