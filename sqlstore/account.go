package sqlstore

import (
	"cmp"
	"context"
	"time"

	"github.com/userdb/userdb"
)

const accountColumns = `id, name, description, status, custom_data, created_at, updated_at`

func scanAccount(sc scanner) (*userdb.Account, error) {
	var a userdb.Account
	err := sc.Scan(&a.ID, &a.Name, &a.Description, &a.Status, jsonDest{&a.CustomData},
		timeDest{&a.CreatedAt}, timeDest{&a.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func accountNameTaken(name string) *userdb.Error {
	return &userdb.Error{Code: userdb.ECONFLICT, Field: "name", Message: "an account named " + quote(name) + " already exists"}
}

// CreateAccount stores a new account. Its times are kept in UTC to the
// microsecond, and a is updated to match.
func (s *Store) CreateAccount(ctx context.Context, a *userdb.Account) error {
	if err := requireTimes(namedTime{"createdAt", a.CreatedAt}, namedTime{"updatedAt", a.UpdatedAt}); err != nil {
		return err
	}
	custom, err := jsonValue("customData", a.CustomData)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO accounts (id, name, name_fold, description, description_key, status, custom_data, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.Name, userdb.Fold(a.Name), a.Description, descriptionKey(a.Description), a.Status, custom,
		s.d.time(a.CreatedAt), s.d.time(a.UpdatedAt))
	if err != nil {
		if s.conflictOn(err, "name_fold") {
			return refine(err, userdb.ECONFLICT, accountNameTaken(a.Name))
		}
		return refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "an account with id %s already exists", a.ID))
	}
	a.CreatedAt, a.UpdatedAt = storedTime(a.CreatedAt), storedTime(a.UpdatedAt)
	return nil
}

// FindAccountByID returns the account with the id, or ENOTFOUND.
func (s *Store) FindAccountByID(ctx context.Context, id string) (*userdb.Account, error) {
	return s.findAccount(ctx, "id = ?", id)
}

// FindAccountByName returns the account with the name, compared
// case-insensitively, or ENOTFOUND.
func (s *Store) FindAccountByName(ctx context.Context, name string) (*userdb.Account, error) {
	return s.findAccount(ctx, "name_fold = ?", userdb.Fold(name))
}

func (s *Store) findAccount(ctx context.Context, cond string, arg any) (*userdb.Account, error) {
	rows, err := s.lookup(ctx, "SELECT "+accountColumns+" FROM accounts WHERE "+cond, arg)
	if err != nil {
		return nil, err
	}
	as, err := collect(rows, scanAccount)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(as) == 0 {
		return nil, notFound("account")
	}
	return as[0], nil
}

// FindAccounts lists the accounts matching f ordered by name, through
// the unique index of the folded name; a zero Limit lists them all.
func (s *Store) FindAccounts(ctx context.Context, f userdb.AccountFilter) ([]*userdb.Account, error) {
	w, err := accountWhere(f)
	if err != nil {
		return nil, err
	}
	if f.Limit < 0 || f.Offset < 0 {
		return nil, userdb.FieldError("limit", "limit and offset must not be negative")
	}
	col, ok := listSortColumns[cmp.Or(f.Sort, userdb.SortName)]
	if !ok {
		return nil, userdb.FieldError("sort", "accounts sort by name, description or status")
	}
	dir, after := "", "name_fold > ?"
	if f.Desc {
		dir, after = " DESC", "name_fold < ?"
	}
	// Names are unique: the index of each sort ends in the name
	// (migration 0090), which settles the order.
	order := " ORDER BY name_fold" + dir
	if col != "name_fold" {
		order = " ORDER BY " + col + dir + ", name_fold" + dir
	}
	if f.After != "" {
		if col != "name_fold" {
			return nil, userdb.FieldError("after", "after pages accounts sorted by name only; use offset")
		}
		w.add(after, userdb.Fold(f.After))
	}
	q, args := "SELECT "+accountColumns+" FROM accounts"+w.sql()+order, w.args
	q, args = limitOffset(q, args, f.Limit, f.Offset)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	as, err := collect(rows, scanAccount)
	return as, s.wrap(err)
}

// CountAccounts counts the accounts matching f's Query and Status.
func (s *Store) CountAccounts(ctx context.Context, f userdb.AccountFilter) (int, error) {
	w, err := accountWhere(f)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.queryRow(ctx, "SELECT COUNT(*) FROM accounts"+w.sql(), w.args, &n)
	return n, err
}

// accountWhere is the condition of f's Query and Status.
func accountWhere(f userdb.AccountFilter) (where, error) {
	var w where
	if q := userdb.Fold(f.Query); q != "" {
		w.add("name_fold LIKE ? ESCAPE '!'", containsPattern(q))
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return w, userdb.FieldError("status", "status must be one of PENDING, ENABLED, DISABLED, LOCKED")
		}
		w.add("status = ?", f.Status)
	}
	return w, nil
}

