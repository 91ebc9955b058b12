package sqlstore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"time"

	"github.com/userdb/userdb"
)

const userColumns = `id, account_id, username, email, given_name, middle_name, surname, full_name, status,
	password_hash, password_changed_at, password_must_change, email_verified_at, last_login_at,
	last_failed_login_at, failed_logins, locked_at, deactivated_at, custom_data, created_at, updated_at, version,
	password_temporary`

// userDest returns the scan destinations of userColumns.
func userDest(u *userdb.User) []any {
	return []any{&u.ID, &u.AccountID, &u.Username, &u.Email, &u.GivenName, &u.MiddleName, &u.Surname, &u.FullName, &u.Status,
		&u.PasswordHash, nullTimeDest{&u.PasswordChangedAt}, &u.PasswordMustChange, nullTimeDest{&u.EmailVerifiedAt},
		nullTimeDest{&u.LastLoginAt}, nullTimeDest{&u.LastFailedLoginAt}, &u.FailedLogins, nullTimeDest{&u.LockedAt},
		nullTimeDest{&u.DeactivatedAt}, jsonDest{&u.CustomData}, timeDest{&u.CreatedAt}, timeDest{&u.UpdatedAt}, &u.Version,
		&u.PasswordTemporary}
}

func scanUser(sc scanner) (*userdb.User, error) {
	var u userdb.User
	if err := sc.Scan(userDest(&u)...); err != nil {
		return nil, err
	}
	return &u, nil
}

// userWriteErr names what a failed user insert or update ran into.
func (s *Store) userWriteErr(err error) error {
	switch {
	case s.conflictOn(err, "email_fold"):
		return refine(err, userdb.ECONFLICT, &userdb.Error{Code: userdb.ECONFLICT, Field: "email", Message: "a user with this email already exists"})
	case s.conflictOn(err, "username_fold"):
		return refine(err, userdb.ECONFLICT, &userdb.Error{Code: userdb.ECONFLICT, Field: "username", Message: "a user with this username already exists"})
	case userdb.IsCode(err, userdb.ECONFLICT):
		return refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "a user with this id already exists"))
	}
	// The only foreign key of users is its account.
	return refine(err, userdb.ENOTFOUND, &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "account not found"})
}

// CreateUser stores a new user with version 1. Its times are kept in UTC to
// the microsecond, and u is updated to match.
func (s *Store) CreateUser(ctx context.Context, u *userdb.User) error {
	if err := requireTimes(namedTime{"createdAt", u.CreatedAt}, namedTime{"updatedAt", u.UpdatedAt}); err != nil {
		return err
	}
	custom, err := jsonValue("customData", u.CustomData)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx *Store) error {
		if err := tx.insertUser(ctx, u, custom); err != nil {
			return err
		}
		return tx.insertTerms(ctx, u.ID, userTerms(u))
	})
	if err != nil {
		return err
	}
	u.Version = 1
	u.CreatedAt, u.UpdatedAt = storedTime(u.CreatedAt), storedTime(u.UpdatedAt)
	for _, t := range []**time.Time{&u.PasswordChangedAt, &u.EmailVerifiedAt, &u.LastLoginAt, &u.LastFailedLoginAt, &u.LockedAt, &u.DeactivatedAt} {
		*t = storedTimePtr(*t)
	}
	return nil
}

