package service_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// authzEnv has two accounts besides the default one, and an actor of each
// kind: a super-admin, an admin of the default account, an admin of acme,
// and a user with no role.
type authzEnv struct {
	*env
	acme, globex                          *userdb.Account
	super, defaultAdmin, acmeAdmin, plain *userdb.User
	n                                     int
}

func newAuthzEnv(t *testing.T) *authzEnv {
	e := &authzEnv{env: newEnv(t)}
	e.acme, e.globex = e.account("acme"), e.account("globex")
	e.super = e.user("", "root@example.com", "secret pass 1", userdb.RoleSuperAdmin)
	e.defaultAdmin = e.user("", "admin@example.com", "secret pass 1", userdb.RoleAdmin)
	e.acmeAdmin = e.user("acme", "boss@acme.example", "secret pass 1", userdb.RoleAdmin)
	e.plain = e.user("", "plain@example.com", "secret pass 1")
	return e
}

// target creates a fresh user of kind: "acme", "globex", or "super" (a
// super-admin of the default account).
func (e *authzEnv) target(kind string) *userdb.User {
	e.n++
	email := fmt.Sprintf("target%d@%s.example", e.n, kind)
	if kind == "super" {
		return e.user("", email, "secret pass 1", userdb.RoleSuperAdmin)
	}
	return e.user(kind, email, "secret pass 1")
}

// TestAdminUserAuthorization runs each administrative action on a user as
// each kind of actor: the system and a super-admin reach every account; an
// admin reaches its own account, and a user of another is reported as not
// found (as a missing one is); an admin may read a super-admin of its
// account but not change it; a user without a role, or a context without
// an actor, is refused.
func TestAdminUserAuthorization(t *testing.T) {
	e := newAuthzEnv(t)
	given := "Changed"
	actions := []struct {
		name  string
		write bool
		do    func(ctx context.Context, id string) error
	}{
		{"get", false, func(ctx context.Context, id string) error { _, err := e.svc.AdminGetUser(ctx, id); return err }},
		{"roles", false, func(ctx context.Context, id string) error { _, err := e.svc.AdminUserRoles(ctx, id); return err }},
		{"update", true, func(ctx context.Context, id string) error {
			_, err := e.svc.AdminUpdateUser(ctx, id, service.ProfileUpdate{GivenName: &given})
			return err
		}},
		{"disable", true, func(ctx context.Context, id string) error {
			_, err := e.svc.AdminSetUserStatus(ctx, id, userdb.StatusDisabled)
			return err
		}},
		{"add role", true, func(ctx context.Context, id string) error { _, err := e.svc.AdminAddRole(ctx, id, "admin"); return err }},
		{"send reset", true, func(ctx context.Context, id string) error { return e.svc.AdminSendPasswordReset(ctx, id) }},
		{"expire password", true, func(ctx context.Context, id string) error { _, err := e.svc.AdminExpirePassword(ctx, id); return err }},
		{"end sessions", true, func(ctx context.Context, id string) error { _, err := e.svc.AdminEndSessions(ctx, id); return err }},
		{"delete", true, func(ctx context.Context, id string) error { return e.svc.AdminDeleteUser(ctx, id) }},
	}
	actors := []struct {
		name string
		ctx  func() context.Context
	}{
		{"system", sys},
		{"super-admin", func() context.Context { return e.as(e.super) }},
		{"default admin", func() context.Context { return e.as(e.defaultAdmin) }},
		{"acme admin", func() context.Context { return e.as(e.acmeAdmin) }},
		{"user", func() context.Context { return e.as(e.plain) }},
		{"nobody", context.Background},
	}
	// want gives the error code of an action by an actor on a target kind:
	// "" for success.
	want := func(actor, target string, write bool) string {
		switch {
		case actor == "system" || actor == "super-admin":
			return ""
		case actor == "user" || actor == "nobody":
			return userdb.EFORBIDDEN
		case actor == "acme admin" && target == "acme":
			return ""
		case actor == "default admin" && target == "super":
			if write {
				return userdb.EFORBIDDEN
			}
			return ""
		}
		return userdb.ENOTFOUND // another account's user
	}
	for _, a := range actors {
		for _, kind := range []string{"acme", "globex", "super"} {
			for _, act := range actions {
				target := e.target(kind)
				err := act.do(a.ctx(), target.ID)
				if code := want(a.name, kind, act.write); userdb.ErrorCode(err) != code && !(code == "" && err == nil) {
					t.Errorf("%s: %s of a %s user: %v, want %q", a.name, act.name, kind, err, code)
				}
			}
		}
	}

	// Another account's user is not found in the words of a missing one.
	_, other := e.svc.AdminGetUser(e.as(e.acmeAdmin), e.target("globex").ID)
	_, missing := e.svc.AdminGetUser(e.as(e.acmeAdmin), "usr_doesnotexist00000")
	if userdb.ErrorMessage(other) != userdb.ErrorMessage(missing) {
		t.Errorf("another account's user: %q; a missing one: %q", userdb.ErrorMessage(other), userdb.ErrorMessage(missing))
	}
	// Every refusal is recorded, naming the actor.
	denied := e.events("authz.denied", nil)
	byActor := map[string]int{}
	for _, ev := range denied {
		byActor[ev.ActorID]++
	}
	if byActor[e.acmeAdmin.ID] == 0 || byActor[e.plain.ID] == 0 {
		t.Errorf("authz.denied events by actor %v; want refusals of the acme admin and of the user", byActor)
	}
}

