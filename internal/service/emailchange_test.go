package service_test

import (
	"context"
	"path/filepath"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/sqlstore"
)

// templateComposer renders the workflow emails with the real templates.
type templateComposer struct{ t *mail.Templates }

func (c templateComposer) Compose(kind string, u *userdb.User, link string) (*userdb.OutboxEmail, error) {
	r, err := c.t.Render(kind, mail.FormatText, "Test {{.ProductName}}", mail.Data{
		ProductName: "Test", BaseURL: "https://id.example.com", Link: link, User: mail.NewUserData(u)})
	if err != nil {
		return nil, err
	}
	return &userdb.OutboxEmail{To: u.Email, Subject: r.Subject, Text: r.Text}, nil
}

type fixture struct {
	t     *testing.T
	svc   *service.Service
	store *sqlstore.Store
	clock *testclock.Clock
}

// newFixture is a service on a fresh SQLite database with fast hashing.
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlstore.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "userdb.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	tpl, err := mail.LoadTemplates("")
	if err != nil {
		t.Fatal(err)
	}
	clk := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	svc := service.New(service.Deps{
		Store:  st,
		Hasher: password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 2, 100),
		Policy: password.DefaultPolicy(), Emails: templateComposer{tpl}, Clock: clk,
	}, service.Options{VerifyTTL: 24 * time.Hour, ResetTTL: time.Hour, EmailChangeURL: "https://id.example.com/email-change",
		ResetURL: "https://id.example.com/reset"})
	t.Cleanup(func() { svc.Close(context.Background()) })
	return &fixture{t: t, svc: svc, store: st, clock: clk}
}

func (f *fixture) addUser(username, email, pw string) *userdb.User {
	f.t.Helper()
	u, err := f.svc.AdminCreateUser(service.WithActor(context.Background(), service.SystemActor()), service.NewUser{Username: username, Email: email, Password: pw, Verified: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return u
}

var linkToken = regexp.MustCompile(`sptoken=([A-Za-z0-9_-]+)`)

// token returns the token of the newest email of a kind to addr.
func (f *fixture) token(to, kind string) string {
	f.t.Helper()
	list, err := f.store.FindEmails(context.Background(), 100)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, m := range list {
		if m.To == to && m.Kind == kind {
			if match := linkToken.FindStringSubmatch(m.Text); match != nil {
				return match[1]
			}
			f.t.Fatalf("no link in the %s email", kind)
		}
	}
	f.t.Fatalf("no %s email to %s", kind, to)
	return ""
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if userdb.ErrorCode(err) != code {
		t.Fatalf("%s: %v, want %s", what, err, code)
	}
}

// TestConfirmEmailChangeConcurrent confirms one link from many goroutines:
// exactly one changes the address.
func TestConfirmEmailChangeConcurrent(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	u := f.addUser("ann", "ann@example.com", "secret pass 1")
	if err := f.svc.RequestEmailChange(ctx, u, "ann2@example.com", "secret pass 1"); err != nil {
		t.Fatal(err)
	}
	tok := f.token("ann2@example.com", service.EmailChangeConfirm)
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = f.svc.ConfirmEmailChange(ctx, tok) })
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		if err == nil {
			wins++
		} else {
			wantCode(t, "a losing confirmation", err, userdb.EINVALID)
		}
	}
	if wins != 1 {
		t.Fatalf("%d confirmations succeeded, want 1", wins)
	}
	got, _ := f.store.FindUserByID(ctx, u.ID)
	if got.Email != "ann2@example.com" || got.Username != "ann" {
		t.Fatalf("email %q username %q: the username was not the email and must stay", got.Email, got.Username)
	}
	ev, _ := f.store.FindEvents(ctx, userdb.EventFilter{UserID: u.ID, Type: "email.changed"})
	if len(ev) != 1 {
		t.Fatalf("%d email.changed events", len(ev))
	}
}

// TestEmailChangeLinks: a link expires with the verification TTL, a
// disabled user's link does nothing, and confirming ends the links sent to
// the old address.
func TestEmailChangeLinks(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()

	t.Run("expires", func(t *testing.T) {
		u := f.addUser("bea", "bea@example.com", "secret pass 1")
		if err := f.svc.RequestEmailChange(ctx, u, "bea2@example.com", "secret pass 1"); err != nil {
			t.Fatal(err)
		}
		tok := f.token("bea2@example.com", service.EmailChangeConfirm)
		if addr, err := f.svc.CheckEmailChangeToken(ctx, tok); err != nil || addr != "bea2@example.com" {
			t.Fatalf("CheckEmailChangeToken = %q, %v", addr, err)
		}
		f.clock.Add(24*time.Hour + time.Second)
		_, err := f.svc.CheckEmailChangeToken(ctx, tok)
		wantCode(t, "an expired link", err, userdb.EINVALID)
		_, err = f.svc.ConfirmEmailChange(ctx, tok)
		wantCode(t, "confirming an expired link", err, userdb.EINVALID)
	})

	t.Run("disabled user", func(t *testing.T) {
		u := f.addUser("cid", "cid@example.com", "secret pass 1")
		if err := f.svc.RequestEmailChange(ctx, u, "cid2@example.com", "secret pass 1"); err != nil {
			t.Fatal(err)
		}
		tok := f.token("cid2@example.com", service.EmailChangeConfirm)
		if _, err := f.svc.AdminSetUserStatus(service.WithActor(ctx, service.SystemActor()), u.ID, userdb.StatusDisabled); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.ConfirmEmailChange(ctx, tok)
		wantCode(t, "a disabled user's link", err, userdb.EINVALID)
		got, _ := f.store.FindUserByID(ctx, u.ID)
		if got.Email != "cid@example.com" {
			t.Fatalf("a disabled user's email changed to %q", got.Email)
		}
	})

	t.Run("old links end", func(t *testing.T) {
		u := f.addUser("dee", "dee@example.com", "secret pass 1")
		if err := f.svc.Forgot(ctx, "dee@example.com"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.Flush(ctx); err != nil { // Forgot queues its email after answering
			t.Fatal(err)
		}
		reset := f.token("dee@example.com", service.EmailForgotPassword)
		if err := f.svc.RequestEmailChange(ctx, u, "dee2@example.com", "secret pass 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.ConfirmEmailChange(ctx, f.token("dee2@example.com", service.EmailChangeConfirm)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "the reset link sent to the old address", f.svc.CheckResetToken(ctx, reset), userdb.EINVALID)
	})

	t.Run("no password", func(t *testing.T) {
		u, err := f.svc.AdminCreateUser(service.WithActor(ctx, service.SystemActor()), service.NewUser{Email: "eve@example.com", Invite: true})
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.RequestEmailChange(ctx, u, "eve2@example.com", "anything 1")
		wantCode(t, "a user without a password", err, userdb.EINVALID)
	})
}
