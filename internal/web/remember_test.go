package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// TestKeepMeSignedInPage: the sign-in page offers "Keep me signed in" when
// sessions.remember_lifetime is not 0; the choice survives a detour
// through an expired password (the pending sign-in carries it) and the
// session list shows the session kept until 30 days after sign-in.
func TestKeepMeSignedInPage(t *testing.T) {
	s := newSite(t, func(c *server.Config) { c.Password.MaxAge = 30 * 24 * time.Hour })
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

// TestASVS_2_1_6_SecondFactorThenPasswordChange: on the hosted pages, a
// user with an authenticator app whose password an administrator expired
// gives the code, then gets the password page (still no session), and the
// new password signs in, going on to next=.
func TestASVS_2_1_6_SecondFactorThenPasswordChange(t *testing.T) {
	s, ann, secret, _ := annWithApp(t)
	if _, err := inside.Service(s.Srv).AdminExpirePassword(service.WithActor(context.Background(), service.SystemActor()), ann.ID); err != nil {
		t.Fatal(err)
	}
	b := startSignIn(s, "/profile/sessions")
	p := b.Post("/signin/mfa", url.Values{"code": {code(s, secret, 0)}, "next": {"/profile/sessions"}})
	wantRedirect(t, p, "/password-expired?next=%2Fprofile%2Fsessions")
	if b.Cookie("userdb") != "" || b.Cookie("userdb_pending") == "" {
		t.Fatalf("after the code: session %q, pending %q", b.Cookie("userdb"), b.Cookie("userdb_pending"))
	}
	wantRedirect(t, b.Get("/profile"), "/signin?next=%2Fprofile")
	p = b.Post("/password-expired", url.Values{"next": {"/profile/sessions"}, "password": {"fresh pass phrase"}, "confirmPassword": {"fresh pass phrase"}})
	wantRedirect(t, p, "/profile/sessions")
	wantStatus(t, b.Get("/profile/sessions"), http.StatusOK)
}
