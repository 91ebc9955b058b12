package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// passwordlessUser is an enabled, verified user without a password (as an
// upstream provider's sign-in or an accepted invitation by link makes).
func (e *env) passwordlessUser(email string) *userdb.User {
	e.t.Helper()
	u, err := e.svc.AdminCreateUser(sys(), service.NewUser{Email: email, Invite: true})
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	enabled := userdb.StatusEnabled
	u, err = e.store.UpdateUser(context.Background(), u.ID, userdb.UserUpdate{Status: &enabled, EmailVerifiedAt: &now}, now)
	if err != nil || u.PasswordHash != "" {
		e.t.Fatalf("a user without a password: %+v %v", u, err)
	}
	return u
}

// passwordlessSession signs a user without a password in by an emailed
// code and returns the context of its requests.
func (e *env) passwordlessSession(email string) (context.Context, *service.Login) {
	e.t.Helper()
	ctx := browser("dev-P", "")
	if _, err := e.svc.RequestMagicLink(ctx, email, ""); err != nil {
		e.t.Fatal(err)
	}
	l, err := e.svc.SignInWithMagicLink(ctx, e.token(email, service.EmailMagicLink), "", true)
	if err != nil || l.Session == nil {
		e.t.Fatalf("passwordless sign-in: %+v %v", l, err)
	}
	return e.session("dev-P", l), l
}

// TestFirstPasswordOfPasswordlessUser: a user without a password, signed
// in by an emailed link, sets a first password without a current one while
// its sign-in is recent, then signs in with it; afterwards the current
// password is required again, and an old session cannot set one.
func TestFirstPasswordOfPasswordlessUser(t *testing.T) {
	e := newEnv(t, magicOn, func(o *service.Options) { o.MFA.ReauthMaxAge = 15 * time.Minute })
	u := e.passwordlessUser("pat@example.com")
	ctx, l := e.passwordlessSession("pat@example.com")

	// Too old a sign-in: nothing set.
	e.clock.Add(16 * time.Minute)
	err := e.svc.ChangePassword(ctx, l.User, l.Session, "", "a first long password 1")
	wantErr(t, "a first password from an old session", err, userdb.EFORBIDDEN, "")
	if e.reload(u).PasswordHash != "" {
		t.Fatal("a password was set from an old session")
	}

	ctx, l = e.passwordlessSession("pat@example.com")
	err = e.svc.ChangePassword(ctx, l.User, l.Session, "", "short")
	wantErr(t, "a first password against the policy", err, userdb.EINVALID, "password")
	if err := e.svc.ChangePassword(ctx, l.User, l.Session, "", "a first long password 1"); err != nil {
		t.Fatalf("a first password: %v", err)
	}
	if len(e.events("password.set", u)) != 1 {
		t.Error("no password.set event")
	}
	if _, err := e.svc.Login(browser("dev-Q", ""), "pat@example.com", "a first long password 1"); err != nil {
		t.Fatalf("sign-in with the first password: %v", err)
	}
	// Now it has one: the current password is required, also of a caller
	// whose copy of the user (the session's) predates the first password.
	for _, who := range []*userdb.User{e.reload(u), l.User} {
		err = e.svc.ChangePassword(ctx, who, l.Session, "", "another long password 2")
		wantErr(t, "a second 'first' password", err, userdb.EINVALID, "currentPassword")
	}
}

// TestEmailChangeWithoutPassword: a user without a password asks for an
// email change with a recent sign-in instead of a current password (the
// link goes to the new address, the notice to the old); a user with a
// password still gives it.
func TestEmailChangeWithoutPassword(t *testing.T) {
	e := newEnv(t, magicOn, func(o *service.Options) { o.MFA.ReauthMaxAge = 15 * time.Minute })
	e.passwordlessUser("pat@example.com")
	ctx, l := e.passwordlessSession("pat@example.com")
	if err := e.svc.RequestEmailChange(ctx, l.User, "pat@example.org", ""); err != nil {
		t.Fatalf("an email change without a password: %v", err)
	}
	if len(e.emails("pat@example.org", service.EmailChangeConfirm)) != 1 || len(e.emails("pat@example.com", service.EmailChangeNotice)) != 1 {
		t.Fatal("no link to the new address or no notice to the old")
	}
	e.clock.Add(16 * time.Minute)
	err := e.svc.RequestEmailChange(ctx, l.User, "pat@example.net", "")
	wantErr(t, "an email change from an old session", err, userdb.EFORBIDDEN, "")

	ann := e.user("", "ann@example.com", "a long enough secret 1")
	al, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "a long enough secret 1")
	if err != nil {
		t.Fatal(err)
	}
	err = e.svc.RequestEmailChange(e.session("dev-A", al), ann, "ann@example.org", "")
	wantErr(t, "a user with a password and none given", err, userdb.EINVALID, "currentPassword")
}
