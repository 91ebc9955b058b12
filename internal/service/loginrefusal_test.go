package service_test

import (
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// A user who may not sign in and gives the right password is told why and
// what to do; the wrong password gets the one generic answer whatever the
// user's state, as an unknown user does.
func TestRefusedSignInSaysWhy(t *testing.T) {
	e := newEnv(t)
	ctx := sys()

	// Not verified: registration leaves the user PENDING.
	if _, _, err := e.svc.Register(ctx, service.NewUser{Email: "bob@example.com", Password: "secret pass 1"}); err != nil {
		t.Fatal(err)
	}
	e.refused("unverified, wrong password", "bob@example.com", "wrong pass 1")
	e.refusedFor("unverified, right password", "bob@example.com", "secret pass 1", userdb.ReasonEmailNotVerified)

	// Disabled by an administrator.
	cy := e.user("", "cy@example.com", "secret pass 1")
	if _, err := e.svc.AdminSetUserStatus(ctx, cy.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	e.refused("disabled, wrong password", "cy@example.com", "wrong pass 1")
	e.refusedFor("disabled, right password", "cy@example.com", "secret pass 1", userdb.ReasonUserDisabled)

	// The account is disabled.
	acme := e.account("acme")
	dee := e.user(acme.Name, "dee@example.com", "secret pass 1")
	if _, err := e.svc.AdminSetAccountStatus(ctx, acme.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	e.refused("account disabled, wrong password", dee.Email, "wrong pass 1")
	e.refusedFor("account disabled, right password", dee.Email, "secret pass 1", userdb.ReasonAccountDisabled)

	// Locked: told until when, in UTC.
	e.user("", "eve@example.com", "secret pass 1")
	for range 3 {
		e.refused("wrong password", "eve@example.com", "wrong pass 1")
	}
	e.refused("locked, wrong password", "eve@example.com", "wrong pass 1")
	_, err := e.login("eve@example.com", "secret pass 1")
	until := e.clock.Now().Add(testOptions().UnlockAfter).UTC().Format("15:04 MST on 2 January 2006")
	if userdb.ErrorReason(err) != userdb.ReasonUserLocked || !strings.Contains(userdb.ErrorMessage(err), until) {
		t.Fatalf("locked, right password: %v; want the reason %s and the time %s", err, userdb.ReasonUserLocked, until)
	}
}
