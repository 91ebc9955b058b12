package sqlstore

import (
	"cmp"
	"context"
	"time"

	"github.com/userdb/userdb"
)

const roleColumns = `id, account_id, name, description, status, custom_data, created_at, updated_at`

func scanRole(sc scanner) (*userdb.Role, error) {
	var r userdb.Role
	err := sc.Scan(&r.ID, &r.AccountID, &r.Name, &r.Description, &r.Status, jsonDest{&r.CustomData},
		timeDest{&r.CreatedAt}, timeDest{&r.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &r, nil
}

func roleNameTaken(name string) *userdb.Error {
	return &userdb.Error{Code: userdb.ECONFLICT, Field: "name", Message: "the account already has a role named " + quote(name)}
}

// CreateRole stores a new role. Role names are unique within an account,
// compared case-insensitively. Its times are kept in UTC to the
// microsecond, and r is updated to match.
func (s *Store) CreateRole(ctx context.Context, r *userdb.Role) error {
	if err := requireTimes(namedTime{"createdAt", r.CreatedAt}, namedTime{"updatedAt", r.UpdatedAt}); err != nil {
		return err
	}
	custom, err := jsonValue("customData", r.CustomData)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO roles (id, account_id, name, name_fold, description, description_fold, description_key,
		status, custom_data, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.AccountID, r.Name, userdb.Fold(r.Name), r.Description, userdb.Fold(r.Description), descriptionKey(r.Description),
		string(r.Status), custom,
		s.d.time(r.CreatedAt), s.d.time(r.UpdatedAt))
	if err != nil {
		if s.conflictOn(err, "name_fold") {
			return refine(err, userdb.ECONFLICT, roleNameTaken(r.Name))
		}
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "a role with id %s already exists", r.ID))
		return refine(err, userdb.ENOTFOUND, &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "account not found"})
	}
	r.CreatedAt, r.UpdatedAt = storedTime(r.CreatedAt), storedTime(r.UpdatedAt)
	return nil
}

// FindRoleByID returns the role with the id, or ENOTFOUND.
func (s *Store) FindRoleByID(ctx context.Context, id string) (*userdb.Role, error) {
	return s.findRole(ctx, "id = ?", id)
}

// FindRoleByName returns the account's role with the name, compared
// case-insensitively, or ENOTFOUND.
func (s *Store) FindRoleByName(ctx context.Context, accountID, name string) (*userdb.Role, error) {
	return s.findRole(ctx, "account_id = ? AND name_fold = ?", accountID, userdb.Fold(name))
}

func (s *Store) findRole(ctx context.Context, cond string, args ...any) (*userdb.Role, error) {
	rows, err := s.lookup(ctx, "SELECT "+roleColumns+" FROM roles WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanRole)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(rs) == 0 {
		return nil, notFound("role")
	}
	return rs[0], nil
}

// FindRoles lists the roles of an account ("" for every account), ordered
// by name.
func (s *Store) FindRoles(ctx context.Context, accountID string) ([]*userdb.Role, error) {
	var w where
	if accountID != "" {
		w.add("account_id = ?", accountID)
	}
	rows, err := s.query(ctx, "SELECT "+roleColumns+" FROM roles"+w.sql()+" ORDER BY name_fold, account_id, id", w.args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanRole)
	return rs, s.wrap(err)
}

// SearchRoles lists the roles matching f, ordered by name, then id: an
// account's through its unique index of (account, folded name), every
// account's through the index of (folded name, id).
func (s *Store) SearchRoles(ctx context.Context, f userdb.RoleFilter) ([]*userdb.Role, error) {
	if f.Limit < 0 || f.Offset < 0 {
		return nil, userdb.FieldError("limit", "limit and offset must not be negative")
	}
	w := roleWhere(f)
	col, ok := listSortColumns[cmp.Or(f.Sort, userdb.SortName)]
	if !ok {
		return nil, userdb.FieldError("sort", "roles sort by name, description or status")
	}
	dir, after := "", "(name_fold > ? OR (name_fold = ? AND id > ?))"
	if f.Desc {
		dir, after = " DESC", "(name_fold < ? OR (name_fold = ? AND id < ?))"
	}
	// Each sort has an index ending in (name, id) (migration 0090).
	order := " ORDER BY name_fold" + dir + ", id" + dir
	if col != "name_fold" {
		order = " ORDER BY " + col + dir + ", name_fold" + dir + ", id" + dir
	}
	if (f.AfterName != "" || f.AfterID != "") && col != "name_fold" {
		return nil, userdb.FieldError("after", "after pages roles sorted by name only; use offset")
	}
	if f.AfterName != "" || f.AfterID != "" {
		name := userdb.Fold(f.AfterName)
		w.add(after, name, name, f.AfterID)
	}
	q, args := limitOffset("SELECT "+roleColumns+" FROM roles"+w.sql()+order, w.args, f.Limit, f.Offset)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanRole)
	return rs, s.wrap(err)
}

