package nodeimport_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/nodeimport"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/server"
)

// TestImportedUsersSignIn imports the fixture into a fresh userdb database
// and runs the real server on it, configured as an operator would: the
// original's options translated by TranslateConfig, the database and keys
// from the environment. Every original password must sign its user in
// through POST /login (once the user may sign in) and be replaced by an
// argon2id hash; locked users stay locked until lockout.unlock_after has
// passed since their lock; and the imported password history refuses the
// old passwords through POST /me/password.
func TestImportedUsersSignIn(t *testing.T) {
	for _, dialect := range []string{nodeimport.SQLite, nodeimport.MySQL, nodeimport.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			src, srcDialect, _ := openSource(t, dialect)
			dsn, dst := newDestination(t, dialect)
			opts := nodeimport.Options{Now: func() time.Time { return now }}
			mustImport(t, src, srcDialect, dst, opts)
			if again := mustImport(t, src, srcDialect, dst, opts); again.Changes() != 0 {
				t.Fatalf("second import changed %d rows, want none", again.Changes())
			}
			e := startServer(t, dsn, dst)
			e.checkSignIn()
		})
	}
}

// originalOptions is the configuration of the Node installation the
// fixture comes from: the original's defaults, with password history and
// lockout turned on.
const originalOptions = `
passwordsCantMatch: 3
disableAccountAfterFailedLoginAttempts: 5
reenableLockedAccountsAfterSeconds: 900
`

// signInEnv is the real server on the imported database.
type signInEnv struct {
	t     *testing.T
	dst   userdb.Store
	cfg   *server.Config
	srv   *server.Server
	url   string
	clock *testclock.Clock
}

