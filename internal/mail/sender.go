package mail

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/userdb/userdb"
)

// never is the next attempt time of an email the sender gave up on: far
// enough to mean never, near enough for every column type that holds it
// (a DATETIME, or int64 nanoseconds since 1970).
var never = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)

// maxErrorLen bounds the error text recorded with a failed email.
const maxErrorLen = 1000

// SenderOptions configure a Sender. Zero fields take the defaults shown.
type SenderOptions struct {
	From         string        // sender address; "" for the driver's default
	PollInterval time.Duration // how often to look for due emails without a Kick; 10s
	Batch        int           // emails claimed at once; 20
	MaxAttempts  int           // attempts before giving up on an email; 20
	// Backoff is the wait after the first failed attempt, doubled after each
	// further one up to MaxBackoff; 30s and 1h. With the defaults, an email
	// is retried for about 15 hours.
	Backoff, MaxBackoff time.Duration
	// Lease is how long claimed emails are hidden from other senders; 5m. It
	// must comfortably exceed the time a batch takes: an email still waiting
	// for its turn when the lease runs out is left to the next claim.
	Lease  time.Duration
	Clock  userdb.Clock // userdb.SystemClock
	Logger *slog.Logger // slog.Default()
	// OnResult, if set, is called after every attempt with the attempt's
	// context, the email as updated and a nil error when it was sent;
	// IsPermanent(err) reports that the sender gave up on it. It runs on the
	// sender's goroutine.
	OnResult func(ctx context.Context, m *userdb.OutboxEmail, err error)
}

// Sender delivers the outbox: it claims due emails from the store, sends
// them through a driver, and records the outcome, retrying failures with
// exponential backoff. Several senders (one per node) may share a store.
//
// Delivery is at least once: an email is marked sent only after the driver
// reports it accepted, so a crash, or a store error, between the two sends
// it again once its lease has run out.
type Sender struct {
	store  userdb.OutboxStore
	driver Driver
	opts   SenderOptions
	log    *slog.Logger
	kick   chan struct{}
	// turn holds a token while a round of claims and sends (Run's or
	// SendDue's) is under way, so that rounds of one sender take turns.
	turn chan struct{}
}

// NewSender returns a Sender; call Run to start it.
func NewSender(store userdb.OutboxStore, d Driver, opts SenderOptions) *Sender {
	opts.PollInterval = cmp.Or(opts.PollInterval, 10*time.Second)
	opts.Batch = cmp.Or(opts.Batch, 20)
	opts.MaxAttempts = cmp.Or(opts.MaxAttempts, 20)
	opts.Backoff = cmp.Or(opts.Backoff, 30*time.Second)
	opts.MaxBackoff = cmp.Or(opts.MaxBackoff, time.Hour)
	opts.Lease = cmp.Or(opts.Lease, 5*time.Minute)
	if opts.Clock == nil {
		opts.Clock = userdb.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Sender{store: store, driver: d, opts: opts, log: opts.Logger,
		kick: make(chan struct{}, 1), turn: make(chan struct{}, 1)}
}

// Kick wakes the sender to look for due emails now rather than at its next
// poll. It never blocks; kicks while the sender is busy add up to one.
func (s *Sender) Kick() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Run sends due emails until ctx is done, then returns ctx.Err(). It looks
// at once, after every Kick and every PollInterval. An email being sent when
// ctx ends is finished and recorded before Run returns; claimed emails not
// yet started are handed back. Store and driver errors are logged, never
// returned: the emails wait for the next attempt.
func (s *Sender) Run(ctx context.Context) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		case <-s.kick:
		}
		s.SendDue(ctx)
		timer.Reset(s.opts.PollInterval)
	}
}

// SendDue sends the emails due now, as Run does at a Kick, and returns once
// each was attempted or ctx ended: a round of Run that the caller knows has
// happened (tests wait on it instead of polling). A round of Run under way
// finishes first, so an email it claimed has been attempted too when
// SendDue returns.
func (s *Sender) SendDue(ctx context.Context) {
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-s.turn }()
	for {
		n := s.sendBatch(ctx)
		// A full batch suggests more are due: claim again at once.
		if n < s.opts.Batch || ctx.Err() != nil {
			return
		}
	}
}

