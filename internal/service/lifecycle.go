package service

import (
	"context"

	"github.com/userdb/userdb"
)

// The lifecycle of Okta's management API, on userdb's statuses: a
// suspended user is DISABLED; a deactivated one is DISABLED with
// DeactivatedAt set, and only such a user is deleted by Okta's DELETE. A
// PENDING user with a password was created without being activated; one
// without waits for its invitation. Each transition checks the status it
// starts from and fails with EINVALID from any other, so that two
// administrators acting at once cannot skip a step.

// errWrongStatus is the answer to a transition from the wrong status: an
// EINVALID error about the field status.
func errWrongStatus(what string) error {
	return &userdb.Error{Code: userdb.EINVALID, Field: "status", Message: "This operation is not allowed in the user's current status: " + what + "."}
}

// AdminActivateUser activates a user created without activation or
// deactivated: with a password the user becomes ENABLED; without one it
// becomes (or stays) PENDING and gets a new invitation, as with
// ResendInvitation. Active, suspended and locked users are refused.
func (s *Service) AdminActivateUser(ctx context.Context, id string) (*userdb.User, error) {
	const action = "users.activate"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return nil, err
	}
	deactivated := u.Status == userdb.StatusDisabled && u.DeactivatedAt != nil
	if u.Status != userdb.StatusPending && !deactivated {
		return nil, errWrongStatus("only users not yet activated, or deactivated, can be activated")
	}
	up := userdb.UserUpdate{ClearDeactivated: deactivated, ResetFailedLogins: true, Version: &u.Version}
	invite := u.PasswordHash == ""
	if invite {
		up.Status = ptr(userdb.StatusPending)
	} else {
		up.Status = ptr(userdb.StatusEnabled)
	}
	var out *userdb.User
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if out, err = tx.UpdateUser(ctx, u.ID, up, s.clock.Now()); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "user.activated", out, map[string]any{"from": string(u.Status), "invited": invite}); err != nil {
			return err
		}
		if !invite {
			return nil
		}
		if err := tx.DeleteUserTokens(ctx, u.ID, userdb.TokenInvite); err != nil {
			return err
		}
		tok, err := s.newToken(ctx, tx, userdb.TokenInvite, out, s.opts.InviteTTL)
		if err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailInvitation, out, link(s.opts.InviteURL, tok))
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	if invite {
		s.kick()
	}
	return out, nil
}

// AdminDeactivateUser deactivates a user who is not yet: it becomes
// DISABLED with DeactivatedAt set, and its sessions end. Nobody
// deactivates themselves.
func (s *Service) AdminDeactivateUser(ctx context.Context, id string) (*userdb.User, error) {
	const action = "users.deactivate"
	return s.transition(ctx, action, id, "user.deactivated",
		func(u *userdb.User) error {
			if u.Status == userdb.StatusDisabled && u.DeactivatedAt != nil {
				return errWrongStatus("the user is deactivated already")
			}
			return nil
		},
		func(u *userdb.User) userdb.UserUpdate {
			return userdb.UserUpdate{Status: ptr(userdb.StatusDisabled), DeactivatedAt: ptr(s.clock.Now())}
		})
}

// AdminSuspendUser suspends an ENABLED user: DISABLED, its sessions ended,
// until AdminUnsuspendUser.
func (s *Service) AdminSuspendUser(ctx context.Context, id string) (*userdb.User, error) {
	return s.transition(ctx, "users.suspend", id, "user.suspended",
		func(u *userdb.User) error {
			if u.Status != userdb.StatusEnabled {
				return errWrongStatus("only active users can be suspended")
			}
			return nil
		},
		func(*userdb.User) userdb.UserUpdate { return userdb.UserUpdate{Status: ptr(userdb.StatusDisabled)} })
}

