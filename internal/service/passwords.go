package service

import (
	"context"
	"fmt"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// hashNewPassword checks a new password for u against the policy and the
// password history, and hashes it.
func (s *Service) hashNewPassword(ctx context.Context, u *userdb.User, password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", userdb.FieldError("password", "Password must be at most %d bytes.", MaxPasswordBytes)
	}
	if password == "" {
		return "", userdb.FieldError("password", "Password is required.")
	}
	if err := s.policy.Check(password, u.Email, u.Username); err != nil {
		return "", err
	}
	if err := s.checkBreach(ctx, u, password); err != nil {
		return "", err
	}
	if err := s.checkHistory(ctx, u, password); err != nil {
		return "", err
	}
	return s.hasher.Hash(ctx, password)
}

// checkHistory refuses a password equal to the current one or one of the
// last History ones (the original's passwordsCantMatch).
func (s *Service) checkHistory(ctx context.Context, u *userdb.User, password string) error {
	n := s.opts.History
	if n <= 0 || u.ID == "" {
		return nil
	}
	old, err := s.store.FindPasswordHistory(ctx, u.ID, n)
	if err != nil {
		return err
	}
	if u.PasswordHash != "" {
		old = append([]string{u.PasswordHash}, old...)
	}
	seen := map[string]bool{}
	for _, h := range old {
		if seen[h] {
			continue
		}
		seen[h] = true
		ok, _, err := s.hasher.Verify(ctx, password, h)
		if err != nil && !userdb.IsCode(err, userdb.EINTERNAL) {
			return err
		}
		if ok {
			if n == 1 {
				return userdb.FieldError("password", "New password must not be the same as your existing password.")
			}
			return userdb.FieldError("password", "%s", fmt.Sprintf("New password must not be the same as any of your last %d passwords.", n))
		}
	}
	return nil
}

// writePassword stores a new hash for u through st and remembers it in the
// history.
func (s *Service) writePassword(ctx context.Context, st userdb.Store, u *userdb.User, hash string, extra userdb.UserUpdate) (*userdb.User, error) {
	now := s.clock.Now()
	up := extra
	up.PasswordHash = &hash
	up.PasswordChangedAt = &now
	up.PasswordMustChange = ptr(false)
	u2, err := st.UpdateUser(ctx, u.ID, up, now)
	if err != nil {
		return nil, err
	}
	// A link asked for before the change (by the user, or by whoever knew
	// the old password) must not outlive it.
	if err := s.killTokens(ctx, st, u.ID); err != nil {
		return nil, err
	}
	if s.opts.History > 0 {
		if err := st.AddPasswordHistory(ctx, u.ID, hash, now, s.opts.History); err != nil {
			return nil, err
		}
	}
	return u2, nil
}

// CheckPassword tells whether a password satisfies the policy (the original's
// /users/check_password). It hashes nothing.
func (s *Service) CheckPassword(password string, identifiers ...string) error {
	if len(password) > MaxPasswordBytes {
		return userdb.FieldError("password", "Password must be at most %d bytes.", MaxPasswordBytes)
	}
	return s.policy.Check(password, identifiers...)
}

// ChangePassword changes a signed-in user's password after checking the
// current one, and ends every other session of the user.
func (s *Service) ChangePassword(ctx context.Context, u *userdb.User, sess *userdb.Session, current, password string) error {
	if err := s.stepUp(ctx, u); err != nil { // mfa.go
		return err
	}
	if current == "" && u.PasswordHash == "" {
		return s.setFirstPassword(ctx, u, sess, password) // firstpassword.go
	}
	if current == "" {
		return userdb.FieldError("currentPassword", "Current password is required.")
	}
	if len(current) > MaxPasswordBytes {
		return userdb.FieldError("currentPassword", "Current password is incorrect.")
	}
	// A stolen session must not become a way to guess the password: wrong
	// current passwords are limited per user and count toward the lockout,
	// and a locked user's current password is not checked at all.
	if err := s.limits.Check(ctx, limit.PasswordUser, u.ID); err != nil {
		return err
	}
	fresh, err := s.store.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	ok := false
	if fresh.PasswordHash == "" || fresh.Status == userdb.StatusLocked {
		s.hasher.DummyVerify(ctx, current)
	} else if ok, _, err = s.hasher.Verify(ctx, current, fresh.PasswordHash); err != nil && !userdb.IsCode(err, userdb.EINTERNAL) {
		return err
	}
	if !ok {
		s.limits.Charge(ctx, limit.PasswordUser, u.ID)
		if err := s.countFailure(ctx, fresh, "password.change_failed", "bad_current_password"); err != nil {
			return err
		}
		return userdb.FieldError("currentPassword", "Current password is incorrect.")
	}
	return s.replacePassword(ctx, fresh, password, sess.ID, "password.changed")
}

// ChangeExpiredPassword sets a new password for a signed-in user whose
// password expired, and signs the user out everywhere, as the original did.
func (s *Service) ChangeExpiredPassword(ctx context.Context, u *userdb.User, password string) error {
	fresh, err := s.store.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	if password == "" {
		return userdb.FieldError("password", "Password is required.")
	}
	// Without the current password, this is only for a password that has
	// really expired; anyone else uses ChangePassword.
	if !s.PasswordExpired(fresh) {
		return userdb.Errorf(userdb.EFORBIDDEN, "Your password has not expired; change it with your current password.")
	}
	// An expired password is renewed by another one. With a history, that
	// check is part of it; without, it is made here.
	if s.opts.History <= 0 && fresh.PasswordHash != "" && len(password) <= MaxPasswordBytes {
		same, _, err := s.hasher.Verify(ctx, password, fresh.PasswordHash)
		if err != nil && !userdb.IsCode(err, userdb.EINTERNAL) {
			return err
		}
		if same {
			return userdb.FieldError("password", "New password must not be the same as your existing password.")
		}
	}
	return s.replacePassword(ctx, fresh, password, "", "password.changed")
}

// replacePassword sets u's password, ends its sessions but keepSession and
// sends the "password reset successful" email, in one transaction.
func (s *Service) replacePassword(ctx context.Context, u *userdb.User, password, keepSession, event string) error {
	hash, err := s.hashNewPassword(ctx, u, password)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		u2, err := s.writePassword(ctx, tx, u, hash, userdb.UserUpdate{})
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, event, u2, nil); err != nil {
			return err
		}
		if _, err := s.endSessions(ctx, tx, u2, keepSession, "password_changed"); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailPasswordResetDone, u2, "")
	})
	if err != nil {
		return err
	}
	s.sessions.forgetUser(u.ID)
	s.kick()
	return nil
}
