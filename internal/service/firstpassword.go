package service

import (
	"cmp"
	"context"
	"time"

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
	if err := s.recentSignIn(ctx, fresh); err != nil {
		return err
	}
	return s.replacePassword(ctx, fresh, password, sess.ID, "password.set")
}

// noPasswordMaxAge is how recent the sign-in of a user without a password
// must be when mfa.reauth_max_age and mfa.step_up_max_age are both 0: the
// sign-in stands in for a current password, so some limit always applies.
const noPasswordMaxAge = 15 * time.Minute

// recentSignIn refuses (ErrReauth) a change by u that a current password
// would otherwise prove, unless the request carries a session of u started
// within mfa.reauth_max_age (else mfa.step_up_max_age, else 15 minutes).
func (s *Service) recentSignIn(ctx context.Context, u *userdb.User) error {
	cu, sess := s.callerSession(ctx)
	if sess == nil || cu == nil || cu.ID != u.ID {
		// No session of u to stand in for the password (a program, or
		// another user): the password is what is missing.
		return userdb.FieldError("currentPassword", "Enter your current password.")
	}
	return s.sessionYoungerThan(ctx, u, sess, cmp.Or(s.opts.MFA.ReauthMaxAge, s.opts.MFA.StepUpMaxAge, noPasswordMaxAge))
}