// insertUser writes the row of a new user.
func (s *Store) insertUser(ctx context.Context, u *userdb.User, custom any) error {
	_, err := s.exec(ctx, `INSERT INTO users (id, account_id, username, username_fold, email, email_fold,
		given_name, given_name_fold, middle_name, surname, surname_fold, full_name, full_name_fold, status,
		password_hash, password_changed_at, password_must_change, email_verified_at, last_login_at,
		last_failed_login_at, failed_logins, locked_at, deactivated_at, custom_data, created_at, updated_at, version,
		account_key, password_temporary)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1,
		COALESCE((SELECT name_fold FROM accounts WHERE id = ?), ''), ?)`,
		u.ID, u.AccountID, u.Username, userdb.Fold(u.Username), u.Email, userdb.Fold(u.Email),
		u.GivenName, userdb.Fold(u.GivenName), u.MiddleName, u.Surname, userdb.Fold(u.Surname),
		u.FullName, userdb.Fold(u.FullName), string(u.Status),
		u.PasswordHash, s.d.nullTime(u.PasswordChangedAt), u.PasswordMustChange, s.d.nullTime(u.EmailVerifiedAt),
		s.d.nullTime(u.LastLoginAt), s.d.nullTime(u.LastFailedLoginAt), u.FailedLogins, s.d.nullTime(u.LockedAt),
		s.d.nullTime(u.DeactivatedAt), custom, s.d.time(u.CreatedAt), s.d.time(u.UpdatedAt), u.AccountID,
		u.PasswordTemporary)
	if err != nil {
		return s.userWriteErr(err)
	}
	return nil
}

// FindUserByID returns the user with the id, with its roles, or ENOTFOUND.
func (s *Store) FindUserByID(ctx context.Context, id string) (*userdb.User, error) {
	return s.findUser(ctx, "id = ?", id)
}

// FindUserByEmail returns the user with the email, compared
// case-insensitively, or ENOTFOUND.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*userdb.User, error) {
	return s.findUser(ctx, "email_fold = ?", userdb.Fold(email))
}

// FindUserByUsername returns the user whose username is username, compared
// case-insensitively, or ENOTFOUND.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (*userdb.User, error) {
	return s.findUser(ctx, "username_fold = ?", userdb.Fold(username))
}

// FindUserByLogin returns the user whose email or username is login,
// compared case-insensitively, or ENOTFOUND. Should one user's username be
// another's email, the email wins: it is the identifier the owner proved.
func (s *Store) FindUserByLogin(ctx context.Context, login string) (*userdb.User, error) {
	l := userdb.Fold(login)
	return s.findUser(ctx, "email_fold = ? OR username_fold = ? ORDER BY CASE WHEN email_fold = ? THEN 0 ELSE 1 END LIMIT 1", l, l, l)
}

// findUser returns the first user of "SELECT ... FROM users WHERE " + cond,
// with its roles.
func (s *Store) findUser(ctx context.Context, cond string, args ...any) (*userdb.User, error) {
	rows, err := s.lookup(ctx, "SELECT "+userColumns+" FROM users WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(us) == 0 {
		return nil, notFound("user")
	}
	if err := s.loadRoles(ctx, us[:1]); err != nil {
		return nil, err
	}
	return us[0], nil
}

// loadRoles fills in the role names of the users, in one query.
func (s *Store) loadRoles(ctx context.Context, us []*userdb.User) error {
	if len(us) == 0 {
		return nil
	}
	byID := make(map[string]*userdb.User, len(us))
	ids := make([]any, len(us))
	for i, u := range us {
		byID[u.ID] = u
		ids[i] = u.ID
		u.Roles = nil
	}
	run := s.query
	if len(ids) == 1 {
		run = s.lookup // the roles of one user: a constant query
	}
	rows, err := run(ctx, `SELECT ur.user_id, r.name FROM user_roles ur JOIN roles r ON r.id = ur.role_id
		WHERE ur.user_id IN (`+placeholders(len(ids))+`) ORDER BY r.name_fold, r.id`, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var userID, name string
		if err := rows.Scan(&userID, &name); err != nil {
			return s.wrap(err)
		}
		u := byID[userID]
		u.Roles = append(u.Roles, name)
	}
	return s.wrap(rows.Err())
}