// AdminUnsuspendUser enables a suspended (DISABLED, not deactivated) user.
func (s *Service) AdminUnsuspendUser(ctx context.Context, id string) (*userdb.User, error) {
	return s.transition(ctx, "users.unsuspend", id, "user.unsuspended",
		func(u *userdb.User) error {
			if u.Status != userdb.StatusDisabled || u.DeactivatedAt != nil {
				return errWrongStatus("only suspended users can be unsuspended")
			}
			return nil
		},
		func(*userdb.User) userdb.UserUpdate {
			return userdb.UserUpdate{Status: ptr(userdb.StatusEnabled), ResetFailedLogins: true}
		})
}

// transition applies one lifecycle step to a user other than the actor:
// check refuses the wrong starting status, change gives the update, which
// applies only to the version checked. A user who ends DISABLED loses its
// sessions.
func (s *Service) transition(ctx context.Context, action, id, event string, check func(*userdb.User) error, change func(*userdb.User) userdb.UserUpdate) (*userdb.User, error) {
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return nil, err
	}
	if err := check(u); err != nil {
		return nil, err
	}
	up := change(u)
	up.Version = &u.Version
	var out *userdb.User
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if out, err = tx.UpdateUser(ctx, u.ID, up, s.clock.Now()); err != nil {
			return err
		}
		if out.Status == userdb.StatusDisabled {
			if _, err := s.endSessions(ctx, tx, out, "", "user_disabled"); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, event, out, map[string]any{"from": string(u.Status)})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	return out, nil
}

// AdminDeleteDeactivatedUser deletes a user that was deactivated first
// (Okta's rule: DELETE of any other user deactivates it instead).
func (s *Service) AdminDeleteDeactivatedUser(ctx context.Context, id string) error {
	const action = "users.delete"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return err
	}
	if u.Status != userdb.StatusDisabled || u.DeactivatedAt == nil {
		return errWrongStatus("only deactivated users can be deleted")
	}
	return s.deleteUser(ctx, u.ID)
}

// AdminSetPassword sets a user's password as an administrator: the policy
// and history apply, and the user's sessions end. With mustChange the user
// must choose another at the next sign-in.
func (s *Service) AdminSetPassword(ctx context.Context, id, password string, mustChange bool) (*userdb.User, error) {
	sc, u, err := s.adminUser(ctx, "users.set_password", id, true)
	if err != nil {
		return nil, err
	}
	if !sc.self(u) {
		if err := s.Reauth(ctx); err != nil { // another user's password (mfa.go)
			return nil, err
		}
	}
	if err := s.setPassword(ctx, u.ID, password, mustChange); err != nil {
		return nil, err
	}
	return s.store.FindUserByID(ctx, u.ID)
}

// AdminChangePassword changes a user's password given its current one, on
// the user's behalf (Okta's change_password): a wrong current password is
// EFORBIDDEN and recorded; the user's sessions end and the "password
// changed" email goes out, as when users change it themselves.
func (s *Service) AdminChangePassword(ctx context.Context, id, current, password string) (*userdb.User, error) {
	sc, u, err := s.adminUser(ctx, "users.change_password", id, true)
	if err != nil {
		return nil, err
	}
	if !sc.self(u) {
		if err := s.Reauth(ctx); err != nil { // another user's password (mfa.go)
			return nil, err
		}
	}
	if current == "" {
		return nil, userdb.FieldError("oldPassword", "The current password is required.")
	}
	ok := false
	if u.PasswordHash != "" && len(current) <= MaxPasswordBytes {
		if ok, _, err = s.hasher.Verify(ctx, current, u.PasswordHash); err != nil && !userdb.IsCode(err, userdb.EINTERNAL) {
			return nil, err
		}
	}
	if !ok {
		s.recordRefusal(ctx, "password.change_failed", u, map[string]any{"reason": "bad_current_password"})
		return nil, &userdb.Error{Code: userdb.EFORBIDDEN, Field: "oldPassword", Message: "The current password is incorrect."}
	}
	if err := s.replacePassword(ctx, u, password, "", "password.changed"); err != nil {
		return nil, err
	}
	return s.store.FindUserByID(ctx, u.ID)
}
