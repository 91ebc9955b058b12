package service

import (
	"context"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// errBadToken is the one answer for unknown, used and expired tokens.
var errBadToken = &userdb.Error{Code: userdb.EINVALID, Field: "sptoken", Message: "This link is invalid or has expired."}

// maxTokenLen bounds tokens read from requests (ours are 43 characters).
const maxTokenLen = 128

// findToken returns the live one-time token of a kind that secret stands
// for, without using it up; errBadToken for an unknown, used or expired one.
func (s *Service) findToken(ctx context.Context, kind userdb.TokenKind, secret string) (*userdb.OneTimeToken, error) {
	if secret == "" || len(secret) > maxTokenLen {
		return nil, errBadToken
	}
	t, err := s.store.FindToken(ctx, kind, userdb.HashSecret(secret), s.clock.Now())
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, errBadToken
	}
	return t, err
}

// findTokenUser is findToken with the user the token was sent to; a user
// deleted since makes the token bad.
func (s *Service) findTokenUser(ctx context.Context, kind userdb.TokenKind, secret string) (*userdb.OneTimeToken, *userdb.User, error) {
	t, err := s.findToken(ctx, kind, secret)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.store.FindUserByID(ctx, t.UserID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, nil, errBadToken
	} else if err != nil {
		return nil, nil, err
	}
	return t, u, nil
}

// Register creates a user through self-service registration. With
// verification required the user is PENDING and gets the verification
// email; otherwise the user is ENABLED and signed in (the Login is non-nil).
func (s *Service) Register(ctx context.Context, n NewUser) (*userdb.User, *Login, error) {
	if !s.opts.RegistrationEnabled {
		return nil, nil, userdb.Errorf(userdb.EFORBIDDEN, "Registration is not enabled.")
	}
	if n.Password == "" {
		return nil, nil, userdb.FieldError("password", "Password is required.")
	}
	if err := s.limits.Take(ctx, limit.RegisterIP, MetaFrom(ctx).IP); err != nil {
		return nil, nil, err
	}
	// What a stranger may not choose for themselves.
	n.Account, n.Roles, n.PasswordHash, n.Invite, n.Verified = s.opts.RegistrationAccount, nil, "", false, false
	n.Status = userdb.StatusEnabled
	if s.opts.RequireVerification {
		n.Status = userdb.StatusPending
	}
	u, err := s.createUser(ctx, n, "user.registered")
	if err != nil {
		return nil, nil, err
	}
	if s.opts.RequireVerification {
		err := s.store.Tx(ctx, func(tx userdb.Store) error { return s.sendVerification(ctx, tx, u) })
		if err != nil {
			return nil, nil, err
		}
		s.kick()
		return u, nil, nil
	}
	var l *Login
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		var err error
		if l, err = s.startSession(ctx, tx, u, amrPassword); err != nil {
			return err
		}
		if err := s.queueEmail(ctx, tx, EmailWelcome, u, ""); err != nil {
			return err
		}
		return s.record(ctx, tx, "login.succeeded", u, map[string]any{"session": l.Session.ID, "via": "registration"})
	})
	if err != nil {
		return nil, nil, err
	}
	s.started(l)
	s.kick()
	return u, l, nil
}

// sendVerification replaces u's verification tokens with a new one and
// queues the verification email.
func (s *Service) sendVerification(ctx context.Context, st userdb.Store, u *userdb.User) error {
	if err := st.DeleteUserTokens(ctx, u.ID, userdb.TokenVerify); err != nil {
		return err
	}
	// The token names the address it is sent to: it verifies that one only.
	secret, hash := userdb.NewSecret()
	now := s.clock.Now()
	t := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenVerify, UserID: u.ID, Email: u.Email, CreatedAt: now, ExpiresAt: now.Add(s.opts.VerifyTTL)}
	if err := st.CreateToken(ctx, t); err != nil {
		return err
	}
	return s.queueEmail(ctx, st, EmailVerification, u, link(s.opts.VerifyURL, secret))
}

// Verify uses up a verification token: the email is verified, a PENDING
// user becomes ENABLED, and the "verification successful" and "welcome"
// emails go out.
func (s *Service) Verify(ctx context.Context, token string) (*userdb.User, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, errBadToken
	}
	var out *userdb.User
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		t, err := tx.ConsumeToken(ctx, userdb.TokenVerify, userdb.HashSecret(token), s.clock.Now())
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadToken
		} else if err != nil {
			return err
		}
		u, err := tx.FindUserByID(ctx, t.UserID)
		if err != nil {
			return err
		}
		if t.Email != "" && userdb.Fold(t.Email) != userdb.Fold(u.Email) {
			return errBadToken // sent to an address the user no longer has
		}
		now := s.clock.Now()
		up := userdb.UserUpdate{EmailVerifiedAt: &now}
		if u.Status == userdb.StatusPending {
			up.Status = ptr(userdb.StatusEnabled)
		}
		if out, err = tx.UpdateUser(ctx, u.ID, up, now); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "user.verified", out, nil); err != nil {
			return err
		}
		if err := s.queueEmail(ctx, tx, EmailVerificationSucceeded, out, ""); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailWelcome, out, "")
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(out.ID)
	s.kick()
	return out, nil
}

