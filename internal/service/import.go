package service

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// ImportRow is one user read from an import file (internal/bulk reads CSV
// and XLSX into these).
type ImportRow struct {
	Line int // the row's number in the file, counting the header
	User NewUser
	// Custom holds custom-data cells as text; the profile schema gives them
	// their types. They override User.CustomData key by key.
	Custom map[string]string
	// Err is a problem the reader found in the row (too many cells, bad
	// custom-data JSON): the row fails with it.
	Err error
}

// ImportSource yields rows until io.EOF. Any other error is a malformed
// file and stops the import.
type ImportSource interface {
	Next() (*ImportRow, error)
}

// Existing users (same email) are skipped or updated.
const (
	ImportSkipExisting   = "skip"
	ImportUpdateExisting = "update"
)

// ImportOptions say how to import.
type ImportOptions struct {
	// Account receives rows that name no account ("" = the actor's own
	// account, or the default account for a super-admin). An admin's rows
	// always go to its own account, as in the original library.
	Account string
	DryRun  bool
	// Invite sends the invitation email to created users who have no password.
	Invite bool
	// VerifyEmail makes created users who have a password, and neither a
	// status nor a verified email of their own in the file, PENDING and
	// sends them the verification email, whose link enables them: what the
	// original's /users/import and add-users did for every row
	// (newUserWorkflow, index.js:612-626).
	VerifyEmail bool
	// Existing is ImportSkipExisting (the default) or ImportUpdateExisting.
	Existing string
}

// ImportReport is what an import did (or, in a dry run, would do).
type ImportReport struct {
	DryRun  bool `json:"dryRun"`
	Rows    int  `json:"rows"`
	Created int  `json:"created"`
	Updated int  `json:"updated"`
	Skipped int  `json:"skipped"`
	Failed  int  `json:"failed"`
	// Wrapped counts the created users whose imported password hash was
	// below the minimum cost for its algorithm and is stored wrapped in
	// argon2id (ASVS 2.4.4); they sign in with the same password.
	Wrapped  int             `json:"wrapped"`
	Problems []ImportProblem `json:"problems"` // the first MaxImportProblems skipped or failed rows
	// MoreProblems counts skipped or failed rows beyond those listed.
	MoreProblems int `json:"moreProblems,omitempty"`
}

// ImportProblem is a row that was skipped or failed.
type ImportProblem struct {
	Row     int    `json:"row"`
	Outcome string `json:"outcome"` // "skipped" or "failed"
	Field   string `json:"field,omitempty"`
	Reason  string `json:"reason"`
}

// MaxImportProblems is how many problem rows a report lists (all are counted).
const MaxImportProblems = 1000

// importBatch is how many new users one transaction writes.
const importBatch = 500

// importer carries one import's state.
type importer struct {
	s        *Service
	ctx      context.Context
	sc       scope
	opts     ImportOptions
	account  *userdb.Account // for rows naming none
	report   *ImportReport
	accounts map[string]*userdb.Account // by the name or id a row gave
	roles    map[string]*userdb.Role    // by account id + "/" + name
	seen     map[uint64]int             // folded emails and usernames of the file -> row
	seed     maphash.Seed
	batch    []*pendingUser
	schema   ProfileSchema // read once for the whole file
}

// pendingUser is a validated row waiting for its batch to be written.
type pendingUser struct {
	line  int
	user  *userdb.User
	roles []*userdb.Role
	// invite: create an invitation token and email.
	invite bool
	// verify: send the verification email (ImportOptions.VerifyEmail).
	verify bool
	// wrapped: the imported hash was weak and is stored wrapped in argon2id.
	wrapped bool
}

// MayImport refuses callers who may not import users at all, so that a
// request is refused before its upload is read.
func (s *Service) MayImport(ctx context.Context) error {
	_, err := s.adminScope(ctx, "users.import")
	return err
}

