package server_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/mail/mailtest"
	"github.com/userdb/userdb/server"
)

// run starts the server's background work (the outbox sender, the batched
// session writes) until stop is called or the test ends; stop returns once
// the work has ended.
func (e *env) run() (stop func()) {
	return runServer(e.t, e.srv)
}

func runServer(t testing.TB, srv *server.Server) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	srv.Start(ctx)
	stop = func() { cancel(); srv.Wait() }
	t.Cleanup(stop)
	return stop
}

// withMailDev sends the server's email to md over plain SMTP. The sender
// polls the outbox often, as a server would, but tests do not wait for it:
// they call Flush, which sends what is due.
func withMailDev(md *mailtest.MailDev) func(*server.Config) {
	return func(c *server.Config) {
		c.SMTP.Host, c.SMTP.Port, c.SMTP.TLS = md.SMTPHost(), md.SMTPPort(), "none"
		c.SMTP.Timeout = 5 * time.Second
		c.Outbox.PollInterval = 20 * time.Millisecond
		c.Outbox.Backoff = time.Minute // on the test clock
	}
}

// eventsOf returns the events of typ about userID ("" for events about no
// user), newest first.
func (e *env) eventsOf(typ, userID string) []*userdb.Event {
	e.t.Helper()
	var out []*userdb.Event
	for _, ev := range e.events(typ) {
		if ev.UserID == userID {
			out = append(out, ev)
		}
	}
	return out
}

// newEvent returns the first event of typ about userID that is newer than
// after and satisfies match, once the background work due is done (the
// events of emails sent are written then).
func (e *env) newEvent(typ, userID string, after int64, match func(*userdb.Event) bool) *userdb.Event {
	e.t.Helper()
	e.flush()
	list := e.eventsOf(typ, userID)
	for _, ev := range slices.Backward(list) { // oldest first
		if ev.ID > after && (match == nil || match(ev)) {
			return ev
		}
	}
	e.t.Fatalf("no %s event about %q after event %d", typ, userID, after)
	return nil
}

// lastEventID is the id of the newest event, to look for events after it.
func (e *env) lastEventID() int64 {
	e.t.Helper()
	list, err := inside.Service(e.srv).Store().FindEvents(context.Background(), userdb.EventFilter{Limit: 1})
	if err != nil {
		e.t.Fatal(err)
	}
	if len(list) == 0 {
		return 0
	}
	return list[0].ID
}

// mailTo returns an email to addr with subject that MailDev did not hold
// before (seen counts the ones already read), once the emails due are sent:
// MailDev stores an email before it accepts it, so it holds every email the
// sender has sent.
func (e *env) mailTo(md *mailtest.MailDev, addr, subject string, seen map[string]bool) mailtest.ReceivedMessage {
	e.t.Helper()
	e.flush()
	msgs, err := md.Messages()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range msgs {
		if !seen[m.ID] && m.Subject == subject && slices.Contains(m.To, addr) {
			seen[m.ID] = true
			return m
		}
	}
	e.t.Fatalf("MailDev has no new email %q to %s", subject, addr)
	return mailtest.ReceivedMessage{}
}

const testUA = "events-test/1.0"