// userSortColumns maps the sort keys of userdb.UserFilter to the columns
// they sort by: only these names ever reach ORDER BY. Text sorts use the
// folded columns, whose byte order is the same on every dialect.
var userSortColumns = map[string]string{
	userdb.SortCreated:   "created_at",
	userdb.SortEmail:     "email_fold",
	userdb.SortUsername:  "username_fold",
	userdb.SortSurname:   "surname_fold",
	userdb.SortGivenName: "given_name_fold",
	userdb.SortAccount:   "account_key",
	userdb.SortRole:      "role_key",
	userdb.SortStatus:    "status",
}

// userCursor is the position after the last user of a page: its sort value
// and id. It records the sort it belongs to, so that it cannot be replayed
// against another.
type userCursor struct {
	Sort  string `json:"s"`
	Desc  bool   `json:"d,omitempty"`
	Value string `json:"v"`
	ID    string `json:"i"`
}

func (c userCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeUserCursor(s string) (userCursor, error) {
	var c userCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID == "" {
		return c, userdb.FieldError("cursor", "the cursor is not valid")
	}
	return c, nil
}

// FindUsers returns one page of the users matching f, in the order of
// f.Sort then id, and the cursor of the next page. Pages are read by
// keyset (the WHERE continues after the cursor's sort value and id), so a
// page costs the same however deep it is.
func (s *Store) FindUsers(ctx context.Context, f userdb.UserFilter) ([]*userdb.User, string, error) {
	return s.findUsers(ctx, f, true)
}

// findUsers is FindUsers, with the users' roles or without them (pages
// that an offset skips).
func (s *Store) findUsers(ctx context.Context, f userdb.UserFilter, withRoles bool) ([]*userdb.User, string, error) {
	if f.Offset < 0 {
		return nil, "", userdb.FieldError("offset", "offset must not be negative")
	}
	sortKey := f.Sort
	if sortKey == "" {
		sortKey = userdb.SortCreated
	}
	col, ok := userSortColumns[sortKey]
	if !ok {
		// The key is not repeated: it may be anything a caller typed.
		return nil, "", userdb.FieldError("sort", "users sort by created, email, username, surname, givenName, account, role or status")
	}
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, "", err
	}
	w, err := s.userWhere(f)
	if err != nil {
		return nil, "", err
	}
	o := userOrder{key: sortKey, col: col, desc: f.Desc}
	var cur where
	if f.Cursor != "" {
		c, err := decodeUserCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		if c.Sort != sortKey || c.Desc != f.Desc {
			return nil, "", userdb.FieldError("cursor", "the cursor belongs to another sort order")
		}
		var v any = c.Value
		if sortKey == userdb.SortCreated {
			t, err := time.Parse(time.RFC3339Nano, c.Value)
			if err != nil {
				return nil, "", userdb.FieldError("cursor", "the cursor is not valid")
			}
			v = s.d.time(t)
		}
		cmp := ">"
		if f.Desc {
			cmp = "<"
		}
		// The first comparison alone is a range of the sort's index, which
		// planners see when it stands apart from the tie on id.
		cur.add(col+" "+cmp+"= ? AND ("+col+" "+cmp+" ? OR id "+cmp+" ?)", v, v, c.ID)
	}
	// Probed once the input is known to be good: a probe is a query a word.
	plan, err := s.planSearch(ctx, f.Query)
	if err != nil {
		return nil, "", err
	}
	var us []*userdb.User
	var keys []string
	if len(plan.words) > 0 {
		if f.Offset > 0 {
			return s.skipSearch(ctx, f)
		}
		us, keys, err = s.searchPage(ctx, w, cur, plan, o, limit+1)
	} else {
		w = joinWhere(w, cur)
		q, args := "SELECT "+userColumns+", "+col+" FROM users"+w.sql()+o.orderBy(), append(w.args, limit+1)
		if f.Offset > 0 {
			q, args = q+" OFFSET ?", append(args, f.Offset)
		}
		us, keys, err = s.readUsers(ctx, q, args, sortKey)
	}
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(us) > limit {
		us = us[:limit]
		last := us[limit-1]
		next = userCursor{Sort: sortKey, Desc: f.Desc, Value: keys[limit-1], ID: last.ID}.encode()
	}
	if withRoles {
		if err := s.loadRoles(ctx, us); err != nil {
			return nil, "", err
		}
	}
	return us, next, nil
}

