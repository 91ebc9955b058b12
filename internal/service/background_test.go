package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/service"
)

// TestFlush: the work that answers leave behind (Forgot looks the user up
// after answering) and the batched last-seen times are done when Flush
// returns.
func TestFlush(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user("", "ann@example.com", "secret pass 1")
	l := e.mustLogin("ann@example.com", "secret pass 1")

	for range 3 {
		if err := e.svc.Forgot(ctx, "ann@example.com"); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Add(time.Minute)
	if !e.signedIn(l) { // noted in memory, not written
		t.Fatal("signed out")
	}
	if err := e.svc.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	list, err := e.store.FindEmails(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.Kind == service.EmailForgotPassword {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("%d reset emails after Flush, want 3", n)
	}
	sess, err := e.store.FindSessionByID(ctx, l.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sess.LastSeenAt.Equal(e.clock.Now()) {
		t.Fatalf("stored last seen %v after Flush, want %v", sess.LastSeenAt, e.clock.Now())
	}
}

// TestStartWait: the work Start begins ends with its context, and Wait
// returns then; without Start, Wait returns at once.
func TestStartWait(t *testing.T) {
	e := newEnv(t)
	e.svc.Wait()
	ctx, cancel := context.WithCancel(context.Background())
	e.svc.Start(ctx)
	cancel()
	e.svc.Wait()
}
