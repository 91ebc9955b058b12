package nodeimport

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb"
)

func (im *importer) importUsers(ctx context.Context) error {
	keys, err := im.src.userKeys(ctx)
	if err != nil {
		return err
	}
	im.settleUsers(keys)
	ids := make([]string, len(keys))
	for i, k := range keys {
		ids[i] = k.ID
	}
	done := 0
	for chunk := range slices.Chunk(ids, im.opts.BatchSize) {
		rows, err := im.src.users(ctx, chunk)
		if err != nil {
			return err
		}
		mems, err := im.src.memberships(ctx, chunk)
		if err != nil {
			return err
		}
		olds, err := im.src.oldPasswords(ctx, chunk)
		if err != nil {
			return err
		}
		wraps, err := im.wrapHashes(ctx, rows, olds)
		if err != nil {
			return err
		}
		memsOf := groupBy(mems, func(m membershipRow) string { return m.UserID })
		oldsOf := groupBy(olds, func(o oldPasswordRow) string { return o.UserID })
		err = im.write(ctx, func(st userdb.Store, rep *Report) error {
			for _, r := range rows {
				if err := im.importUser(ctx, st, rep, r, memsOf[r.ID], oldsOf[r.ID], wraps); err != nil {
					return fmt.Errorf("user %s: %w", r.ID, err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += len(chunk)
		im.log.Info("users read", "done", done, "of", len(ids))
	}
	return nil
}

// settleUsers decides, from every user at once, which users are not
// imported for want of a valid, unique email, and the username of the rest.
//
// userdb keeps emails and usernames unique ignoring case; the original did
// not. Of users sharing an email, the one imported is the one most likely in
// use: an ENABLED (or LOCKED) user before others, then the latest to sign
// in, then the smallest id. The others are reported and skipped.
//
// A user's own email is always free as its username (the original's
// default), so a username that another user has, in the same order, or that
// is another user's email, is replaced by the user's email.
func (im *importer) settleUsers(keys []userKey) {
	im.rejected = make(map[string]string)
	im.usernames = make(map[string]string, len(keys))
	var valid []userKey
	for _, k := range keys {
		k.Email = strings.TrimSpace(k.Email)
		switch {
		case k.Email == "":
			im.rejected[k.ID] = "the user has no email"
		case userdb.ValidateEmail(k.Email) != nil:
			im.rejected[k.ID] = fmt.Sprintf("email %s is not a valid address", quoteID(k.Email))
		default:
			valid = append(valid, k)
		}
	}
	slices.SortStableFunc(valid, func(a, b userKey) int {
		if a, b := active(a), active(b); a != b {
			if a {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.LastLogin, a.LastLogin); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})

	emailOwner := make(map[string]string) // folded email -> the user imported with it
	for _, k := range valid {
		if other, ok := emailOwner[userdb.Fold(k.Email)]; ok {
			im.rejected[k.ID] = fmt.Sprintf("user %s has the same email, %s (userdb compares emails ignoring case)", other, quoteID(k.Email))
			continue
		}
		emailOwner[userdb.Fold(k.Email)] = k.ID
	}
	nameOwner := maps.Clone(emailOwner) // folded username -> the user that has it
	for _, k := range valid {
		if _, ok := im.rejected[k.ID]; ok {
			continue
		}
		name := strings.TrimSpace(k.Username)
		if name == "" {
			name = k.Email
		}
		if other, ok := nameOwner[userdb.Fold(name)]; ok && other != k.ID {
			if emailOwner[userdb.Fold(name)] == other {
				im.report.note(TableUsers, k.ID, "its username %s is the email of user %s; imported with its own email as username", quoteID(name), other)
			} else {
				im.report.note(TableUsers, k.ID, "user %s has the same username, %s; imported with its own email as username", other, quoteID(name))
			}
			name = k.Email
		}
		nameOwner[userdb.Fold(name)] = k.ID
		im.usernames[k.ID] = name
	}
}

// active reports whether a user could sign in, or could before being locked.
func active(k userKey) bool {
	st, _ := parseStatus(k.Status)
	return st == userdb.StatusEnabled || st == userdb.StatusLocked
}

// importUser writes one user, with its roles and old passwords, through st.
func (im *importer) importUser(ctx context.Context, st userdb.Store, rep *Report, r userRow, mems []membershipRow, olds []oldPasswordRow, wraps map[string]string) error {
	if reason, ok := im.rejected[r.ID]; ok {
		rep.skip(TableUsers, r.ID, "%s", reason)
		skipDependents(rep, r.ID, mems, olds)
		return nil
	}
	want := im.mapUser(rep, r, mems)
	if want == nil {
		skipDependents(rep, r.ID, mems, olds)
		return nil
	}
	have, err := st.FindUserByID(ctx, want.ID)
	switch {
	case userdb.IsCode(err, userdb.ENOTFOUND):
		have = nil // a new user
	case err != nil:
		return err
	}
	conflict, err := im.takenInUserdb(ctx, st, want, have)
	if err != nil {
		return err
	}
	if conflict != "" {
		rep.skip(TableUsers, r.ID, "%s", conflict)
		skipDependents(rep, r.ID, mems, olds)
		return nil
	}
	im.storedHash(rep, want, have, wraps)

	if have == nil {
		rep.Users.Created++
		if !im.opts.DryRun {
			if err := st.CreateUser(ctx, want); err != nil {
				return err
			}
		}
	} else {
		up, changed, gaps := diffUser(want, have)
		for _, g := range gaps {
			rep.note(TableUsers, r.ID, "%s", g)
		}
		if changed {
			rep.Users.Updated++
			if !im.opts.DryRun {
				up.Version = &have.Version
				if _, err := st.UpdateUser(ctx, want.ID, up, im.now); err != nil {
					return err
				}
			}
		} else {
			rep.Users.Unchanged++
		}
	}
	var roles []string
	if have != nil {
		roles = have.Roles
	}
	if err := im.importMemberships(ctx, st, rep, want.ID, roles, mems, im.superAccount(mems) != ""); err != nil {
		return err
	}
	return im.importHistory(ctx, st, rep, want, have != nil, olds, wraps)
}

// mapUser returns the userdb user of a source row, whose memberships are
// mems, or nil (and an issue) when it cannot be imported.
func (im *importer) mapUser(rep *Report, r userRow, mems []membershipRow) *userdb.User {
	if reason := im.accountMissing(r.AccountID); reason != "" {
		rep.skip(TableUsers, r.ID, "%s", reason)
		return nil
	}
	created := im.timeOr(r.Created, im.now)
	u := &userdb.User{
		ID:                r.ID,
		AccountID:         r.AccountID,
		Username:          im.usernames[r.ID],
		Email:             strings.TrimSpace(r.Email),
		GivenName:         r.GivenName,
		MiddleName:        r.MiddleName,
		Surname:           r.Surname,
		FullName:          r.FullName,
		PasswordChangedAt: unixTime(r.PasswordUpdated),
		LastLoginAt:       unixTime(r.LastLogin),
		LastFailedLoginAt: unixTime(r.LastFailedLogin),
		FailedLogins:      max(r.FailedLogins, 0),
		CreatedAt:         created,
		UpdatedAt:         im.timeOr(r.Updated, created),
	}
	if acc := im.superAccount(mems); acc != "" {
		u.AccountID = userdb.DefaultAccountID
		rep.note(TableUsers, r.ID, "holds %s in account %s, which made it a super-admin of every account in the original; "+
			"moved to the default account and given its %s role, as userdb's super-admins are (its roles of that account are not kept)",
			im.opts.SuperAdminRole, acc, im.opts.SuperAdminRole)
	}
	// The original let only ENABLED users sign in: an unknown status is
	// taken as DISABLED, which keeps the user out until an admin decides.
	st, ok := parseStatus(r.Status)
	if !ok {
		st = userdb.StatusDisabled
		rep.note(TableUsers, r.ID, "status %s is not one of PENDING, ENABLED, DISABLED, LOCKED; imported as DISABLED", describeStatus(r.Status))
	}
	u.Status = st
	switch {
	case validBcrypt(r.Password):
		u.PasswordHash = r.Password
	case r.Password == "":
		rep.note(TableUsers, r.ID, "the user has no password; it must set one with a password reset")
	default:
		rep.note(TableUsers, r.ID, "the password is not a bcrypt hash userdb can verify; imported without it, so the user must reset it")
	}
	if st == userdb.StatusLocked {
		// The original unlocked users by the time of the last failed
		// sign-in, the one that locked them.
		locked := im.timeOr(r.LastFailedLogin, im.now)
		u.LockedAt = &locked
	}
	// The original had no record of verified emails: a user who could
	// sign in with a password (LOCKED users could, before the lock) was
	// verified, or allowed in without it, by the time it was created.
	if (st == userdb.StatusEnabled || st == userdb.StatusLocked) && u.PasswordHash != "" {
		u.EmailVerifiedAt = &created
	}
	custom, ok := parseCustomData(r.CustomData)
	if !ok {
		rep.note(TableUsers, r.ID, "customData is not a JSON object; imported without it")
	}
	u.CustomData = custom
	u.Normalize()
	if err := u.Validate(); err != nil {
		rep.skip(TableUsers, r.ID, "%s", userdb.ErrorMessage(err))
		return nil
	}
	return u
}

// takenInUserdb returns why want's email or username cannot be written
// because another userdb user has it, or "". have is the user as userdb has
// it, or nil.
func (im *importer) takenInUserdb(ctx context.Context, st userdb.Store, want, have *userdb.User) (string, error) {
	if have == nil || userdb.Fold(have.Email) != userdb.Fold(want.Email) {
		other, err := st.FindUserByEmail(ctx, want.Email)
		switch {
		case err == nil && other.ID != want.ID:
			return fmt.Sprintf("userdb user %s already has the email %s", other.ID, quoteID(want.Email)), nil
		case err != nil && !userdb.IsCode(err, userdb.ENOTFOUND):
			return "", err
		}
	}
	if have == nil || userdb.Fold(have.Username) != userdb.Fold(want.Username) {
		other, err := st.FindUserByLogin(ctx, want.Username)
		switch {
		case err == nil && other.ID != want.ID && userdb.Fold(other.Username) == userdb.Fold(want.Username):
			return fmt.Sprintf("userdb user %s already has the username %s", other.ID, quoteID(want.Username)), nil
		case err != nil && !userdb.IsCode(err, userdb.ENOTFOUND):
			return "", err
		}
	}
	return "", nil
}

// diffUser returns the update that makes have equal to want, whether there
// is anything to update, and the differences no UserUpdate can write.
// Verification and lock times compare by presence only: the import infers
// them when the source has none.
func diffUser(want, have *userdb.User) (up userdb.UserUpdate, changed bool, gaps []string) {
	setString := func(dst **string, w, h string) {
		if w != h {
			*dst, changed = &w, true
		}
	}
	setString(&up.AccountID, want.AccountID, have.AccountID)
	setString(&up.Username, want.Username, have.Username)
	setString(&up.Email, want.Email, have.Email)
	setString(&up.GivenName, want.GivenName, have.GivenName)
	setString(&up.MiddleName, want.MiddleName, have.MiddleName)
	setString(&up.Surname, want.Surname, have.Surname)
	setString(&up.PasswordHash, want.PasswordHash, have.PasswordHash)
	if want.Status != have.Status {
		up.Status, changed = &want.Status, true
	}
	setTime := func(dst **time.Time, w, h *time.Time, what string) {
		switch {
		case sameTime(w, h):
		case w != nil:
			*dst, changed = w, true
		default:
			gaps = append(gaps, fmt.Sprintf("userdb has a %s the source lacks, and the Store interface cannot clear it", what))
		}
	}
	setTime(&up.PasswordChangedAt, want.PasswordChangedAt, have.PasswordChangedAt, "password change time")
	setTime(&up.LastLoginAt, want.LastLoginAt, have.LastLoginAt, "last sign-in time")
	// Verification is inferred, never read from the source: it is added
	// when the source shows it, and never taken away.
	if want.EmailVerifiedAt != nil && have.EmailVerifiedAt == nil {
		up.EmailVerifiedAt, changed = want.EmailVerifiedAt, true
	}
	if !sameJSON(want.CustomData, have.CustomData) {
		up.CustomData, changed = replacement(want.CustomData), true
	}

	// Failed sign-ins: an update can only reset the count and the lock.
	if want.FailedLogins == 0 && want.LockedAt == nil && (have.FailedLogins != 0 || have.LockedAt != nil) {
		up.ResetFailedLogins, changed = true, true
	} else {
		if want.FailedLogins != have.FailedLogins {
			gaps = append(gaps, fmt.Sprintf("the failed sign-in count is %d in the source and %d in userdb, and the Store interface cannot set it",
				want.FailedLogins, have.FailedLogins))
		}
		if want.LockedAt != nil && have.LockedAt == nil {
			gaps = append(gaps, "the Store interface cannot set a lock time, so the user stays LOCKED until an administrator unlocks it")
		}
	}
	if !sameTime(want.LastFailedLoginAt, have.LastFailedLoginAt) {
		gaps = append(gaps, "the time of the last failed sign-in differs from userdb's, and the Store interface cannot set it")
	}
	return up, changed, gaps
}

// importMemberships gives the user the roles of its users_roles rows. A
// userdb user lists its roles by name, so a membership counts as present
// when the user has a role of that name; has lists them. A user moved to
// the default account as a super-admin (moved) keeps only that role: its
// former account's roles would read, by name, as the default account's.
func (im *importer) importMemberships(ctx context.Context, st userdb.Store, rep *Report, userID string, has []string, mems []membershipRow, moved bool) error {
	owned := make(map[string]int)
	for _, name := range has {
		owned[userdb.Fold(name)]++
	}
	given := make(map[string]bool)
	for _, m := range mems {
		id := m.UserID + "/" + m.RoleID
		t, ok := im.roles[m.RoleID]
		if !ok {
			if im.sourceRoles[m.RoleID] {
				rep.skip(TableMemberships, id, "role %s is not imported", m.RoleID)
			} else {
				rep.skip(TableMemberships, id, "role %s does not exist", quoteID(m.RoleID))
			}
			continue
		}
		if _, ok := im.superRoles[t.id]; ok {
			super, err := im.defaultSuperRole(ctx, st)
			if err != nil {
				return err
			}
			t = super
		} else if moved {
			rep.note(TableMemberships, id, "role %s of its former account is not kept: the user moved to the default account "+
				"as a super-admin, where the name would mean the default account's role", quoteID(t.name))
			continue
		}
		if given[t.id] { // two source roles merged into one
			rep.Memberships.Unchanged++
			continue
		}
		given[t.id] = true
		if name := userdb.Fold(t.name); owned[name] > 0 {
			owned[name]--
			rep.Memberships.Unchanged++
			continue
		}
		rep.Memberships.Created++
		if !im.opts.DryRun {
			if err := st.AddUserRole(ctx, userID, t.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// importHistory adds the user's old passwords to its password history: the
// newest Options.HistoryKeep distinct bcrypt hashes. Like the original's
// old_passwords, userdb's history holds the current hash too.
func (im *importer) importHistory(ctx context.Context, st userdb.Store, rep *Report, u *userdb.User, exists bool, olds []oldPasswordRow, wraps map[string]string) error {
	keep := im.opts.HistoryKeep
	has := make(map[string]bool)
	if exists {
		hashes, err := st.FindPasswordHistory(ctx, u.ID, keep)
		if err != nil {
			return err
		}
		for _, h := range hashes {
			has[h] = true
		}
	}
	olds = slices.Clone(olds)
	slices.SortStableFunc(olds, func(a, b oldPasswordRow) int { return cmp.Compare(b.Created, a.Created) })
	seen := make(map[string]bool)
	var add []oldPasswordRow
	for _, o := range olds {
		switch {
		case !validBcrypt(o.Hash):
			rep.skip(TableOldPasswords, u.ID, "entry of %s is not a bcrypt hash", describeTime(o.Created))
		case seen[o.Hash]:
			rep.OldPasswords.Unchanged++ // the same hash twice: one history entry
		case len(seen) == keep:
			rep.skip(TableOldPasswords, u.ID, "entry of %s is older than the newest %d, which are kept", describeTime(o.Created), keep)
		case im.inHistory(has, o.Hash, wraps):
			seen[o.Hash] = true
			rep.OldPasswords.Unchanged++
		default:
			seen[o.Hash] = true
			rep.OldPasswords.Created++
			if w, weak := wraps[o.Hash]; weak {
				o.Hash = w // as weak as a current hash: the same wrapping
				rep.Wrapped++
			}
			add = append(add, o)
		}
	}
	if im.opts.DryRun {
		return nil
	}
	// Oldest first, so that trimming to keep never drops a newer entry.
	for _, o := range slices.Backward(add) {
		if err := st.AddPasswordHistory(ctx, u.ID, o.Hash, im.timeOr(o.Created, u.CreatedAt), keep); err != nil {
			return err
		}
	}
	return nil
}

// skipDependents reports the memberships and old passwords of a user that
// is not imported.
func skipDependents(rep *Report, userID string, mems []membershipRow, olds []oldPasswordRow) {
	for _, m := range mems {
		rep.skip(TableMemberships, m.UserID+"/"+m.RoleID, "user %s is not imported", userID)
	}
	for _, o := range olds {
		rep.skip(TableOldPasswords, userID, "entry of %s: user %s is not imported", describeTime(o.Created), userID)
	}
}

// maxBcryptCost is the highest cost internal/password verifies; a hash
// above it could never sign its user in.
const maxBcryptCost = 16

// validBcrypt reports whether s is a bcrypt hash userdb can verify: the
// $2a$ hashes of bcryptjs, which the original used, or $2b$ / $2y$.
func validBcrypt(s string) bool {
	if len(s) != 60 || !(strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")) {
		return false
	}
	cost, err := bcrypt.Cost([]byte(s))
	return err == nil && cost <= maxBcryptCost
}

// parseCustomData decodes the original's customData column, JSON text. It
// returns nil for an empty column or JSON null, and false when the text is
// not a JSON object.
func parseCustomData(s string) (map[string]any, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" {
		return nil, true
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, false
	}
	return m, true
}

// sameJSON reports whether two custom data values encode alike; nil and
// empty are the same.
func sameJSON(a, b map[string]any) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

// replacement returns the custom data of an update that sets m: an update
// leaves nil custom data alone, so none is written as empty.
func replacement(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Equal(*b)
}

func groupBy[T any](items []T, key func(T) string) map[string][]T {
	m := make(map[string][]T)
	for _, it := range items {
		m[key(it)] = append(m[key(it)], it)
	}
	return m
}