// skipSearch is FindUsers of a text search with an offset. The plans of a
// search read a page from a cursor, not from an offset: the users skipped
// are read a page at a time (without their roles), as a client paging by
// cursor would, and the page after them is the answer.
func (s *Store) skipSearch(ctx context.Context, f userdb.UserFilter) ([]*userdb.User, string, error) {
	g := f
	g.Offset = 0
	for skip := f.Offset; skip > 0; {
		g.Limit = min(skip, MaxLimit)
		us, next, err := s.findUsers(ctx, g, false)
		if err != nil {
			return nil, "", err
		}
		if next == "" {
			return []*userdb.User{}, "", nil // fewer users match than the offset skips
		}
		skip -= len(us)
		g.Cursor = next
	}
	g.Limit = f.Limit
	return s.findUsers(ctx, g, true)
}

// readUsers runs a query of userColumns followed by the sort's column and
// returns the users with their sort keys, as cursors write them.
func (s *Store) readUsers(ctx context.Context, q string, args []any, sortKey string) ([]*userdb.User, []string, error) {
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	var keys []string
	us, err := collect(rows, func(sc scanner) (*userdb.User, error) {
		var u userdb.User
		var key string
		var created time.Time
		var keyDest any = &key
		if sortKey == userdb.SortCreated {
			keyDest = timeDest{&created}
		}
		if err := sc.Scan(append(userDest(&u), keyDest)...); err != nil {
			return nil, err
		}
		if sortKey == userdb.SortCreated {
			key = created.Format(time.RFC3339Nano)
		}
		keys = append(keys, key)
		return &u, nil
	})
	return us, keys, s.wrap(err)
}

// CountUsers counts the users matching f, ignoring its sort, cursor and
// limit, up to upTo when it is above zero.
func (s *Store) CountUsers(ctx context.Context, f userdb.UserFilter, upTo int) (int, error) {
	w, err := s.userWhere(f)
	if err != nil {
		return 0, err
	}
	plan, err := s.planSearch(ctx, f.Query)
	if err != nil {
		return 0, err
	}
	if len(plan.words) > 0 {
		return s.countMatches(ctx, w, plan, upTo)
	}
	q, args := "SELECT COUNT(*) FROM users"+w.sql(), w.args
	if upTo > 0 {
		q, args = "SELECT COUNT(*) FROM (SELECT 1 FROM users"+w.sql()+" LIMIT ?) matched", append(args, upTo)
	}
	var n int
	err = s.queryRow(ctx, q, args, &n)
	return n, err
}