// TestEventsRecordEveryWorkflowStep walks registration, verification,
// sign-in, failures, lockout and unlock, sign-out everywhere else, password
// change, reset and logout through the HTTP handler, with email delivered to
// a real SMTP server (MailDev) and one delivery failing during an outage,
// and checks that each step left its event with the right subject, actor,
// address and details. It ends by checking that no email was delivered twice.
func TestEventsRecordEveryWorkflowStep(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	e := newEnv(t, withMailDev(md), func(c *server.Config) { c.Registration.Enabled = true })
	stop := e.run()
	seen := map[string]bool{}
	const pw, pw2, pw3 = "a long enough secret", "a second long secret", "a third long secret"
	ua := []string{"User-Agent", testUA}

	// who checks the request metadata of an event: the actor ("" for an
	// anonymous caller or the system) and, for events caused by a request,
	// the caller's address and user agent.
	who := func(ev *userdb.Event, actor string, fromRequest bool) {
		t.Helper()
		if ev.ActorID != actor {
			t.Errorf("%s event: actor %q, want %q", ev.Type, ev.ActorID, actor)
		}
		if fromRequest && (ev.IP != "127.0.0.1" || ev.UserAgent != testUA) {
			t.Errorf("%s event: ip %q user agent %q", ev.Type, ev.IP, ev.UserAgent)
		}
		if ev.UserID != "" && ev.AccountID != "acc_default" {
			t.Errorf("%s event: account %q", ev.Type, ev.AccountID)
		}
	}
	sentEvent := func(userID, kind string, after int64) *userdb.Event {
		t.Helper()
		ev := e.newEvent("email.sent", userID, after, func(ev *userdb.Event) bool { return ev.Details["kind"] == kind })
		who(ev, "", false)
		return ev
	}

	// Registration: user.registered, and the verification email is sent.
	anon := e.client()
	mark := e.lastEventID()
	r := anon.do("POST", "/register", map[string]any{"email": "bob@example.com", "password": pw}, ua...)
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	bob := r.json(t)["account"].(map[string]any)["id"].(string)
	ev := e.newEvent("user.registered", bob, mark, nil)
	who(ev, "", true)
	sentEvent(bob, "account-verification", mark)
	verifyMail := e.mailTo(md, "bob@example.com", "Please verify your account", seen)

	// Verification through the emailed link: user.verified.
	mark = e.lastEventID()
	if r := anon.do("GET", "/verify?sptoken="+tokenInLink.FindStringSubmatch(verifyMail.Text)[1], nil, ua...); r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	who(e.newEvent("user.verified", bob, mark, nil), "", true)
	sentEvent(bob, "account-verification-successful", mark)
	sentEvent(bob, "account-welcome", mark)

	// Sign-in: login.succeeded names the new session.
	a := e.client()
	mark = e.lastEventID()
	a.mustLogin("bob@example.com", pw)
	ev = e.newEvent("login.succeeded", bob, mark, nil)
	who(ev, "", false)
	aSession, _ := ev.Details["session"].(string)
	if cur := currentSession(t, a); aSession == "" || aSession != cur {
		t.Fatalf("login.succeeded names session %q; the client's is %q", aSession, cur)
	}

	// Failures: a wrong password counts against bob; an unknown user is
	// recorded about nobody.
	mark = e.lastEventID()
	if r := e.client().do("POST", "/login", map[string]string{"login": "bob@example.com", "password": "wrong password"}, ua...); r.status != 401 {
		t.Fatalf("wrong password: %d", r.status)
	}
	ev = e.newEvent("login.failed", bob, mark, nil)
	who(ev, "", true)
	if ev.Details["reason"] != "bad_password" || ev.Details["failures"] != float64(1) {
		t.Errorf("login.failed details %v", ev.Details)
	}
	mark = e.lastEventID()
	if r := e.client().do("POST", "/login", map[string]string{"login": "nobody@example.com", "password": "wrong password"}, ua...); r.status != 401 {
		t.Fatalf("unknown user: %d", r.status)
	}
	ev = e.newEvent("login.failed", "", mark, nil)
	who(ev, "", true)
	if ev.Details["reason"] != "unknown_user" {
		t.Errorf("unknown user's login.failed details %v", ev.Details)
	}

	// Sign out everywhere else: session.ended names the other session, by bob.
	b := e.client()
	b.mustLogin("bob@example.com", pw)
	bSession := currentSession(t, b)
	mark = e.lastEventID()
	if r := a.do("DELETE", "/me/sessions", nil, ua...); r.status != 200 || r.json(t)["ended"] != float64(1) {
		t.Fatalf("DELETE /me/sessions: %d %s", r.status, r.body)
	}
	ev = e.newEvent("session.ended", bob, mark, nil)
	who(ev, bob, true)
	if ev.Details["reason"] != "sign_out_everywhere" || !slices.Equal(anyStrings(ev.Details["sessions"]), []string{bSession}) {
		t.Errorf("session.ended details %v; want session %s", ev.Details, bSession)
	}

	// A password change by the signed-in user.
	mark = e.lastEventID()
	if r := a.do("POST", "/me/password", map[string]string{"currentPassword": pw, "password": pw2}, ua...); r.status != 200 {
		t.Fatalf("change password: %d %s", r.status, r.body)
	}
	who(e.newEvent("password.changed", bob, mark, nil), bob, true)
	sentEvent(bob, "password-reset-successful", mark)

	// Forgot and reset: the request, the reset, and the end of bob's session.
	mark = e.lastEventID()
	if r := anon.do("POST", "/forgot", map[string]string{"email": "bob@example.com"}, ua...); r.status != 200 {
		t.Fatalf("forgot: %d", r.status)
	}
	who(e.newEvent("password.reset_requested", bob, mark, nil), "", true)
	sentEvent(bob, "forgot-password", mark)
	resetMail := e.mailTo(md, "bob@example.com", "Reset your password", seen)
	mark = e.lastEventID()
	if r := anon.do("POST", "/change", map[string]string{"sptoken": tokenInLink.FindStringSubmatch(resetMail.Text)[1], "password": pw3}, ua...); r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	who(e.newEvent("password.reset", bob, mark, nil), "", true)
	ev = e.newEvent("session.ended", bob, mark, nil)
	who(ev, "", true)
	if ev.Details["reason"] != "password_reset" || !slices.Equal(anyStrings(ev.Details["sessions"]), []string{aSession}) {
		t.Errorf("session.ended after reset: %v; want session %s", ev.Details, aSession)
	}

	// Logout.
	a.mustLogin("bob@example.com", pw3)
	aSession = currentSession(t, a)
	mark = e.lastEventID()
	if r := a.do("POST", "/logout", nil, ua...); r.status != 200 {
		t.Fatalf("logout: %d", r.status)
	}
	ev = e.newEvent("logout", bob, mark, nil)
	who(ev, bob, true)
	if ev.Details["session"] != aSession {
		t.Errorf("logout details %v; want session %s", ev.Details, aSession)
	}

	// Lockout and automatic unlock.
	mark = e.lastEventID()
	for range e.cfg.Lockout.AfterFailures {
		e.client().do("POST", "/login", map[string]string{"login": "bob@example.com", "password": "wrong password"}, ua...)
	}
	ev = e.newEvent("user.locked", bob, mark, nil)
	who(ev, "", true)
	if ev.Details["failures"] != float64(e.cfg.Lockout.AfterFailures) {
		t.Errorf("user.locked details %v", ev.Details)
	}
	e.clock.Add(time.Duration(e.cfg.Lockout.UnlockAfter) + time.Minute)
	mark = e.lastEventID()
	e.client().do("POST", "/login", map[string]string{"login": "bob@example.com", "password": pw3}, ua...)
	ev = e.newEvent("user.unlocked", bob, mark, nil)
	who(ev, "", true)
	if ev.Details["by"] != "auto" {
		t.Errorf("user.unlocked details %v", ev.Details)
	}
	who(e.newEvent("login.succeeded", bob, mark, nil), "", true)

	// An SMTP outage: the attempt is recorded as email.failed (not final),
	// and the email is sent once the server is back.
	e.flush()
	if n := e.unsent(); n != 0 {
		t.Fatalf("%d emails unsent before the outage", n)
	}
	if err := md.Stop(); err != nil {
		t.Fatal(err)
	}
	mark = e.lastEventID()
	if r := anon.do("POST", "/forgot", map[string]string{"email": "bob@example.com"}, ua...); r.status != 200 {
		t.Fatalf("forgot during the outage: %d", r.status)
	}
	failed := e.newEvent("email.failed", bob, mark, nil)
	who(failed, "", false)
	if failed.Details["kind"] != "forgot-password" || failed.Details["final"] != false || failed.Details["error"] == "" {
		t.Errorf("email.failed details %v", failed.Details)
	}
	if err := md.Start(); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Minute) // past the backoff
	sent := sentEvent(bob, "forgot-password", failed.ID)
	if sent.Details["email_id"] != failed.Details["email_id"] || sent.Details["attempt"] != float64(2) {
		t.Errorf("email.sent %v after email.failed %v; want the same email's second attempt", sent.Details, failed.Details)
	}
	e.mailTo(md, "bob@example.com", "Reset your password", seen)

	// Nothing delivered twice: once the background work has stopped, with
	// every attempt finished and recorded, each email was sent once, and
	// MailDev holds exactly the outbox's emails.
	stop()
	e.sameEmailsDelivered(md)
}

