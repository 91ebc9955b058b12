package mail_test

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/sqlstore"
)

// openSQLite returns a migrated SQLite store in a temporary directory.
func openSQLite(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlstore.Open(t.Context(), "sqlite:"+filepath.Join(t.TempDir(), "userdb.db"), sqlstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}

// The sender against the real SQL store: sent, retried and given-up emails
// end in the state the store reports.
func TestSenderWithSQLiteStore(t *testing.T) {
	st, rec, clock := openSQLite(t), make(recorder, 10), newFakeClock()
	errs := map[string]error{
		"down@example.com":    errors.New("421 service not available"),
		"unknown@example.com": mail.Permanent(errors.New("550 no such user")),
	}
	d := &fakeDriver{fail: func(_ int, m mail.Message) error { return errs[m.To] }}
	s := mail.NewSender(st, d, mail.SenderOptions{
		MaxAttempts: 2, Backoff: time.Minute, PollInterval: time.Hour,
		Clock: clock, Logger: testLogger(t), OnResult: rec.onResult,
	})
	ok := mustEnqueue(t, st, "ok@example.com", "Hi", clock.Now())
	down := mustEnqueue(t, st, "down@example.com", "Hi", clock.Now())
	unknown := mustEnqueue(t, st, "unknown@example.com", "Hi", clock.Now())
	start(t, s)

	got := map[int64]result{}
	for range 3 {
		res := rec.next(t)
		got[res.id] = res
	}
	if res := got[ok]; !res.sent || res.err != nil {
		t.Errorf("ok@: %+v; want sent", res)
	}
	if res := got[down]; res.err == nil || mail.IsPermanent(res.err) {
		t.Errorf("down@: %+v; want a temporary failure", res)
	}
	if res := got[unknown]; !mail.IsPermanent(res.err) {
		t.Errorf("unknown@: %+v; want a permanent failure", res)
	}

	clock.Set(got[down].next)
	s.Kick()
	if res := rec.next(t); res.id != down || !mail.IsPermanent(res.err) || res.attempts != 2 {
		t.Errorf("second attempt: %+v; want down@ given up after 2 attempts", res)
	}

	emails, err := st.FindEmails(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	farFuture := clock.Now().AddDate(100, 0, 0)
	for _, m := range emails {
		switch m.ID {
		case ok:
			if m.SentAt == nil || m.Attempts != 1 || m.LastError != "" {
				t.Errorf("ok@ stored as %+v", m)
			}
		case down, unknown:
			if m.SentAt != nil || m.LastError == "" || m.NextAttemptAt.Before(farFuture) {
				t.Errorf("%s stored as %+v; want unsent, with its error, never retried", m.To, m)
			}
		}
	}

	// A year on, only a new email is attempted.
	clock.Set(clock.Now().AddDate(1, 0, 0))
	later := mustEnqueue(t, st, "ok@example.com", "Later", clock.Now())
	s.Kick()
	if res := rec.next(t); res.id != later || !res.sent {
		t.Errorf("result %+v; want the new email %d sent", res, later)
	}
	if n := d.callCount(); n != 5 {
		t.Errorf("%d sends; want 5", n)
	}
}
