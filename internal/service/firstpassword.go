package service

import (
	"context"

	"github.com/userdb/userdb"
)

// Users without a password (invited and signed in by link, passwordless
// by email or passkey) are first-class: they may add a password, and
// change their email, with a recent sign-in as the proof that a current
// password gives others.

// setFirstPassword gives a signed-in user without a password its first
// one, against the policy, when its session is recent (Reauth: within
// mfa.reauth_max_age, and with a second factor when it has one). Its other
// sessions end, as with any password change, and it gets the email of a
// changed password.
func (s *Service) setFirstPassword(ctx context.Context, u *userdb.User, sess *userdb.Session, password string) error {
	fresh, err := s.store.FindUserByID(ctx, u.ID)
	if err != nil {
		return err
	}
	if fresh.PasswordHash != "" {
		return userdb.FieldError("currentPassword", "Current password is required.")
	}
	if password == "" {
		return userdb.FieldError("password", "Password is required.")
	}
	if err := s.Reauth(ctx); err != nil {
		return err
	}
	if !s.hasCallerSession(ctx, fresh) {
		return userdb.Errorf(userdb.EFORBIDDEN, "Sign in to set a password.")
	}
	return s.replacePassword(ctx, fresh, password, sess.ID, "password.set")
}

// hasCallerSession says whether the request carries a session of u: the
// proof Reauth checks the age of (programs and API keys have none).
func (s *Service) hasCallerSession(ctx context.Context, u *userdb.User) bool {
	cu, sess := s.callerSession(ctx)
	return sess != nil && cu != nil && cu.ID == u.ID
}
