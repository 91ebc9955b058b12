package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// invite creates a user by invitation, as the system.
func (e *env) invite(email string) *userdb.User {
	e.t.Helper()
	u, err := e.svc.AdminCreateUser(sys(), service.NewUser{Email: email, GivenName: "Cy", Surname: "Lee", Invite: true})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// TestInvitation: an invited user is PENDING without a password until the
// link is used; a form with a mistake leaves the link working; accepting
// sets the password, verifies and enables the user and signs it in, once; a
// new invitation replaces the old link; a link expires after InviteTTL and
// does nothing for a user disabled since.
func TestInvitation(t *testing.T) {
	e := newEnv(t) // InviteTTL 7 days
	ctx := context.Background()
	cy := e.invite("cy@example.com")
	if cy.Status != userdb.StatusPending || cy.PasswordHash != "" || cy.EmailVerifiedAt != nil {
		t.Fatalf("invited user %+v", cy)
	}
	e.refused("an invited user", "cy@example.com", "any pass 1")
	first := e.token("cy@example.com", service.EmailInvitation)
	if got, err := e.svc.CheckInvitation(ctx, first); err != nil || got.ID != cy.ID || got.GivenName != "Cy" {
		t.Fatalf("CheckInvitation: %+v, %v", got, err)
	}

	if err := e.svc.AdminResendInvitation(sys(), cy.ID); err != nil {
		t.Fatal(err)
	}
	second := e.token("cy@example.com", service.EmailInvitation)
	_, err := e.svc.CheckInvitation(ctx, first)
	wantBadLink(t, "the replaced invitation", err)

	_, err = e.svc.AcceptInvitation(ctx, second, "short", service.ProfileUpdate{})
	wantErr(t, "a password the policy refuses", err, userdb.EINVALID, "")
	if _, err := e.svc.CheckInvitation(ctx, second); err != nil {
		t.Fatalf("the link after a refused form: %v", err)
	}

	surname := "Lee-Smith"
	l, err := e.svc.AcceptInvitation(ctx, second, "secret pass 1", service.ProfileUpdate{Surname: &surname})
	if err != nil {
		t.Fatal(err)
	}
	if !e.signedIn(l) {
		t.Fatal("accepting did not sign the user in")
	}
	u := e.reload(cy)
	if u.Status != userdb.StatusEnabled || u.EmailVerifiedAt == nil || u.Surname != "Lee-Smith" || u.PasswordHash == "" {
		t.Fatalf("after accepting: %+v", u)
	}
	e.mustLogin("cy@example.com", "secret pass 1")
	_, err = e.svc.AcceptInvitation(ctx, second, "secret pass 2", service.ProfileUpdate{})
	wantBadLink(t, "the used invitation", err)
	err = e.svc.AdminResendInvitation(sys(), cy.ID)
	wantErr(t, "inviting an ENABLED user again", err, userdb.EINVALID, "")
	if ev := e.events("user.invitation_accepted", cy); len(ev) != 1 {
		t.Errorf("%d user.invitation_accepted events", len(ev))
	}
	if n := len(e.emails("cy@example.com", service.EmailWelcome)); n != 1 {
		t.Errorf("%d welcome emails", n)
	}

	// Expired.
	dee := e.invite("dee@example.com")
	tok := e.token("dee@example.com", service.EmailInvitation)
	e.clock.Add(7 * 24 * time.Hour)
	_, err = e.svc.AcceptInvitation(ctx, tok, "secret pass 1", service.ProfileUpdate{})
	wantBadLink(t, "an expired invitation", err)
	if got := e.reload(dee); got.Status != userdb.StatusPending || got.PasswordHash != "" {
		t.Fatalf("after an expired invitation: %+v", got)
	}

	// Disabled since.
	if err := e.svc.AdminResendInvitation(sys(), dee.ID); err != nil {
		t.Fatal(err)
	}
	tok = e.token("dee@example.com", service.EmailInvitation)
	if _, err := e.svc.AdminSetUserStatus(sys(), dee.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.AcceptInvitation(ctx, tok, "secret pass 1", service.ProfileUpdate{})
	wantBadLink(t, "a disabled user's invitation", err)
}
