package service

import (
	"context"
	"strings"

	"github.com/userdb/userdb"
)

// AccountPage is a page of accounts and how many match in all.
type AccountPage struct {
	Accounts []*userdb.Account
	Total    int
}

// AdminListAccounts lists a page of the accounts matching f, ordered by
// name, and counts them. An admin sees its own account only.
func (s *Service) AdminListAccounts(ctx context.Context, f userdb.AccountFilter) (*AccountPage, error) {
	sc, err := s.adminScope(ctx, "accounts.list")
	if err != nil {
		return nil, err
	}
	if f.Status != "" && !f.Status.Valid() {
		return nil, userdb.FieldError("status", "Status must be ENABLED or DISABLED.")
	}
	if f.Offset < 0 || f.Limit < 0 {
		return nil, userdb.FieldError("limit", "Limit and offset must not be negative.")
	}
	if sc.super {
		list, err := s.store.FindAccounts(ctx, f)
		if err != nil {
			return nil, err
		}
		total, err := s.store.CountAccounts(ctx, f)
		if err != nil {
			return nil, err
		}
		return &AccountPage{Accounts: list, Total: total}, nil
	}
	a, err := s.store.FindAccountByID(ctx, sc.account)
	if err != nil {
		return nil, err
	}
	page := &AccountPage{Accounts: []*userdb.Account{}}
	if (f.Status != "" && a.Status != f.Status) || !strings.Contains(userdb.Fold(a.Name), userdb.Fold(f.Query)) {
		return page, nil
	}
	page.Total = 1
	name, after := userdb.Fold(a.Name), userdb.Fold(f.After)
	if f.Offset == 0 && (after == "" || (!f.Desc && name > after) || (f.Desc && name < after)) {
		page.Accounts = append(page.Accounts, a)
	}
	return page, nil
}

// AdminGetAccount returns an account by id or name.
func (s *Service) AdminGetAccount(ctx context.Context, ref string) (*userdb.Account, error) {
	const action = "accounts.get"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(ref) == "" {
		return nil, errNoAccount
	}
	return s.adminAccount(ctx, sc, action, ref)
}

// AdminCreateAccount creates an account and its admin role (super-admins only).
func (s *Service) AdminCreateAccount(ctx context.Context, n NewAccount) (*userdb.Account, error) {
	const action = "accounts.create"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if err := s.requireSuper(ctx, sc, action, target{accountID: sc.account}); err != nil {
		return nil, err
	}
	return s.createAccount(ctx, n)
}

// AdminUpdateAccount changes an account. Only super-admins change its
// status, and the default account keeps its name (registration finds it by
// name).
func (s *Service) AdminUpdateAccount(ctx context.Context, ref string, up userdb.AccountUpdate) (*userdb.Account, error) {
	const action = "accounts.update"
	sc, a, err := s.adminAccountFor(ctx, action, ref)
	if err != nil {
		return nil, err
	}
	if up.Status != nil && *up.Status != a.Status {
		if err := s.checkAccountStatus(ctx, sc, a, *up.Status); err != nil {
			return nil, err
		}
	}
	if up.Name != nil && a.ID == userdb.DefaultAccountID && strings.TrimSpace(*up.Name) != a.Name {
		return nil, userdb.FieldError("name", "The default account cannot be renamed.")
	}
	return s.updateAccount(ctx, a.ID, up)
}

// AdminSetAccountStatus enables or disables an account (super-admins only).
// Disabling it ends its users' sessions. The default account, home of the
// super-admins, cannot be disabled.
func (s *Service) AdminSetAccountStatus(ctx context.Context, ref string, st userdb.Status) (*userdb.Account, error) {
	action := "accounts.enable"
	if st == userdb.StatusDisabled {
		action = "accounts.disable"
	}
	sc, a, err := s.adminAccountFor(ctx, action, ref)
	if err != nil {
		return nil, err
	}
	if err := s.checkAccountStatus(ctx, sc, a, st); err != nil {
		return nil, err
	}
	return s.updateAccount(ctx, a.ID, userdb.AccountUpdate{Status: &st})
}

func (s *Service) checkAccountStatus(ctx context.Context, sc scope, a *userdb.Account, st userdb.Status) error {
	if err := s.requireSuper(ctx, sc, "accounts.set_status", target{id: a.ID, accountID: a.ID}); err != nil {
		return err
	}
	if st != userdb.StatusEnabled && st != userdb.StatusDisabled {
		return userdb.FieldError("status", "Status must be ENABLED or DISABLED.")
	}
	if st == userdb.StatusDisabled && a.ID == userdb.DefaultAccountID {
		return userdb.FieldError("status", "The default account cannot be disabled.")
	}
	return nil
}

// AdminDeleteAccount deletes an account (super-admins only); with users in
// it only when force is set, and then the users go too.
func (s *Service) AdminDeleteAccount(ctx context.Context, ref string, force bool) error {
	const action = "accounts.delete"
	sc, a, err := s.adminAccountFor(ctx, action, ref)
	if err != nil {
		return err
	}
	if err := s.requireSuper(ctx, sc, action, target{id: a.ID, accountID: a.ID}); err != nil {
		return err
	}
	return s.deleteAccount(ctx, a.ID, force)
}

// adminAccountFor is adminAccount for an account named in a request, which
// must not be empty.
func (s *Service) adminAccountFor(ctx context.Context, action, ref string) (scope, *userdb.Account, error) {
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return sc, nil, err
	}
	if strings.TrimSpace(ref) == "" {
		return sc, nil, errNoAccount
	}
	a, err := s.adminAccount(ctx, sc, action, ref)
	return sc, a, err
}

