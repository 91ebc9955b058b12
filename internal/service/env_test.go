package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/seal"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/sqlstore"
)

// env is a service on a fresh SQLite database (the real store), the real
// email templates, fast hashing and a test clock. The workflow tests act
// through the workflow methods (Register, Login, Verify, Forgot...) and the
// authorized Admin* methods, as the system or as a user.
type env struct {
	t     testing.TB
	svc   *service.Service
	store *sqlstore.Store
	clock *testclock.Clock
}

// The rules newEnv starts from; a test changes what it is about.
func testOptions() service.Options {
	return service.Options{
		LockAfter: 3, UnlockAfter: 15 * time.Minute,
		VerifyTTL: 24 * time.Hour, ResetTTL: time.Hour, InviteTTL: 7 * 24 * time.Hour,
		SessionCacheTTL:     time.Minute,
		RegistrationEnabled: true, RequireVerification: true,
		VerifyURL: "https://id.example.com/verify", ResetURL: "https://id.example.com/reset",
		InviteURL: "https://id.example.com/welcome", EmailChangeURL: "https://id.example.com/email-change",
	}
}

func newEnv(t testing.TB, change ...func(*service.Options)) *env {
	t.Helper()
	return newEnvDeps(t, nil, change...)
}

// newEnvDeps is newEnv with dependencies changed by deps (nil for none).
func newEnvDeps(t testing.TB, deps func(*service.Deps), change ...func(*service.Options)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "userdb.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	opts := testOptions()
	for _, f := range change {
		f(&opts)
	}
	clk := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	d := service.Deps{
		Store:  st,
		Hasher: password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 2, 100),
		Policy: password.DefaultPolicy(), Emails: templateComposer{tpl}, Clock: clk,
		Sealer: testSealer(t),
	}
	if deps != nil {
		deps(&d)
	}
	svc := service.New(d, opts)
	t.Cleanup(func() { svc.Close(context.Background()) })
	return &env{t: t, svc: svc, store: st, clock: clk}
}

// sys is a context whose actor is the system (the command line).
func sys() context.Context {
	return service.WithActor(context.Background(), service.SystemActor())
}

// as is a context whose actor is u, with the roles it holds now.
func (e *env) as(u *userdb.User) context.Context {
	return service.WithActor(context.Background(), service.UserActor(e.reload(u)))
}

// user creates an enabled user with a verified email and a password, as the
// system; roles are role names of the account ("" is the default account).
func (e *env) user(account, email, pw string, roles ...string) *userdb.User {
	e.t.Helper()
	u, err := e.svc.AdminCreateUser(sys(), service.NewUser{Account: account, Email: email, Password: pw, Roles: roles, Verified: true})
	if err != nil {
		e.t.Fatalf("creating %s: %v", email, err)
	}
	return u
}

// account creates an account (with its admin role) as the system.
func (e *env) account(name string) *userdb.Account {
	e.t.Helper()
	a, err := e.svc.AdminCreateAccount(sys(), service.NewAccount{Name: name})
	if err != nil {
		e.t.Fatalf("creating account %s: %v", name, err)
	}
	return a
}

// reload reads u again from the store.
func (e *env) reload(u *userdb.User) *userdb.User {
	e.t.Helper()
	got, err := e.store.FindUserByID(context.Background(), u.ID)
	if err != nil {
		e.t.Fatalf("reading %s: %v", u.ID, err)
	}
	return got
}

// login signs in as the JSON API does.
func (e *env) login(login, pw string) (*service.Login, error) {
	return e.svc.Login(context.Background(), login, pw)
}

func (e *env) mustLogin(login, pw string) *service.Login {
	e.t.Helper()
	l, err := e.login(login, pw)
	if err != nil {
		e.t.Fatalf("sign-in of %s: %v", login, err)
	}
	return l
}

// mustChangeAtSignIn signs in with a password that must change and checks
// that the sign-in stopped at the password-change stage, with no session.
// It returns that pending sign-in and the context of its browser.
func (e *env) mustChangeAtSignIn(login, pw string) (*service.Pending, context.Context) {
	e.t.Helper()
	l, err := e.svc.Login(browser("dev-A", ""), login, pw)
	if err != nil {
		e.t.Fatalf("sign-in of %s: %v", login, err)
	}
	if l.Session != nil || l.Secret != "" || l.Pending == nil || l.Pending.Stage != userdb.PendingPasswordChange {
		e.t.Fatalf("sign-in of %s with a password to change: session %v, pending %+v", login, l.Session, l.Pending)
	}
	ctx := browser("dev-A", l.Pending.Secret)
	p, err := e.svc.FindPending(ctx, userdb.PendingPasswordChange)
	if err != nil {
		e.t.Fatal(err)
	}
	return p, ctx
}

// refusedFor checks that a sign-in with the right password is refused with
// the reason, and a message that is not the generic one.
func (e *env) refusedFor(what, login, pw, reason string) {
	e.t.Helper()
	_, err := e.login(login, pw)
	if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || userdb.ErrorReason(err) != reason ||
		userdb.ErrorMessage(err) == "Invalid username or password." {
		e.t.Fatalf("%s: %v (reason %q); want reason %s", what, err, userdb.ErrorReason(err), reason)
	}
}

// refused checks that a sign-in fails with the one answer every failure gets.
func (e *env) refused(what, login, pw string) {
	e.t.Helper()
	_, err := e.login(login, pw)
	if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || userdb.ErrorMessage(err) != "Invalid username or password." {
		e.t.Fatalf("%s: %v; want the one answer of a failed sign-in", what, err)
	}
}

// signedIn reports whether a session's secret still authenticates.
func (e *env) signedIn(l *service.Login) bool {
	_, _, err := e.svc.Authenticate(context.Background(), l.Secret)
	return err == nil
}

// emails returns the queued emails to addr of a kind, newest first, once the
// work that answers left behind (Forgot, ResendVerification) is done.
func (e *env) emails(to, kind string) []*userdb.OutboxEmail {
	e.t.Helper()
	if err := e.svc.Flush(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	list, err := e.store.FindEmails(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []*userdb.OutboxEmail
	for _, m := range list {
		if m.To == to && m.Kind == kind {
			out = append(out, m)
		}
	}
	return out
}

// token returns the token of the link in the newest email of a kind to addr.
func (e *env) token(to, kind string) string {
	e.t.Helper()
	list := e.emails(to, kind)
	if len(list) == 0 {
		e.t.Fatalf("no %s email to %s", kind, to)
	}
	m := linkToken.FindStringSubmatch(list[0].Text)
	if m == nil {
		e.t.Fatalf("no link in the %s email to %s", kind, to)
	}
	return m[1]
}

// events returns the events of typ about u, newest first.
func (e *env) events(typ string, u *userdb.User) []*userdb.Event {
	e.t.Helper()
	f := userdb.EventFilter{Type: typ, Limit: 1000}
	if u != nil {
		f.UserID = u.ID
	}
	list, err := e.store.FindEvents(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// wantErr checks an error's code, and its field when field is not "".
func wantErr(t *testing.T, what string, err error, code, field string) {
	t.Helper()
	if userdb.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
	var ue *userdb.Error
	if field != "" && (!errors.As(err, &ue) || ue.Field != field) {
		t.Fatalf("%s: %v, want an error about %s", what, err, field)
	}
}

// testSealer seals with a fixed key.
func testSealer(t testing.TB) *seal.Box {
	b, err := seal.New([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
