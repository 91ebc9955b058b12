package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
	"github.com/userdb/userdb/sqlstore"
)

const adminPassword = "correct horse battery"

// importedHash stands in for an imported password hash: creating a user
// with it costs no hashing, which keeps the many targets of these tests cheap.
const importedHash = "$argon2id$v=19$m=65536,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

// adminFixture is a server with two accounts, A and B, and one caller of
// every kind: a super-admin, an admin of A, an admin of B, a plain user of
// A, an API key scoped to A (admin role) and an anonymous client.
type adminFixture struct {
	*env
	accA, accB *userdb.Account
	root       *userdb.User // super-admin, default account
	adminA     *userdb.User
	adminB     *userdb.User
	plainA     *userdb.User
	keyA       *userdb.APIKey
	keyASecret string
	actors     []*actor
	n          int // for unique names
	// filled lists the targets fill put in paths and bodies since it was
	// last cleared.
	filled []filledTarget
}

// filledTarget is one placeholder fill replaced, and the id it put there.
type filledTarget struct{ kind, id string }

// actor is one kind of caller and how its requests authenticate.
type actor struct {
	name   string
	id     string // the actor recorded in events ("" for the anonymous caller)
	c      *client
	header []string
}

func (a *actor) do(method, path string, body any) response {
	return a.c.do(method, path, body, a.header...)
}

// Indexes of adminFixture.actors, the order of every expectation table.
const (
	asSuper = iota
	asAdminA
	asAdminB
	asPlain
	asKeyA
	asAnon
)

