package server

import (
	"context"
	"reflect"
	"slices"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// LibraryActor is the actor recorded in the events of Users' methods when
// the context names none (inside Authenticated, the signed-in user is the
// actor; the command line records "cli").
const LibraryActor = "app"

// Users is the programmatic user API of a server, the Go shape of the
// original library's findUserById, saveUser, searchForUsers, newUserWorkflow,
// unlockUsers and the rest. Every method acts as the system, which may do
// everything, through the same authorized service calls as the admin API
// and the console: the same checks of input, the same events in the audit
// log, the same emails (queued in the outbox and sent by Run).
//
// Errors are *userdb.Error values; userdb.ErrorCode tells ENOTFOUND,
// ECONFLICT, EINVALID and the rest apart.
type Users struct {
	srv *Server
}

// Users returns the server's programmatic user API.
func (s *Server) Users() *Users { return &Users{srv: s} }

// NewUser describes a user to create.
type NewUser struct {
	Account    string // account name or id; "" for the default account
	Username   string // "" for the email
	Email      string
	GivenName  string
	MiddleName string
	Surname    string
	FullName   string // split into the name parts when those are empty
	// Password is checked against the password policy and hashed. Create
	// requires it or PasswordHash; Invite lets the user choose one instead.
	Password string
	// PasswordHash is a hash from HashPassword, or an imported bcrypt,
	// scrypt or PBKDF2 hash (rehashed with argon2id at the next sign-in);
	// used when Password is empty.
	PasswordHash string
	Status       userdb.Status // ENABLED (the default), PENDING or DISABLED
	Roles        []string      // role names of the user's account
	CustomData   map[string]any
	Verified     bool // the email is known to be the user's
}

func (n NewUser) service(invite bool) service.NewUser {
	return service.NewUser{
		Account: n.Account, Username: n.Username, Email: n.Email, GivenName: n.GivenName,
		MiddleName: n.MiddleName, Surname: n.Surname, FullName: n.FullName, Password: n.Password,
		PasswordHash: n.PasswordHash, Status: n.Status, Roles: n.Roles, CustomData: n.CustomData, Invite: invite, Verified: n.Verified,
	}
}

// UserPage is one page of a search.
type UserPage struct {
	Users []*userdb.User
	Next  string // the cursor of the next page; "" on the last
	Total int    // users matching the filter
	// TotalCapped says the count stopped at userdb.CountLimit: at least
	// Total users match.
	TotalCapped bool
}

// system returns ctx acting as the system, with LibraryActor as the actor of
// events unless ctx names one.
func system(ctx context.Context) context.Context {
	if m := service.MetaFrom(ctx); m.ActorID == "" {
		m.ActorID = LibraryActor
		ctx = service.WithMeta(ctx, m)
	}
	return service.WithActor(ctx, service.SystemActor())
}

// FindByID returns the user with the id, or an ENOTFOUND error.
func (u *Users) FindByID(ctx context.Context, id string) (*userdb.User, error) {
	return u.srv.svc.AdminFindUser(system(ctx), service.ByID, id)
}

// FindByUsername returns the user with the username, compared ignoring
// case, or an ENOTFOUND error.
func (u *Users) FindByUsername(ctx context.Context, username string) (*userdb.User, error) {
	return u.srv.svc.AdminFindUser(system(ctx), service.ByUsername, username)
}

// FindByEmail returns the user with the email address, compared ignoring
// case, or an ENOTFOUND error.
func (u *Users) FindByEmail(ctx context.Context, email string) (*userdb.User, error) {
	return u.srv.svc.AdminFindUser(system(ctx), service.ByEmail, email)
}

// Search returns one page of the users matching f, with the total; pass
// page.Next as f.Cursor for the next page. f.AccountID takes an account's id
// or name.
func (u *Users) Search(ctx context.Context, f userdb.UserFilter) (*UserPage, error) {
	p, err := u.srv.svc.AdminListUsers(system(ctx), f)
	if err != nil {
		return nil, err
	}
	return &UserPage{Users: p.Users, Next: p.Next, Total: p.Total, TotalCapped: p.TotalCapped}, nil
}

// Create creates a user with a password, its roles and a user.created event.
func (u *Users) Create(ctx context.Context, n NewUser) (*userdb.User, error) {
	return u.srv.svc.AdminCreateUser(system(ctx), n.service(false))
}

// Invite creates a PENDING user and emails an invitation to choose a
// password (the original's new-user workflow); the invitation link leads to
// the hosted welcome page.
func (u *Users) Invite(ctx context.Context, n NewUser) (*userdb.User, error) {
	return u.srv.svc.AdminCreateUser(system(ctx), n.service(true))
}

// FindOrCreate returns the user with n.Email, creating it as Create does
// when there is none; created says which. Two calls racing for one email
// create one user.
func (u *Users) FindOrCreate(ctx context.Context, n NewUser) (user *userdb.User, created bool, err error) {
	if user, err = u.FindByEmail(ctx, n.Email); err == nil || !userdb.IsCode(err, userdb.ENOTFOUND) {
		return user, false, err
	}
	user, err = u.Create(ctx, n)
	if userdb.IsCode(err, userdb.ECONFLICT) {
		// Created meanwhile (or the username is another user's: then the
		// lookup fails and the conflict stands).
		if found, ferr := u.FindByEmail(ctx, n.Email); ferr == nil {
			return found, false, nil
		}
	}
	return user, err == nil, err
}

// Save writes the changes made to user — username, email, names, status
// (ENABLED or DISABLED) and custom data — as one update, and returns the
// user as stored. It checks user.Version: if the stored user changed since
// user was read, Save fails with ECONFLICT and changes nothing (read it
// again and redo the change). Roles change through AddRole and RemoveRole,
// passwords through SetPassword and SendPasswordReset; a user with other
// roles, password hash or account than stored is refused (EINVALID).
// Bookkeeping fields (times, counters) are not written.
func (u *Users) Save(ctx context.Context, user *userdb.User) (*userdb.User, error) {
	ctx = system(ctx)
	stored, err := u.srv.svc.AdminFindUser(ctx, service.ByID, user.ID)
	if err != nil {
		return nil, err
	}
	if stored.Version != user.Version {
		return nil, userdb.Errorf(userdb.ECONFLICT, "the user was changed meanwhile; reload it and try again")
	}
	switch {
	case user.AccountID != stored.AccountID:
		return nil, userdb.FieldError("account", "Save cannot move a user to another account.")
	case user.PasswordHash != stored.PasswordHash:
		return nil, userdb.FieldError("password", "Save does not change passwords; use SetPassword.")
	case !sameRoles(user.Roles, stored.Roles):
		return nil, userdb.FieldError("roles", "Save does not change roles; use AddRole and RemoveRole.")
	}
	p := service.ProfileUpdate{Version: &user.Version}
	changed := false
	set := func(dst **string, now, was string) {
		if now != was {
			*dst, changed = &now, true
		}
	}
	set(&p.Username, user.Username, stored.Username)
	set(&p.Email, user.Email, stored.Email)
	set(&p.GivenName, user.GivenName, stored.GivenName)
	set(&p.MiddleName, user.MiddleName, stored.MiddleName)
	set(&p.Surname, user.Surname, stored.Surname)
	if user.Status != stored.Status {
		p.Status, changed = &user.Status, true
	}
	if patch := customDataPatch(stored.CustomData, user.CustomData); len(patch) > 0 {
		p.CustomData, changed = patch, true
	}
	if !changed {
		return stored, nil
	}
	return u.srv.svc.AdminUpdateUser(ctx, user.ID, p)
}

// sameRoles reports whether a and b hold the same role names.
func sameRoles(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// customDataPatch returns the merge patch that turns was into now: changed
// and new keys with their values, removed keys with nil.
func customDataPatch(was, now map[string]any) map[string]any {
	patch := map[string]any{}
	for k, v := range now {
		if old, ok := was[k]; !ok || !reflect.DeepEqual(old, v) {
			patch[k] = v
		}
	}
	for k := range was {
		if _, ok := now[k]; !ok {
			patch[k] = nil
		}
	}
	return patch
}

// Delete deletes a user; its events stay in the audit log.
func (u *Users) Delete(ctx context.Context, id string) error {
	return u.srv.svc.AdminDeleteUser(system(ctx), id)
}

// AddRole gives the user a role of its account, by name.
func (u *Users) AddRole(ctx context.Context, id, role string) (*userdb.User, error) {
	return u.srv.svc.AdminAddRole(system(ctx), id, role)
}

// RemoveRole takes a role away from the user; EINVALID if the user lacks it.
func (u *Users) RemoveRole(ctx context.Context, id, role string) (*userdb.User, error) {
	return u.srv.svc.AdminRemoveRole(system(ctx), id, role)
}

// FindOrCreateRole returns the role of the account (name or id; "" for the
// default account) named name, ignoring case, creating it when there is
// none; created says which.
func (u *Users) FindOrCreateRole(ctx context.Context, account, name string) (role *userdb.Role, created bool, err error) {
	ctx = system(ctx)
	find := func() (*userdb.Role, error) {
		page, err := u.srv.svc.AdminListRoles(ctx, userdb.RoleFilter{AccountID: defaultAccount(account)})
		if err != nil {
			return nil, err
		}
		for _, r := range page.Roles {
			if userdb.Fold(r.Name) == userdb.Fold(name) {
				return r, nil
			}
		}
		return nil, nil
	}
	if role, err = find(); role != nil || err != nil {
		return role, false, err
	}
	role, err = u.srv.svc.AdminCreateRole(ctx, account, name, "")
	if userdb.IsCode(err, userdb.ECONFLICT) {
		if found, ferr := find(); found != nil && ferr == nil {
			return found, false, nil // created meanwhile
		}
	}
	return role, err == nil, err
}

// defaultAccount names the default account for "", as the service's
// creation methods read it.
func defaultAccount(account string) string {
	if account == "" {
		return userdb.DefaultAccountID
	}
	return account
}

// HashPassword hashes password with the configured hasher (argon2id, in
// the bounded hashing pool), as userdb stores it. It does not apply the
// password policy.
func (u *Users) HashPassword(ctx context.Context, password string) (string, error) {
	return u.srv.hasher.Hash(ctx, password)
}

// VerifyPassword reports whether password matches hash, a hash that
// HashPassword made or an imported one (bcrypt, scrypt, PBKDF2).
func (u *Users) VerifyPassword(ctx context.Context, password, hash string) (bool, error) {
	ok, _, err := u.srv.hasher.Verify(ctx, password, hash)
	return ok, err
}

// VerifyAccount uses up the token of an account-verification email, as the
// link in it does: the user's email becomes verified (and a PENDING user
// ENABLED), and the confirmation and welcome emails are queued.
func (u *Users) VerifyAccount(ctx context.Context, token string) (*userdb.User, error) {
	return u.srv.svc.Verify(system(ctx), token)
}

// SendPasswordReset emails the user a link to choose a new password (the
// original's resetPassword).
func (u *Users) SendPasswordReset(ctx context.Context, id string) error {
	return u.srv.svc.AdminSendPasswordReset(system(ctx), id)
}

// SetPassword sets the user's password (policy and history apply) and ends
// its sessions; with mustChange the user must choose another at the next
// sign-in.
func (u *Users) SetPassword(ctx context.Context, id, password string, mustChange bool) error {
	_, err := u.srv.svc.AdminSetPassword(system(ctx), id, password, mustChange)
	return err
}

// Unlock unlocks a LOCKED user; EINVALID if the user is not locked.
func (u *Users) Unlock(ctx context.Context, id string) (*userdb.User, error) {
	return u.srv.svc.AdminUnlockUser(system(ctx), id)
}

// UnlockUsers unlocks the users locked for longer than lockout.unlock_after,
// as the original's unlockUsers did, and returns how many.
func (u *Users) UnlockUsers(ctx context.Context) (int, error) {
	return u.srv.svc.AdminUnlockUsers(system(ctx), false)
}

// UnlockAllUsers unlocks every locked user, however recently locked, and
// returns how many.
func (u *Users) UnlockAllUsers(ctx context.Context) (int, error) {
	return u.srv.svc.AdminUnlockUsers(system(ctx), true)
}