// userWhere turns the filters of f, but for its text query, into
// conditions (see search.go for the query).
func (s *Store) userWhere(f userdb.UserFilter) (where, error) {
	var w where
	if f.AccountID != "" {
		w.add("account_id = ?", f.AccountID)
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return w, userdb.FieldError("status", "status must be one of PENDING, ENABLED, DISABLED, LOCKED")
		}
		w.add("status = ?", string(f.Status))
	}
	if f.Role != "" {
		w.add(`EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
			WHERE ur.user_id = users.id AND r.name_fold = ?)`, userdb.Fold(f.Role))
	}
	if f.CreatedAfter != nil {
		w.add("created_at > ?", s.d.time(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		w.add("created_at < ?", s.d.time(*f.CreatedBefore))
	}
	if f.LastLoginAfter != nil {
		w.add("last_login_at > ?", s.d.time(*f.LastLoginAfter))
	}
	if f.LastLoginBefore != nil {
		w.add("last_login_at < ?", s.d.time(*f.LastLoginBefore))
	}
	if f.UpdatedAfter != nil {
		w.add("updated_at > ?", s.d.time(*f.UpdatedAfter))
	}
	if f.UpdatedBefore != nil {
		w.add("updated_at < ?", s.d.time(*f.UpdatedBefore))
	}
	for _, m := range f.Match {
		if err := matchWhere(&w, m); err != nil {
			return w, err
		}
	}
	if f.Deactivated != nil {
		if *f.Deactivated {
			w.add("deactivated_at IS NOT NULL")
		} else {
			w.add("deactivated_at IS NULL")
		}
	}
	if f.HasPassword != nil {
		if *f.HasPassword {
			w.add("password_hash <> ''")
		} else {
			w.add("password_hash = ''")
		}
	}
	if f.PasswordExpired != nil {
		// Expired: marked, or set at or before the cutoff. The negation is
		// written out so that NULLs (no password change yet) cannot drop rows.
		switch {
		case *f.PasswordExpired && f.PasswordSetBefore == nil:
			w.add("password_must_change = ?", true)
		case *f.PasswordExpired:
			w.add("(password_must_change = ? OR (password_hash <> '' AND COALESCE(password_changed_at, created_at) <= ?))",
				true, s.d.time(*f.PasswordSetBefore))
		case f.PasswordSetBefore == nil:
			w.add("password_must_change = ?", false)
		default:
			w.add("password_must_change = ? AND (password_hash = '' OR COALESCE(password_changed_at, created_at) > ?)",
				false, s.d.time(*f.PasswordSetBefore))
		}
	}
	return w, nil
}

// matchColumns maps the fields of userdb.FieldMatch to the folded columns
// they compare: only these names ever reach the SQL.
var matchColumns = map[string]string{
	userdb.MatchUsername:  "username_fold",
	userdb.MatchEmail:     "email_fold",
	userdb.MatchGivenName: "given_name_fold",
	userdb.MatchSurname:   "surname_fold",
}

// matchWhere adds the condition of one field match.
func matchWhere(w *where, m userdb.FieldMatch) error {
	if m.Field == userdb.MatchID {
		if m.Prefix {
			return userdb.FieldError("match", "ids are matched whole")
		}
		w.add("id = ?", m.Value)
		return nil
	}
	col, ok := matchColumns[m.Field]
	if !ok {
		// The name is not repeated: it may be anything a caller typed.
		return userdb.FieldError("match", "users match on id, username, email, givenName or surname")
	}
	v := userdb.Fold(m.Value)
	if !m.Prefix {
		w.add(col+" = ?", v)
		return nil
	}
	if v == "" {
		return userdb.FieldError("match", "a prefix must not be empty")
	}
	w.add(col+" LIKE ? ESCAPE '!'", prefixPattern(v))
	return nil
}

// UpdateUser applies up and returns the user as stored, with its version
// one higher. The row stays locked from read to write, so the full name is
// derived from the name parts as they are, and up.Version, when set, is
// compared with the version the update replaces.
func (s *Store) UpdateUser(ctx context.Context, id string, up userdb.UserUpdate, now time.Time) (*userdb.User, error) {
	var out *userdb.User
	err := s.inTx(ctx, func(tx *Store) error {
		u, err := scanUser(tx.writer().QueryRowContext(ctx,
			tx.d.rebind("SELECT "+userColumns+" FROM users WHERE id = ?"+tx.d.forUpdate), id))
		if err != nil {
			return refine(tx.wrap(err), userdb.ENOTFOUND, notFound("user"))
		}
		if up.Version != nil && *up.Version != u.Version {
			return userdb.Errorf(userdb.ECONFLICT, "the user was changed meanwhile; reload it and try again")
		}
		set, err := tx.userSets(u, &up, now)
		if err != nil {
			return err
		}
		n, err := tx.execCount(ctx, "UPDATE users SET "+set.sql()+" WHERE id = ? AND version = ?", append(set.args, id, u.Version)...)
		if err != nil {
			return tx.userWriteErr(err)
		}
		if n == 0 {
			return userdb.Errorf(userdb.ECONFLICT, "the user was changed meanwhile; reload it and try again")
		}
		if out, err = tx.FindUserByID(ctx, id); err != nil {
			return err
		}
		if up.Username != nil || up.Email != nil || up.GivenName != nil || up.Surname != nil {
			return tx.replaceTerms(ctx, id, userTerms(out))
		}
		return nil
	})
	return out, err
}

// userSets applies up to u and returns the assignments of the columns it
// changed, with the folded copies beside their columns.
func (s *Store) userSets(u *userdb.User, up *userdb.UserUpdate, now time.Time) (sets, error) {
	up.Apply(u)
	var set sets
	if up.AccountID != nil {
		set.add("account_id", u.AccountID)
		// The sort key of the new account's name (migration 0090).
		set.addSQL("account_key", "COALESCE((SELECT name_fold FROM accounts WHERE id = ?), '')")
		set.args = append(set.args, u.AccountID)
	}
	if up.Username != nil {
		set.add("username", u.Username)
		set.add("username_fold", userdb.Fold(u.Username))
	}
	if up.Email != nil {
		set.add("email", u.Email)
		set.add("email_fold", userdb.Fold(u.Email))
	}
	if up.GivenName != nil || up.MiddleName != nil || up.Surname != nil {
		set.add("given_name", u.GivenName)
		set.add("given_name_fold", userdb.Fold(u.GivenName))
		set.add("middle_name", u.MiddleName)
		set.add("surname", u.Surname)
		set.add("surname_fold", userdb.Fold(u.Surname))
		set.add("full_name", u.FullName)
		set.add("full_name_fold", userdb.Fold(u.FullName))
	}
	if up.Status != nil {
		set.add("status", string(u.Status))
	}
	if up.PasswordHash != nil {
		set.add("password_hash", u.PasswordHash)
	}
	if up.PasswordChangedAt != nil {
		set.add("password_changed_at", s.d.nullTime(u.PasswordChangedAt))
	}
	if up.PasswordMustChange != nil {
		set.add("password_must_change", u.PasswordMustChange)
	}
	if up.PasswordTemporary != nil {
		set.add("password_temporary", u.PasswordTemporary)
	}
	if up.EmailVerifiedAt != nil || up.ClearEmailVerified {
		set.add("email_verified_at", s.d.nullTime(u.EmailVerifiedAt))
	}
	if up.LastLoginAt != nil {
		set.add("last_login_at", s.d.nullTime(u.LastLoginAt))
	}
	if up.ResetFailedLogins {
		set.addSQL("failed_logins", "0")
		set.addSQL("locked_at", "NULL")
	}
	if up.DeactivatedAt != nil || up.ClearDeactivated {
		set.add("deactivated_at", s.d.nullTime(u.DeactivatedAt))
	}
	if up.CustomData != nil {
		custom, err := jsonValue("customData", u.CustomData)
		if err != nil {
			return set, err
		}
		set.add("custom_data", custom)
	}
	if !up.KeepVersion {
		set.add("updated_at", s.d.time(now))
		set.addSQL("version", "version + 1")
	}
	return set, nil
}

// DeleteUser deletes the user with its roles, sessions, tokens and password
// history (by foreign-key cascade); its events and emails stay.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	n, err := s.execCount(ctx, "DELETE FROM users WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("user")
	}
	return nil
}