// startServer opens the server on the database at dsn, configured from
// originalOptions through TranslateConfig and config.Load.
func startServer(t *testing.T, dsn string, dst userdb.Store) *signInEnv {
	t.Helper()
	yml, _, err := nodeimport.TranslateConfig([]byte(originalOptions))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "userdb.yaml")
	if err := os.WriteFile(path, yml, 0o600); err != nil {
		t.Fatal(err)
	}
	key := func() string {
		b := make([]byte, config.KeySize)
		rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	env := map[string]string{
		"USERDB_DATABASE_DSN":           dsn,
		"USERDB_SECRETS_COOKIE_KEY":     key(),
		"USERDB_SECRETS_ENCRYPTION_KEY": key(),
		// Cheap argon2id: what is tested is that it is argon2id.
		"USERDB_HASHING_MEMORY":     "64KiB",
		"USERDB_HASHING_ITERATIONS": "1",
		// The test moves the clock by months (locks running out): past
		// the administrators' grace for a second factor, which is not
		// what this test is about (server's TestASVS_4_3_1_* is).
		"USERDB_MFA_ADMINS": "optional",
	}
	cfg, err := server.LoadConfig(path, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the translated configuration does not load: %v\n%s", err, yml)
	}
	if cfg.Password.History != 3 || cfg.Lockout.UnlockAfter != 15*time.Minute || cfg.Transformer != "stormpath" {
		t.Fatalf("translated: history %d, unlock after %s, transformer %q; want 3, 15m, stormpath",
			cfg.Password.History, cfg.Lockout.UnlockAfter, cfg.Transformer)
	}
	clk := testclock.New(now)
	srv, err := server.Open(context.Background(), cfg, server.WithClock(clk), server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("server.Open on the imported database: %v", err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return &signInEnv{t: t, dst: dst, cfg: cfg, srv: srv, url: hs.URL, clock: clk}
}

func (e *signInEnv) checkSignIn() {
	t := e.t
	unlockAfter := time.Duration(e.cfg.Lockout.UnlockAfter)
	daveLocked := time.Unix(1700000500, 0).UTC() // dave's last failed sign-in in the source
	erinLocked := now                            // erin's source has none: locked at the import

	users := make(map[string]wantUser)
	var withPassword []wantUser
	for _, w := range wantUsers() {
		users[w.id] = w
		if w.password != "" {
			withPassword = append(withPassword, w)
		}
	}
	// Why each user with a password is refused before anything changes;
	// "" signs in. The reason is the one recorded after the password
	// matched: a wrong password records bad_password instead.
	refused := map[string]string{
		"usr-alice": "", "usr-json": "",
		"usr-bob": "pending", "usr-alias": "pending", "usr-mallory": "pending",
		"usr-carol": "disabled", "usr-frank": "disabled", "usr-grace": "disabled",
		"usr-dave": "locked", "usr-erin": "locked",
		"usr-gina": "account_disabled", // acc-globex is DISABLED
	}
	if len(refused) != len(withPassword) {
		t.Fatalf("refused lists %d users, the fixture has %d with a password", len(refused), len(withPassword))
	}

	// A second before dave's lock runs out (and long before erin's).
	e.clock.Set(daveLocked.Add(unlockAfter - time.Second))
	for _, w := range withPassword {
		if refused[w.id] == "" {
			e.mustSignIn(w)
		} else {
			e.mustBeRefused(w, w.password, refused[w.id])
		}
	}
	// A wrong password is told apart in the audit log, and so is a former one.
	e.mustBeRefused(users["usr-bob"], "bob-pass-x", "bad_password")
	e.mustBeRefused(users["usr-alice"], "alice-pass-0", "bad_password")
	// A hash the import could not take signs nobody in: md5's password
	// was "password".
	e.mustBeRefused(users["usr-md5"], "password", "bad_password")
	// Signing in again does not hash again.
	if _, ev := e.signIn(users["usr-alice"], users["usr-alice"].password); ev.Type != "login.succeeded" || ev.Details["rehashed"] != nil {
		t.Errorf("alice's second sign-in: event %s %v; want login.succeeded without rehashed", ev.Type, ev.Details)
	}

	// Dave's lock has run out; erin's has not.
	e.clock.Set(daveLocked.Add(unlockAfter + time.Second))
	e.mustSignIn(users["usr-dave"])
	e.mustBeRefused(users["usr-erin"], "erin-pass", "locked")
	e.clock.Set(erinLocked.Add(unlockAfter + time.Second))
	e.mustSignIn(users["usr-erin"])

	// An administrator lets the others in; each password then signs its
	// user in.
	ctx := service.WithActor(service.WithMeta(context.Background(), service.Meta{ActorID: "test-admin"}), service.SystemActor())
	svc := inside.Service(e.srv)
	enabled := userdb.StatusEnabled
	if _, err := svc.AdminUpdateAccount(ctx, "acc-globex", userdb.AccountUpdate{Status: &enabled}); err != nil {
		t.Fatal(err)
	}
	for _, w := range withPassword {
		switch refused[w.id] {
		case "pending", "disabled":
			if _, err := svc.AdminSetUserStatus(ctx, w.id, userdb.StatusEnabled); err != nil {
				t.Fatalf("enabling %s: %v", w.id, err)
			}
			e.mustSignIn(w)
		case "account_disabled":
			e.mustSignIn(w)
		}
	}

	// The imported history refuses former passwords through the real
	// change-password path, and changes nothing.
	alice := e.client()
	alice.mustSignIn(users["usr-alice"])
	dave := e.client()
	dave.mustSignIn(users["usr-dave"])
	for _, c := range []struct {
		c                 *apiClient
		id, current, next string
	}{
		{alice, "usr-alice", "alice-pass-1", "alice-pass-0"}, // old_passwords, 2019
		{alice, "usr-alice", "alice-pass-1", "alice-pass-1"}, // the current one, rehashed at sign-in
		{dave, "usr-dave", "dave-pass", "dave-pass-0"},       // old_passwords, 2022
	} {
		before := mustFindUser(t, e.dst, c.id).PasswordHash
		status, body := c.c.post("/me/password", map[string]string{"currentPassword": c.current, "password": c.next})
		if status != http.StatusBadRequest || !strings.Contains(body["message"].(string), "last 3 passwords") || body["field"] != "password" {
			t.Errorf("%s changing to %s: %d %v; want 400, the history's message, at the password field", c.id, c.next, status, body)
		}
		if mustFindUser(t, e.dst, c.id).PasswordHash != before {
			t.Errorf("%s: a refused change changed the hash", c.id)
		}
	}
	// A new password is taken (the 400s above were the history's), and
	// the current one is then part of it.
	if status, body := alice.post("/me/password", map[string]string{"currentPassword": "alice-pass-1", "password": "alice-pass-2"}); status != http.StatusOK {
		t.Fatalf("alice changing to a new password: %d %v", status, body)
	}
	if status, body := alice.post("/me/password", map[string]string{"currentPassword": "alice-pass-2", "password": "alice-pass-1"}); status != http.StatusBadRequest {
		t.Errorf("alice changing back to alice-pass-1: %d %v, want 400", status, body)
	}
	e.mustBeRefused(users["usr-alice"], "alice-pass-1", "bad_password")
}

// mustSignIn signs w in with its original password: 200 with its account,
// the bcrypt hash replaced by argon2id and the rehash in the audit log,
// the time of the last password change kept.
func (e *signInEnv) mustSignIn(w wantUser) {
	e.t.Helper()
	e.client().mustSignIn(w)
	u := mustFindUser(e.t, e.dst, w.id)
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		e.t.Errorf("%s: after signing in the hash is %.10s..., want $argon2id$", w.id, u.PasswordHash)
	}
	if got := unixOf(u.PasswordChangedAt); got != w.passwordChanged {
		e.t.Errorf("%s: the rehash moved the password change time from %d to %d", w.id, w.passwordChanged, got)
	}
	if u.Status != userdb.StatusEnabled || u.FailedLogins != 0 || u.LockedAt != nil {
		e.t.Errorf("%s: after signing in: %s, %d failures, locked at %v", w.id, u.Status, u.FailedLogins, u.LockedAt)
	}
	if ev := e.lastLoginEvent(w.id); ev.Type != "login.succeeded" || ev.Details["rehashed"] != true {
		e.t.Errorf("%s: event %s %v; want login.succeeded with rehashed", w.id, ev.Type, ev.Details)
	}
}

// mustBeRefused checks that password does not sign w in, for reason, and
// that the stored hash did not change.
func (e *signInEnv) mustBeRefused(w wantUser, password, reason string) {
	e.t.Helper()
	before := mustFindUser(e.t, e.dst, w.id)
	status, ev := e.signIn(w, password)
	if status != http.StatusUnauthorized {
		e.t.Errorf("%s with %q: %d, want 401", w.id, password, status)
	}
	if ev.Type != "login.failed" || ev.Details["reason"] != reason {
		e.t.Errorf("%s with %q: event %s %v; want login.failed for %s", w.id, password, ev.Type, ev.Details, reason)
	}
	after := mustFindUser(e.t, e.dst, w.id)
	if after.PasswordHash != before.PasswordHash || after.Status != before.Status {
		e.t.Errorf("%s: a refused sign-in changed the user: %s -> %s", w.id, before.Status, after.Status)
	}
}

// signIn posts w's email and password to /login with a fresh client, and
// returns the status and the user's newest sign-in event.
func (e *signInEnv) signIn(w wantUser, password string) (int, *userdb.Event) {
	e.t.Helper()
	status, _ := e.client().post("/login", map[string]string{"login": w.email, "password": password})
	return status, e.lastLoginEvent(w.id)
}

func (e *signInEnv) lastLoginEvent(userID string) *userdb.Event {
	e.t.Helper()
	evs, err := e.dst.FindEvents(context.Background(), userdb.EventFilter{UserID: userID, Type: "login.", Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(evs) == 0 {
		return &userdb.Event{}
	}
	return evs[0]
}

// apiClient is a JSON client of the server with its own cookies.
type apiClient struct {
	e  *signInEnv
	hc *http.Client
}

func (e *signInEnv) client() *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{e: e, hc: &http.Client{Jar: jar}}
}

func (c *apiClient) post(path string, body any) (int, map[string]any) {
	c.e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req, err := http.NewRequest("POST", c.e.url+path, bytes.NewReader(b))
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			c.e.t.Fatalf("POST %s: %d, not JSON: %q", path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, m
}

// mustSignIn signs w in with its original password; the answer is the
// Stormpath shape of the translated configuration's transformer.
func (c *apiClient) mustSignIn(w wantUser) {
	c.e.t.Helper()
	status, body := c.post("/login", map[string]string{"login": w.email, "password": w.password})
	account, _ := body["account"].(map[string]any)
	if status != http.StatusOK || account == nil || account["email"] != w.email || account["href"] == nil {
		c.e.t.Fatalf("%s signing in with its original password: %d %v", w.id, status, body)
	}
}