// UpdateAccount applies up and returns the account as stored.
func (s *Store) UpdateAccount(ctx context.Context, id string, up userdb.AccountUpdate, now time.Time) (*userdb.Account, error) {
	var set sets
	if up.Name != nil {
		set.add("name", *up.Name)
		set.add("name_fold", userdb.Fold(*up.Name))
	}
	if up.Description != nil {
		set.add("description", *up.Description)
		set.add("description_key", descriptionKey(*up.Description))
	}
	if up.Status != nil {
		set.add("status", *up.Status)
	}
	if up.CustomData != nil {
		custom, err := jsonValue("customData", up.CustomData)
		if err != nil {
			return nil, err
		}
		set.add("custom_data", custom)
	}
	set.add("updated_at", s.d.time(now))
	var out *userdb.Account
	err := s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, "UPDATE accounts SET "+set.sql()+" WHERE id = ?", append(set.args, id)...)
		if err != nil {
			if up.Name != nil && tx.conflictOn(err, "name_fold") {
				return refine(err, userdb.ECONFLICT, accountNameTaken(*up.Name))
			}
			return err
		}
		if n == 0 {
			return notFound("account")
		}
		if up.Name != nil {
			// The users' sort key of their account's name (migration 0090).
			if _, err := tx.exec(ctx, "UPDATE users SET account_key = ? WHERE account_id = ?", userdb.Fold(*up.Name), id); err != nil {
				return err
			}
		}
		out, err = tx.FindAccountByID(ctx, id)
		return err
	})
	return out, err
}

// DeleteAccount deletes an account with its roles and API keys. It fails
// with ECONFLICT while users belong to the account.
func (s *Store) DeleteAccount(ctx context.Context, id string) error {
	hasUsers := userdb.Errorf(userdb.ECONFLICT, "the account still has users")
	return s.inTx(ctx, func(tx *Store) error {
		// Checked first so that, on PostgreSQL, a caller's transaction is
		// not aborted by the foreign-key violation; the violation still
		// guards against a user created meanwhile.
		users, err := tx.exists(ctx, "SELECT id FROM users WHERE account_id = ?", id)
		if err != nil {
			return err
		}
		if users {
			return hasUsers
		}
		n, err := tx.execCount(ctx, "DELETE FROM accounts WHERE id = ?", id)
		if err != nil {
			return refine(err, userdb.ENOTFOUND, hasUsers)
		}
		if n == 0 {
			return notFound("account")
		}
		return nil
	})
}

// listSortColumns maps the sorts of account and role listings to their
// columns: only these names ever reach ORDER BY.
var listSortColumns = map[string]string{
	userdb.SortName:        "name_fold",
	userdb.SortDescription: "description_key",
	userdb.SortStatus:      "status",
}

// descriptionKey is the sort key of a description: folded, cut to 255
// characters so that every dialect can index it (migration 0090).
func descriptionKey(s string) string {
	s = userdb.Fold(s)
	n := 0
	for i := range s {
		if n == 255 {
			return s[:i]
		}
		n++
	}
	return s
}
