package mail_test

import (
	"context"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

func TestNewSMTPChecksConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  mail.SMTPConfig
	}{
		{"no host", mail.SMTPConfig{From: "a@example.com"}},
		{"bad TLS mode", mail.SMTPConfig{Host: "smtp.example.com", TLS: "ssl"}},
		{"bad from", mail.SMTPConfig{Host: "smtp.example.com", From: "not an address"}},
		{"bad port", mail.SMTPConfig{Host: "smtp.example.com", Port: 70000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := mail.NewSMTP(tt.cfg); err == nil {
				t.Error("NewSMTP succeeded; want an error")
			}
		})
	}
}

func smtpTo(t *testing.T, md *mailtest.MailDev) *mail.SMTP {
	t.Helper()
	d, err := mail.NewSMTP(mail.SMTPConfig{
		Host: md.SMTPHost(), Port: md.SMTPPort(), TLS: mail.TLSNone,
		From: "Example App <noreply@example.com>", Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func waitMessages(t *testing.T, md *mailtest.MailDev, n int) []mailtest.ReceivedMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	msgs, err := md.WaitMessages(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestMailDev runs everything that needs a real SMTP server against one
// MailDev, as starting it takes seconds.
func TestMailDev(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{MaxMessageSize: maxMessageSize})
	tests := []struct {
		name string
		test func(*testing.T, *mailtest.MailDev)
	}{
		{"SMTP delivers", testSMTPDelivers},
		{"SMTP errors", testSMTPErrors},
		{"sender delivers", testSenderDelivers},
		{"sender stops on a permanent failure", testSenderStopsOnPermanentFailure},
		{"sender survives an SMTP outage", testSenderSurvivesOutage}, // restarts MailDev
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := md.Start(); err != nil {
				t.Fatal(err)
			}
			if err := md.DeleteAll(); err != nil {
				t.Fatal(err)
			}
			tt.test(t, md)
		})
	}
}

// maxMessageSize is MailDev's limit: larger emails get a permanent 552.
const maxMessageSize = 20000

var tooLarge = strings.Repeat("All work and no play makes Jack a dull boy.\n", 1000)

func testSMTPDelivers(t *testing.T, md *mailtest.MailDev) {
	d := smtpTo(t, md)
	tpl := mustLoad(t, "")
	link := "https://app.example.com/verify?sptoken=TOKEN123"
	r, err := tpl.Render(mail.KindVerification, mail.FormatBoth, "Verify your {{.ProductName}} email", sampleData(link))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, text, html string
	}{
		{"text and html", r.Text, r.HTML},
		{"text only", r.Text, ""},
		{"html only", "", r.HTML},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := md.DeleteAll(); err != nil {
				t.Fatal(err)
			}
			err := d.Send(t.Context(), mail.Message{To: "ada@example.com", Subject: r.Subject, Text: tt.text, HTML: tt.html})
			if err != nil {
				t.Fatal(err)
			}
			msgs := waitMessages(t, md, 1)
			if len(msgs) != 1 {
				t.Fatalf("%d messages; want 1", len(msgs))
			}
			m := msgs[0]
			if m.Subject != "Verify your Example App email" {
				t.Errorf("subject %q", m.Subject)
			}
			if !slices.Equal(m.To, []string{"ada@example.com"}) || !slices.Equal(m.From, []string{"noreply@example.com"}) {
				t.Errorf("from %v to %v", m.From, m.To)
			}
			if tt.text != "" && !strings.Contains(m.Text, link) {
				t.Errorf("text body lacks the link:\n%s", m.Text)
			}
			if tt.html != "" && (!strings.Contains(m.HTML, link) || !strings.Contains(m.HTML, "Verify email address")) {
				t.Errorf("HTML body lacks the button:\n%s", m.HTML)
			}
			if tt.html == "" && m.HTML != "" {
				t.Errorf("unexpected HTML body %q", m.HTML)
			}
		})
	}
}

func testSMTPErrors(t *testing.T, md *mailtest.MailDev) {
	d := smtpTo(t, md)

	// A port nobody listens on: connection refused.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	down, err := mail.NewSMTP(mail.SMTPConfig{Host: "127.0.0.1", Port: closedPort, TLS: mail.TLSNone, From: "noreply@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	// A server that does not offer STARTTLS when it is required.
	noTLS, err := mail.NewSMTP(mail.SMTPConfig{Host: md.SMTPHost(), Port: md.SMTPPort(), TLS: mail.TLSStartTLS, From: "noreply@example.com"})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name          string
		d             *mail.SMTP
		m             mail.Message
		wantPermanent bool
	}{
		{"connection refused", down, mail.Message{To: "ada@example.com", Subject: "Hi", Text: "Hi"}, false},
		{"no STARTTLS", noTLS, mail.Message{To: "ada@example.com", Subject: "Hi", Text: "Hi"}, false},
		{"message too large (552)", d, mail.Message{To: "ada@example.com", Subject: "Hi", Text: tooLarge}, true},
		{"bad recipient", d, mail.Message{To: "not an address", Subject: "Hi", Text: "Hi"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Send(t.Context(), tt.m)
			if err == nil {
				t.Fatal("Send succeeded; want an error")
			}
			if got := mail.IsPermanent(err); got != tt.wantPermanent {
				t.Errorf("IsPermanent(%v) = %v; want %v", err, got, tt.wantPermanent)
			}
		})
	}
	if msgs, err := md.Messages(); err != nil || len(msgs) != 0 {
		t.Errorf("MailDev holds %d messages (%v); want none", len(msgs), err)
	}
}

