package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// addFactors gives u an authenticator app and a security key, confirmed,
// straight in the store (enrolment is tested in internal/service).
func addFactors(t *testing.T, s *site, u *userdb.User) {
	t.Helper()
	st := inside.Service(s.Srv).Store()
	added := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	used := added.Add(24 * time.Hour)
	for _, f := range []*userdb.Factor{
		{ID: userdb.NewID("fac"), UserID: u.ID, Kind: userdb.FactorTOTP, Name: "Ann's phone", Secret: []byte("sealed"),
			ConfirmedAt: &added, CreatedAt: added, LastUsedAt: &used},
		{ID: userdb.NewID("fac"), UserID: u.ID, Kind: userdb.FactorWebAuthn, Name: "YubiKey", Data: `{"id":"x"}`,
			KeyHash: userdb.HashSecret("cred"), ConfirmedAt: &added, CreatedAt: added},
	} {
		if err := st.CreateFactor(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUserMFAReset (issue 16): a user's page lists the user's second
// factors (kind, name, added, last used); "Reset MFA" removes them, tells
// the user by email and records mfa.reset; a cross-origin post of it
// changes nothing; an administrator's own page has no such button.
func TestUserMFAReset(t *testing.T) {
	s := newSite(t)
	me := s.AddUser("root@example.com", pw, "", "super-admin")
	root := s.Browser()
	root.SignIn("root@example.com", pw)
	ann := s.AddUser("ann@example.com", pw, "")
	addFactors(t, s, ann)
	path := "/admin/users/" + ann.ID

	p := root.Get(path)
	wantText(t, p, "Second factors", "Authenticator app", "Ann&#39;s phone", "Security key or passkey", "YubiKey",
		"2 Feb 2026", "Never", `name="intent" value="reset-mfa"`, "Reset MFA")

	refused := root.Do("POST", path, url.Values{"intent": {"reset-mfa"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}})
	wantStatus(t, refused, http.StatusForbidden)
	st := inside.Service(s.Srv).Store()
	if fs, err := st.FindUserFactors(context.Background(), ann.ID); err != nil || len(fs) != 2 {
		t.Fatalf("after a cross-origin reset: %d factors, %v", len(fs), err)
	}

	p = root.Post(path, url.Values{"intent": {"reset-mfa"}})
	wantRedirect(t, p, path)
	wantText(t, root.Follow(p), "second factors have been removed", "No second factor.")
	if fs, err := st.FindUserFactors(context.Background(), ann.ID); err != nil || len(fs) != 0 {
		t.Fatalf("after the reset: %d factors, %v", len(fs), err)
	}
	if err := s.Srv.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	emails, err := st.FindEmails(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	told := 0
	for _, m := range emails {
		if m.To == "ann@example.com" && m.Kind == service.EmailMFAReset {
			told++
		}
	}
	if told != 1 {
		t.Fatalf("%d mfa-reset emails to the user, want 1", told)
	}
	ev, err := st.FindEvents(context.Background(), userdb.EventFilter{Type: "mfa.reset", UserID: ann.ID})
	if err != nil || len(ev) != 1 || ev[0].ActorID != me.ID {
		t.Fatalf("mfa.reset events %+v, %v", ev, err)
	}

	// Nothing to reset, or one's own factors: no button.
	if p := root.Get(path); strings.Contains(p.Body, `value="reset-mfa"`) {
		t.Fatal("a Reset MFA button for a user without factors")
	}
	addFactors(t, s, me)
	if p := root.Get("/admin/users/" + me.ID); !strings.Contains(p.Body, "YubiKey") || strings.Contains(p.Body, `value="reset-mfa"`) {
		t.Fatal("an administrator's own page: want its factors and no Reset MFA button")
	}
}
