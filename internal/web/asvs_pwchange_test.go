package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

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
