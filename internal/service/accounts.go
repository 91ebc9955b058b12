package service

import (
	"context"

	"github.com/userdb/userdb"
)

// NewAccount describes an account to create.
type NewAccount struct {
	Name        string
	Description string
	// Status is ENABLED ("" too) or DISABLED.
	Status     userdb.Status
	CustomData map[string]any
}

// createAccount creates an account and its admin role, as the original did.
func (s *Service) createAccount(ctx context.Context, n NewAccount) (*userdb.Account, error) {
	now := s.clock.Now()
	a := &userdb.Account{
		ID: userdb.NewID("acc"), Name: n.Name, Description: n.Description,
		Status: userdb.StatusEnabled, CustomData: n.CustomData, CreatedAt: now, UpdatedAt: now,
	}
	if n.Status != "" {
		if n.Status != userdb.StatusEnabled && n.Status != userdb.StatusDisabled {
			return nil, userdb.FieldError("status", "Status must be ENABLED or DISABLED.")
		}
		a.Status = n.Status
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateAccount(ctx, a); err != nil {
			if userdb.IsCode(err, userdb.ECONFLICT) {
				return &userdb.Error{Code: userdb.ECONFLICT, Field: "name", Message: "An account named " + quote(a.Name) + " already exists."}
			}
			return err
		}
		admin := &userdb.Role{
			ID: userdb.NewID("rol"), AccountID: a.ID, Name: userdb.RoleAdmin,
			Description: "Administrators of " + a.Name, Status: userdb.StatusEnabled, CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.CreateRole(ctx, admin); err != nil {
			return err
		}
		details := map[string]any{"name": a.Name}
		if a.Status != userdb.StatusEnabled {
			details["status"] = string(a.Status)
		}
		return s.recordAccount(ctx, tx, "account.created", a, details)
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// updateAccount changes an account. Disabling it ends its users' sessions
// (they cannot sign in while it is disabled).
func (s *Service) updateAccount(ctx context.Context, id string, up userdb.AccountUpdate) (*userdb.Account, error) {
	a, err := s.store.FindAccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	check := *a
	up.Apply(&check)
	if err := check.Validate(); err != nil {
		return nil, err
	}
	if up.Name != nil {
		up.Name = &check.Name
	}
	var out *userdb.Account
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if out, err = tx.UpdateAccount(ctx, id, up, s.clock.Now()); err != nil {
			return err
		}
		if up.Status != nil && *up.Status == userdb.StatusDisabled && a.Status != userdb.StatusDisabled {
			if err := s.endAccountSessions(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.recordAccount(ctx, tx, "account.updated", out, nil)
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetAll()
	return out, nil
}

// endAccountSessions ends the sessions of every user of an account.
func (s *Service) endAccountSessions(ctx context.Context, st userdb.Store, accountID string) error {
	f := userdb.UserFilter{AccountID: accountID, Limit: 1000}
	for {
		users, next, err := st.FindUsers(ctx, f)
		if err != nil {
			return err
		}
		for _, u := range users {
			if _, err := s.endSessions(ctx, st, u, "", "account_disabled"); err != nil {
				return err
			}
		}
		if next == "" {
			return nil
		}
		f.Cursor = next
	}
}

// deleteAccount deletes an account. With users in it, it fails with
// ECONFLICT unless force is set, in which case the users go too.
func (s *Service) deleteAccount(ctx context.Context, id string, force bool) error {
	a, err := s.store.FindAccountByID(ctx, id)
	if err != nil {
		return err
	}
	if a.ID == userdb.DefaultAccountID {
		return userdb.Errorf(userdb.EINVALID, "The default account cannot be deleted.")
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		n, err := tx.CountUsers(ctx, userdb.UserFilter{AccountID: id}, 0)
		if err != nil {
			return err
		}
		if n > 0 && !force {
			return userdb.Errorf(userdb.ECONFLICT, "Account %s still has %d users; disable it, or delete it with force.", quote(a.Name), n)
		}
		f := userdb.UserFilter{AccountID: id, Limit: 1000}
		for n > 0 {
			users, _, err := tx.FindUsers(ctx, f)
			if err != nil {
				return err
			}
			if len(users) == 0 {
				break
			}
			for _, u := range users {
				if err := tx.DeleteUser(ctx, u.ID); err != nil {
					return err
				}
				if err := s.record(ctx, tx, "user.deleted", u, map[string]any{"reason": "account_deleted"}); err != nil {
					return err
				}
			}
		}
		if err := tx.DeleteAccount(ctx, id); err != nil {
			return err
		}
		return s.recordAccount(ctx, tx, "account.deleted", a, map[string]any{"name": a.Name, "force": force})
	})
	if err == nil {
		s.sessions.forgetAll()
	}
	return err
}

// createRole creates a role in an account (by id or name).
func (s *Service) createRole(ctx context.Context, account, name, description string) (*userdb.Role, error) {
	a, err := s.findAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	r := &userdb.Role{
		ID: userdb.NewID("rol"), AccountID: a.ID, Name: name, Description: description,
		Status: userdb.StatusEnabled, CreatedAt: now, UpdatedAt: now,
	}
	if err := r.Validate(); err != nil {
		return nil, err
	}
	if r.Name == s.opts.SuperAdminRole && a.ID != userdb.DefaultAccountID {
		return nil, userdb.FieldError("name", "%s is reserved for the default account.", quote(r.Name))
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateRole(ctx, r); userdb.IsCode(err, userdb.ECONFLICT) {
			return &userdb.Error{Code: userdb.ECONFLICT, Field: "name", Message: "Account " + quote(a.Name) + " already has a role named " + quote(r.Name) + "."}
		} else if err != nil {
			return err
		}
		return s.recordAccount(ctx, tx, "role.created", a, map[string]any{"role": r.Name, "role_id": r.ID})
	})
	if err != nil {
		return nil, err
	}
	s.changed(changedRoles)
	return r, nil
}

// deleteRole deletes a role and takes it from every user who had it. The
// built-in super-admin and admin roles of the default account stay.
func (s *Service) deleteRole(ctx context.Context, id string) error {
	r, err := s.store.FindRoleByID(ctx, id)
	if err != nil {
		return err
	}
	if r.AccountID == userdb.DefaultAccountID && (r.Name == s.opts.SuperAdminRole || r.Name == userdb.RoleAdmin) {
		return userdb.Errorf(userdb.EINVALID, "The built-in role %s cannot be deleted.", quote(r.Name))
	}
	a, err := s.store.FindAccountByID(ctx, r.AccountID)
	if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteRole(ctx, id); err != nil {
			return err
		}
		return s.recordAccount(ctx, tx, "role.deleted", a, map[string]any{"role": r.Name, "role_id": r.ID})
	})
	if err == nil {
		s.sessions.forgetAll() // the roles cache too
	}
	return err
}

func (s *Service) recordAccount(ctx context.Context, st userdb.Store, typ string, a *userdb.Account, details map[string]any) error {
	m := MetaFrom(ctx)
	return st.CreateEvent(ctx, &userdb.Event{
		Type: typ, Time: s.clock.Now(), ActorID: m.ActorID, AccountID: a.ID,
		IP: m.IP, UserAgent: m.UserAgent, Details: details,
	})
}
