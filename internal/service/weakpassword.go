package service

import (
	"context"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
)

// weakAtSignIn tells why a password that has just signed u in must be
// changed ("" when it need not): it is on the common list, or, with the
// breach check on, seen in breaches often enough. Passwords are checked
// against these when set, but a password kept from before the rule, a
// migration or a hash import was never checked (ASVS 2.1.7): the sign-in,
// where the plain password is at hand, catches it and treats it as expired.
//
// A breach list that cannot be reached does not hold the sign-in up: the
// password is checked again at the next one.
func (s *Service) weakAtSignIn(ctx context.Context, u *userdb.User, pw string) string {
	if password.IsCommon(pw) {
		return "common"
	}
	if s.breaches == nil || s.opts.BreachMode == "" || s.opts.BreachMode == BreachOff {
		return ""
	}
	n, err := s.breaches.Count(ctx, pw)
	if err != nil {
		s.log.Warn("breached-password check at sign-in failed", "user", u.ID, "err", err)
		return ""
	}
	if n >= max(s.opts.BreachMinCount, 1) {
		return "breached"
	}
	return ""
}

// markWeak sets up to make u change its password at once, for the reason
// weakAtSignIn gave, and adds the reason to the sign-in's event details.
func markWeak(up *userdb.UserUpdate, details map[string]any, reason string) {
	if reason == "" {
		return
	}
	up.PasswordMustChange = ptr(true)
	details["weak_password"] = reason
}

// PasswordRule is the password policy in a sentence, for the pages to show
// next to a new password's field (ASVS 2.1.12's "clear rules"); "" when
// the policy cannot say.
func (s *Service) PasswordRule() string {
	if d, ok := s.policy.(interface{ Describe() string }); ok {
		return d.Describe()
	}
	return ""
}
