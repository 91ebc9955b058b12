package service_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/service"
)

// ComposeMagicLink renders the sign-in email with the real templates.
func (c templateComposer) ComposeMagicLink(u *userdb.User, link, code string, ttl time.Duration) (*userdb.OutboxEmail, error) {
	r, err := c.t.Render(mail.KindMagicLink, mail.FormatText, "Sign in", mail.Data{
		ProductName: "Test", BaseURL: "https://id.example.com", Link: link, Code: code, User: mail.NewUserData(u)})
	if err != nil {
		return nil, err
	}
	return &userdb.OutboxEmail{To: u.Email, Subject: r.Subject, Text: r.Text}, nil
}

var emailCode = regexp.MustCompile(`sign-in page: (\d{6})`)

func magicOn(o *service.Options) {
	o.MagicLinkEnabled, o.MagicLinkURL = true, "https://id.example.com/signin/email/link"
}

// TestMagicLinkThenSecondFactor: a user with an authenticator app who
// signs in by email gets a pending sign-in (amr email so far), not a
// session; the app's code completes it with amr email, otp, mfa. The same
// holds for the emailed code.
func TestMagicLinkThenSecondFactor(t *testing.T) {
	e := newEnv(t, magicOn)
	e.user("", "ann@example.com", "a long enough secret 1")
	secret, _ := e.enrolTOTP("ann@example.com", "a long enough secret 1")

	ctx := browser("dev-B", "")
	nonce, err := e.svc.RequestMagicLink(ctx, "ann@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	token := e.token("ann@example.com", service.EmailMagicLink)
	l, err := e.svc.SignInWithMagicLink(ctx, token, nonce, false)
	if err != nil {
		t.Fatal(err)
	}
	if l.Session != nil || l.Pending == nil || l.Pending.Stage != userdb.PendingMFA || strings.Join(l.Pending.AMR, ",") != "email" {
		t.Fatalf("a magic link of a user with a factor: %+v", l)
	}
	ctx = browser("dev-B", l.Pending.Secret)
	p, err := e.svc.FindPending(ctx, userdb.PendingMFA)
	if err != nil {
		t.Fatal(err)
	}
	done, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: e.code(secret, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if got := done.Session.AMR; !slices.Equal(got, []string{"email", "otp", "mfa"}) {
		t.Errorf("amr %v, want [email otp mfa]", got)
	}
	if _, err := e.svc.SignInWithMagicLink(browser("dev-B", ""), token, nonce, false); userdb.ErrorCode(err) != userdb.EINVALID {
		t.Errorf("the link again: %v", err)
	}

	// The code: pending as well.
	e.clock.Add(time.Minute)
	ctx = browser("dev-C", "")
	nonce, err = e.svc.RequestMagicLink(ctx, "ann@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	list := e.emails("ann@example.com", service.EmailMagicLink)
	m := emailCode.FindStringSubmatch(list[0].Text)
	if m == nil {
		t.Fatalf("no code in %q", list[0].Text)
	}
	l, err = e.svc.SignInWithEmailCode(ctx, nonce, m[1])
	if err != nil || l.Pending == nil || l.Session != nil {
		t.Fatalf("the emailed code of a user with a factor: %+v %v", l, err)
	}
}

// TestMagicLinkRefusals: a locked user, or one of a disabled account, is
// refused with the link left unused; refusals are recorded.
func TestMagicLinkRefusals(t *testing.T) {
	e := newEnv(t, magicOn, func(o *service.Options) { o.MagicLinkTTL = 30 * time.Minute })
	u := e.user("", "ann@example.com", "a long enough secret 1")
	ctx := browser("dev-A", "")
	nonce, err := e.svc.RequestMagicLink(ctx, "ann@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	token := e.token("ann@example.com", service.EmailMagicLink)
	for range 3 {
		e.svc.Login(ctx, "ann@example.com", "wrong password")
	}
	if e.reload(u).Status != userdb.StatusLocked {
		t.Fatal("not locked")
	}
	if _, err := e.svc.SignInWithMagicLink(ctx, token, nonce, false); userdb.ErrorCode(err) != userdb.EFORBIDDEN {
		t.Errorf("a locked user's link: %v", err)
	}
	ev := e.events("login.failed", u)
	if len(ev) == 0 || ev[0].Details["method"] != "email" || ev[0].Details["reason"] != "locked" {
		t.Errorf("refusal events: %v", ev)
	}
	// The lock runs out: the same link, left unused, works.
	e.clock.Add(16 * time.Minute)
	if _, err := e.svc.SignInWithMagicLink(ctx, token, nonce, false); err != nil {
		t.Errorf("after the lock ran out: %v", err)
	}
}
