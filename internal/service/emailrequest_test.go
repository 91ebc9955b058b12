package service_test

import (
	"context"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// TestEmailChangeRequest: asking needs the current password (a wrong one
// is recorded and sends nothing); a newer request replaces the older link;
// an address another user has gets the answer of a free one, and a notice
// to the old address, but no link; the link changes the address once.
func TestEmailChangeRequest(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ann := e.user("", "ann@example.com", "secret pass 1")
	e.user("", "taken@example.com", "secret pass 1")

	err := e.svc.RequestEmailChange(ctx, ann, "new@example.com", "wrong pass 1")
	wantErr(t, "a wrong current password", err, userdb.EINVALID, "currentPassword")
	if n := len(e.emails("new@example.com", service.EmailChangeConfirm)); n != 0 {
		t.Fatalf("%d links sent after a wrong password", n)
	}
	if ev := e.events("email.change_failed", ann); len(ev) != 1 {
		t.Fatalf("%d email.change_failed events", len(ev))
	}

	// An address another user has: the same answer, a notice, no link.
	if err := e.svc.RequestEmailChange(ctx, ann, "taken@example.com", "secret pass 1"); err != nil {
		t.Fatalf("asking for a taken address: %v; want the answer of a free one", err)
	}
	if n := len(e.emails("taken@example.com", service.EmailChangeConfirm)); n != 0 {
		t.Fatalf("%d links sent to another user's address", n)
	}
	if n := len(e.emails("ann@example.com", service.EmailChangeNotice)); n != 1 {
		t.Fatalf("%d notices to the old address, want 1", n)
	}

	if err := e.svc.RequestEmailChange(ctx, ann, "new@example.com", "secret pass 1"); err != nil {
		t.Fatal(err)
	}
	first := e.token("new@example.com", service.EmailChangeConfirm)
	if err := e.svc.RequestEmailChange(ctx, ann, "newer@example.com", "secret pass 1"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ConfirmEmailChange(ctx, first)
	wantBadLink(t, "the replaced link", err)
	second := e.token("newer@example.com", service.EmailChangeConfirm)
	u, err := e.svc.ConfirmEmailChange(ctx, second)
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "newer@example.com" || u.EmailVerifiedAt == nil {
		t.Fatalf("after confirming: %s, verified at %v", u.Email, u.EmailVerifiedAt)
	}
	_, err = e.svc.ConfirmEmailChange(ctx, second)
	wantBadLink(t, "the used link", err)
	e.mustLogin("newer@example.com", "secret pass 1")
	e.refused("the old address", "ann@example.com", "secret pass 1")
}
