package mail_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

const (
	smtpUser = "mailer"
	smtpPass = "correct-mail-password"
)

// TestSMTPSecure delivers over implicit TLS (MailDev with --incoming-secure)
// and over STARTTLS (MailDev cannot offer it: a front does, then relays to
// MailDev), trusting the test's own certificate authority through CAFile,
// and authenticates with PLAIN and LOGIN. A wrong password, a missing
// login, an untrusted certificate: the send fails, as an error that is not
// permanent (the email waits for the configuration to be fixed), and
// nothing is delivered.
func TestSMTPSecure(t *testing.T) {
	cert, stranger := mailtest.NewCert(t), mailtest.NewCert(t)
	tlsDev := mailtest.New(t, mailtest.Options{TLS: cert, Username: smtpUser, Password: smtpPass})
	plainDev := mailtest.New(t, mailtest.Options{Username: smtpUser, Password: smtpPass})
	both := mailtest.NewStartTLS(t, plainDev, cert, mailtest.StartTLSOptions{})
	plainOnly := mailtest.NewStartTLS(t, plainDev, cert, mailtest.StartTLSOptions{AuthMechanisms: []string{"PLAIN"}})
	loginOnly := mailtest.NewStartTLS(t, plainDev, cert, mailtest.StartTLSOptions{AuthMechanisms: []string{"LOGIN"}})

	implicit := func(change func(*mail.SMTPConfig)) mail.SMTPConfig {
		c := mail.SMTPConfig{Host: tlsDev.SMTPHost(), Port: tlsDev.SMTPPort(), TLS: mail.TLSImplicit, CAFile: cert.CAFile,
			Username: smtpUser, Password: smtpPass, From: "noreply@example.com", Timeout: 5 * time.Second}
		if change != nil {
			change(&c)
		}
		return c
	}
	starttls := func(f *mailtest.StartTLS, change func(*mail.SMTPConfig)) mail.SMTPConfig {
		c := mail.SMTPConfig{Host: f.Host(), Port: f.Port(), TLS: mail.TLSStartTLS, CAFile: cert.CAFile,
			Username: smtpUser, Password: smtpPass, From: "noreply@example.com", Timeout: 5 * time.Second}
		if change != nil {
			change(&c)
		}
		return c
	}
	wrongPassword := func(c *mail.SMTPConfig) { c.Password = "wrong password" }
	tests := []struct {
		name     string
		cfg      mail.SMTPConfig
		md       *mailtest.MailDev
		front    *mailtest.StartTLS // nil: implicit TLS
		wantMech string             // the front saw this AUTH
		fails    bool
	}{
		{"implicit TLS with AUTH", implicit(nil), tlsDev, nil, "", false},
		{"implicit TLS, wrong password", implicit(wrongPassword), tlsDev, nil, "", true},
		{"implicit TLS, no login", implicit(func(c *mail.SMTPConfig) { c.Username, c.Password = "", "" }), tlsDev, nil, "", true},
		{"implicit TLS, only the system's CAs", implicit(func(c *mail.SMTPConfig) { c.CAFile = "" }), tlsDev, nil, "", true},
		{"implicit TLS, another CA", implicit(func(c *mail.SMTPConfig) { c.CAFile = stranger.CAFile }), tlsDev, nil, "", true},
		{"STARTTLS, AUTH PLAIN", starttls(plainOnly, nil), plainDev, plainOnly, "PLAIN", false},
		{"STARTTLS, AUTH LOGIN", starttls(loginOnly, nil), plainDev, loginOnly, "LOGIN", false},
		{"STARTTLS, both offered", starttls(both, nil), plainDev, both, "PLAIN", false},
		{"STARTTLS, AUTH PLAIN, wrong password", starttls(plainOnly, wrongPassword), plainDev, plainOnly, "PLAIN", true},
		{"STARTTLS, AUTH LOGIN, wrong password", starttls(loginOnly, wrongPassword), plainDev, loginOnly, "LOGIN", true},
		{"STARTTLS, no login", starttls(both, func(c *mail.SMTPConfig) { c.Username, c.Password = "", "" }), plainDev, both, "", true},
		{"STARTTLS, another CA", starttls(both, func(c *mail.SMTPConfig) { c.CAFile = stranger.CAFile }), plainDev, both, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.md.DeleteAll(); err != nil {
				t.Fatal(err)
			}
			d, err := mail.NewSMTP(tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			var upgrades int
			var mechs []string
			if tt.front != nil {
				upgrades, mechs = tt.front.Upgrades(), tt.front.AuthMechanisms()
			}
			err = d.Send(t.Context(), mail.Message{To: "ada@example.com", Subject: tt.name, Text: "Hello over TLS."})
			if tt.fails {
				if err == nil {
					t.Fatal("Send succeeded; want an error")
				}
				if mail.IsPermanent(err) {
					t.Errorf("error %v is permanent; a configuration fault must leave the email to retry", err)
				}
			} else if err != nil {
				t.Fatalf("Send: %v", err)
			}
			if tt.front != nil {
				newMechs := tt.front.AuthMechanisms()[len(mechs):]
				if tt.wantMech == "" && len(newMechs) > 0 || tt.wantMech != "" && !slices.Equal(newMechs, []string{tt.wantMech}) {
					t.Errorf("AUTH mechanisms used %v; want %q", newMechs, tt.wantMech)
				}
				wantUpgrade := 1
				if tt.cfg.CAFile == stranger.CAFile {
					wantUpgrade = 0 // the client refused the handshake
				}
				if got := tt.front.Upgrades() - upgrades; got != wantUpgrade {
					t.Errorf("%d TLS upgrades; want %d", got, wantUpgrade)
				}
			}
			if !tt.fails {
				msgs := waitMessages(t, tt.md, 1)
				if len(msgs) != 1 || msgs[0].Subject != tt.name || !strings.Contains(msgs[0].Text, "Hello over TLS.") {
					t.Fatalf("MailDev holds %+v", msgs)
				}
				return
			}
			// MailDev stores a message before it accepts it, and Send has
			// returned: nothing can arrive later.
			if msgs, err := tt.md.Messages(); err != nil || len(msgs) != 0 {
				t.Fatalf("MailDev holds %d messages (%v); want none", len(msgs), err)
			}
		})
	}
}

