package service

import (
	"context"

	"github.com/userdb/userdb"
)

// setupFirstAdmin is the set-up step of the first administrator created in
// the browser (SetupStore).
const setupFirstAdmin = "first-admin"

// errSetupClosed answers a set-up that is over: the page is gone, as if it
// had never existed.
var errSetupClosed = userdb.Errorf(userdb.ENOTFOUND, "Page not found.")

// SetupOpen reports whether the first administrator may still be created
// in the browser: nobody has done it, and no super-admin exists (one
// created from the command line closes it too).
func (s *Service) SetupOpen(ctx context.Context) (bool, error) {
	claimed, err := s.store.SetupClaimed(ctx, setupFirstAdmin)
	if err != nil || claimed {
		return false, err
	}
	exists, err := s.superAdminExists(ctx, s.store)
	return !exists, err
}

// superAdminExists reports whether a user of the default account holds the
// super-admin role, read through st.
func (s *Service) superAdminExists(ctx context.Context, st userdb.Store) (bool, error) {
	list, _, err := st.FindUsers(ctx, userdb.UserFilter{AccountID: userdb.DefaultAccountID, Role: s.opts.SuperAdminRole, Limit: 1})
	return len(list) > 0, err
}

// CreateFirstAdmin creates the first super-admin, verified, with a password
// checked against the policy, and signs it in. It works once: the claim of
// the set-up step and the user commit together, so of concurrent calls, on
// any number of nodes, exactly one creates a user and the others fail with
// ENOTFOUND, as every call does afterwards. The caller has checked the
// set-up token.
func (s *Service) CreateFirstAdmin(ctx context.Context, email, password string) (*Login, error) {
	if open, err := s.SetupOpen(ctx); err != nil {
		return nil, err
	} else if !open {
		return nil, errSetupClosed
	}
	if email == "" {
		return nil, userdb.FieldError("email", "Email is required.")
	}
	if password == "" {
		return nil, userdb.FieldError("password", "Password is required.")
	}
	u, err := s.createUser(WithActor(ctx, SystemActor()), NewUser{
		Email: email, Password: password, Roles: []string{s.opts.SuperAdminRole}, Verified: true,
		claim: func(ctx context.Context, tx userdb.Store) error {
			if err := tx.ClaimSetup(ctx, setupFirstAdmin, s.clock.Now()); userdb.IsCode(err, userdb.ECONFLICT) {
				return errSetupClosed
			} else if err != nil {
				return err
			}
			if exists, err := s.superAdminExists(ctx, tx); err != nil {
				return err
			} else if exists {
				return errSetupClosed
			}
			return nil
		},
	}, "user.created")
	if err != nil {
		return nil, err
	}
	var res *Login
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		res, err = s.startSession(ctx, tx, u, amrPassword)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "setup.completed", u, map[string]any{"step": setupFirstAdmin}); err != nil {
			return err
		}
		if err := s.record(ctx, tx, "login.succeeded", u, map[string]any{"session": res.Session.ID}); err != nil {
			return err
		}
		res.Roles, err = heldRoles(ctx, tx, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.started(res)
	return res, nil
}
