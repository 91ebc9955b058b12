package service

import (
	"context"

	"github.com/userdb/userdb"
)

// StrategySession starts a session for a user that a program's own
// strategy authenticated (server.WithStrategy, picked by the request's
// realm header). The original ran its passport strategies on its own
// routes too and made a session of what they returned (index.js:699-718:
// passport.authenticate(realm), then req.logIn); so do /login, /me,
// /logout and /expired here. The user must still be able to sign in:
// ENABLED, of an enabled account (EUNAUTHORIZED otherwise, recorded as a
// failed sign-in).
func (s *Service) StrategySession(ctx context.Context, userID, realm string) (*Login, error) {
	refused := userdb.Errorf(userdb.EUNAUTHORIZED, "Invalid username or password.")
	u, err := s.store.FindUserByID(ctx, userID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, refused
	} else if err != nil {
		return nil, err
	}
	reason := ""
	if u.Status != userdb.StatusEnabled {
		reason = "status"
	} else if acc, err := s.store.FindAccountByID(ctx, u.AccountID); err != nil {
		return nil, err
	} else if acc.Status != userdb.StatusEnabled {
		reason = "account_disabled"
	}
	if reason != "" {
		_ = s.record(ctx, s.store, "login.failed", u, map[string]any{"reason": reason, "method": "strategy", "realm": realm})
		return nil, refused
	}
	var l *Login
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		now := s.clock.Now()
		u2, err := tx.UpdateUser(ctx, u.ID, userdb.UserUpdate{LastLoginAt: &now, ResetFailedLogins: true, KeepVersion: true}, now)
		if err != nil {
			return err
		}
		if l, err = s.startSession(ctx, tx, u2, nil); err != nil {
			return err
		}
		if l.Roles, err = heldRoles(ctx, tx, u2); err != nil {
			return err
		}
		return s.record(ctx, tx, "login.succeeded", u2, map[string]any{"session": l.Session.ID, "method": "strategy", "realm": realm})
	})
	if err != nil {
		return nil, err
	}
	l.PasswordExpired = s.PasswordExpired(l.User)
	s.sessions.forgetUser(u.ID)
	s.started(l)
	return l, nil
}