// ResendVerification sends a new verification email to a PENDING user. It
// answers the same, in the same time, whether or not the user exists: even
// the lookup happens after the answer.
func (s *Service) ResendVerification(ctx context.Context, login string) error {
	login = strings.TrimSpace(login)
	if login == "" {
		return userdb.FieldError("login", "Username or email is required.")
	}
	if len(login) > userdb.MaxEmailLen {
		// No user has such a login: saying so reveals nothing about users.
		return userdb.FieldError("login", "Username or email must be at most %d characters.", userdb.MaxEmailLen)
	}
	if err := s.limits.Take(ctx, limit.VerifyIP, MetaFrom(ctx).IP); err != nil {
		return err
	}
	return s.async(ctx, "resend-verification", func(ctx context.Context) error {
		u, err := s.store.FindUserByLogin(ctx, login)
		if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && (u.Status != userdb.StatusPending || u.EmailVerifiedAt != nil)) {
			return nil
		} else if err != nil {
			return err
		}
		if !s.emailAllowed(ctx, u.Email) {
			return nil
		}
		err = s.store.Tx(ctx, func(tx userdb.Store) error {
			if err := s.sendVerification(ctx, tx, u); err != nil {
				return err
			}
			return s.record(ctx, tx, "user.verification_resent", u, nil)
		})
		if err == nil {
			s.kick()
		}
		return err
	})
}

// Forgot starts a password reset: the user (found by email or username)
// gets an email with a single-use link. It answers the same, in the same
// time, whether or not the user exists: even the lookup happens after the
// answer.
func (s *Service) Forgot(ctx context.Context, login string) error {
	login = strings.TrimSpace(login)
	if login == "" {
		return userdb.FieldError("email", "Email or username is required.")
	}
	if len(login) > userdb.MaxEmailLen {
		// No user has such a login: saying so reveals nothing about users.
		return userdb.FieldError("email", "Email or username must be at most %d characters.", userdb.MaxEmailLen)
	}
	if err := s.limits.Take(ctx, limit.ForgotIP, MetaFrom(ctx).IP); err != nil {
		return err
	}
	return s.async(ctx, "forgot", func(ctx context.Context) error {
		u, err := s.store.FindUserByLogin(ctx, login)
		if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && u.Status == userdb.StatusDisabled) {
			return nil
		} else if err != nil {
			return err
		}
		if !s.emailAllowed(ctx, u.Email) {
			return nil
		}
		return s.sendReset(ctx, u, nil)
	})
}

// sendReset replaces u's reset tokens with a new one (only the newest link
// works), records the request and queues the forgot-password email.
func (s *Service) sendReset(ctx context.Context, u *userdb.User, details map[string]any) error {
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteUserTokens(ctx, u.ID, userdb.TokenReset); err != nil {
			return err
		}
		tok, err := s.newToken(ctx, tx, userdb.TokenReset, u, s.opts.ResetTTL)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "password.reset_requested", u, details); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailForgotPassword, u, link(s.opts.ResetURL, tok))
	})
	if err == nil {
		s.kick()
	}
	return err
}

// CheckResetToken reports whether a password-reset token is still good,
// without using it up.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	_, err := s.findToken(ctx, userdb.TokenReset, token)
	return err
}

// ResetPassword uses up a reset token and sets the new password. Resetting
// proves the user controls the email: a PENDING user becomes ENABLED and
// verified, a LOCKED one is unlocked. Every session of the user ends.
func (s *Service) ResetPassword(ctx context.Context, token, password string) (*userdb.User, error) {
	_, u, err := s.findTokenUser(ctx, userdb.TokenReset, token)
	if err != nil {
		return nil, err
	}
	// Checked and hashed before the token is used, so a password the policy
	// refuses leaves the link working.
	hash, err := s.hashNewPassword(ctx, u, password)
	if err != nil {
		return nil, err
	}
	var out *userdb.User
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if _, err := tx.ConsumeToken(ctx, userdb.TokenReset, userdb.HashSecret(token), s.clock.Now()); userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadToken
		} else if err != nil {
			return err
		}
		extra := userdb.UserUpdate{}
		switch u.Status {
		case userdb.StatusPending:
			extra.Status = ptr(userdb.StatusEnabled)
		case userdb.StatusLocked:
			extra.Status, extra.ResetFailedLogins = ptr(userdb.StatusEnabled), true
		}
		if u.EmailVerifiedAt == nil {
			extra.EmailVerifiedAt = ptr(s.clock.Now())
		}
		if out, err = s.writePassword(ctx, tx, u, hash, extra); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "password.reset", out, nil); err != nil {
			return err
		}
		if _, err := s.endSessions(ctx, tx, out, "", "password_reset"); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailPasswordResetDone, out, "")
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	s.kick()
	return out, nil
}