// TestSenderAuthFailure: with a wrong SMTP password the sender keeps the
// email and retries it; once the password is right (here: a sender with
// the corrected configuration, as after a restart), it is delivered once.
// An email still failing after MaxAttempts is parked, kept with its error.
func TestSenderAuthFailure(t *testing.T) {
	cert := mailtest.NewCert(t)
	md := mailtest.New(t, mailtest.Options{TLS: cert, Username: smtpUser, Password: smtpPass})
	driver := func(pass string) *mail.SMTP {
		d, err := mail.NewSMTP(mail.SMTPConfig{Host: md.SMTPHost(), Port: md.SMTPPort(), TLS: mail.TLSImplicit,
			CAFile: cert.CAFile, Username: smtpUser, Password: pass, From: "noreply@example.com", Timeout: 5 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	st := openSQLite(t) // the real outbox
	retried := mustEnqueue(t, st, "ada@example.com", "Retried", time.Now())
	rec := make(recorder, 100)
	stop := start(t, mail.NewSender(st, driver("wrong password"), mail.SenderOptions{
		Backoff: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		MaxAttempts: 1000, Logger: testLogger(t), OnResult: rec.onResult,
	}))
	for i := range 2 {
		if res := rec.next(t); res.id != retried || res.err == nil || mail.IsPermanent(res.err) || res.attempts != i+1 {
			t.Fatalf("attempt %d with a wrong password: %+v; want a failure to retry", i+1, res)
		}
	}
	stop()

	rec = make(recorder, 100)
	stop = start(t, mail.NewSender(st, driver(smtpPass), mail.SenderOptions{
		Backoff: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond, Logger: testLogger(t), OnResult: rec.onResult,
	}))
	if res := rec.next(t); res.id != retried || !res.sent {
		t.Fatalf("with the right password: %+v; want email %d sent", res, retried)
	}
	// Once the sender has stopped, every attempt it made is in rec, and
	// MailDev holds every email it accepted (it stores one before saying so).
	stop()
	rec.none(t, "after the email was sent")
	if msgs, err := md.Messages(); err != nil || len(msgs) != 1 || msgs[0].Subject != "Retried" {
		t.Fatalf("MailDev holds %+v (%v); want the email once", msgs, err)
	}

	// Parked after MaxAttempts: never sent, but kept with its error.
	parked := mustEnqueue(t, st, "bob@example.com", "Parked", time.Now())
	rec = make(recorder, 100)
	start(t, mail.NewSender(st, driver("wrong password"), mail.SenderOptions{
		Backoff: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond, MaxAttempts: 2,
		Logger: testLogger(t), OnResult: rec.onResult,
	}))
	if res := rec.next(t); res.id != parked || mail.IsPermanent(res.err) {
		t.Fatalf("first attempt: %+v", res)
	}
	if res := rec.next(t); res.id != parked || !mail.IsPermanent(res.err) || res.next.Year() < 2200 {
		t.Fatalf("second attempt: %+v; want parked", res)
	}
	list, err := st.FindEmails(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.ID == parked && (m.SentAt != nil || m.Attempts != 2 || m.LastError == "") {
			t.Fatalf("parked email %+v", m)
		}
	}
}
