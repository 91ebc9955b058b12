package mail_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail"
)

// result is what OnResult reported about one attempt.
type result struct {
	id       int64
	attempts int
	next     time.Time
	sent     bool
	err      error
}

type recorder chan result

func (r recorder) onResult(_ context.Context, m *userdb.OutboxEmail, err error) {
	r <- result{m.ID, m.Attempts, m.NextAttemptAt, m.SentAt != nil, err}
}

// next waits for the next result. Inside a synctest bubble the wait is on
// the bubble's clock, so a result that will never come fails the test at
// once.
func (r recorder) next(t *testing.T) result {
	t.Helper()
	select {
	case res := <-r:
		return res
	case <-time.After(30 * time.Second):
		t.Fatal("no send attempt within 30s")
		return result{}
	}
}

// none fails the test if a result is waiting.
func (r recorder) none(t *testing.T, what string) {
	t.Helper()
	select {
	case res := <-r:
		t.Errorf("%s: an attempt %+v", what, res)
	default:
	}
}

// fakeDriver records messages; fail, if set, decides the outcome of the
// n-th call (from 1), sending m.
type fakeDriver struct {
	mu    sync.Mutex
	calls int
	sent  []mail.Message
	fail  func(n int, m mail.Message) error
}

func (d *fakeDriver) Send(_ context.Context, m mail.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls++
	if d.fail != nil {
		if err := d.fail(d.calls, m); err != nil {
			return err
		}
	}
	d.sent = append(d.sent, m)
	return nil
}

func (d *fakeDriver) callCount() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// start runs s until the returned stop is called (or the test ends); stop
// returns what Run returned.
func start(t *testing.T, s *mail.Sender) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(30 * time.Second):
				err = errors.New("Run did not return within 30s of cancel")
			}
		})
		return err
	}
	t.Cleanup(func() {
		if err := stop(); !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v; want context.Canceled", err)
		}
	})
	return stop
}

// The tests with an in-memory store and driver run in a synctest bubble:
// synctest.Wait returns once the sender has nothing left to do but wait
// for its next poll or kick, so a test can check that something did not
// happen without waiting a while, and the poll interval passes only when
// the test lets the bubble's clock move.

func TestSenderDelivers(t *testing.T) { synctest.Test(t, testSenderDeliversInMemory) }

func testSenderDeliversInMemory(t *testing.T) {
	st, d, rec, clock := &memOutbox{}, &fakeDriver{}, make(recorder, 10), newFakeClock()
	for _, to := range []string{"a@example.com", "b@example.com", "c@example.com"} {
		mustEnqueue(t, st, to, "Welcome", clock.Now())
	}
	// Batch 2 and an hour's poll: the third email goes out only because a
	// full batch makes the sender claim again at once.
	s := mail.NewSender(st, d, mail.SenderOptions{
		From: "App <noreply@example.com>", Batch: 2, PollInterval: time.Hour,
		Clock: clock, Logger: testLogger(t), OnResult: rec.onResult,
	})
	start(t, s)
	synctest.Wait() // the bubble's clock stands still: no poll helps
	for range 3 {
		select {
		case res := <-rec:
			if res.err != nil || !res.sent {
				t.Errorf("email %d: err %v, sent %v; want sent", res.id, res.err, res.sent)
			}
		default:
			t.Fatal("fewer than 3 emails attempted before the sender went idle")
		}
	}
	for id := int64(1); id <= 3; id++ {
		if m := st.email(t, id); m.SentAt == nil || !m.SentAt.Equal(clock.Now()) || m.Attempts != 1 {
			t.Errorf("email %d: sent at %v after %d attempts; want sent at %v after 1", id, m.SentAt, m.Attempts, clock.Now())
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.sent) != 3 {
		t.Fatalf("driver got %d messages; want 3", len(d.sent))
	}
	if m := d.sent[1]; m.From != "App <noreply@example.com>" || m.To != "b@example.com" ||
		m.Subject != "Welcome" || !strings.Contains(m.Text, "Hello") || !strings.Contains(m.HTML, "<p>") {
		t.Errorf("second message = %+v", m)
	}
}

func TestSenderKick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, rec, clock := &memOutbox{}, make(recorder, 10), newFakeClock()
		s := mail.NewSender(st, &fakeDriver{}, mail.SenderOptions{
			PollInterval: time.Hour, Clock: clock, Logger: testLogger(t), OnResult: rec.onResult,
		})
		start(t, s)
		synctest.Wait()
		if n := st.claimCount(); n != 1 {
			t.Fatalf("%d claims at the start; want 1", n)
		}
		id := mustEnqueue(t, st, "a@example.com", "Hi", clock.Now())
		synctest.Wait()
		rec.none(t, "an email enqueued without a kick, before the next poll")
		s.Kick()
		synctest.Wait()
		if res := rec.next(t); res.id != id || res.err != nil {
			t.Errorf("result %+v; want email %d sent", res, id)
		}
	})
}

