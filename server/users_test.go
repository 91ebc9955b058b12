package server_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/server"
)

const libPassword = "a long enough secret"

// mustCode fails the test unless err has the code.
func mustCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if !userdb.IsCode(err, code) {
		t.Fatalf("%s: error %v, want %s", what, err, code)
	}
}

func TestUsersFind(t *testing.T) {
	e := newEnv(t)
	users := e.srv.Users()
	ctx := context.Background()
	ann, err := users.Create(ctx, server.NewUser{Email: "ann@example.com", Username: "annie", Password: libPassword})
	if err != nil {
		t.Fatal(err)
	}
	// Pat's username is Ann's email: each lookup finds its own.
	pat, err := users.Create(ctx, server.NewUser{Email: "pat@example.com", Username: "ANN@example.com", Password: libPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		what string
		find func(context.Context, string) (*userdb.User, error)
		arg  string
		want string
	}{
		{"id", users.FindByID, ann.ID, ann.ID},
		{"username", users.FindByUsername, "Annie", ann.ID},
		{"email", users.FindByEmail, "ANN@example.com", ann.ID},
		{"username that is an email", users.FindByUsername, "ann@example.com", pat.ID},
	} {
		u, err := tt.find(ctx, tt.arg)
		if err != nil || u.ID != tt.want {
			t.Errorf("find by %s %q: %v, %v; want %s", tt.what, tt.arg, u, err, tt.want)
		}
	}
	_, err = users.FindByEmail(ctx, "nobody@example.com")
	mustCode(t, "missing email", err, userdb.ENOTFOUND)
	_, err = users.FindByUsername(ctx, "pat@example.com") // an email, not a username
	mustCode(t, "email as username", err, userdb.ENOTFOUND)
	_, err = users.FindByID(ctx, "usr_missing")
	mustCode(t, "missing id", err, userdb.ENOTFOUND)

	if ev := e.events("user.created"); len(ev) != 2 || ev[0].ActorID != server.LibraryActor {
		t.Fatalf("user.created events: %+v", ev)
	}
}

func TestUsersFindOrCreateAndRoles(t *testing.T) {
	e := newEnv(t)
	users := e.srv.Users()
	ctx := context.Background()
	n := server.NewUser{Email: "bo@example.com", Password: libPassword, GivenName: "Bo"}
	bo, created, err := users.FindOrCreate(ctx, n)
	if err != nil || !created {
		t.Fatalf("first FindOrCreate: created=%v err=%v", created, err)
	}
	again, created, err := users.FindOrCreate(ctx, n)
	if err != nil || created || again.ID != bo.ID {
		t.Fatalf("second FindOrCreate: %v created=%v err=%v", again, created, err)
	}

	role, created, err := users.FindOrCreateRole(ctx, "", "editors")
	if err != nil || !created || role.AccountID != userdb.DefaultAccountID {
		t.Fatalf("FindOrCreateRole: %+v created=%v err=%v", role, created, err)
	}
	same, created, err := users.FindOrCreateRole(ctx, userdb.DefaultAccountName, "Editors")
	if err != nil || created || same.ID != role.ID {
		t.Fatalf("FindOrCreateRole again: %+v created=%v err=%v", same, created, err)
	}
	_, _, err = users.FindOrCreateRole(ctx, "no-such-account", "x")
	mustCode(t, "role in a missing account", err, userdb.ENOTFOUND)

	u, err := users.AddRole(ctx, bo.ID, "editors")
	if err != nil || !u.HasRole("editors") {
		t.Fatalf("AddRole: %v %v", u, err)
	}
	u, err = users.RemoveRole(ctx, bo.ID, "editors")
	if err != nil || u.HasRole("editors") {
		t.Fatalf("RemoveRole: %v %v", u, err)
	}
	_, err = users.RemoveRole(ctx, bo.ID, "editors")
	mustCode(t, "removing a role the user lacks", err, userdb.EINVALID)
	_, err = users.AddRole(ctx, bo.ID, "nope")
	mustCode(t, "adding a missing role", err, userdb.EINVALID)
	if ev := e.events("user.role_added"); len(ev) != 1 || ev[0].UserID != bo.ID || ev[0].ActorID != server.LibraryActor {
		t.Fatalf("user.role_added events: %+v", ev)
	}
}

func TestUsersSave(t *testing.T) {
	e := newEnv(t)
	users := e.srv.Users()
	ctx := context.Background()
	u, err := users.Create(ctx, server.NewUser{Email: "cy@example.com", Password: libPassword,
		CustomData: map[string]any{"team": "a", "desk": "3"}})
	if err != nil {
		t.Fatal(err)
	}
	stale := *u

	u.GivenName, u.Surname = "Cy", "Young"
	u.CustomData = map[string]any{"team": "b"} // desk removed
	saved, err := users.Save(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if saved.FullName != "Cy Young" || saved.Version != u.Version+1 || len(saved.CustomData) != 1 || saved.CustomData["team"] != "b" {
		t.Fatalf("saved: %+v", saved)
	}
	if ev := e.events("user.updated"); len(ev) != 1 || !strings.Contains(fmtDetails(ev[0]), "customData") {
		t.Fatalf("user.updated events: %+v", ev)
	}

	// A copy read before that save is stale: nothing of it is written.
	stale.Surname = "Old"
	_, err = users.Save(ctx, &stale)
	mustCode(t, "saving a stale copy", err, userdb.ECONFLICT)

	// Roles and passwords are not Save's.
	fresh, _ := users.FindByID(ctx, u.ID)
	fresh.Roles = append(fresh.Roles, "admin")
	_, err = users.Save(ctx, fresh)
	mustCode(t, "saving other roles", err, userdb.EINVALID)
	fresh, _ = users.FindByID(ctx, u.ID)
	fresh.Status = userdb.StatusLocked
	_, err = users.Save(ctx, fresh)
	mustCode(t, "saving status LOCKED", err, userdb.EINVALID)

	got, _ := users.FindByID(ctx, u.ID)
	if got.Surname != "Young" || got.Version != saved.Version || got.HasRole("admin") {
		t.Fatalf("after refused saves: %+v", got)
	}

	// Nothing changed: no write.
	if again, err := users.Save(ctx, got); err != nil || again.Version != got.Version {
		t.Fatalf("saving an unchanged user: %+v %v", again, err)
	}
	// Disabling through Save ends the user's sessions, as the admin API does.
	c := e.client()
	c.mustLogin("cy@example.com", libPassword)
	got.Status = userdb.StatusDisabled
	if _, err := users.Save(ctx, got); err != nil {
		t.Fatal(err)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("/me of a disabled user: %d", r.status)
	}
}

func fmtDetails(e *userdb.Event) string {
	var b strings.Builder
	for k, v := range e.Details {
		b.WriteString(k)
		b.WriteString("=")
		if list, ok := v.([]string); ok {
			b.WriteString(strings.Join(list, ","))
		} else if list, ok := v.([]any); ok {
			for _, x := range list {
				b.WriteString(x.(string) + ",")
			}
		}
		b.WriteString(" ")
	}
	return b.String()
}

func TestUsersSearch(t *testing.T) {
	e := newEnv(t)
	users := e.srv.Users()
	ctx := context.Background()
	for _, email := range []string{"x1@test.org", "x2@test.org", "x3@test.org", "y@test.org"} {
		if _, err := users.Create(ctx, server.NewUser{Email: email, Password: libPassword}); err != nil {
			t.Fatal(err)
		}
	}
	f := userdb.UserFilter{Query: "x", Sort: userdb.SortEmail, Limit: 2}
	page, err := users.Search(ctx, f)
	if err != nil || len(page.Users) != 2 || page.Users[0].Email != "x1@test.org" || page.Next == "" || page.Total != 3 {
		t.Fatalf("first page: %+v %v", page, err)
	}
	f.Cursor = page.Next
	page, err = users.Search(ctx, f)
	if err != nil || len(page.Users) != 1 || page.Users[0].Email != "x3@test.org" || page.Next != "" {
		t.Fatalf("second page: %+v %v", page, err)
	}
	_, err = users.Search(ctx, userdb.UserFilter{AccountID: "nowhere"})
	mustCode(t, "search in a missing account", err, userdb.ENOTFOUND)
}

func TestUsersPasswords(t *testing.T) {
	e := newEnv(t)
	users := e.srv.Users()
	ctx := context.Background()
	hash, err := users.HashPassword(ctx, libPassword)
	if err != nil || !strings.HasPrefix(hash, "$argon2id$") {
		t.Fatalf("HashPassword: %q %v", hash, err)
	}
	if ok, err := users.VerifyPassword(ctx, libPassword, hash); !ok || err != nil {
		t.Fatalf("VerifyPassword of the right password: %v %v", ok, err)
	}
	if ok, err := users.VerifyPassword(ctx, "wrong password", hash); ok || err != nil {
		t.Fatalf("VerifyPassword of a wrong password: %v %v", ok, err)
	}

	// A user created with that hash signs in with the password.
	dee, err := users.Create(ctx, server.NewUser{Email: "dee@example.com", PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	e.client().mustLogin("dee@example.com", libPassword)
	_, err = users.Create(ctx, server.NewUser{Email: "bad@example.com", PasswordHash: "plain text"})
	mustCode(t, "creating a user with a hash of no known format", err, userdb.EINVALID)

	// SetPassword applies the policy, ends sessions, and the new password works.
	c := e.client()
	c.mustLogin("dee@example.com", libPassword)
	mustCode(t, "a too short password", users.SetPassword(ctx, dee.ID, "short", false), userdb.EINVALID)
	if err := users.SetPassword(ctx, dee.ID, "another long secret", true); err != nil {
		t.Fatal(err)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("/me after SetPassword: %d", r.status)
	}
	if r := e.client().login("dee@example.com", "another long secret"); r.status == 400 || r.status == 401 {
		t.Fatalf("sign-in with the new password: %d %s", r.status, r.body)
	}
	if ev := e.events("password.set"); len(ev) != 1 || ev[0].Details["must_change"] != true {
		t.Fatalf("password.set events: %+v", ev)
	}

	// SendPasswordReset queues the email whose link the reset page takes.
	if err := users.SendPasswordReset(ctx, dee.ID); err != nil {
		t.Fatal(err)
	}
	tok := tokenOf(t, e.lastEmail("dee@example.com", "forgot-password"))
	if r := e.client().do("POST", "/change", map[string]string{"sptoken": tok, "password": "a third long secret"}); r.status != 200 {
		t.Fatalf("reset with the emailed token: %d %s", r.status, r.body)
	}
}

func TestUsersInviteAndVerify(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Registration.Enabled = true })
	users := e.srv.Users()
	ctx := context.Background()

	inv, err := users.Invite(ctx, server.NewUser{Email: "eve@example.com", Roles: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != userdb.StatusPending || inv.PasswordHash != "" || !inv.HasRole("admin") {
		t.Fatalf("invited user: %+v", inv)
	}
	if m := e.lastEmail("eve@example.com", "invitation"); !strings.Contains(m.Text, "sptoken=") {
		t.Fatalf("invitation email: %q", m.Text)
	}

	// Self-registration sends a verification email; its token verifies.
	if r := e.client().do("POST", "/register", map[string]any{"email": "fay@example.com", "password": libPassword}); r.status != 201 && r.status != 200 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	tok := tokenOf(t, e.lastEmail("fay@example.com", "account-verification"))
	u, err := users.VerifyAccount(ctx, tok)
	if err != nil || u.EmailVerifiedAt == nil || u.Status != userdb.StatusEnabled {
		t.Fatalf("VerifyAccount: %+v %v", u, err)
	}
	_, err = users.VerifyAccount(ctx, tok)
	if err == nil {
		t.Fatal("a verification token worked twice")
	}
	e.lastEmail("fay@example.com", "account-welcome")
}

func TestUsersUnlock(t *testing.T) {
	e := newEnv(t) // locks after 5 failures, unlock period 15m
	users := e.srv.Users()
	ctx := context.Background()
	lock := func(email string) *userdb.User {
		t.Helper()
		u, err := users.Create(ctx, server.NewUser{Email: email, Password: libPassword})
		if err != nil {
			t.Fatal(err)
		}
		for range 5 {
			e.client().login(email, "wrong password!")
		}
		if u, _ = users.FindByID(ctx, u.ID); u.Status != userdb.StatusLocked {
			t.Fatalf("%s not locked: %s", email, u.Status)
		}
		return u
	}
	old := lock("old@example.com")
	e.clock.Add(16 * time.Minute)
	recent := lock("recent@example.com")

	// Only users locked longer than the unlock period, as unlockUsers did.
	if n, err := users.UnlockUsers(ctx); n != 1 || err != nil {
		t.Fatalf("UnlockUsers: %d %v", n, err)
	}
	if u, _ := users.FindByID(ctx, old.ID); u.Status != userdb.StatusEnabled {
		t.Fatalf("the old lock stays: %s", u.Status)
	}
	if u, _ := users.FindByID(ctx, recent.ID); u.Status != userdb.StatusLocked {
		t.Fatalf("the recent lock went: %s", u.Status)
	}
	if n, err := users.UnlockAllUsers(ctx); n != 1 || err != nil {
		t.Fatalf("UnlockAllUsers: %d %v", n, err)
	}
	_, err := users.Unlock(ctx, recent.ID)
	mustCode(t, "unlocking a user that is not locked", err, userdb.EINVALID)

	again := lock("again@example.com")
	if u, err := users.Unlock(ctx, again.ID); err != nil || u.Status != userdb.StatusEnabled {
		t.Fatalf("Unlock: %+v %v", u, err)
	}
	if ev := e.events("user.unlocked"); len(ev) != 3 {
		t.Fatalf("user.unlocked events: %d", len(ev))
	}
}

func TestUsersDelete(t *testing.T) {
	e := newEnv(t)
	users := e.srv.Users()
	ctx := context.Background()
	u, err := users.Create(ctx, server.NewUser{Email: "gus@example.com", Password: libPassword})
	if err != nil {
		t.Fatal(err)
	}
	if err := users.Delete(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	_, err = users.FindByID(ctx, u.ID)
	mustCode(t, "a deleted user", err, userdb.ENOTFOUND)
	if ev := e.events("user.deleted"); len(ev) != 1 || ev[0].UserID != u.ID {
		t.Fatalf("user.deleted events: %+v", ev)
	}
}

func TestWithTransformer(t *testing.T) {
	e := newEnv(t)
	srv := openWith(t, e, server.WithTransformer(func(v *server.UserView) any {
		names := make([]string, len(v.Roles))
		for i, r := range v.Roles {
			names[i] = r.Name
		}
		return map[string]any{"user": v.Email, "roles": names}
	}))
	e.addUser("hal@example.com", libPassword, "admin")
	transformed := *e
	transformed.http = httptest.NewServer(srv)
	defer transformed.http.Close()
	c := transformed.client()
	c.mustLogin("hal@example.com", libPassword) // the body is {"account": <transformed>}
	r := c.do("GET", "/me", nil)
	acc, _ := r.json(t)["account"].(map[string]any)
	if r.status != 200 || acc["user"] != "hal@example.com" || len(acc["roles"].([]any)) != 1 || acc["id"] != nil {
		t.Fatalf("/me through the transformer: %d %s", r.status, r.body)
	}
}

// chanDriver is a program's own mail driver: it hands every message over a
// channel.
type chanDriver chan userdb.MailMessage

func (d chanDriver) Send(ctx context.Context, m userdb.MailMessage) error {
	select {
	case d <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestWithMailDriver(t *testing.T) {
	e := newEnv(t)
	sent := make(chanDriver, 1)
	srv := openWith(t, e, server.WithMailDriver(sent))
	ctx := context.Background()

	u := e.addUser("ida@example.com", libPassword)
	if err := srv.Users().SendPasswordReset(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if err := srv.Flush(ctx); err != nil { // the outbox's due emails are sent
		t.Fatal(err)
	}
	select {
	case m := <-sent:
		if m.To != "ida@example.com" || !strings.Contains(m.Text, "sptoken=") || m.From == "" {
			t.Fatalf("message: %+v", m)
		}
	default:
		t.Fatal("the driver got no message")
	}
}
