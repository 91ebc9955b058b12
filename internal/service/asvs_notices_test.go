package service_test

import (
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/service"
)

// ComposeNotice renders the security notices with the real templates.
func (c templateComposer) ComposeNotice(kind string, u *userdb.User, detail string) (*userdb.OutboxEmail, error) {
	r, err := c.t.Render(kind, mail.FormatText, "Test {{.ProductName}}", mail.Data{
		ProductName: "Test", BaseURL: "https://id.example.com", User: mail.NewUserData(u), Detail: detail})
	if err != nil {
		return nil, err
	}
	return &userdb.OutboxEmail{To: u.Email, Subject: r.Subject, Text: r.Text}, nil
}

// TestASVS_2_5_5_AdminChangesAreNotifiedAndRecorded: an administrator's
// change of a user's email notifies the old address, a password set by an
// administrator notifies the user, a key's creation and revocation its
// creator; each is an event saying the notice went out.
func TestASVS_2_5_5_AdminChangesAreNotifiedAndRecorded(t *testing.T) {
	e := newEnv(t)
	boss := e.user("", "boss@example.com", "a long enough secret 1", "super-admin")
	ann := e.user("", "ann@example.com", "a long enough secret 1")

	email := "ann.new@example.com"
	if _, err := e.svc.AdminUpdateUser(e.as(boss), ann.ID, service.ProfileUpdate{Email: &email}); err != nil {
		t.Fatal(err)
	}
	if m := e.emails("ann@example.com", service.EmailEmailChanged); len(m) != 1 || !strings.Contains(m[0].Text, "tell your") {
		t.Fatalf("notices to the old address: %+v", m)
	}
	if ev := e.events("email.changed", ann); len(ev) != 1 || ev[0].Details["notified"] != true || ev[0].Details["from"] != "ann@example.com" || ev[0].ActorID != boss.ID {
		t.Fatalf("email.changed events %+v", ev)
	}

	if _, err := e.svc.AdminSetPassword(e.as(boss), ann.ID, "set by the boss 1", false); err != nil {
		t.Fatal(err)
	}
	m := e.emails(email, service.EmailPasswordSet)
	if len(m) != 1 || !strings.Contains(m[0].Text, "An administrator set a new password") || strings.Contains(m[0].Text, "set by the boss 1") {
		t.Fatalf("password notices: %+v", m)
	}
	if ev := e.events("password.set", ann); len(ev) != 1 || ev[0].Details["notified"] != true {
		t.Fatalf("password.set events %+v", ev)
	}

	k, _, err := e.svc.AdminCreateAPIKey(e.as(boss), service.NewAPIKey{Name: "nightly export", Roles: []string{"super-admin"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AdminRevokeAPIKey(e.as(boss), k.ID); err != nil {
		t.Fatal(err)
	}
	if m := e.emails("boss@example.com", service.EmailAPIKeyChanged); len(m) != 2 || !strings.Contains(m[0].Text, `"nightly export"`) {
		t.Fatalf("key notices: %+v", m)
	}
	for _, typ := range []string{"apikey.created", "apikey.revoked"} {
		if ev := e.events(typ, nil); len(ev) != 1 || ev[0].Details["notified"] != true {
			t.Fatalf("%s events %+v", typ, ev)
		}
	}
}