// A Kick never blocks, sender running or not: a blocked one would leave
// every goroutine of the bubble blocked, which synctest reports.
func TestKickDoesNotBlock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := mail.NewSender(&memOutbox{}, &fakeDriver{}, mail.SenderOptions{})
		for range 100 {
			s.Kick()
		}
	})
}

// SendDue sends what is due and returns after; a round of Run under way
// (here: blocked in the driver) finishes before SendDue's own.
func TestSendDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st, clock := &memOutbox{}, newFakeClock()
		d := &blockingDriver{started: make(chan mail.Message, 2), release: make(chan struct{})}
		s := mail.NewSender(st, d, mail.SenderOptions{PollInterval: time.Hour, Clock: clock, Logger: testLogger(t)})
		first := mustEnqueue(t, st, "a@example.com", "Hi", clock.Now())
		start(t, s)
		<-d.started // Run's round is sending the first email

		second := mustEnqueue(t, st, "b@example.com", "Hi", clock.Now())
		returned := make(chan struct{})
		go func() { s.SendDue(context.Background()); close(returned) }()
		synctest.Wait()
		select {
		case <-returned:
			t.Fatal("SendDue returned while a round of Run was sending")
		default:
		}
		close(d.release)
		<-returned
		for _, id := range []int64{first, second} {
			if m := st.email(t, id); m.SentAt == nil || m.Attempts != 1 {
				t.Errorf("email %d after SendDue: sent %v, %d attempts; want sent once", id, m.SentAt, m.Attempts)
			}
		}
	})
}

func TestSenderRetriesWithBackoff(t *testing.T) { synctest.Test(t, testSenderRetriesWithBackoff) }

func testSenderRetriesWithBackoff(t *testing.T) {
	st, rec, clock := &memOutbox{}, make(recorder, 10), newFakeClock()
	d := &fakeDriver{fail: func(n int, _ mail.Message) error {
		if n <= 3 {
			return errors.New("dial tcp: connection refused")
		}
		return nil
	}}
	s := mail.NewSender(st, d, mail.SenderOptions{
		Backoff: time.Minute, MaxBackoff: 3 * time.Minute, PollInterval: time.Hour,
		Clock: clock, Logger: testLogger(t), OnResult: rec.onResult,
	})
	id := mustEnqueue(t, st, "a@example.com", "Hi", clock.Now())
	start(t, s)

	// Waits of 1m, 2m, then 3m (4m capped), each with up to 10% jitter.
	for i, wait := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute} {
		res := rec.next(t)
		now := clock.Now()
		if res.err == nil || mail.IsPermanent(res.err) || res.attempts != i+1 {
			t.Fatalf("attempt %d: %+v; want a temporary failure", i+1, res)
		}
		if min, max := now.Add(wait), now.Add(wait+wait/10); res.next.Before(min) || res.next.After(max) {
			t.Errorf("attempt %d: next attempt at +%v; want between +%v and +%v", i+1, res.next.Sub(now), wait, wait+wait/10)
		}
		if m := st.email(t, id); !m.NextAttemptAt.Equal(res.next) || m.LastError == "" {
			t.Errorf("attempt %d: stored next %v, error %q; want %v and the error", i+1, m.NextAttemptAt, m.LastError, res.next)
		}

		// Not due yet: a kick claims nothing.
		claims := st.claimCount()
		s.Kick()
		synctest.Wait()
		if st.claimCount() != claims+1 {
			t.Fatalf("%d claims after a kick; want %d", st.claimCount(), claims+1)
		}
		if n := d.callCount(); n != i+1 {
			t.Fatalf("%d sends before the backoff elapsed; want %d", n, i+1)
		}
		clock.Set(res.next)
		s.Kick()
	}
	if res := rec.next(t); res.err != nil || !res.sent || res.attempts != 4 {
		t.Errorf("last attempt: %+v; want sent on attempt 4", res)
	}
}

func TestSenderGivesUp(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wantCalls int
	}{
		{"after MaxAttempts", errors.New("421 try again later"), 3},
		{"on a permanent error", mail.Permanent(errors.New("550 no such user")), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				st, rec, clock := &memOutbox{}, make(recorder, 10), newFakeClock()
				d := &fakeDriver{fail: func(int, mail.Message) error { return tt.err }}
				s := mail.NewSender(st, d, mail.SenderOptions{
					MaxAttempts: 3, Backoff: time.Second, PollInterval: time.Hour,
					Clock: clock, Logger: testLogger(t), OnResult: rec.onResult,
				})
				id := mustEnqueue(t, st, "a@example.com", "Hi", clock.Now())
				start(t, s)

				var res result
				for i := range tt.wantCalls {
					res = rec.next(t)
					last := i == tt.wantCalls-1
					if mail.IsPermanent(res.err) != last {
						t.Fatalf("attempt %d: IsPermanent(%v) = %v; want %v", i+1, res.err, !last, last)
					}
					if !last {
						clock.Set(res.next)
						s.Kick()
					}
				}
				if farFuture := clock.Now().AddDate(100, 0, 0); res.next.Before(farFuture) {
					t.Errorf("next attempt at %v; want never", res.next)
				}
				if m := st.email(t, id); !strings.Contains(m.LastError, tt.err.Error()) {
					t.Errorf("stored error %q; want it to mention %q", m.LastError, tt.err)
				}

				// A year on, a new email is sent (it fails too) and the old one
				// is not tried again.
				clock.Set(clock.Now().AddDate(1, 0, 0))
				id2 := mustEnqueue(t, st, "b@example.com", "Hi", clock.Now())
				s.Kick()
				if res := rec.next(t); res.id != id2 {
					t.Errorf("attempt on email %d; want only the new email %d", res.id, id2)
				}
				synctest.Wait()
				if n := d.callCount(); n != tt.wantCalls+1 {
					t.Errorf("%d sends; want %d", n, tt.wantCalls+1)
				}
			})
		})
	}
}