// RecordFailedLogin adds one to the user's failed-login count and, when
// the count reaches lockAfter (> 0) while the user is ENABLED, locks the
// user. It reads the row under a lock held until commit (SELECT ... FOR
// UPDATE; on SQLite the BEGIN IMMEDIATE write lock), so each concurrent
// call sees the count the previous one left: exactly one call locks.
func (s *Store) RecordFailedLogin(ctx context.Context, id string, now time.Time, lockAfter int) (count int, locked bool, err error) {
	err = s.inTx(ctx, func(tx *Store) error {
		var prev int
		var status userdb.Status
		if err := tx.lockRow(ctx, "SELECT failed_logins, status FROM users WHERE id = ?", []any{id}, &prev, &status); err != nil {
			return refine(err, userdb.ENOTFOUND, notFound("user"))
		}
		count = prev + 1
		locked = lockAfter > 0 && count >= lockAfter && status == userdb.StatusEnabled
		if !locked {
			_, err := tx.exec(ctx, "UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = ? WHERE id = ?",
				tx.d.time(now), id)
			return err
		}
		_, err := tx.exec(ctx, `UPDATE users SET failed_logins = failed_logins + 1, last_failed_login_at = ?,
			status = ?, locked_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
			tx.d.time(now), string(userdb.StatusLocked), tx.d.time(now), tx.d.time(now), id)
		return err
	})
	if err != nil {
		return 0, false, err
	}
	return count, locked, nil
}

// UnlockUser enables a LOCKED user and resets its failed-login count. It
// fails with ECONFLICT when the user is not locked.
func (s *Store) UnlockUser(ctx context.Context, id string, now time.Time) error {
	n, err := s.execCount(ctx, `UPDATE users SET status = ?, failed_logins = 0, locked_at = NULL,
		updated_at = ?, version = version + 1 WHERE id = ? AND status = ?`,
		string(userdb.StatusEnabled), s.d.time(now), id, string(userdb.StatusLocked))
	if err != nil || n > 0 {
		return err
	}
	found, err := s.exists(ctx, "SELECT id FROM users WHERE id = ?", id)
	switch {
	case err != nil:
		return err
	case !found:
		return notFound("user")
	}
	return userdb.Errorf(userdb.ECONFLICT, "the user is not locked")
}

// FindLockedUsers lists the ids of LOCKED users locked at or before until,
// the longest locked first.
func (s *Store) FindLockedUsers(ctx context.Context, until time.Time) ([]string, error) {
	rows, err := s.query(ctx, "SELECT id FROM users WHERE status = ? AND locked_at <= ? ORDER BY locked_at, id",
		string(userdb.StatusLocked), s.d.time(until))
	if err != nil {
		return nil, err
	}
	ids, err := collect(rows, scanString)
	return ids, s.wrap(err)
}

func scanString(sc scanner) (string, error) {
	var s string
	err := sc.Scan(&s)
	return s, err
}

// AddPasswordHistory records a former password hash of the user and keeps
// only the newest keep entries.
func (s *Store) AddPasswordHistory(ctx context.Context, userID, hash string, at time.Time, keep int) error {
	return s.inTx(ctx, func(tx *Store) error {
		_, err := tx.exec(ctx, "INSERT INTO password_history (user_id, password_hash, created_at) VALUES (?, ?, ?)",
			userID, hash, tx.d.time(at))
		if err != nil {
			return refine(err, userdb.ENOTFOUND, notFound("user"))
		}
		rows, err := tx.query(ctx, "SELECT id FROM password_history WHERE user_id = ? ORDER BY created_at DESC, id DESC", userID)
		if err != nil {
			return err
		}
		ids, err := collect(rows, func(sc scanner) (any, error) {
			var id int64
			err := sc.Scan(&id)
			return id, err
		})
		if err != nil {
			return tx.wrap(err)
		}
		if len(ids) <= keep {
			return nil
		}
		old := ids[max(keep, 0):]
		_, err = tx.exec(ctx, "DELETE FROM password_history WHERE id IN ("+placeholders(len(old))+")", old...)
		return err
	})
}

// FindPasswordHistory returns up to n former password hashes of the user,
// newest first.
func (s *Store) FindPasswordHistory(ctx context.Context, userID string, n int) ([]string, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.query(ctx, "SELECT password_hash FROM password_history WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?", userID, n)
	if err != nil {
		return nil, err
	}
	hashes, err := collect(rows, scanString)
	return hashes, s.wrap(err)
}
