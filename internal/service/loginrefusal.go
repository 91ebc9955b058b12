package service

import (
	"github.com/userdb/userdb"
)

// Refused sign-ins with the right password. Only someone who knows the
// password learns why it was refused, and is told what to do about it
// (get a new verification link, ask an administrator, wait): a wrong
// password is still the one generic errBadLogin, whoever the user is, so
// nothing is learnt about who has an account.
//
// The price: during a lock, a right guess is told apart from a wrong one.
// The guesses that could find it are bounded by the per-name rate limit
// (protection.rate_limits.login_name), which holds whether or not the
// user is locked.
var (
	errEmailNotVerified = &userdb.Error{Code: userdb.EUNAUTHORIZED, Reason: userdb.ReasonEmailNotVerified,
		Message: "Your email address is not verified yet. Follow the link in the email we sent you, or ask for a new one."}
	errUserDisabled = &userdb.Error{Code: userdb.EUNAUTHORIZED, Reason: userdb.ReasonUserDisabled,
		Message: "Your account is disabled. Please contact your administrator."}
	errAccountDisabled = &userdb.Error{Code: userdb.EUNAUTHORIZED, Reason: userdb.ReasonAccountDisabled,
		Message: "Your organisation's account is disabled. Please contact your administrator."}
	errTemporaryExpired = &userdb.Error{Code: userdb.EUNAUTHORIZED, Reason: userdb.ReasonTemporaryPasswordExpired,
		Message: "This temporary password has expired. Reset your password, or ask your administrator for a new one."}
)

// temporaryExpired reports whether u's password is an administrator's
// temporary one past Options.TemporaryPasswordTTL (ASVS 2.3.1: such a
// password expires after a short time).
func (s *Service) temporaryExpired(u *userdb.User) bool {
	if !u.PasswordTemporary || s.opts.TemporaryPasswordTTL <= 0 || u.PasswordChangedAt == nil {
		return false
	}
	return !s.clock.Now().Before(u.PasswordChangedAt.Add(s.opts.TemporaryPasswordTTL))
}

// refusedLogin is the answer to u's right password when u may not sign in
// because of its status.
func (s *Service) refusedLogin(u *userdb.User) error {
	switch u.Status {
	case userdb.StatusPending:
		if u.EmailVerifiedAt == nil {
			return errEmailNotVerified
		}
		return errUserDisabled // deactivated: only an administrator reactivates it
	case userdb.StatusLocked:
		msg := "Your account is locked after too many failed sign-ins. Please contact your administrator to unlock it."
		if s.opts.UnlockAfter > 0 && u.LockedAt != nil {
			until := u.LockedAt.Add(s.opts.UnlockAfter).UTC()
			msg = "Your account is locked after too many failed sign-ins. Try again after " +
				until.Format("15:04 MST on 2 January 2006") + ", or ask your administrator to unlock it."
		}
		return &userdb.Error{Code: userdb.EUNAUTHORIZED, Reason: userdb.ReasonUserLocked, Message: msg}
	case userdb.StatusDisabled:
		return errUserDisabled
	}
	return errBadLogin
}
