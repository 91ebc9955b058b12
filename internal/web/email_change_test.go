package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// emailChange posts the profile's change-of-email form.
func emailChange(b *browser, newEmail, password string) page {
	b.S.T.Helper()
	return b.Post("/profile", url.Values{"intent": {"email"}, "newEmail": {newEmail}, "emailPassword": {password}})
}

// emailsTo counts the outbox's emails of a kind to an address.
func emailsTo(s *site, to, kind string) int {
	s.T.Helper()
	list, err := inside.Service(s.Srv).Store().FindEmails(context.Background(), 1000)
	if err != nil {
		s.T.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if strings.EqualFold(m.To, to) && m.Kind == kind {
			n++
		}
	}
	return n
}

// events lists the user's events of a type, newest first.
func events(s *site, userID, typ string) []*userdb.Event {
	s.T.Helper()
	list, err := inside.Service(s.Srv).Store().FindEvents(context.Background(), userdb.EventFilter{UserID: userID, Type: typ, Limit: 100})
	if err != nil {
		s.T.Fatal(err)
	}
	return list
}

// user reads a user from the store.
func user(s *site, id string) *userdb.User {
	s.T.Helper()
	u, err := inside.Service(s.Srv).Store().FindUserByID(context.Background(), id)
	if err != nil {
		s.T.Fatal(err)
	}
	return u
}

// TestEmailChange changes the address through the emailed link: nothing
// changes until the confirmation is posted, the link works once, and the
// user then signs in with the new address only.
func TestEmailChange(t *testing.T) {
	s := newSite(t)
	u := s.AddUser("ann@example.com", "correct horse battery", "")
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")

	p := emailChange(b, "Ann.New@Example.com", "correct horse battery")
	wantRedirect(t, p, "/profile")
	wantText(t, b.Follow(p), "open the link we have sent to the new address")
	if got := user(s, u.ID); got.Email != "ann@example.com" || got.EmailVerifiedAt == nil {
		t.Fatalf("asking changed the email at once: %q verified=%v", got.Email, got.EmailVerifiedAt)
	}
	if n := emailsTo(s, "ann@example.com", "email-change-notice"); n != 1 {
		t.Fatalf("%d notices to the old address, want 1", n)
	}
	if n := emailsTo(s, "ann@example.com", "email-change"); n != 0 {
		t.Fatal("the confirmation link went to the old address")
	}
	token := s.Token("Ann.New@Example.com", "email-change")
	if ev := events(s, u.ID, "email.change_requested"); len(ev) != 1 || ev[0].ActorID != u.ID || ev[0].Details["to"] != "Ann.New@Example.com" {
		t.Fatalf("email.change_requested events %+v", ev)
	}

	// Opening the link (twice, as a link scanner and then the person)
	// shows the confirmation and changes nothing.
	for range 2 {
		p = s.Browser().Get("/email-change?sptoken=" + token)
		wantStatus(t, p, http.StatusOK)
		wantText(t, p, "<h1>Confirm your new email address</h1>", "<strong>Ann.New@Example.com</strong>",
			`<form method="post" action="/email-change"`)
		if m := inlineCode.FindString(p.Body); m != "" {
			t.Fatalf("inline code %q would break the CSP", m)
		}
	}
	if got := user(s, u.ID); got.Email != "ann@example.com" {
		t.Fatalf("GET changed the email to %q", got.Email)
	}

	// Confirming works in a browser without a session, once.
	other := s.Browser()
	p = other.Post("/email-change", url.Values{"sptoken": {token}})
	wantRedirect(t, p, "/profile")
	got := user(s, u.ID)
	if got.Email != "Ann.New@Example.com" || got.EmailVerifiedAt == nil || !got.EmailVerifiedAt.Equal(s.Clock.Now()) {
		t.Fatalf("after confirming: email %q verified at %v", got.Email, got.EmailVerifiedAt)
	}
	if got.Username != "Ann.New@Example.com" {
		t.Errorf("username %q: it was the old address and should follow the email", got.Username)
	}
	ev := events(s, u.ID, "email.changed")
	if len(ev) != 1 || ev[0].ActorID != u.ID || ev[0].Details["from"] != "ann@example.com" || ev[0].Details["to"] != "Ann.New@Example.com" {
		t.Fatalf("email.changed events %+v", ev)
	}
	p = other.Post("/email-change", url.Values{"sptoken": {token}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "This link no longer works")
	wantStatus(t, other.Get("/email-change?sptoken="+token), http.StatusBadRequest)
	if len(events(s, u.ID, "email.changed")) != 1 {
		t.Fatal("the link was used twice")
	}

	// Sign in with the new address; the old one is nobody's any more.
	fresh := s.Browser()
	wantStatus(t, fresh.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}}), http.StatusBadRequest)
	wantRedirect(t, fresh.Post("/signin", url.Values{"login": {"ann.new@example.com"}, "password": {"correct horse battery"}}), "/profile")
}

