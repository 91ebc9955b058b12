package service

import (
	"context"
	"slices"
	"time"

	"github.com/userdb/userdb"
)

// EmailPasswordExpiring warns that a password expires soon.
const EmailPasswordExpiring = "password-expiring"

// ExpiringComposer renders the password expiry warning; a Composer without
// it sends no warnings.
type ExpiringComposer interface {
	ComposeExpiring(u *userdb.User, link string, expires, now time.Time) (*userdb.OutboxEmail, error)
}

// expiryBatch is how many users one page of the warning job reads.
const expiryBatch = 500

// SendExpiryWarnings emails every user whose password expires within one of
// the ExpiryWarnings intervals and has not had that warning for this
// password, and returns how many it sent. Each warning is claimed in the
// database with its email, so nodes running the job at once send it once;
// a user due for several gets the nearest, and the others are claimed with
// it (a 14-day warning never follows a 3-day one).
func (s *Service) SendExpiryWarnings(ctx context.Context) (int, error) {
	maxAge, stages := s.opts.PasswordMaxAge, slices.Sorted(slices.Values(s.opts.ExpiryWarnings))
	c, ok := s.emails.(ExpiringComposer)
	if maxAge <= 0 || len(stages) == 0 || !ok {
		return 0, nil
	}
	now := s.clock.Now()
	from, to := now.Add(-maxAge), now.Add(-maxAge+stages[len(stages)-1])
	sent := 0
	for {
		users, err := s.store.FindPasswordsSetBetween(ctx, from, to, expiryBatch)
		if err != nil {
			return sent, err
		}
		for _, u := range users {
			ok, err := s.warnExpiry(ctx, c, u, stages, now)
			if err != nil {
				return sent, err
			}
			if ok {
				sent++
			}
		}
		if len(users) < expiryBatch {
			break
		}
		// The next page starts after the last password read (ties at one
		// instant are read again and skipped as claimed).
		last := users[len(users)-1]
		next := last.CreatedAt
		if last.PasswordChangedAt != nil {
			next = *last.PasswordChangedAt
		}
		if !next.After(from) {
			break
		}
		from = next
	}
	if sent > 0 {
		s.kick()
	}
	return sent, nil
}

// warnExpiry sends u the nearest warning due, once.
func (s *Service) warnExpiry(ctx context.Context, c ExpiringComposer, u *userdb.User, stages []time.Duration, now time.Time) (bool, error) {
	if u.Status == userdb.StatusDisabled || u.PasswordMustChange {
		return false, nil
	}
	changed := u.CreatedAt
	if u.PasswordChangedAt != nil {
		changed = *u.PasswordChangedAt
	}
	expires := changed.Add(s.opts.PasswordMaxAge)
	left := expires.Sub(now)
	if left <= 0 {
		return false, nil
	}
	i, _ := slices.BinarySearch(stages, left) // stages[i] is the nearest warning due
	if i == len(stages) {
		return false, nil
	}
	won := false
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		for _, st := range stages[i:] {
			ok, err := tx.ClaimPasswordWarning(ctx, u.ID, changed, st, now)
			if err != nil {
				return err
			}
			if st == stages[i] {
				won = ok
			}
		}
		if !won {
			return nil
		}
		m, err := c.ComposeExpiring(u, s.opts.ChangePasswordURL, expires, now)
		if err != nil || m == nil {
			return err
		}
		m.UserID, m.Kind = u.ID, EmailPasswordExpiring
		m.CreatedAt, m.NextAttemptAt = now, now
		if err := tx.EnqueueEmail(ctx, m); err != nil {
			return err
		}
		return s.record(ctx, tx, "password.expiry_warned", u, map[string]any{"expires": expires, "before": stages[i].String()})
	})
	return won, err
}