// sendBatch claims due emails and sends them one by one. It returns how many
// it claimed.
func (s *Sender) sendBatch(ctx context.Context) int {
	leaseEnd := time.Now().Add(s.opts.Lease)
	emails, err := s.store.ClaimEmails(ctx, s.opts.Clock.Now(), s.opts.Lease, s.opts.Batch)
	if err != nil {
		if ctx.Err() == nil {
			s.log.ErrorContext(ctx, "mail: claiming emails", "err", err)
		}
		return 0
	}
	for i, m := range emails {
		if ctx.Err() != nil {
			s.release(ctx, emails[i:], leaseEnd)
			break
		}
		if time.Now().After(leaseEnd) {
			break // another sender may have claimed the rest by now
		}
		s.send(ctx, m, leaseEnd)
	}
	return len(emails)
}

// send makes one attempt at m and records its outcome.
func (s *Sender) send(ctx context.Context, m *userdb.OutboxEmail, leaseEnd time.Time) {
	// Once started, the attempt is finished and recorded even if ctx ends,
	// so that stopping never leaves an email sent but unmarked.
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), leaseEnd)
	defer cancel()
	log := s.log.With("email_id", m.ID, "kind", m.Kind, "attempt", m.Attempts)

	err := s.driver.Send(ctx, Message{From: s.opts.From, To: m.To, Subject: m.Subject, Text: m.Text, HTML: m.HTML})
	now := s.opts.Clock.Now()
	if err == nil {
		m.SentAt = &now
		if merr := s.store.MarkEmailSent(ctx, m.ID, now); merr != nil {
			log.ErrorContext(ctx, "mail: email sent but not marked sent: it will be sent again", "err", merr)
		} else {
			log.InfoContext(ctx, "email sent")
		}
		s.result(ctx, m, nil)
		return
	}

	next := now.Add(s.backoff(m.Attempts))
	switch {
	case IsPermanent(err):
		next = never
	case m.Attempts >= s.opts.MaxAttempts:
		err = Permanent(fmt.Errorf("gave up after %d attempts: %w", m.Attempts, err))
		next = never
	}
	m.LastError, m.NextAttemptAt = truncate(err.Error(), maxErrorLen), next
	if merr := s.store.MarkEmailFailed(ctx, m.ID, m.LastError, next); merr != nil {
		log.ErrorContext(ctx, "mail: recording a failed email", "err", merr)
	}
	if IsPermanent(err) {
		log.ErrorContext(ctx, "mail: giving up on email", "err", err)
	} else {
		log.WarnContext(ctx, "mail: sending email failed; will retry", "err", err, "next_attempt", next)
	}
	s.result(ctx, m, err)
}

// release hands claimed emails back unattempted (still within their lease),
// so that another sender may take them at once. Their attempt count keeps
// the claim's increment.
func (s *Sender) release(ctx context.Context, emails []*userdb.OutboxEmail, leaseEnd time.Time) {
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), leaseEnd)
	defer cancel()
	now := s.opts.Clock.Now()
	for _, m := range emails {
		if err := s.store.MarkEmailFailed(ctx, m.ID, m.LastError, now); err != nil {
			s.log.WarnContext(ctx, "mail: handing back an email", "email_id", m.ID, "err", err)
		}
	}
}

func (s *Sender) result(ctx context.Context, m *userdb.OutboxEmail, err error) {
	if s.opts.OnResult != nil {
		s.opts.OnResult(ctx, m, err)
	}
}

// backoff returns the wait after an email's attempts-th failed attempt:
// Backoff doubled for each earlier attempt, capped at MaxBackoff, plus up to
// a tenth more at random so that emails that failed together spread out.
func (s *Sender) backoff(attempts int) time.Duration {
	d := s.opts.Backoff
	for i := 1; i < attempts && d < s.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, s.opts.MaxBackoff)
	return d + rand.N(d/10+1)
}

// truncate shortens s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