// TestEmailChangeRefused posts bad change-of-email forms: each is a 400
// with the message at its field, what was typed kept (never the password),
// and no link sent.
func TestEmailChangeRefused(t *testing.T) {
	s := newSite(t)
	u := s.AddUser("ann@example.com", "correct horse battery", "")
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")
	for _, tc := range []struct {
		name, email, password, field, msg string
	}{
		{"wrong password", "ann2@example.com", "not my password", "emailPassword", "Current password is incorrect."},
		{"no password", "ann2@example.com", "", "emailPassword", "Enter your current password."},
		{"not an address", "ann2 at example", "correct horse battery", "newEmail", "Enter a valid email address, like name@example.com."},
		{"no address", "", "correct horse battery", "newEmail", "Enter the new email address."},
		{"the same address", "ANN@example.com", "correct horse battery", "newEmail", "That is already your email address."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := emailChange(b, tc.email, tc.password)
			wantStatus(t, p, http.StatusBadRequest)
			wantText(t, p, `<p class="field-error" id="f-`+tc.field+`-error">`+htmlEscape(tc.msg)+`</p>`)
			if tc.email != "" {
				wantText(t, p, `name="newEmail" type="email" autocomplete="email" value="`+htmlEscape(tc.email)+`"`)
			}
			if tc.password != "" && strings.Contains(p.Body, tc.password) {
				t.Fatal("the password was echoed")
			}
		})
	}
	if n := emailsTo(s, "ann2@example.com", "email-change"); n != 0 {
		t.Fatalf("%d links sent for refused forms", n)
	}
	if ev := events(s, u.ID, "email.change_failed"); len(ev) != 1 {
		t.Fatalf("%d email.change_failed events, want 1 (the wrong password)", len(ev))
	}
	if got := user(s, u.ID); got.Email != "ann@example.com" {
		t.Fatalf("email changed to %q", got.Email)
	}

	// Bad links.
	for _, tok := range []string{"", "nonsense", strings.Repeat("x", 500)} {
		wantStatus(t, b.Get("/email-change?sptoken="+tok), http.StatusBadRequest)
		wantStatus(t, b.Post("/email-change", url.Values{"sptoken": {tok}}), http.StatusBadRequest)
	}
	// A form from another site is refused before it is read.
	p := b.Do("POST", "/email-change", url.Values{"sptoken": {"x"}}, http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	if p.Status != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", p.Status)
	}
}

// TestEmailChangeTakenAddress asks for an address another account has: the
// answer is the same as for a free one, and nothing is sent to it. An
// address taken between asking and confirming is refused with 409 and a
// clear message.
func TestEmailChangeTakenAddress(t *testing.T) {
	s := newSite(t)
	u := s.AddUser("ann@example.com", "correct horse battery", "")
	s.AddUser("bob@example.com", "battery staple horse", "")
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")

	free := emailChange(b, "ann.free@example.com", "correct horse battery")
	taken := emailChange(b, "BOB@example.com", "correct horse battery")
	if free.Status != taken.Status || free.Location() != taken.Location() || free.Body != taken.Body {
		t.Fatalf("a taken address answers differently: %d %q vs %d %q", taken.Status, taken.Location(), free.Status, free.Location())
	}
	if n := emailsTo(s, "bob@example.com", "email-change") + emailsTo(s, "bob@example.com", "email-change-notice"); n != 0 {
		t.Fatalf("%d emails to the owner of the taken address", n)
	}
	if n := emailsTo(s, "ann@example.com", "email-change-notice"); n != 2 {
		t.Fatalf("%d notices to the old address, want 2", n)
	}
	// The second request replaced the first link.
	first := s.Token("ann.free@example.com", "email-change")
	wantStatus(t, b.Get("/email-change?sptoken="+first), http.StatusBadRequest)

	// Ask again for a free address, which Bob takes before Ann confirms.
	wantRedirect(t, emailChange(b, "shared@example.com", "correct horse battery"), "/profile")
	token := s.Token("shared@example.com", "email-change")
	bob, err := inside.Service(s.Srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "bob@example.com")
	if err != nil {
		t.Fatal(err)
	}
	shared := "shared@example.com"
	if _, err := inside.Service(s.Srv).AdminUpdateUser(service.WithActor(context.Background(), service.SystemActor()), bob.ID, service.ProfileUpdate{Email: &shared}); err != nil {
		t.Fatal(err)
	}
	p := b.Post("/email-change", url.Values{"sptoken": {token}})
	wantStatus(t, p, http.StatusConflict)
	wantText(t, p, "This email address is now used by another account")
	if got := user(s, u.ID); got.Email != "ann@example.com" {
		t.Fatalf("email changed to %q", got.Email)
	}
	if len(events(s, u.ID, "email.changed")) != 0 {
		t.Fatal("email.changed recorded for a refused change")
	}
}
