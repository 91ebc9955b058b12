package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/server"
)

// TestKeepMeSignedInPage: the sign-in page offers "Keep me signed in" when
// sessions.remember_lifetime is not 0; the choice survives a detour
// through an expired password (the pending sign-in carries it) and the
// session list shows the session kept until 30 days after sign-in.
func TestKeepMeSignedInPage(t *testing.T) {
	s := newSite(t, func(c *server.Config) {
		c.Password.MaxAge = 30 * 24 * time.Hour
		c.Sessions.RememberLifetime = 30 * 24 * time.Hour // off by default (ASVS 3.3.2 L2)
	})
	s.AddUser("ann@example.com", "correct horse battery", "")
	s.Clock.Add(31 * 24 * time.Hour)
	b := s.Browser()
	wantText(t, b.Get("/signin"), `name="remember" type="checkbox"`, "Keep me signed in")
	p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}, "remember": {"true"}})
	wantRedirect(t, p, "/password-expired")
	p = b.Post("/password-expired", url.Values{"password": {"fresh pass phrase"}, "confirmPassword": {"fresh pass phrase"}})
	wantRedirect(t, p, "/profile")
	p = b.Get("/profile/sessions")
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "Kept signed in until")

	other := s.Browser()
	wantRedirect(t, other.SignIn("ann@example.com", "fresh pass phrase"), "/profile")
	if p := other.Get("/profile/sessions"); strings.Count(p.Body, "Kept signed in until") != 1 {
		t.Fatalf("a session without the choice is shown as kept:\n%s", p.Body)
	}

	off := newSite(t, func(c *server.Config) { c.Sessions.RememberLifetime = 0 })
	if p := off.Browser().Get("/signin"); strings.Contains(p.Body, `name="remember"`) {
		t.Fatal("the choice is offered with remember_lifetime 0")
	}
}
