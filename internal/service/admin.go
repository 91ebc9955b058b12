package service

import (
	"context"
	"strings"

	"github.com/userdb/userdb"
)

// setUserStatus enables or disables a user. Disabling ends its sessions.
func (s *Service) setUserStatus(ctx context.Context, id string, st userdb.Status) (*userdb.User, error) {
	if st != userdb.StatusEnabled && st != userdb.StatusDisabled {
		return nil, userdb.FieldError("status", "Status must be ENABLED or DISABLED.")
	}
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var out *userdb.User
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		up := userdb.UserUpdate{Status: &st}
		if st == userdb.StatusEnabled {
			up.ResetFailedLogins, up.ClearDeactivated = true, true
		}
		if out, err = tx.UpdateUser(ctx, id, up, s.clock.Now()); err != nil {
			return err
		}
		if st == userdb.StatusDisabled {
			if _, err := s.endSessions(ctx, tx, out, "", "user_disabled"); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, "user."+strings.ToLower(string(st)), out, map[string]any{"from": string(u.Status)})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(id)
	return out, nil
}

// unlockUser unlocks a LOCKED user; unlocking a user that is not locked is
// an EINVALID error.
func (s *Service) unlockUser(ctx context.Context, id string) (*userdb.User, error) {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.unlock(ctx, u, "admin"); userdb.IsCode(err, userdb.ECONFLICT) {
		return nil, userdb.Errorf(userdb.EINVALID, "User %s is not locked.", quote(u.Username))
	} else if err != nil {
		return nil, err
	}
	return s.store.FindUserByID(ctx, id)
}

// setPassword sets a user's password as an administrator (policy and history
// apply) and ends the user's sessions. With mustChange the user must choose a
// new one at the next sign-in.
func (s *Service) setPassword(ctx context.Context, id, password string, mustChange bool) error {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	hash, err := s.hashNewPassword(ctx, u, password)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		u2, err := s.writePassword(ctx, tx, u, hash, userdb.UserUpdate{})
		if err != nil {
			return err
		}
		if mustChange {
			up := userdb.UserUpdate{PasswordMustChange: ptr(true), PasswordTemporary: ptr(true)}
			if u2, err = tx.UpdateUser(ctx, id, up, s.clock.Now()); err != nil {
				return err
			}
		}
		if _, err := s.endSessions(ctx, tx, u2, "", "password_set"); err != nil {
			return err
		}
		details := map[string]any{"must_change": mustChange}
		if err := s.notifyPasswordSet(ctx, tx, u2, details); err != nil {
			return err
		}
		return s.record(ctx, tx, "password.set", u2, details)
	})
	if err == nil {
		s.sessions.forgetUser(id)
		s.kick()
	}
	return err
}

// sendPasswordReset sends a user the reset email on an administrator's behalf.
func (s *Service) sendPasswordReset(ctx context.Context, id string) error {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	return s.sendReset(ctx, u, map[string]any{"by": "admin"})
}

// expirePassword makes the user change the password at the next sign-in.
func (s *Service) expirePassword(ctx context.Context, id string) (*userdb.User, error) {
	var out *userdb.User
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		var err error
		if out, err = tx.UpdateUser(ctx, id, userdb.UserUpdate{PasswordMustChange: ptr(true)}, s.clock.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, "password.expired", out, nil)
	})
	if err == nil {
		s.sessions.forgetUser(id)
	}
	return out, err
}

// addRole gives a user a role of its account by name.
func (s *Service) addRole(ctx context.Context, id, role string) (*userdb.User, error) {
	return s.changeRole(ctx, id, role, true)
}

// removeRole takes a role away from a user.
func (s *Service) removeRole(ctx context.Context, id, role string) (*userdb.User, error) {
	return s.changeRole(ctx, id, role, false)
}

func (s *Service) changeRole(ctx context.Context, id, role string, add bool) (*userdb.User, error) {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	roles, err := s.resolveRoles(ctx, u.AccountID, []string{role})
	if err != nil {
		return nil, err
	}
	if len(roles) == 0 {
		return nil, userdb.FieldError("role", "A role name is required.")
	}
	r := roles[0]
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		typ := "user.role_added"
		if add {
			err = tx.AddUserRole(ctx, u.ID, r.ID)
		} else {
			typ = "user.role_removed"
			err = tx.RemoveUserRole(ctx, u.ID, r.ID)
			if userdb.IsCode(err, userdb.ENOTFOUND) {
				return userdb.Errorf(userdb.EINVALID, "User %s does not have the role %s.", quote(u.Username), quote(r.Name))
			}
		}
		if err != nil {
			return err
		}
		return s.record(ctx, tx, typ, u, map[string]any{"role": r.Name})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(id)
	return s.store.FindUserByID(ctx, id)
}

// deleteUser deletes a user; its events stay.
func (s *Service) deleteUser(ctx context.Context, id string) error {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteUser(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "user.deleted", u, map[string]any{"email": u.Email, "username": u.Username})
	})
	if err == nil {
		s.sessions.forgetUser(id)
	}
	return err
}

// resendInvitation sends a PENDING user a new invitation email.
func (s *Service) resendInvitation(ctx context.Context, id string) error {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return err
	}
	switch {
	case u.Status == userdb.StatusEnabled && u.EmailVerifiedAt == nil:
		// The original's resend_invite ran newUserWorkflow on any user
		// (controllers/users.js:230-246, index.js:612-626): PENDING again and
		// a verification email. An enabled user keeps its status and
		// password here (making it PENDING would lock it out) and gets the
		// verification email.
		err = s.store.Tx(ctx, func(tx userdb.Store) error {
			if err := s.record(ctx, tx, "user.verification_resent", u, nil); err != nil {
				return err
			}
			return s.sendVerification(ctx, tx, u)
		})
		if err == nil {
			s.kick()
		}
		return err
	case u.Status != userdb.StatusPending:
		return userdb.Errorf(userdb.EINVALID, "Only a PENDING user, or an ENABLED one whose email is not verified, can be invited again; this user is %s%s.",
			u.Status, map[bool]string{true: " and verified", false: ""}[u.Status == userdb.StatusEnabled])
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteUserTokens(ctx, u.ID, userdb.TokenInvite); err != nil {
			return err
		}
		tok, err := s.newToken(ctx, tx, userdb.TokenInvite, u, s.opts.InviteTTL)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "user.invitation_resent", u, nil); err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailInvitation, u, link(s.opts.InviteURL, tok))
	})
	if err == nil {
		s.kick()
	}
	return err
}

// events lists audit events, newest first.
func (s *Service) events(ctx context.Context, f userdb.EventFilter) ([]*userdb.Event, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	return s.store.FindEvents(ctx, f)
}
