package nodeimport

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// Defaults of Options.
const (
	DefaultBatchSize   = 500
	DefaultHistoryKeep = 100
)

// maxBatchSize bounds Options.BatchSize: a batch's ids are the parameters of
// one statement, and databases cap those (SQLite at 32766, PostgreSQL and
// MySQL at 65535).
const maxBatchSize = 10000

// Options tune Import. The zero value imports for real, DefaultBatchSize
// users per transaction.
type Options struct {
	// DryRun computes the report and writes nothing.
	DryRun bool
	// BatchSize is the number of users (with their roles and old
	// passwords) written per transaction; DefaultBatchSize if 0, and at
	// most 10000.
	BatchSize int
	// HistoryKeep is the most old passwords kept per user, passed to
	// Store.AddPasswordHistory; DefaultHistoryKeep if 0. It should be well
	// above password.history, which trims the list at the next change.
	HistoryKeep int
	// Now is the clock, read once per import: it stands in for unknown
	// creation and lock times. time.Now if nil.
	Now func() time.Time
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// SuperAdminRole is userdb's super_admin_role (userdb.RoleSuperAdmin
	// if ""). The original's holders of a role of this name, in any
	// account, are moved to the default account with its role of this
	// name (superadmin.go).
	SuperAdminRole string
	// Wrapper wraps weak bcrypt hashes (cost below 10) in argon2id as they
	// are written; nil keeps every hash as the source has it.
	Wrapper Wrapper
}

