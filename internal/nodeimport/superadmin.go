package nodeimport

import (
	"context"

	"github.com/userdb/userdb"
)

// The original made every holder of its super-admin role a super-admin,
// whatever the account of the role (user.can passed every check for it:
// index.js:383-393 is user.can without that pass). userdb's super-admins
// are the holders of the default account's super-admin role who belong to
// the default account; a role of that name elsewhere gives nothing. So a
// user holding the role in another account is moved to the default account
// and given its super-admin role instead, and the report says so for each
// of them. The role itself is imported as it was, an ordinary role.

// markSuperRole records that the userdb role t, which the source role
// sourceID of accountID is imported as or merged into, is the original's
// super-admin role, when it is named so outside the default account.
func (im *importer) markSuperRole(rep *Report, sourceID string, t roleTarget, accountID string) {
	if accountID == userdb.DefaultAccountID || userdb.Fold(t.name) != userdb.Fold(im.opts.SuperAdminRole) {
		return
	}
	if _, ok := im.superRoles[t.id]; !ok {
		rep.note(TableRoles, sourceID, "named %s: the original made its holders super-admins of every account; "+
			"they are moved to the default account and given its %s role instead (see each user)", quoteID(t.name), im.opts.SuperAdminRole)
	}
	im.superRoles[t.id] = accountID
}

// superAccount returns the account in which the user of mems holds the
// original's super-admin role, or "".
func (im *importer) superAccount(mems []membershipRow) string {
	for _, m := range mems {
		if t, ok := im.roles[m.RoleID]; ok {
			if acc, ok := im.superRoles[t.id]; ok {
				return acc
			}
		}
	}
	return ""
}

// defaultSuperRole returns the default account's super-admin role in st,
// creating it when it is missing (a super_admin_role other than the one
// userdb's first migration creates).
func (im *importer) defaultSuperRole(ctx context.Context, st userdb.Store) (roleTarget, error) {
	r, err := st.FindRoleByName(ctx, userdb.DefaultAccountID, im.opts.SuperAdminRole)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		r = &userdb.Role{
			ID: userdb.NewID("rol"), AccountID: userdb.DefaultAccountID, Name: im.opts.SuperAdminRole,
			Description: "Administers every account.", Status: userdb.StatusEnabled, CreatedAt: im.now, UpdatedAt: im.now,
		}
		err = nil
		if !im.opts.DryRun {
			err = st.CreateRole(ctx, r)
		}
	}
	if err != nil {
		return roleTarget{}, err
	}
	return roleTarget{r.ID, r.Name}, nil
}
