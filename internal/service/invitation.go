package service

import (
	"context"

	"github.com/userdb/userdb"
)

// CheckInvitation returns the user an invitation token was sent to, while
// the token is good, without using it up: the welcome page shows the
// address and what the administrator entered before the user types
// anything. Errors: EINVALID (field sptoken) for an unknown, used or
// expired token, or a user disabled since.
func (s *Service) CheckInvitation(ctx context.Context, token string) (*userdb.User, error) {
	_, u, err := s.findInvitation(ctx, token)
	return u, err
}

// findInvitation looks up an invitation token and its user.
func (s *Service) findInvitation(ctx context.Context, token string) (*userdb.OneTimeToken, *userdb.User, error) {
	t, u, err := s.findTokenUser(ctx, userdb.TokenInvite, token)
	if err != nil {
		return nil, nil, err
	}
	if u.Status == userdb.StatusDisabled {
		return nil, nil, errBadToken
	}
	return t, u, nil
}

// AcceptInvitation uses up an invitation token: the user sets a password,
// the email is verified, the user is ENABLED and signed in. It also saves
// the profile the user filled in on the welcome page: names, and custom
// data the user may edit (merged, a nil value removing a key). Profile and
// password are checked before the token is used, so a form with a mistake
// leaves the link working; both are written in the transaction that uses
// it up. Only the names and CustomData of p are read.
func (s *Service) AcceptInvitation(ctx context.Context, token, password string, p ProfileUpdate) (*Login, error) {
	t, u, err := s.findInvitation(ctx, token)
	if err != nil {
		return nil, err
	}
	up := userdb.UserUpdate{GivenName: trimmed(p.GivenName), MiddleName: trimmed(p.MiddleName), Surname: trimmed(p.Surname)}
	if p.CustomData != nil {
		up.CustomData = mergeCustomData(u.CustomData, p.CustomData)
	}
	check := *u
	up.Apply(&check)
	if err := s.opts.CustomData.Check(check.CustomData); err != nil {
		return nil, err
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	if p.CustomData != nil {
		if err := s.checkProfile(ctx, check.CustomData, p.CustomData, true); err != nil {
			return nil, err
		}
	}
	hash, err := s.hashNewPassword(ctx, u, password)
	if err != nil {
		return nil, err
	}
	var l *Login
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if _, err := tx.ConsumeToken(ctx, userdb.TokenInvite, t.TokenHash, s.clock.Now()); userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadToken
		} else if err != nil {
			return err
		}
		now := s.clock.Now()
		up.Status, up.EmailVerifiedAt, up.LastLoginAt = ptr(userdb.StatusEnabled), &now, &now
		u2, err := s.writePassword(ctx, tx, u, hash, up)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "user.invitation_accepted", u2, map[string]any{"fields": changedFields(ProfileUpdate{
			GivenName: p.GivenName, MiddleName: p.MiddleName, Surname: p.Surname, CustomData: p.CustomData})}); err != nil {
			return err
		}
		if l, err = s.startSession(ctx, tx, u2, amrPassword); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailWelcome, u2, "")
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	s.started(l)
	s.kick()
	return l, nil
}

// VerifyOrCheckInvitation is GET /verify: it uses up a verification token
// (Verify) or, given an invitation token, checks it without using it up and
// returns its user. The original sent new users its verification email
// (index.js:612-626), whose token its /verify and /change both took
// (index.js:237-246, 289-294: one emailVerificationToken column); userdb
// invites them instead, and an invitation is completed by setting a
// password (ResetOrAcceptInvitation, AcceptInvitation), so verifying alone
// does not use it up.
func (s *Service) VerifyOrCheckInvitation(ctx context.Context, token string) (*userdb.User, error) {
	u, err := s.Verify(ctx, token)
	if err == errBadToken {
		if iu, ierr := s.CheckInvitation(ctx, token); ierr == nil {
			return iu, nil
		}
	}
	return u, err
}

// CheckResetOrInvitation is GET /change: nil while a reset or an
// invitation token is good.
func (s *Service) CheckResetOrInvitation(ctx context.Context, token string) error {
	err := s.CheckResetToken(ctx, token)
	if userdb.IsCode(err, userdb.EINVALID) {
		if _, ierr := s.CheckInvitation(ctx, token); ierr == nil {
			return nil
		}
	}
	return err
}

// ResetOrAcceptInvitation is POST /change: it sets the password of a reset
// token's user (ResetPassword, l nil) or accepts an invitation with the
// password (AcceptInvitation: verified, ENABLED and signed in, l set).
func (s *Service) ResetOrAcceptInvitation(ctx context.Context, token, password string) (*userdb.User, *Login, error) {
	if _, err := s.findToken(ctx, userdb.TokenReset, token); err == nil || !userdb.IsCode(err, userdb.EINVALID) {
		u, err := s.ResetPassword(ctx, token, password)
		return u, nil, err
	}
	if _, _, err := s.findInvitation(ctx, token); err != nil {
		return nil, nil, err
	}
	l, err := s.AcceptInvitation(ctx, token, password, ProfileUpdate{})
	if err != nil {
		return nil, nil, err
	}
	return l.User, l, nil
}
