package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
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
}

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

func newAdminFixture(t *testing.T) *adminFixture {
	t.Helper()
	f := &adminFixture{env: newEnv(t)}
	svc := f.srv.Service()
	ctx := ctxCLI()
	var err error
	if f.accA, err = svc.CreateAccount(ctx, serviceAccount("alpha")); err != nil {
		t.Fatal(err)
	}
	if f.accB, err = svc.CreateAccount(ctx, serviceAccount("beta")); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"member", "helper"} {
		for _, acc := range []*userdb.Account{f.accA, f.accB} {
			if _, err := svc.CreateRole(ctx, acc.ID, name, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	mk := func(account, email string, roles ...string) *userdb.User {
		n := newUserIn(account, email)
		n.Roles = roles
		u, err := svc.CreateUser(ctx, n)
		if err != nil {
			t.Fatalf("create %s: %v", email, err)
		}
		return u
	}
	f.root = mk("", "root@example.com", userdb.RoleSuperAdmin)
	f.adminA = mk(f.accA.ID, "admin@alpha.example", userdb.RoleAdmin)
	f.adminB = mk(f.accB.ID, "admin@beta.example", userdb.RoleAdmin)
	f.plainA = mk(f.accA.ID, "plain@alpha.example", "member")
	f.keyA, f.keyASecret, err = svc.CreateAPIKey(ctx, service.NewAPIKey{Name: "alpha ci", Account: f.accA.ID, Roles: []string{userdb.RoleAdmin}})
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
	u, err := f.srv.Service().CreateUser(ctxCLI(), n)
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

// lockedTarget creates a LOCKED user in an account.
func (f *adminFixture) lockedTarget(account string) *userdb.User {
	f.t.Helper()
	u := f.target(account, userdb.StatusEnabled)
	if _, locked, err := f.srv.Service().Store().RecordFailedLogin(context.Background(), u.ID, f.clock.Now(), 1); err != nil || !locked {
		f.t.Fatalf("locking %s: locked=%v err=%v", u.ID, locked, err)
	}
	return u
}

// fill replaces the placeholders of a path or body, creating the targets
// they name: {user} (ENABLED user of A holding "member"), {pending}
// (invited user of A), {locked}, {role} (a role of A), {key} (an API key of
// A), {acc} (account A), {fresh} (a new empty account), {n} (a new number).
func (f *adminFixture) fill(s string) string {
	f.t.Helper()
	svc := f.srv.Service()
	ctx := ctxCLI()
	repl := map[string]func() string{
		"{user}":    func() string { return f.target(f.accA.ID, userdb.StatusEnabled, "member").ID },
		"{pending}": func() string { return f.target(f.accA.ID, userdb.StatusPending).ID },
		"{locked}":  func() string { return f.lockedTarget(f.accA.ID).ID },
		"{acc}":     func() string { return f.accA.ID },
		"{n}":       func() string { return fmt.Sprint(f.next()) },
		"{role}": func() string {
			r, err := svc.CreateRole(ctx, f.accA.ID, fmt.Sprintf("role%d", f.next()), "")
			if err != nil {
				f.t.Fatal(err)
			}
			return r.ID
		},
		"{key}": func() string {
			k, _, err := svc.CreateAPIKey(ctx, service.NewAPIKey{Name: "k", Account: f.accA.ID, Roles: []string{userdb.RoleAdmin}})
			if err != nil {
				f.t.Fatal(err)
			}
			return k.ID
		},
		"{fresh}": func() string {
			a, err := svc.CreateAccount(ctx, serviceAccount(fmt.Sprintf("acct%d", f.next())))
			if err != nil {
				f.t.Fatal(err)
			}
			return a.ID
		},
	}
	for k, mk := range repl {
		for strings.Contains(s, k) {
			s = strings.Replace(s, k, mk(), 1)
		}
	}
	return s
}

// lastEventID is the id of the newest event (0 when there is none).
func (f *adminFixture) lastEventID() int64 {
	f.t.Helper()
	list, err := f.srv.Service().Store().FindEvents(context.Background(), userdb.EventFilter{Limit: 1})
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
	list, err := f.srv.Service().Store().FindEvents(context.Background(), userdb.EventFilter{Limit: 1000})
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
