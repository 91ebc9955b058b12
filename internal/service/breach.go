package service

import (
	"context"

	"github.com/userdb/userdb"
)

// Breaches says how often a password was seen in breaches (internal/breach).
type Breaches interface {
	Count(ctx context.Context, password string) (int, error)
}

// Breach check modes (password.breach_check).
const (
	BreachOff   = "off"
	BreachWarn  = "warn"
	BreachBlock = "block"
)

// checkBreach looks a new password up in the breach lists: in block mode a
// password seen BreachMinCount times is refused, in warn mode it is
// accepted with an event. A list that cannot be reached lets the password
// through or refuses it as BreachFailOpen says, with an event either way.
func (s *Service) checkBreach(ctx context.Context, u *userdb.User, password string) error {
	if s.breaches == nil || s.opts.BreachMode == "" || s.opts.BreachMode == BreachOff {
		return nil
	}
	n, err := s.breaches.Count(ctx, password)
	if err != nil {
		outcome := "refused"
		if s.opts.BreachFailOpen {
			outcome = "accepted"
		}
		s.log.Warn("breached-password check failed", "err", err, "password", outcome)
		_ = s.record(ctx, s.store, "password.breach_check_failed", eventUser(u), map[string]any{"password": outcome})
		if s.opts.BreachFailOpen {
			return nil
		}
		return userdb.FieldError("password", "The password could not be checked against known data breaches just now. Please try again in a minute.")
	}
	if n < max(s.opts.BreachMinCount, 1) {
		return nil
	}
	_ = s.record(ctx, s.store, "password.breached", eventUser(u), map[string]any{"seen": n, "mode": s.opts.BreachMode})
	if s.opts.BreachMode == BreachBlock {
		return userdb.FieldError("password", "This password has appeared in a data breach and is not safe to use. Please choose a different one.")
	}
	return nil
}

// eventUser is u for an event, or nil for a user not created yet.
func eventUser(u *userdb.User) *userdb.User {
	if u == nil || u.ID == "" {
		return nil
	}
	return u
}
