package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pquerna/otp/totp"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// TestUserMFAReset: a user's page lists the user's second factors, and
// "Reset MFA" removes them all (a lost phone): the user signs in with the
// password alone again, and is emailed.
func TestUserMFAReset(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	ann := s.AddUser("ann@example.com", pw, "")
	svc := inside.Service(s.Srv)
	ctx := service.WithActor(context.Background(), service.SystemActor())
	en, err := svc.BeginTOTP(ctx, ann)
	if err != nil {
		t.Fatal(err)
	}
	code, _ := totp.GenerateCode(en.Secret, s.Clock.Now())
	if _, err := svc.ConfirmTOTP(ctx, ann, en.FactorID, code); err != nil {
		t.Fatal(err)
	}

	path := "/admin/users/" + ann.ID
	p := root.Get(path)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, `<h2 id="mfa-heading">Two-step verification</h2>`, "Policy: <strong>optional</strong>",
		"Recovery codes left: <strong>10</strong>", `<td data-label="Kind">totp</td><td data-label="Name">Authenticator app</td>`,
		`<input type="hidden" name="intent" value="reset-mfa">`, "Reset MFA")

	wantRedirect(t, root.Post(path, url.Values{"intent": {"reset-mfa"}}), path)
	p = root.Get(path)
	wantText(t, p, "second factors and recovery codes have been removed", "No second factor.", "Recovery codes left: <strong>0</strong>")
	if strings.Contains(p.Body, "Reset MFA") {
		t.Fatal("Reset MFA is offered for a user with nothing to reset")
	}
	if st, _ := svc.MFAStatusOf(context.Background(), ann); len(st.Factors) != 0 || st.RecoveryCodesLeft != 0 {
		t.Fatalf("after the reset: %+v", st)
	}
	b := s.Browser()
	wantRedirect(t, b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {pw}}), "/profile")
	if err := s.Srv.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails, _ := svc.Store().FindEmails(context.Background(), 100)
	reset := 0
	for _, m := range mails {
		if m.To == "ann@example.com" && m.Kind == "mfa-reset" {
			reset++
		}
	}
	if reset != 1 {
		t.Fatalf("%d mfa-reset emails", reset)
	}
}