// CountRoles counts the roles matching f's AccountID and Query.
func (s *Store) CountRoles(ctx context.Context, f userdb.RoleFilter) (int, error) {
	w := roleWhere(f)
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM roles"+w.sql(), w.args, &n)
	return n, err
}

// roleWhere is the condition of f's AccountID and Query.
func roleWhere(f userdb.RoleFilter) where {
	var w where
	if f.AccountID != "" {
		w.add("account_id = ?", f.AccountID)
	}
	if q := userdb.Fold(f.Query); q != "" {
		p := containsPattern(q)
		w.add("(name_fold LIKE ? ESCAPE '!' OR description_fold LIKE ? ESCAPE '!')", p, p)
	}
	return w
}

// UpdateRole applies up and returns the role as stored.
func (s *Store) UpdateRole(ctx context.Context, id string, up userdb.RoleUpdate, now time.Time) (*userdb.Role, error) {
	var set sets
	if up.Name != nil {
		set.add("name", *up.Name)
		set.add("name_fold", userdb.Fold(*up.Name))
	}
	if up.Description != nil {
		set.add("description", *up.Description)
		set.add("description_fold", userdb.Fold(*up.Description))
		set.add("description_key", descriptionKey(*up.Description))
	}
	if up.Status != nil {
		set.add("status", string(*up.Status))
	}
	if up.CustomData != nil {
		custom, err := jsonValue("customData", up.CustomData)
		if err != nil {
			return nil, err
		}
		set.add("custom_data", custom)
	}
	set.add("updated_at", s.d.time(now))
	var out *userdb.Role
	err := s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, "UPDATE roles SET "+set.sql()+" WHERE id = ?", append(set.args, id)...)
		if err != nil {
			if up.Name != nil && tx.conflictOn(err, "name_fold") {
				return refine(err, userdb.ECONFLICT, roleNameTaken(*up.Name))
			}
			return err
		}
		if n == 0 {
			return notFound("role")
		}
		if up.Name != nil {
			if err := tx.refreshRoleKeys(ctx, "", "id IN (SELECT user_id FROM user_roles WHERE role_id = ?)", id); err != nil {
				return err
			}
		}
		out, err = tx.FindRoleByID(ctx, id)
		return err
	})
	return out, err
}

// DeleteRole deletes the role and, by foreign-key cascade, every
// assignment of it.
func (s *Store) DeleteRole(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *Store) error {
		// The holders' role keys, as they will be without the role.
		if err := tx.refreshRoleKeys(ctx, id, "id IN (SELECT user_id FROM user_roles WHERE role_id = ?)", id); err != nil {
			return err
		}
		n, err := tx.execCount(ctx, "DELETE FROM roles WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("role")
		}
		return nil
	})
}

// AddUserRole gives a user a role; giving it twice is not an error. It
// fails with ENOTFOUND when the user or the role does not exist.
func (s *Store) AddUserRole(ctx context.Context, userID, roleID string) error {
	return s.inTx(ctx, func(tx *Store) error {
		_, err := tx.exec(ctx, "INSERT INTO user_roles (user_id, role_id) VALUES (?, ?)"+tx.d.ignoreDuplicate("role_id"), userID, roleID)
		if err != nil {
			return refine(err, userdb.ENOTFOUND, notFound("user or role"))
		}
		return tx.refreshRoleKeys(ctx, "", "id = ?", userID)
	})
}

// RemoveUserRole takes a role away from a user; ENOTFOUND when the user
// did not have it.
func (s *Store) RemoveUserRole(ctx context.Context, userID, roleID string) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, "DELETE FROM user_roles WHERE user_id = ? AND role_id = ?", userID, roleID)
		if err != nil {
			return err
		}
		if n == 0 {
			return userdb.Errorf(userdb.ENOTFOUND, "the user does not have the role")
		}
		return tx.refreshRoleKeys(ctx, "", "id = ?", userID)
	})
}

// refreshRoleKeys sets the role key (migration 0090: the least folded name
// of the user's roles, ” for none) of the users matching cond, leaving
// out the role without (when not ""). It is a sort key, never a rule: two
// transactions changing one user's roles at once may leave it a step
// behind until the next change of them.
func (s *Store) refreshRoleKeys(ctx context.Context, without, cond string, args ...any) error {
	q := `UPDATE users SET role_key = COALESCE((SELECT MIN(r.name_fold) FROM user_roles ur JOIN roles r ON r.id = ur.role_id
		WHERE ur.user_id = users.id AND r.id <> ?), '') WHERE ` + cond
	_, err := s.exec(ctx, q, append([]any{without}, args...)...)
	return err
}