// TestAdminSelfAndGrants: nobody disables, deletes or adds roles to itself
// through the Admin* methods (a super-admin neither), and only super-admins
// grant super-admin, to existing or new users.
func TestAdminSelfAndGrants(t *testing.T) {
	e := newAuthzEnv(t)
	for _, actor := range []*userdb.User{e.acmeAdmin, e.super} {
		ctx := e.as(actor)
		_, err := e.svc.AdminSetUserStatus(ctx, actor.ID, userdb.StatusDisabled)
		wantErr(t, actor.Email+" disabling itself", err, userdb.EFORBIDDEN, "")
		_, err = e.svc.AdminAddRole(ctx, actor.ID, "admin")
		wantErr(t, actor.Email+" adding a role to itself", err, userdb.EFORBIDDEN, "")
		err = e.svc.AdminDeleteUser(ctx, actor.ID)
		wantErr(t, actor.Email+" deleting itself", err, userdb.EFORBIDDEN, "")
		given := "Me"
		if _, err := e.svc.AdminUpdateUser(ctx, actor.ID, service.ProfileUpdate{GivenName: &given}); err != nil {
			t.Errorf("%s changing its own name: %v", actor.Email, err)
		}
	}

	_, err := e.svc.AdminAddRole(e.as(e.defaultAdmin), e.plain.ID, userdb.RoleSuperAdmin)
	wantErr(t, "an admin granting super-admin", err, userdb.EFORBIDDEN, "")
	_, err = e.svc.AdminCreateUser(e.as(e.defaultAdmin), service.NewUser{Email: "new@example.com", Password: "secret pass 1", Roles: []string{"Super-Admin "}})
	wantErr(t, "an admin creating a super-admin", err, userdb.EFORBIDDEN, "")
	if u, err := e.svc.AdminAddRole(e.as(e.super), e.plain.ID, userdb.RoleSuperAdmin); err != nil || !u.HasRole(userdb.RoleSuperAdmin) {
		t.Fatalf("a super-admin granting super-admin: %v, %v", u, err)
	}
}

// TestAdminAccountScope: an admin creates users in its own account only,
// lists only its own account's users, and cannot see or create other
// accounts; a super-admin can.
func TestAdminAccountScope(t *testing.T) {
	e := newAuthzEnv(t)
	boss := e.as(e.acmeAdmin)
	e.target("globex")

	_, err := e.svc.AdminCreateUser(boss, service.NewUser{Account: "globex", Email: "x@example.com", Password: "secret pass 1"})
	wantErr(t, "an acme admin creating a globex user", err, userdb.ENOTFOUND, "account")
	u, err := e.svc.AdminCreateUser(boss, service.NewUser{Email: "hire@acme.example", Password: "secret pass 1"})
	if err != nil || u.AccountID != e.acme.ID {
		t.Fatalf("an acme admin creating a user: %+v, %v", u, err)
	}

	page, err := e.svc.AdminListUsers(boss, userdb.UserFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range page.Users {
		if u.AccountID != e.acme.ID {
			t.Errorf("an acme admin lists %s of account %s", u.Email, u.AccountID)
		}
	}
	if page.Total != 2 {
		t.Errorf("an acme admin counts %d users, want its 2", page.Total)
	}
	_, err = e.svc.AdminListUsers(boss, userdb.UserFilter{AccountID: "globex"})
	wantErr(t, "an acme admin listing globex", err, userdb.ENOTFOUND, "")
	if page, err := e.svc.AdminListUsers(e.as(e.super), userdb.UserFilter{AccountID: "globex"}); err != nil || page.Total != 1 {
		t.Fatalf("a super-admin listing globex: %+v, %v", page, err)
	}

	_, err = e.svc.AdminGetAccount(boss, "globex")
	wantErr(t, "an acme admin reading globex", err, userdb.ENOTFOUND, "")
	if a, err := e.svc.AdminGetAccount(boss, "ACME"); err != nil || a.ID != e.acme.ID {
		t.Fatalf("an acme admin reading its account: %v, %v", a, err)
	}
	_, err = e.svc.AdminCreateAccount(boss, service.NewAccount{Name: "initech"})
	wantErr(t, "an admin creating an account", err, userdb.EFORBIDDEN, "")
	if _, err := e.svc.AdminCreateAccount(e.as(e.super), service.NewAccount{Name: "initech"}); err != nil {
		t.Fatalf("a super-admin creating an account: %v", err)
	}
}