// blockingDriver holds each send until released.
type blockingDriver struct {
	started chan mail.Message
	release chan struct{}
}

func (d *blockingDriver) Send(ctx context.Context, m mail.Message) error {
	d.started <- m
	select {
	case <-d.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func TestSenderStopFinishesInFlightSend(t *testing.T) {
	synctest.Test(t, testSenderStopFinishesInFlightSend)
}

func testSenderStopFinishesInFlightSend(t *testing.T) {
	st, clock := &memOutbox{}, newFakeClock()
	d := &blockingDriver{started: make(chan mail.Message, 2), release: make(chan struct{})}
	first := mustEnqueue(t, st, "a@example.com", "Hi", clock.Now())
	second := mustEnqueue(t, st, "b@example.com", "Hi", clock.Now())
	s := mail.NewSender(st, d, mail.SenderOptions{Batch: 2, Clock: clock, Logger: testLogger(t)})

	stopped := make(chan error, 1)
	stop := start(t, s)
	<-d.started
	go func() { stopped <- stop() }()
	synctest.Wait() // Run has seen the stop, or never will while the send blocks
	select {
	case err := <-stopped:
		t.Fatalf("Run returned (%v) while a send was in flight", err)
	default:
	}
	close(d.release)
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v; want context.Canceled", err)
	}

	if m := st.email(t, first); m.SentAt == nil {
		t.Error("the in-flight email is not marked sent")
	}
	if len(d.started) != 0 {
		t.Error("the second email was sent after the stop")
	}
	// The unattempted email is handed back, due at once, not left leased.
	if m := st.email(t, second); m.SentAt != nil || m.NextAttemptAt.After(clock.Now()) {
		t.Errorf("second email: sent %v, next attempt %v; want unsent and due now (%v)", m.SentAt, m.NextAttemptAt, clock.Now())
	}
}

// A store failure after the server accepted an email makes it go out again
// once its lease has run out: delivery is at least once.
func TestSenderAtLeastOnce(t *testing.T) { synctest.Test(t, testSenderAtLeastOnce) }

func testSenderAtLeastOnce(t *testing.T) {
	st, rec, clock := &memOutbox{failMarkSent: 1}, make(recorder, 10), newFakeClock()
	d := &fakeDriver{}
	s := mail.NewSender(st, d, mail.SenderOptions{
		Lease: time.Minute, PollInterval: time.Hour, Clock: clock, Logger: testLogger(t), OnResult: rec.onResult,
	})
	id := mustEnqueue(t, st, "a@example.com", "Hi", clock.Now())
	start(t, s)
	rec.next(t)
	if m := st.email(t, id); m.SentAt != nil {
		t.Fatal("email marked sent although the store failed")
	}
	clock.Set(clock.Now().Add(time.Minute))
	s.Kick()
	if res := rec.next(t); res.err != nil || res.attempts != 2 {
		t.Fatalf("second attempt: %+v", res)
	}
	if m := st.email(t, id); m.SentAt == nil {
		t.Error("email not marked sent after the second attempt")
	}
	if n := d.callCount(); n != 2 {
		t.Errorf("%d sends; want 2", n)
	}
}

func TestLogDriver(t *testing.T) {
	var b strings.Builder
	d := mail.NewLog(slog.New(slog.NewTextHandler(&b, nil)))
	err := d.Send(context.Background(), mail.Message{
		From: "noreply@example.com", To: "ada@example.com", Subject: "Verify",
		Text: "Open https://app.example.com/verify?sptoken=SECRET\n",
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level=INFO", "to=ada@example.com", "subject=Verify", `link="https://app.example.com/verify?sptoken=SECRET"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("log %q lacks %q", b.String(), want)
		}
	}
	// An HTML-only email: its link, unescaped; never the body itself.
	b.Reset()
	if err := d.Send(context.Background(), mail.Message{To: "ada@example.com", Subject: "Reset",
		HTML: `<p>Hello</p><a href="https://app.example.com/change?sptoken=S2&amp;x=1">Reset</a>`}); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); !strings.Contains(got, "link=\"https://app.example.com/change?sptoken=S2&x=1\"") ||
		strings.Contains(got, "<p>") || strings.Count(got, "\n") != 1 {
		t.Errorf("HTML email logged as %q", got)
	}
}
