package service_test

import (
	"context"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/service"
)

// breachList is a breach list of a few passwords.
type breachList map[string]int

func (b breachList) Count(_ context.Context, pw string) (int, error) { return b[pw], nil }

// keepHash gives u a password without the policy, as a migration or a hash
// import does.
func (e *env) keepHash(u *userdb.User, pw string) {
	e.t.Helper()
	h, err := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 1, 1).Hash(context.Background(), pw)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.UpdateUser(context.Background(), u.ID, userdb.UserUpdate{PasswordHash: &h}, e.clock.Now()); err != nil {
		e.t.Fatal(err)
	}
}

// TestASVS_2_1_7_CommonPasswordCaughtAtSignIn reproduces the audit: a common
// password kept from an import signed in like any other. Now the sign-in
// succeeds only into the change (the password-change stage, no session,
// must-change set, an event saying why), in every policy mode, and with the breach check on a breached
// password is caught the same way.
func TestASVS_2_1_7_CommonPasswordCaughtAtSignIn(t *testing.T) {
	for _, pol := range []password.Policy{{Mode: password.ModeOff}, password.DefaultPolicy(), {Mode: password.ModeNIST}} {
		t.Run("mode "+pol.Mode, func(t *testing.T) {
			e := newEnvDeps(t, func(d *service.Deps) { d.Policy = pol })
			ann := e.user("", "ann@example.com", "a long enough secret 1")
			e.keepHash(ann, "Password1")
			p, ctx := e.mustChangeAtSignIn("ann@example.com", "Password1")
			if !e.reload(ann).PasswordMustChange {
				t.Fatal("a common password signed in without a forced change")
			}
			if ev := e.events("login.pending", ann); len(ev) != 1 || ev[0].Details["weak_password"] != "common" {
				t.Fatalf("login.pending events %+v", ev)
			}
			// The change refuses another common password, and accepts a good one.
			_, err := e.svc.ChangePendingPassword(ctx, p, "qwerty123")
			wantErr(t, "changing to another common password", err, userdb.EINVALID, "password")
			if _, err := e.svc.ChangePendingPassword(ctx, p, "a brand new secret 2"); err != nil {
				t.Fatal(err)
			}
			if l := e.mustLogin("ann@example.com", "a brand new secret 2"); l.PasswordExpired {
				t.Fatal("the new password is still to change")
			}
		})
	}

	t.Run("breached", func(t *testing.T) {
		e := newEnvDeps(t, func(d *service.Deps) { d.Breaches = breachList{"kept from 2019!": 12} },
			func(o *service.Options) { o.BreachMode = service.BreachWarn })
		ann := e.user("", "ann@example.com", "a long enough secret 1")
		e.keepHash(ann, "kept from 2019!")
		e.mustChangeAtSignIn("ann@example.com", "kept from 2019!")
		if ev := e.events("login.pending", ann); len(ev) != 1 || ev[0].Details["weak_password"] != "breached" {
			t.Fatalf("login.pending events %+v", ev)
		}
		bob := e.user("", "bob@example.com", "a long enough secret 1")
		if l := e.mustLogin("bob@example.com", "a long enough secret 1"); l.PasswordExpired {
			t.Fatal("a good password must be changed")
		}
		_ = bob
	})
}