// ImportUsers imports users row by row from src. Each row is validated on its
// own: a bad row is reported with its number and reason and the others are
// imported. New users are written in transactions of importBatch rows, with a
// user.created event each (actor and "imported") and a users.imported event
// summing up. A malformed file (an error from src other than io.EOF) stops
// the import with that error; callers that must import nothing from a
// malformed file check it first (internal/bulk.Check).
func (s *Service) ImportUsers(ctx context.Context, src ImportSource, opts ImportOptions) (*ImportReport, error) {
	const action = "users.import"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	switch opts.Existing {
	case "":
		opts.Existing = ImportSkipExisting
	case ImportSkipExisting, ImportUpdateExisting:
	default:
		return nil, userdb.FieldError("existing", "existing must be skip or update.")
	}
	acc, err := s.adminAccount(ctx, sc, action, opts.Account)
	if err != nil {
		return nil, err
	}
	schema, err := s.profileSchema(ctx)
	if err != nil {
		return nil, err
	}
	im := &importer{
		s: s, ctx: ctx, sc: sc, opts: opts, account: acc, schema: schema,
		report:   &ImportReport{DryRun: opts.DryRun, Problems: []ImportProblem{}},
		accounts: map[string]*userdb.Account{}, roles: map[string]*userdb.Role{},
		seen: map[uint64]int{}, seed: maphash.MakeSeed(),
	}
	for {
		row, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		im.report.Rows++
		if err := im.row(row); err != nil {
			return nil, err
		}
		if len(im.batch) >= importBatch {
			if err := im.flush(); err != nil {
				return nil, err
			}
		}
	}
	if err := im.flush(); err != nil {
		return nil, err
	}
	r := im.report
	if !opts.DryRun {
		err := s.store.Tx(ctx, func(tx userdb.Store) error {
			return s.record(ctx, tx, "users.imported", nil, map[string]any{
				"account": acc.ID, "rows": r.Rows, "created": r.Created, "updated": r.Updated,
				"skipped": r.Skipped, "failed": r.Failed, "wrapped": r.Wrapped, "invite": opts.Invite,
			})
		})
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// problem notes a skipped or failed row.
func (im *importer) problem(line int, outcome string, err error) {
	if outcome == "failed" {
		im.report.Failed++
	} else {
		im.report.Skipped++
	}
	if len(im.report.Problems) >= MaxImportProblems {
		im.report.MoreProblems++
		return
	}
	p := ImportProblem{Row: line, Outcome: outcome, Reason: err.Error()}
	if e, ok := err.(*userdb.Error); ok {
		p.Field, p.Reason = e.Field, e.Message
	}
	im.report.Problems = append(im.report.Problems, p)
}

// row validates one row and queues it, or reports it. Only store failures
// are returned.
func (im *importer) row(row *ImportRow) error {
	if row.Err != nil {
		im.problem(row.Line, "failed", row.Err)
		return nil
	}
	p, existing, err := im.prepare(row)
	if err != nil {
		if isClientError(err) {
			im.problem(row.Line, "failed", err)
			return nil
		}
		return err
	}
	if existing != nil {
		return im.existing(row, p, existing)
	}
	if im.opts.DryRun {
		im.created([]*pendingUser{p})
		return nil
	}
	im.batch = append(im.batch, p)
	return nil
}

// isClientError tells a row's own problem from a failure of the store.
func isClientError(err error) bool {
	var e *userdb.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case userdb.EINVALID, userdb.ECONFLICT, userdb.ENOTFOUND, userdb.EFORBIDDEN:
		return true
	}
	return false
}

// prepare turns a row into a user ready to write, or finds the existing user
// with its email.
func (im *importer) prepare(row *ImportRow) (*pendingUser, *userdb.User, error) {
	s, n := im.s, row.User
	acc, err := im.rowAccount(n.Account)
	if err != nil {
		return nil, nil, err
	}
	if n.Status == userdb.StatusLocked || (n.Status != "" && !n.Status.Valid()) {
		return nil, nil, userdb.FieldError("status", "Status must be ENABLED, DISABLED or PENDING.")
	}
	if n.Password != "" && n.PasswordHash != "" {
		return nil, nil, userdb.FieldError("password", "Give a password or a password hash, not both.")
	}
	if n.PasswordHash != "" {
		if err := s.hasher.Check(n.PasswordHash); err != nil {
			return nil, nil, unusableHash(err)
		}
	}
	if len(row.Custom) > 0 {
		data := map[string]any{}
		for k, v := range n.CustomData {
			data[k] = v
		}
		for k, v := range row.Custom {
			if im.schema != nil {
				data[k] = im.schema.FromText(k, v)
			} else {
				data[k] = v
			}
		}
		n.CustomData = data
	}
	now := s.clock.Now()
	u := &userdb.User{
		ID: userdb.NewID("usr"), AccountID: acc.ID, Username: n.Username, Email: n.Email,
		GivenName: n.GivenName, MiddleName: n.MiddleName, Surname: n.Surname, FullName: n.FullName,
		Status: n.Status, CustomData: n.CustomData, CreatedAt: now, UpdatedAt: now,
	}
	if u.Status == "" {
		u.Status = userdb.StatusEnabled
		if n.Password == "" && n.PasswordHash == "" {
			u.Status = userdb.StatusPending // signs in once invited or reset
		}
	}
	u.Normalize()
	if err := s.opts.CustomData.Check(u.CustomData); err != nil {
		return nil, nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, nil, err
	}
	if err := im.checkProfile(u.CustomData, u.CustomData, false); err != nil {
		return nil, nil, err
	}
	roles, err := im.rowRoles(acc, n.Roles)
	if err != nil {
		return nil, nil, err
	}
	if err := im.unique(row.Line, "email", u.Email); err != nil {
		return nil, nil, err
	}
	if userdb.Fold(u.Username) != userdb.Fold(u.Email) {
		if err := im.unique(row.Line, "username", u.Username); err != nil {
			return nil, nil, err
		}
	}
	existing, err := s.store.FindUserByEmail(im.ctx, u.Email)
	switch {
	case err == nil:
		return &pendingUser{line: row.Line, user: u, roles: roles}, existing, nil
	case !userdb.IsCode(err, userdb.ENOTFOUND):
		return nil, nil, err
	}
	if taken, err := s.store.FindUserByLogin(im.ctx, u.Username); err == nil && userdb.Fold(taken.Username) == userdb.Fold(u.Username) {
		return nil, nil, userdb.FieldError("username", "The username %s is taken.", quote(u.Username))
	} else if err != nil && !userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, nil, err
	}
	p := &pendingUser{line: row.Line, user: u, roles: roles}
	switch {
	case n.Password != "":
		if im.opts.DryRun {
			err = s.policy.Check(n.Password, u.Email, u.Username)
		} else {
			u.PasswordHash, err = s.hashNewPassword(im.ctx, u, n.Password)
		}
		if err != nil {
			return nil, nil, err
		}
		u.PasswordChangedAt = &now
	case n.PasswordHash != "":
		// Wrapped even in a dry run, so that its report counts them; the
		// cost is the argon2id a real run spends (one per weak hash).
		u.PasswordHash, p.wrapped, err = s.hasher.WrapWeak(im.ctx, n.PasswordHash)
		if err != nil {
			return nil, nil, err
		}
		u.PasswordChangedAt = &now
	}
	if n.Verified {
		u.EmailVerifiedAt = &now
	}
	p.invite = im.opts.Invite && u.PasswordHash == "" && n.Password == "" && u.Status == userdb.StatusPending
	if im.opts.VerifyEmail && (n.Password != "" || n.PasswordHash != "") && n.Status == "" && !n.Verified {
		p.verify, u.Status = true, userdb.StatusPending
	}
	return p, nil, nil
}