func testSenderDelivers(t *testing.T, md *mailtest.MailDev) {
	st, rec := openSQLite(t), make(recorder, 100) // the real outbox, end to end
	s := mail.NewSender(st, smtpTo(t, md), mail.SenderOptions{
		From: "Example App <noreply@example.com>", PollInterval: time.Hour,
		Logger: testLogger(t), OnResult: rec.onResult,
	})
	start(t, s)
	for i := range 3 {
		mustEnqueue(t, st, "user"+strconv.Itoa(i)+"@example.com", "Welcome "+strconv.Itoa(i), time.Now())
	}
	s.Kick()
	for range 3 {
		if res := rec.next(t); res.err != nil || !res.sent {
			t.Errorf("email %d: %v", res.id, res.err)
		}
	}
	msgs, err := md.Messages() // all sent, and MailDev stores an email before it accepts it
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for _, m := range msgs {
		subjects = append(subjects, m.Subject)
	}
	slices.Sort(subjects)
	if want := []string{"Welcome 0", "Welcome 1", "Welcome 2"}; !slices.Equal(subjects, want) {
		t.Errorf("subjects %q; want %q", subjects, want)
	}
}

// With the SMTP server down, the email is retried with backoff, and arrives
// exactly once when the server is back.
func testSenderSurvivesOutage(t *testing.T, md *mailtest.MailDev) {
	if err := md.Stop(); err != nil {
		t.Fatal(err)
	}
	st, rec := &memOutbox{}, make(recorder, 100)
	s := mail.NewSender(st, smtpTo(t, md), mail.SenderOptions{
		Backoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		MaxAttempts: 1000, Logger: testLogger(t), OnResult: rec.onResult,
	})
	id := mustEnqueue(t, st, "ada@example.com", "Are you there?", time.Now())
	stop := start(t, s)

	var last result
	for i := range 3 {
		last = rec.next(t)
		if last.err == nil || mail.IsPermanent(last.err) || last.attempts != i+1 {
			t.Fatalf("attempt %d while down: %+v; want a temporary failure", i+1, last)
		}
	}
	if err := md.Start(); err != nil {
		t.Fatal(err)
	}
	for last.err != nil {
		last = rec.next(t)
	}
	if last.id != id || !last.sent {
		t.Fatalf("result %+v; want email %d sent", last, id)
	}
	// Once the sender has stopped, every attempt it made is in rec, and
	// MailDev holds every email it accepted (it stores one before saying so).
	stop()
	rec.none(t, "after the email was sent")
	msgs, err := md.Messages()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Subject != "Are you there?" {
		t.Errorf("MailDev holds %+v; want the email exactly once", msgs)
	}
}

// A permanent failure (552, message too large) is not retried.
func testSenderStopsOnPermanentFailure(t *testing.T, md *mailtest.MailDev) {
	st, rec := &memOutbox{}, make(recorder, 100)
	s := mail.NewSender(st, smtpTo(t, md), mail.SenderOptions{
		Backoff: 10 * time.Millisecond, PollInterval: 10 * time.Millisecond,
		Logger: testLogger(t), OnResult: rec.onResult,
	})
	m := &userdb.OutboxEmail{To: "ada@example.com", Subject: "Too big", Text: tooLarge, NextAttemptAt: time.Now()}
	if err := st.EnqueueEmail(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	big := m.ID
	stop := start(t, s)
	if res := rec.next(t); res.id != big || !mail.IsPermanent(res.err) {
		t.Fatalf("result %+v; want a permanent failure of email %d", res, big)
	}
	// The sender keeps polling; only the new, small email is attempted.
	small := mustEnqueue(t, st, "ada@example.com", "Small", time.Now())
	if res := rec.next(t); res.id != small || res.err != nil {
		t.Fatalf("result %+v; want email %d sent", res, small)
	}
	// More rounds find nothing due: the big email was given up.
	for range 3 {
		s.SendDue(t.Context())
	}
	stop()
	rec.none(t, "after the big email was given up")
	if m := st.email(t, big); m.Attempts != 1 || !strings.Contains(m.LastError, "552") {
		t.Errorf("big email: %d attempts, error %q; want 1 and a 552", m.Attempts, m.LastError)
	}
}
