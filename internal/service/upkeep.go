package service

import (
	"context"
	"time"

	"github.com/userdb/userdb"
)

// SweepSessions removes the sessions past their absolute expiry, and those
// unused for longer than the idle timeout, and returns how many it removed.
func (s *Service) SweepSessions(ctx context.Context) (int, error) {
	now := s.clock.Now()
	var idle time.Time
	if s.opts.SessionIdle > 0 {
		idle = now.Add(-s.opts.SessionIdle)
	}
	if _, err := s.store.DeleteExpiredUpstreamFlows(ctx, now); err != nil {
		s.log.WarnContext(ctx, "removing expired upstream sign-ins", "err", err)
	}
	if _, err := s.store.DeleteExpiredPendingLogins(ctx, now); err != nil {
		s.log.WarnContext(ctx, "removing expired pending sign-ins", "err", err)
	}
	return s.store.DeleteExpiredSessions(ctx, now, idle)
}

// SweepTokens removes the one-time tokens past their expiry, used or not,
// and returns how many it removed. Every node may sweep at once: each token
// is removed by one.
func (s *Service) SweepTokens(ctx context.Context) (int, error) {
	return s.store.DeleteExpiredTokens(ctx, s.clock.Now())
}

// RecordEmail writes the outcome of one delivery attempt of m to the audit
// log: email.sent, or email.failed with the error and whether the sender
// gave up on the email (final). The event names the user's account too, so
// that its administrators see the email among the account's events.
func (s *Service) RecordEmail(ctx context.Context, m *userdb.OutboxEmail, sendErr error) error {
	m2 := MetaFrom(ctx)
	typ := "email.sent"
	if s.opts.EmailsLogged {
		typ = "email.logged" // no SMTP server: written to the log, delivered to nobody
	}
	e := &userdb.Event{Type: typ, Time: s.clock.Now(), ActorID: m2.ActorID, UserID: m.UserID,
		Details: map[string]any{"kind": m.Kind, "email_id": m.ID, "attempt": m.Attempts}}
	if sendErr != nil {
		e.Type = "email.failed"
		e.Details["error"] = truncate(sendErr.Error(), 300)
		e.Details["final"] = userdb.IsPermanentMailError(sendErr) // no further attempt
	}
	if m.UserID != "" {
		u, err := s.store.FindUserByID(ctx, m.UserID)
		switch {
		case err == nil:
			e.AccountID = u.AccountID
		case !userdb.IsCode(err, userdb.ENOTFOUND): // a deleted user's event has no account
			s.log.WarnContext(ctx, "finding the account of an email's user", "err", err, "email_id", m.ID)
		}
	}
	return s.store.CreateEvent(ctx, e)
}