// unique refuses a second row with the same email or username in the file.
// It remembers 64-bit hashes, not the values, so a million-row file costs
// tens of megabytes at most.
func (im *importer) unique(line int, field, value string) error {
	h := maphash.String(im.seed, field+"\x00"+userdb.Fold(value))
	if first, ok := im.seen[h]; ok {
		return userdb.FieldError(field, "The %s %s is already on row %d of the file.", field, quote(value), first)
	}
	im.seen[h] = line
	return nil
}

// rowAccount resolves the account a row names. Admins import into their own
// account whatever the row says, as the original library did; a super-admin's
// rows may name any existing account.
func (im *importer) rowAccount(ref string) (*userdb.Account, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" || !im.sc.super {
		return im.account, nil
	}
	if a, ok := im.accounts[ref]; ok {
		return a, nil
	}
	a, err := im.s.findAccount(im.ctx, ref)
	if err != nil {
		return nil, err
	}
	if len(im.accounts) < 10_000 {
		im.accounts[ref] = a
	}
	return a, nil
}

// rowRoles resolves role names in the account; admins cannot grant super-admin.
func (im *importer) rowRoles(acc *userdb.Account, names []string) ([]*userdb.Role, error) {
	var out []*userdb.Role
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !im.sc.super && im.s.isSuperRole(name) {
			return nil, userdb.FieldError("roles", "Only a super-admin can grant %s.", name)
		}
		key := acc.ID + "/" + name
		r, ok := im.roles[key]
		if !ok {
			rs, err := im.s.resolveRoles(im.ctx, acc.ID, []string{name})
			if err != nil {
				return nil, err
			}
			r = rs[0]
			if len(im.roles) < 10_000 {
				im.roles[key] = r
			}
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out, nil
}

// existing skips a row whose email is taken, or updates that user's names,
// status, custom data and roles (never its password) when asked to and
// allowed to.
func (im *importer) existing(row *ImportRow, p *pendingUser, u *userdb.User) error {
	if im.opts.Existing != ImportUpdateExisting {
		im.problem(row.Line, "skipped", userdb.FieldError("email", "A user with this email already exists."))
		return nil
	}
	if !im.sc.in(u.AccountID) || u.AccountID != p.user.AccountID {
		// Not the caller's to change (or another account's): as for create.
		im.problem(row.Line, "failed", userdb.FieldError("email", "The email is taken by a user of another account."))
		return nil
	}
	if !im.sc.super && u.HasRole(im.s.opts.SuperAdminRole) {
		im.problem(row.Line, "failed", errSuperOnly)
		return nil
	}
	if im.sc.self(u) {
		im.problem(row.Line, "failed", userdb.FieldError("email", "You cannot change your own account by import."))
		return nil
	}
	if im.opts.DryRun {
		im.report.Updated++
		return nil
	}
	n := p.user
	up := ProfileUpdate{GivenName: &n.GivenName, MiddleName: &n.MiddleName, Surname: &n.Surname}
	if st := row.User.Status; st == userdb.StatusEnabled || st == userdb.StatusDisabled {
		up.Status = &st
	}
	if len(n.CustomData) > 0 {
		up.CustomData = n.CustomData
	}
	if _, err := im.s.updateUser(im.ctx, u.ID, up, "user.updated"); err != nil {
		if isClientError(err) {
			im.problem(row.Line, "failed", err)
			return nil
		}
		return err
	}
	err := im.s.store.Tx(im.ctx, func(tx userdb.Store) error {
		for _, r := range p.roles {
			if u.HasRole(r.Name) {
				continue
			}
			if err := tx.AddUserRole(im.ctx, u.ID, r.ID); err != nil {
				return err
			}
			if err := im.s.record(im.ctx, tx, "user.role_added", u, map[string]any{"role": r.Name, "imported": true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	im.s.sessions.forgetUser(u.ID)
	im.report.Updated++
	return nil
}

// flush writes the queued users in one transaction. Should it fail (a
// conflict with a user created meanwhile), each user is written on its own
// so that only the conflicting rows fail.
func (im *importer) flush() error {
	batch := im.batch
	im.batch = im.batch[:0]
	if len(batch) == 0 {
		return nil
	}
	err := im.s.store.Tx(im.ctx, func(tx userdb.Store) error {
		for _, p := range batch {
			if err := im.write(tx, p); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		im.created(batch)
		return nil
	}
	if !isClientError(err) {
		return err
	}
	for _, p := range batch {
		p.user.Roles = nil
		err := im.s.store.Tx(im.ctx, func(tx userdb.Store) error { return im.write(tx, p) })
		switch {
		case err == nil:
			im.created([]*pendingUser{p})
		case isClientError(err):
			im.problem(p.line, "failed", err)
		default:
			return err
		}
	}
	return nil
}

// created counts written users (and, in a dry run, those that would be)
// and wakes the mailer for invitations.
func (im *importer) created(batch []*pendingUser) {
	im.report.Created += len(batch)
	kick := false
	for _, p := range batch {
		if p.wrapped {
			im.report.Wrapped++
		}
		kick = kick || p.invite || p.verify
	}
	if kick && !im.opts.DryRun {
		im.s.kick()
	}
}

// write creates one user with its history, roles, event and invitation.
func (im *importer) write(tx userdb.Store, p *pendingUser) error {
	s, ctx, u := im.s, im.ctx, p.user
	if err := tx.CreateUser(ctx, u); err != nil {
		return err
	}
	if s.opts.History > 0 && u.PasswordHash != "" {
		if err := tx.AddPasswordHistory(ctx, u.ID, u.PasswordHash, u.CreatedAt, s.opts.History); err != nil {
			return err
		}
	}
	u.Roles = u.Roles[:0]
	for _, r := range p.roles {
		if err := tx.AddUserRole(ctx, u.ID, r.ID); err != nil {
			return err
		}
		u.Roles = append(u.Roles, r.Name)
	}
	if err := s.record(ctx, tx, "user.created", u, map[string]any{"roles": u.Roles, "invited": p.invite, "verification_sent": p.verify, "imported": true}); err != nil {
		return err
	}
	if p.verify {
		return s.sendVerification(ctx, tx, u)
	}
	if !p.invite {
		return nil
	}
	tok, err := s.newToken(ctx, tx, userdb.TokenInvite, u, s.opts.InviteTTL)
	if err != nil {
		return err
	}
	return s.queueEmail(ctx, tx, EmailInvitation, u, link(s.opts.InviteURL, tok))
}

// checkProfile validates custom data with the schema read for the file.
func (im *importer) checkProfile(data, changes map[string]any, byUser bool) error {
	if err := im.s.opts.CustomData.Check(data); err != nil {
		return err
	}
	return im.s.checkSchema(im.schema, data, changes, byUser)
}