// currentSession returns the public id of c's session.
func currentSession(t *testing.T, c *client) string {
	t.Helper()
	r := c.do("GET", "/me/sessions", nil)
	if r.status != 200 {
		t.Fatalf("GET /me/sessions: %d %s", r.status, r.body)
	}
	for _, x := range r.json(t)["sessions"].([]any) {
		if s := x.(map[string]any); s["current"] == true {
			return s["id"].(string)
		}
	}
	t.Fatal("no current session listed")
	return ""
}

func anyStrings(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// unsent counts the outbox's emails not yet sent.
func (e *env) unsent() int {
	list, err := inside.Service(e.srv).Store().FindEmails(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.SentAt == nil {
			n++
		}
	}
	return n
}

// sameEmailsDelivered checks, once the emails due are sent, that each email
// of the outbox was sent once (one email.sent event each) and that MailDev
// received each exactly once: as many messages to each address with each
// subject as the outbox sent, and each one-time link once. Call it after
// the background work has stopped, so that no attempt is under way.
func (e *env) sameEmailsDelivered(md *mailtest.MailDev) {
	e.t.Helper()
	e.flush()
	sends := map[float64]int{}
	for _, ev := range e.events("email.sent") {
		id, _ := ev.Details["email_id"].(float64)
		sends[id]++
	}
	list, err := inside.Service(e.srv).Store().FindEmails(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	msgs, err := md.Messages()
	if err != nil {
		e.t.Fatal(err)
	}
	want, got := map[string]int{}, map[string]int{}
	for _, m := range list {
		if m.SentAt == nil {
			e.t.Errorf("email %d (%s) not sent: %s", m.ID, m.Kind, m.LastError)
		}
		if n := sends[float64(m.ID)]; n != 1 {
			e.t.Errorf("email %d (%s) sent %d times", m.ID, m.Kind, n)
		}
		want[m.To+" | "+m.Subject]++
		if tok := tokenInLink.FindStringSubmatch(m.Text); tok != nil {
			want["link "+tok[1]]++
		}
	}
	for _, m := range msgs {
		for _, to := range m.To {
			got[to+" | "+m.Subject]++
		}
		if tok := tokenInLink.FindStringSubmatch(m.Text); tok != nil {
			got["link "+tok[1]]++
		}
	}
	if len(list) == 0 || fmt.Sprint(want) != fmt.Sprint(got) {
		e.t.Errorf("delivered %v; the outbox sent %v", got, want)
	}
}

// TestSMTPAuthFailureRecordedAndRetried: with SMTP over implicit TLS to a
// server whose certificate a private CA signed (smtp.ca_file) and a wrong
// password, the attempt is recorded as email.failed and the email stays in
// the outbox; with the password corrected (a restart with the fixed
// configuration), it is delivered once and recorded as email.sent.
func TestSMTPAuthFailureRecordedAndRetried(t *testing.T) {
	cert := mailtest.NewCert(t)
	md := mailtest.New(t, mailtest.Options{TLS: cert, Username: "mailer", Password: "right password"})
	e := newEnv(t, withMailDev(md), func(c *server.Config) {
		c.SMTP.TLS, c.SMTP.CAFile = "tls", cert.CAFile
		c.SMTP.Username, c.SMTP.Password = "mailer", "wrong password"
	})
	ann := e.addUser("ann@example.com", "correct horse battery")
	stop := e.run()
	mark := e.lastEventID()
	if r := e.client().do("POST", "/forgot", map[string]string{"email": "ann@example.com"}); r.status != 200 {
		t.Fatalf("forgot: %d", r.status)
	}
	failed := e.newEvent("email.failed", ann.ID, mark, nil)
	if failed.Details["kind"] != "forgot-password" || failed.Details["final"] != false || failed.AccountID != ann.AccountID {
		t.Fatalf("email.failed %+v %v", failed, failed.Details)
	}
	if m := e.lastEmail("ann@example.com", "forgot-password"); m.SentAt != nil || m.Attempts != 1 || m.LastError == "" {
		t.Fatalf("outbox after the failure: %+v", m)
	}
	stop()

	// The restart: a second server on the same database, whose background
	// work the test then waits on.
	e.cfg.SMTP.Password = "right password"
	fixed := *e
	fixed.srv = openWith(t, e)
	stop = runServer(t, fixed.srv)
	e.clock.Add(2 * time.Minute) // past the backoff
	sent := fixed.newEvent("email.sent", ann.ID, failed.ID, nil)
	if sent.Details["email_id"] != failed.Details["email_id"] || sent.Details["attempt"] != float64(2) {
		t.Fatalf("email.sent %v after email.failed %v", sent.Details, failed.Details)
	}
	fixed.mailTo(md, "ann@example.com", "Reset your password", map[string]bool{})
	stop()
	fixed.sameEmailsDelivered(md)
}