func newAdminFixture(t *testing.T, configure ...func(*server.Config)) *adminFixture {
	t.Helper()
	f := &adminFixture{env: newEnv(t, configure...)}
	svc := inside.Service(f.srv)
	ctx := ctxCLI()
	var err error
	if f.accA, err = svc.AdminCreateAccount(ctx, serviceAccount("alpha")); err != nil {
		t.Fatal(err)
	}
	if f.accB, err = svc.AdminCreateAccount(ctx, serviceAccount("beta")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"member", "helper"} {
		for _, acc := range []*userdb.Account{f.accA, f.accB} {
			if _, err := svc.AdminCreateRole(ctx, acc.ID, name, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk := func(account, email string, roles ...string) *userdb.User {
		n := newUserIn(account, email)
		n.Roles = roles
		u, err := svc.AdminCreateUser(ctx, n)
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return u
	}
	f.root = mk("", "root@example.com", userdb.RoleSuperAdmin)
	f.adminA = mk(f.accA.ID, "admin@alpha.example", userdb.RoleAdmin)
	f.adminB = mk(f.accB.ID, "admin@beta.example", userdb.RoleAdmin)
	f.plainA = mk(f.accA.ID, "plain@alpha.example", "member")
	f.keyA, f.keyASecret, err = svc.AdminCreateAPIKey(ctx, service.NewAPIKey{Name: "alpha ci", Account: f.accA.ID, Roles: []string{userdb.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	login := func(name string, u *userdb.User) *actor {
		c := f.client()
		c.mustLogin(u.Email, adminPassword)
		return &actor{name: name, id: u.ID, c: c}
	}
	f.actors = []*actor{
		login("super-admin", f.root),
		login("admin of A", f.adminA),
		login("admin of B", f.adminB),
		login("plain user of A", f.plainA),
		{name: "API key of A", id: f.keyA.ID, c: f.client(), header: []string{"Authorization", "Bearer " + f.keyASecret}},
		{name: "anonymous", c: f.client()},
	}
	return f
}

// onPostgres points a server at a schema of its own on the PostgreSQL server
// of USERDB_TEST_POSTGRES_DSN, dropped when the test ends. Without the
// variable the test is skipped; with it set, a server that does not answer
// fails the test.
func onPostgres(t *testing.T) func(*server.Config) {
	t.Helper()
	base := os.Getenv("USERDB_TEST_POSTGRES_DSN")
	if base == "" {
		t.Skip("USERDB_TEST_POSTGRES_DSN is not set; set it to run this test on PostgreSQL")
	}
	admin, err := sqlstore.Open(context.Background(), base, sqlstore.Options{MaxOpenConns: 1})
	if err != nil {
		t.Fatalf("USERDB_TEST_POSTGRES_DSN is set but the server does not answer: %v", err)
	}
	var b [8]byte
	rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:]) // [a-z0-9_]: safe in DDL
	if _, err := admin.DB().ExecContext(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Registered first, so it runs after the server has closed.
		if _, err := admin.DB().ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("dropping %s: %v", schema, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	rand.Read(b[:])
	key := base64.StdEncoding.EncodeToString(bytes.Repeat(b[:], 4)) // 32 bytes
	return func(c *server.Config) {
		c.Database.DSN = u.String()
		c.Secrets.CookieKey, c.Secrets.EncryptionKey = key, key
	}
}

// next returns a number not used before in this fixture.
func (f *adminFixture) next() int {
	f.n++
	return f.n
}

// target creates a user in an account as the system, without hashing.
// status PENDING makes an invited user.
func (f *adminFixture) target(account string, status userdb.Status, roles ...string) *userdb.User {
	f.t.Helper()
	n := service.NewUser{Account: account, Email: fmt.Sprintf("target%d@example.com", f.next()), Roles: roles}
	if status == userdb.StatusPending {
		n.Invite = true
	} else {
		n.PasswordHash, n.Status = importedHash, status
	}
	u, err := inside.Service(f.srv).AdminCreateUser(ctxCLI(), n)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// lockedTarget creates a LOCKED user in an account.
func (f *adminFixture) lockedTarget(account string) *userdb.User {
	f.t.Helper()
	u := f.target(account, userdb.StatusEnabled)
	if _, locked, err := inside.Service(f.srv).Store().RecordFailedLogin(context.Background(), u.ID, f.clock.Now(), 1); err != nil || !locked {
		f.t.Fatalf("locking %s: locked=%v err=%v", u.ID, locked, err)
	}
	return u
}

// fill replaces the placeholders of a path or body, creating the targets
// they name: {user} (ENABLED user of A holding "member"), {pending}
// (invited user of A), {locked}, {role} (a role of A), {key} (an API key of
// A), {client} (an OAuth client of A), {acc} (account A), {fresh} (a new empty account), {n} (a new number).
func (f *adminFixture) fill(s string) string {
	f.t.Helper()
	svc := inside.Service(f.srv)
	ctx := ctxCLI()
	repl := map[string]func() string{
		"{user}":    func() string { return f.target(f.accA.ID, userdb.StatusEnabled, "member").ID },
		"{pending}": func() string { return f.target(f.accA.ID, userdb.StatusPending).ID },
		"{locked}":  func() string { return f.lockedTarget(f.accA.ID).ID },
		"{acc}":     func() string { return f.accA.ID },
		"{n}":       func() string { return fmt.Sprint(f.next()) },
		"{role}": func() string {
			r, err := svc.AdminCreateRole(ctx, f.accA.ID, fmt.Sprintf("role%d", f.next()), "")
			if err != nil {
				f.t.Fatal(err)
			}
			return r.ID
		},
		"{key}": func() string {
			k, _, err := svc.AdminCreateAPIKey(ctx, service.NewAPIKey{Name: "k", Account: f.accA.ID, Roles: []string{userdb.RoleAdmin}})
			if err != nil {
				f.t.Fatal(err)
			}
			return k.ID
		},
		"{connector}": func() string {
			c, err := svc.AdminCreateConnector(service.WithActor(ctx, service.SystemActor()), service.NewConnector{ID: fmt.Sprintf("conn%d", f.next()), Type: userdb.ConnectorGitHub,
				Name: "GitHub", Account: f.accA.ID, ClientID: "client", ClientSecret: "secret"})
			if err != nil {
				f.t.Fatal(err)
			}
			return c.ID
		},
		"{client}": func() string {
			sys := service.WithActor(ctx, service.SystemActor())
			c, _, err := inside.OAuth(f.srv).CreateClient(sys, svc, oauth.ClientInput{Account: &f.accA.ID, Name: ptr("client"),
				RedirectURIs: &[]string{"https://app.example.com/cb"}})
			if err != nil {
				f.t.Fatal(err)
			}
			return c.ID
		},
		"{fresh}": func() string {
			a, err := svc.AdminCreateAccount(ctx, serviceAccount(fmt.Sprintf("acct%d", f.next())))
			if err != nil {
				f.t.Fatal(err)
			}
			return a.ID
		},
	}
	for k, mk := range repl {
		for strings.Contains(s, k) {
			v := mk()
			f.filled = append(f.filled, filledTarget{k, v})
			s = strings.Replace(s, k, v, 1)
		}
	}
	return s
}

// stateOf returns what a refused write must leave as it was, each part as
// JSON: each target (a user with its sessions, an account with its users, a
// role, an API key; or the error finding it now gives), and every account,
// role, live API key, queued email, user and session of the fixture's
// callers, in full or by count.
func (f *adminFixture) stateOf(targets []filledTarget) map[string]string {
	f.t.Helper()
	ctx := context.Background()
	st := inside.Service(f.srv).Store()
	out := map[string]string{}
	put := func(key string, v any, err error) {
		if err != nil {
			v = err.Error()
		}
		b, jerr := json.Marshal(v)
		if jerr != nil {
			f.t.Fatal(jerr)
		}
		out[key] = string(b)
	}
	for _, t := range targets {
		key := t.kind + " " + t.id
		switch t.kind {
		case "{user}", "{pending}", "{locked}":
			u, err := st.FindUserByID(ctx, t.id)
			put(key, u, err)
			sessions, err := st.FindSessionsByUser(ctx, t.id)
			put(key+" sessions", len(sessions), err)
		case "{acc}", "{fresh}":
			acc, err := st.FindAccountByID(ctx, t.id)
			put(key, acc, err)
			n, err := st.CountUsers(ctx, userdb.UserFilter{AccountID: t.id}, 0)
			put(key+" users", n, err)
		case "{connector}":
			c, err := st.FindConnector(ctx, t.id)
			put(key, c, err)
		case "{role}":
			r, err := st.FindRoleByID(ctx, t.id)
			put(key, r, err)
		case "{client}":
			c, err := st.FindOAuthClient(ctx, t.id)
			put(key, c, err)
		case "{key}":
			k, err := st.FindAPIKeyByID(ctx, t.id)
			if err == nil {
				k.LastUsedAt = nil // a key's own requests touch it
			}
			put(key, k, err)
		}
	}
	n, err := st.CountUsers(ctx, userdb.UserFilter{}, 0)
	put("users", n, err)
	accounts, err := st.FindAccounts(ctx, userdb.AccountFilter{})
	put("accounts", accounts, err)
	roles, err := st.FindRoles(ctx, "")
	put("roles", roles, err)
	keys, err := st.FindAPIKeys(ctx, "")
	var live []string
	for _, k := range keys {
		if k.RevokedAt == nil {
			live = append(live, k.ID)
		}
	}
	put("live keys", live, err)
	emails, err := st.FindEmails(ctx, 10000)
	put("emails", len(emails), err)
	for _, u := range []*userdb.User{f.root, f.adminA, f.adminB, f.plainA} {
		sessions, err := st.FindSessionsByUser(ctx, u.ID)
		put("sessions of "+u.Email, len(sessions), err)
	}
	return out
}

// stateDiff describes the parts of two states that differ ("" if none).
func stateDiff(before, after map[string]string) string {
	var b strings.Builder
	for k, v := range before {
		if after[k] != v {
			fmt.Fprintf(&b, "\n%s: %s\n  -> %s", k, v, after[k])
		}
	}
	return b.String()
}

// lastEventID is the id of the newest event (0 when there is none).
func (f *adminFixture) lastEventID() int64 {
	f.t.Helper()
	list, err := inside.Service(f.srv).Store().FindEvents(context.Background(), userdb.EventFilter{Limit: 1})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(list) == 0 {
		return 0
	}
	return list[0].ID
}

// eventsSince returns the events newer than id, newest first.
func (f *adminFixture) eventsSince(id int64) []*userdb.Event {
	f.t.Helper()
	list, err := inside.Service(f.srv).Store().FindEvents(context.Background(), userdb.EventFilter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*userdb.Event
	for _, e := range list {
		if e.ID > id {
			out = append(out, e)
		}
	}
	return out
}

// items returns the "items" of a page answer.
func items(t testing.TB, r response) []map[string]any {
	t.Helper()
	raw, ok := r.json(t)["items"].([]any)
	if !ok {
		t.Fatalf("no items in %d %s", r.status, r.body)
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i] = x.(map[string]any)
	}
	return out
}

// ids returns the "id" of each item.
func ids(list []map[string]any) []string {
	var out []string
	for _, m := range list {
		out = append(out, fmt.Sprint(m["id"]))
	}
	return out
}