// RolePage is a page of roles and how many match in all.
type RolePage struct {
	Roles []*userdb.Role
	Total int
}

// AdminListRoles lists a page of the roles matching f, ordered by name,
// and counts them. f.AccountID names the account by id or name; "" lists
// every account's roles for super-admins and the own account's for admins.
func (s *Service) AdminListRoles(ctx context.Context, f userdb.RoleFilter) (*RolePage, error) {
	const action = "roles.list"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if f.Offset < 0 || f.Limit < 0 {
		return nil, userdb.FieldError("limit", "Limit and offset must not be negative.")
	}
	if strings.TrimSpace(f.AccountID) != "" || !sc.super {
		a, err := s.adminAccount(ctx, sc, action, f.AccountID)
		if err != nil {
			return nil, err
		}
		f.AccountID = a.ID
	}
	list, err := s.store.SearchRoles(ctx, f)
	if err != nil {
		return nil, err
	}
	total, err := s.store.CountRoles(ctx, f)
	if err != nil {
		return nil, err
	}
	return &RolePage{Roles: list, Total: total}, nil
}

// AdminGetRole returns a role by id.
func (s *Service) AdminGetRole(ctx context.Context, id string) (*userdb.Role, error) {
	_, r, err := s.adminRole(ctx, "roles.get", id, false)
	return r, err
}

// AdminCreateRole creates a role in an account ("" is the actor's own).
// Only super-admins create a role named super-admin (and only in the default
// account).
func (s *Service) AdminCreateRole(ctx context.Context, account, name, description string) (*userdb.Role, error) {
	const action = "roles.create"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	a, err := s.adminAccount(ctx, sc, action, account)
	if err != nil {
		return nil, err
	}
	if !sc.super && s.isSuperRole(name) {
		return nil, s.deny(ctx, errSuperOnly, action, target{accountID: a.ID})
	}
	return s.createRole(ctx, a.ID, name, description)
}

// AdminUpdateRole changes a role. Only super-admins change the super-admin
// role or name a role after it.
func (s *Service) AdminUpdateRole(ctx context.Context, id string, up userdb.RoleUpdate) (*userdb.Role, error) {
	const action = "roles.update"
	sc, r, err := s.adminRole(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	if !sc.super && up.Name != nil && s.isSuperRole(*up.Name) {
		return nil, s.deny(ctx, errSuperOnly, action, target{id: r.ID, accountID: r.AccountID})
	}
	return s.updateRole(ctx, r.ID, up)
}

// AdminDeleteRole deletes a role and takes it from every user who had it.
func (s *Service) AdminDeleteRole(ctx context.Context, id string) error {
	_, r, err := s.adminRole(ctx, "roles.delete", id, true)
	if err != nil {
		return err
	}
	return s.deleteRole(ctx, r.ID)
}

// adminRole finds a role the actor may see (roles of other accounts are
// not found); with write set, only super-admins reach the super-admin role.
func (s *Service) adminRole(ctx context.Context, action, id string, write bool) (scope, *userdb.Role, error) {
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return sc, nil, err
	}
	r, err := s.store.FindRoleByID(ctx, strings.TrimSpace(id))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return sc, nil, errNoRole
	} else if err != nil {
		return sc, nil, err
	}
	t := target{id: r.ID, accountID: r.AccountID}
	if !sc.in(r.AccountID) {
		return sc, nil, s.deny(ctx, errNoRole, action, t)
	}
	if write && !sc.super && s.isSuperRole(r.Name) {
		return sc, nil, s.deny(ctx, errSuperOnly, action, t)
	}
	return sc, r, nil
}

// updateRole changes a role's name, description, status or custom data.
// The built-in roles (super-admin, and the admin role every account has)
// keep their names, and no role outside the default account can be named
// super-admin.
func (s *Service) updateRole(ctx context.Context, id string, up userdb.RoleUpdate) (*userdb.Role, error) {
	r, err := s.store.FindRoleByID(ctx, id)
	if err != nil {
		return nil, err
	}
	check := *r
	up.Apply(&check)
	if err := check.Validate(); err != nil {
		return nil, err
	}
	renamed := up.Name != nil && check.Name != r.Name
	if renamed {
		if r.Name == s.opts.SuperAdminRole || r.Name == userdb.RoleAdmin {
			return nil, userdb.FieldError("name", "The built-in role %s cannot be renamed.", quote(r.Name))
		}
		if s.isSuperRole(check.Name) && r.AccountID != userdb.DefaultAccountID {
			return nil, userdb.FieldError("name", "%s is reserved for the default account.", quote(s.opts.SuperAdminRole))
		}
		up.Name = &check.Name
	}
	a, err := s.store.FindAccountByID(ctx, r.AccountID)
	if err != nil {
		return nil, err
	}
	var out *userdb.Role
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if out, err = tx.UpdateRole(ctx, id, up, s.clock.Now()); userdb.IsCode(err, userdb.ECONFLICT) {
			return &userdb.Error{Code: userdb.ECONFLICT, Field: "name", Message: "Account " + quote(a.Name) + " already has a role named " + quote(check.Name) + "."}
		} else if err != nil {
			return err
		}
		details := map[string]any{"role": out.Name, "role_id": out.ID}
		if renamed {
			details["from"] = r.Name
		}
		return s.recordAccount(ctx, tx, "role.updated", a, details)
	})
	if err != nil {
		return nil, err
	}
	if renamed {
		s.sessions.forgetAll() // cached users carry role names; the roles cache goes too
	} else {
		s.changed(changedRoles)
	}
	return out, nil
}