// Import copies the original library's database src (dialect MySQL, Postgres
// or SQLite; see Open) into dst, and reports what it did for every row.
//
// Accounts, users and roles keep their ids; the original's accounts are
// created beside userdb's default account. Users keep their bcrypt hashes,
// which userdb verifies and replaces with its own hash at the next sign-in;
// with Options.Wrapper, those below cost 10 are stored wrapped in argon2id
// (a second run keeps a wrapping of the same source hash).
// Rows that cannot be imported (an account without a name, a user without a
// valid email, a second user with the same email, a role or membership
// pointing to nothing...) are skipped and reported with their id; the rest
// of the import goes on.
//
// The import can be run again: what is in dst already is compared field by
// field, and only what differs from the source is updated, so a second run
// over an unchanged source changes nothing. The source is the truth: a
// field changed in userdb since the last run is set back to the source's
// value. Run it until the switch-over, not after.
//
// Accounts, roles and users are each written in transactions of
// Options.BatchSize rows. An error of the source or of dst ends the import:
// the batches committed before it stay, and the report counts only them.
//
// The original's emailVerificationToken is not imported: userdb's one-time
// tokens are hashes of random values it issued itself, so links the
// original sent stop working, and their users ask for new ones.
//
// Some of the original's data has no way into userdb through the Store
// interface once a user exists there: an update cannot set the failed-login
// count, the time of the last failed sign-in or the lock time, nor clear a
// password change or last sign-in time. Import creates users with all of
// them, and reports those differences on later runs instead of writing them.
func Import(ctx context.Context, src *sql.DB, dialect string, dst userdb.Store, opts Options) (*Report, error) {
	s, err := newSource(ctx, src, dialect)
	if err != nil {
		return nil, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	opts.BatchSize = min(opts.BatchSize, maxBatchSize)
	if opts.HistoryKeep <= 0 {
		opts.HistoryKeep = DefaultHistoryKeep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.SuperAdminRole == "" {
		opts.SuperAdminRole = userdb.RoleSuperAdmin
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	im := &importer{
		src:            s,
		dst:            dst,
		opts:           opts,
		now:            opts.Now().UTC().Truncate(time.Microsecond),
		log:            log,
		report:         &Report{DryRun: opts.DryRun},
		sourceAccounts: make(map[string]bool),
		accounts:       make(map[string]bool),
		sourceRoles:    make(map[string]bool),
		roles:          make(map[string]roleTarget),
		superRoles:     make(map[string]string),
	}
	steps := []func(context.Context) error{im.importAccounts, im.importRoles, im.importUsers, im.reportOrphans}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return im.report, err
		}
	}
	return im.report, nil
}

type importer struct {
	src    *source
	dst    userdb.Store
	opts   Options
	now    time.Time
	log    *slog.Logger
	report *Report

	sourceAccounts map[string]bool       // every account id of the source
	accounts       map[string]bool       // the source accounts imported (or that would be, in a dry run)
	sourceRoles    map[string]bool       // every role id of the source
	roles          map[string]roleTarget // source role id -> the userdb role its members get
	superRoles     map[string]string     // userdb id of an imported super-admin role -> its account id

	// Settled before users are read in batches, from all of them at once.
	rejected  map[string]string // user id -> why it is not imported
	usernames map[string]string // user id -> its username in userdb
}

// roleTarget is the userdb role that members of a source role get: the
// role itself, or the one it was merged into.
type roleTarget struct{ id, name string }

// write runs fn in a transaction of dst, or on dst itself in a dry run
// (where fn writes nothing). fn records what it does in a report fragment
// that joins the report once the transaction has committed.
func (im *importer) write(ctx context.Context, fn func(st userdb.Store, rep *Report) error) error {
	frag := &Report{}
	var err error
	if im.opts.DryRun {
		err = fn(im.dst, frag)
	} else {
		err = im.dst.Tx(ctx, func(tx userdb.Store) error { return fn(tx, frag) })
	}
	if err != nil {
		return err
	}
	im.report.add(frag)
	return nil
}

// add adds the counts and issues of frag to r.
func (r *Report) add(frag *Report) {
	for _, t := range frag.tables() {
		c := r.counts(t.name)
		c.Created += t.counts.Created
		c.Updated += t.counts.Updated
		c.Unchanged += t.counts.Unchanged
		c.Failed += t.counts.Failed
	}
	r.Issues = append(r.Issues, frag.Issues...)
	r.Wrapped += frag.Wrapped
}

// ---- accounts

func (im *importer) importAccounts(ctx context.Context) error {
	rows, err := im.src.accounts(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]string) // folded name -> the account given it in this run
	var want []*userdb.Account
	for _, r := range rows {
		im.sourceAccounts[r.ID] = true
		a, err := im.mapAccount(ctx, r, names)
		if err != nil {
			return err
		}
		if a != nil {
			im.accounts[a.ID] = true
			want = append(want, a)
		}
	}
	for chunk := range slices.Chunk(want, im.opts.BatchSize) {
		err := im.write(ctx, func(st userdb.Store, rep *Report) error {
			for _, a := range chunk {
				if err := im.writeAccount(ctx, st, rep, a); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	im.log.Info("accounts read", "rows", len(rows))
	return nil
}

// mapAccount returns the userdb account of a source row, or nil (and an
// issue) when it cannot be imported.
func (im *importer) mapAccount(ctx context.Context, r accountRow, names map[string]string) (*userdb.Account, error) {
	rep := im.report
	created := im.timeOr(r.Created, im.now)
	a := &userdb.Account{
		ID:          r.ID,
		Name:        strings.TrimSpace(r.Name),
		Description: r.Description,
		Status:      userdb.StatusEnabled,
		CreatedAt:   created,
		UpdatedAt:   im.timeOr(r.Updated, created),
	}
	if a.Name == "" {
		rep.skip(TableAccounts, r.ID, "the account has no name")
		return nil, nil
	}
	// The original never looked at an account's status when signing in, so
	// an unknown one is taken as ENABLED, which keeps its users signing in.
	if st, ok := parseStatus(r.Status); ok && (st == userdb.StatusEnabled || st == userdb.StatusDisabled) {
		a.Status = st
	} else {
		rep.note(TableAccounts, r.ID, "status %s is not ENABLED or DISABLED; imported as ENABLED", describeStatus(r.Status))
	}
	custom, ok := parseCustomData(r.CustomData)
	if !ok {
		rep.note(TableAccounts, r.ID, "customData is not a JSON object; imported without it")
	}
	a.CustomData = custom

	name, why, err := im.freeAccountName(ctx, a, names)
	if err != nil {
		return nil, err
	}
	if name == "" {
		rep.skip(TableAccounts, r.ID, "the name %q is taken: %s, and so is %q", a.Name, why, a.Name+"-"+a.ID)
		return nil, nil
	}
	if name != a.Name {
		rep.note(TableAccounts, r.ID, "renamed to %q: %s (userdb compares account names ignoring case)", name, why)
		a.Name = name
	}
	if err := a.Validate(); err != nil {
		rep.skip(TableAccounts, r.ID, "%s", userdb.ErrorMessage(err))
		return nil, nil
	}
	names[userdb.Fold(a.Name)] = a.ID
	return a, nil
}

// freeAccountName returns the name a's account can have in userdb: its own,
// or, when another account has that one, the name followed by "-" and its
// id. It returns "" when neither is free, and why the first is not.
func (im *importer) freeAccountName(ctx context.Context, a *userdb.Account, names map[string]string) (name, why string, err error) {
	for _, candidate := range []string{a.Name, a.Name + "-" + a.ID} {
		if other, ok := names[userdb.Fold(candidate)]; ok {
			if why == "" {
				why = "account " + other + " has it"
			}
			continue
		}
		found, err := im.dst.FindAccountByName(ctx, candidate)
		switch {
		case userdb.IsCode(err, userdb.ENOTFOUND) || err == nil && found.ID == a.ID:
			return candidate, why, nil
		case err != nil:
			return "", "", err
		}
		if why == "" {
			why = "userdb account " + found.ID + " has it"
		}
	}
	return "", why, nil
}

func (im *importer) writeAccount(ctx context.Context, st userdb.Store, rep *Report, want *userdb.Account) error {
	have, err := st.FindAccountByID(ctx, want.ID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		rep.Accounts.Created++
		if im.opts.DryRun {
			return nil
		}
		return st.CreateAccount(ctx, want)
	}
	if err != nil {
		return err
	}
	var up userdb.AccountUpdate
	changed := false
	if have.Name != want.Name {
		up.Name, changed = &want.Name, true
	}
	if have.Description != want.Description {
		up.Description, changed = &want.Description, true
	}
	if have.Status != want.Status {
		up.Status, changed = &want.Status, true
	}
	if !sameJSON(have.CustomData, want.CustomData) {
		up.CustomData, changed = replacement(want.CustomData), true
	}
	if !changed {
		rep.Accounts.Unchanged++
		return nil
	}
	rep.Accounts.Updated++
	if im.opts.DryRun {
		return nil
	}
	_, err = st.UpdateAccount(ctx, want.ID, up, im.now)
	return err
}

// ---- roles

func (im *importer) importRoles(ctx context.Context) error {
	rows, err := im.src.roles(ctx)
	if err != nil {
		return err
	}
	byName := make(map[string]roleTarget) // account id + folded name -> the role imported under it
	var want []*userdb.Role
	for _, r := range rows {
		im.sourceRoles[r.ID] = true
		role, err := im.mapRole(ctx, r, byName)
		if err != nil {
			return err
		}
		if role != nil {
			want = append(want, role)
		}
	}
	for chunk := range slices.Chunk(want, im.opts.BatchSize) {
		err := im.write(ctx, func(st userdb.Store, rep *Report) error {
			for _, r := range chunk {
				if err := im.writeRole(ctx, st, rep, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	im.log.Info("roles read", "rows", len(rows))
	return nil
}

// mapRole returns the userdb role of a source row, or nil (and an issue)
// when it is not imported. A role whose name its account already has, in
// the source or in userdb, is merged into that role: roles are checked by
// name, so its members keep their permissions.
func (im *importer) mapRole(ctx context.Context, r roleRow, byName map[string]roleTarget) (*userdb.Role, error) {
	rep := im.report
	if reason := im.accountMissing(r.AccountID); reason != "" {
		rep.skip(TableRoles, r.ID, "%s", reason)
		return nil, nil
	}
	created := im.timeOr(r.Created, im.now)
	role := &userdb.Role{
		ID:          r.ID,
		AccountID:   r.AccountID,
		Name:        strings.TrimSpace(r.Name),
		Description: r.Description,
		Status:      userdb.StatusEnabled,
		CreatedAt:   created,
		UpdatedAt:   im.timeOr(r.Updated, created),
	}
	if role.Name == "" {
		rep.skip(TableRoles, r.ID, "the role has no name")
		return nil, nil
	}
	key := role.AccountID + "\x00" + userdb.Fold(role.Name)
	if t, ok := byName[key]; ok {
		im.roles[r.ID] = t
		rep.skip(TableRoles, r.ID, "role %s of the same account has the same name, %q; its members get that role", t.id, t.name)
		return nil, nil
	}
	// A role cannot move to another account through the Store.
	if have, err := im.dst.FindRoleByID(ctx, role.ID); err == nil && have.AccountID != role.AccountID {
		rep.skip(TableRoles, r.ID, "userdb has this role in account %s, the source in account %s", have.AccountID, role.AccountID)
		return nil, nil
	} else if err != nil && !userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, err
	}
	found, err := im.dst.FindRoleByName(ctx, role.AccountID, role.Name)
	switch {
	case err == nil && found.ID != role.ID:
		t := roleTarget{found.ID, found.Name}
		im.roles[r.ID], byName[key] = t, t
		im.markSuperRole(rep, r.ID, t, role.AccountID)
		rep.skip(TableRoles, r.ID, "userdb role %s of the same account is named %q; its members get that role", found.ID, found.Name)
		return nil, nil
	case err != nil && !userdb.IsCode(err, userdb.ENOTFOUND):
		return nil, err
	}
	// The original never looked at a role's status.
	if st, ok := parseStatus(r.Status); ok && (st == userdb.StatusEnabled || st == userdb.StatusDisabled) {
		role.Status = st
	} else {
		rep.note(TableRoles, r.ID, "status %s is not ENABLED or DISABLED; imported as ENABLED", describeStatus(r.Status))
	}
	custom, ok := parseCustomData(r.CustomData)
	if !ok {
		rep.note(TableRoles, r.ID, "customData is not a JSON object; imported without it")
	}
	role.CustomData = custom
	if err := role.Validate(); err != nil {
		rep.skip(TableRoles, r.ID, "%s", userdb.ErrorMessage(err))
		return nil, nil
	}
	t := roleTarget{role.ID, role.Name}
	im.roles[r.ID], byName[key] = t, t
	im.markSuperRole(rep, r.ID, t, role.AccountID)
	return role, nil
}

func (im *importer) writeRole(ctx context.Context, st userdb.Store, rep *Report, want *userdb.Role) error {
	have, err := st.FindRoleByID(ctx, want.ID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		rep.Roles.Created++
		if im.opts.DryRun {
			return nil
		}
		return st.CreateRole(ctx, want)
	}
	if err != nil {
		return err
	}
	var up userdb.RoleUpdate
	changed := false
	if have.Name != want.Name {
		up.Name, changed = &want.Name, true
	}
	if have.Description != want.Description {
		up.Description, changed = &want.Description, true
	}
	if have.Status != want.Status {
		up.Status, changed = &want.Status, true
	}
	if !sameJSON(have.CustomData, want.CustomData) {
		up.CustomData, changed = replacement(want.CustomData), true
	}
	if !changed {
		rep.Roles.Unchanged++
		return nil
	}
	rep.Roles.Updated++
	if im.opts.DryRun {
		return nil
	}
	_, err = st.UpdateRole(ctx, want.ID, up, im.now)
	return err
}

// accountMissing returns why a row's account is not in userdb, or "".
func (im *importer) accountMissing(id string) string {
	switch {
	case im.accounts[id]:
		return ""
	case im.sourceAccounts[id]:
		return "its account " + id + " is not imported"
	}
	return "its account " + quoteID(id) + " does not exist"
}

// ---- orphans

// reportOrphans reports the memberships and old passwords of users that do
// not exist (the original's MySQL foreign keys prevent them, a copy of the
// tables elsewhere may not).
func (im *importer) reportOrphans(ctx context.Context) error {
	mems, err := im.src.orphanMemberships(ctx)
	if err != nil {
		return err
	}
	for _, m := range mems {
		im.report.skip(TableMemberships, m.UserID+"/"+m.RoleID, "user %s does not exist", quoteID(m.UserID))
	}
	olds, err := im.src.orphanOldPasswords(ctx)
	if err != nil {
		return err
	}
	for _, o := range olds {
		im.report.skip(TableOldPasswords, o.UserID, "entry of %s: user %s does not exist", describeTime(o.Created), quoteID(o.UserID))
	}
	return nil
}

// ---- helpers

// timeOr returns the time of unix seconds, or def when it is 0 (never, or NULL).
func (im *importer) timeOr(unix int64, def time.Time) time.Time {
	if t := unixTime(unix); t != nil {
		return *t
	}
	return def
}

// unixTime returns the time of unix seconds in UTC, or nil for 0 or less:
// the original wrote 0 for "never".
func unixTime(unix int64) *time.Time {
	if unix <= 0 {
		return nil
	}
	t := time.Unix(unix, 0).UTC()
	return &t
}

func describeTime(unix int64) string {
	if t := unixTime(unix); t != nil {
		return t.Format(time.RFC3339)
	}
	return "unknown date"
}

func parseStatus(s sql.NullString) (userdb.Status, bool) {
	if !s.Valid {
		return "", false
	}
	st, err := userdb.ParseStatus(s.String)
	return st, err == nil
}

func describeStatus(s sql.NullString) string {
	if !s.Valid {
		return "NULL"
	}
	return quoteID(s.String)
}

// quoteID quotes an id or value from the source for an issue.
func quoteID(s string) string {
	if s == "" {
		return `""`
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == '"' || r == 0x7f }) {
		return strconv.Quote(s)
	}
	return s
}
