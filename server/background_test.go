package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// TestFlushDoesTheBackgroundWork: without Start, Flush does a round of each
// background job: the email a /forgot queues after answering is queued and
// sent (here to the log: no SMTP is configured) and recorded; a session's
// batched last-seen time is written; a session past its lifetime is
// removed.
func TestFlushDoesTheBackgroundWork(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Sessions.Lifetime = time.Hour })
	ann := e.addUser("ann@example.com", "correct horse battery")
	st := inside.Service(e.srv).Store()
	ctx := context.Background()

	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	sessID := currentSession(t, c)
	e.clock.Add(10 * time.Minute)
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("GET /me: %d", r.status)
	}
	if r := e.client().do("POST", "/forgot", map[string]string{"email": "ann@example.com"}); r.status != 200 {
		t.Fatalf("forgot: %d", r.status)
	}

	e.flush()
	m := e.lastEmail("ann@example.com", "forgot-password")
	if m.SentAt == nil {
		t.Fatalf("the reset email is not sent after Flush: %+v", m)
	}
	// Without SMTP the email went to the log, and is recorded as such.
	if ev := e.eventsOf("email.logged", ann.ID); len(ev) != 1 || len(e.eventsOf("email.sent", ann.ID)) != 0 {
		t.Fatalf("%d email.logged events", len(ev))
	}
	sess, err := st.FindSessionByID(ctx, sessID)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.LastSeenAt.Equal(e.clock.Now()) {
		t.Fatalf("stored last seen %v, want %v", sess.LastSeenAt, e.clock.Now())
	}

	e.clock.Add(time.Hour)
	e.flush()
	if _, err := st.FindSessionByID(ctx, sessID); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Fatalf("a session past its lifetime after Flush: %v", err)
	}
}

// TestStartWaitClose: Wait returns at once before Start; the work Start
// begins ends at Close, and Wait returns then; Start after Close starts
// nothing.
func TestStartWaitClose(t *testing.T) {
	e := newEnv(t)
	e.srv.Wait()
	e.srv.Start(context.Background())
	e.srv.Start(context.Background()) // a second Start does nothing
	if err := e.srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.srv.Wait()
	e.srv.Start(context.Background())
	e.srv.Wait()
}
