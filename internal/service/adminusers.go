package service

import (
	"context"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// The Admin* methods are the administrative workflows, checked against the
// Actor in the context (see Actor for the rules). They are the only entry
// points: the admin API, the console, the command line and the library's
// Users (the last two as SystemActor) all come through them, and the
// unchecked steps they wrap are unexported.

// UserPage is one page of a user listing.
type UserPage struct {
	Users []*userdb.User
	Next  string // cursor of the next page; "" on the last
	Total int    // users matching the filter, on every page
	// TotalCapped says the count stopped at userdb.CountLimit: at least
	// Total users match.
	TotalCapped bool
}

// AdminListUsers lists the users matching f. An admin sees its own account
// only; naming another account in f is answered as for a missing one.
func (s *Service) AdminListUsers(ctx context.Context, f userdb.UserFilter) (*UserPage, error) {
	const action = "users.list"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if f.AccountID != "" || !sc.super {
		a, err := s.adminAccount(ctx, sc, action, f.AccountID)
		if err != nil {
			return nil, err
		}
		f.AccountID = a.ID
	}
	if f.PasswordExpired != nil && s.opts.PasswordMaxAge > 0 && f.PasswordSetBefore == nil {
		// The rule of PasswordExpired: set at or before now minus the age.
		cutoff := s.clock.Now().Add(-s.opts.PasswordMaxAge)
		f.PasswordSetBefore = &cutoff
	}
	// The page and the total are independent reads: both at once, the
	// answer takes as long as the slower (a search of two common words
	// spends about as long on each).
	var total int
	var countErr error
	counted := make(chan struct{})
	go func() {
		defer close(counted)
		total, countErr = s.store.CountUsers(ctx, f, userdb.CountLimit)
	}()
	users, next, err := s.store.FindUsers(ctx, f)
	<-counted
	if err != nil {
		return nil, err
	}
	if countErr != nil {
		return nil, countErr
	}
	return &UserPage{Users: users, Next: next, Total: total, TotalCapped: total >= userdb.CountLimit}, nil
}

// AdminGetUser returns a user by id.
func (s *Service) AdminGetUser(ctx context.Context, id string) (*userdb.User, error) {
	_, u, err := s.adminUser(ctx, "users.get", id, false)
	return u, err
}

// UserKey says what AdminFindUser looks a user up by.
type UserKey int

// What AdminFindUser looks a user up by.
const (
	// ByRef is an id, a username or an email, tried in that order (the
	// command line's USER argument).
	ByRef UserKey = iota
	ByID
	ByUsername
	ByEmail
)

// AdminFindUser finds a user by id, username or email (see UserKey). A user
// out of the actor's reach is answered as a missing one, with the same
// words.
func (s *Service) AdminFindUser(ctx context.Context, key UserKey, value string) (*userdb.User, error) {
	const action = "users.get"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	value = strings.TrimSpace(value)
	if value == "" {
		return nil, userdb.Errorf(userdb.EINVALID, "A user id, username or email is required.")
	}
	var u *userdb.User
	switch key {
	case ByID:
		u, err = s.store.FindUserByID(ctx, value)
	case ByUsername:
		u, err = s.store.FindUserByUsername(ctx, value)
	case ByEmail:
		u, err = s.store.FindUserByEmail(ctx, value)
	default:
		u, err = s.findUser(ctx, value)
	}
	missing := userdb.Errorf(userdb.ENOTFOUND, "No user %s.", quote(value))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, missing
	} else if err != nil {
		return nil, err
	}
	if !sc.in(u.AccountID) {
		return nil, s.deny(ctx, missing, action, userTarget(u))
	}
	return u, nil
}

// AdminCreateUser creates a user, with a password or (n.Invite) by
// invitation. An admin creates users in its own account ("" is that
// account) and cannot make them super-admins; only the system (the command
// line, a program through the library) gives a password hash, and nobody
// creates LOCKED users this way.
func (s *Service) AdminCreateUser(ctx context.Context, n NewUser) (*userdb.User, error) {
	const action = "users.create"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if n.PasswordHash != "" {
		if !sc.actor.system {
			return nil, userdb.FieldError("passwordHash", "Password hashes can only be imported from the command line.")
		}
		if err := s.hasher.Check(n.PasswordHash); err != nil {
			return nil, unusableHash(err)
		}
	}
	if n.Status == userdb.StatusLocked {
		return nil, userdb.FieldError("status", "A new user cannot be LOCKED.")
	}
	if n.Status != "" && !n.Status.Valid() {
		return nil, userdb.FieldError("status", "Status must be one of PENDING, ENABLED, DISABLED.")
	}
	a, err := s.adminAccount(ctx, sc, action, n.Account)
	if err != nil {
		return nil, err
	}
	if !sc.super && slices.ContainsFunc(n.Roles, s.isSuperRole) {
		return nil, s.deny(ctx, errSuperOnly, action, target{accountID: a.ID})
	}
	n.Account = a.ID
	return s.createUser(ctx, n, "user.created")
}

// AdminUpdateUser changes a user's fields; with p.Version set, a stale
// version fails with ECONFLICT. The status may be set to ENABLED or
// DISABLED, but not by the user itself. Another user's email or password
// needs a recent sign-in (Reauth), as AdminSetPassword does.
func (s *Service) AdminUpdateUser(ctx context.Context, id string, p ProfileUpdate) (*userdb.User, error) {
	const action = "users.update"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	newEmail := p.Email != nil && !strings.EqualFold(strings.TrimSpace(*p.Email), u.Email)
	if (newEmail || p.Password != nil) && !sc.self(u) {
		if err := s.Reauth(ctx); err != nil { // another user's email or password (mfa.go)
			return nil, err
		}
	}
	if p.Status != nil && *p.Status != u.Status {
		if *p.Status != userdb.StatusEnabled && *p.Status != userdb.StatusDisabled {
			return nil, userdb.FieldError("status", "Status must be ENABLED or DISABLED.")
		}
		if err := s.notSelf(ctx, sc, u, action); err != nil {
			return nil, err
		}
	}
	return s.updateUser(ctx, u.ID, p, "user.updated")
}

// AdminDeleteUser deletes a user. Nobody deletes themselves this way.
func (s *Service) AdminDeleteUser(ctx context.Context, id string) error {
	const action = "users.delete"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return err
	}
	return s.deleteUser(ctx, u.ID)
}

// AdminSetUserStatus enables or disables a user other than the actor.
func (s *Service) AdminSetUserStatus(ctx context.Context, id string, st userdb.Status) (*userdb.User, error) {
	action := "users.enable"
	if st == userdb.StatusDisabled {
		action = "users.disable"
	}
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return nil, err
	}
	return s.setUserStatus(ctx, u.ID, st)
}

// AdminUnlockUser unlocks a LOCKED user.
func (s *Service) AdminUnlockUser(ctx context.Context, id string) (*userdb.User, error) {
	const action = "users.unlock"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return nil, err
	}
	return s.unlockUser(ctx, u.ID)
}

// AdminUnlockUsers unlocks the users locked for longer than the unlock
// period (lockout.unlock_after), or, with all set, every locked user; it
// returns how many it unlocked. It is for super-admins (and the system).
func (s *Service) AdminUnlockUsers(ctx context.Context, all bool) (int, error) {
	const action = "users.unlock_all"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return 0, err
	}
	if err := s.requireSuper(ctx, sc, action, target{accountID: sc.account}); err != nil {
		return 0, err
	}
	return s.unlockExpiredLocks(ctx, all)
}

// AdminSendPasswordReset sends a user the password-reset email.
func (s *Service) AdminSendPasswordReset(ctx context.Context, id string) error {
	_, u, err := s.adminUser(ctx, "users.reset_password", id, true)
	if err != nil {
		return err
	}
	return s.sendPasswordReset(ctx, u.ID)
}

// AdminResendInvitation sends a PENDING user a new invitation.
func (s *Service) AdminResendInvitation(ctx context.Context, id string) error {
	_, u, err := s.adminUser(ctx, "users.resend_invite", id, true)
	if err != nil {
		return err
	}
	return s.resendInvitation(ctx, u.ID)
}

// AdminExpirePassword makes a user change the password at the next sign-in.
func (s *Service) AdminExpirePassword(ctx context.Context, id string) (*userdb.User, error) {
	_, u, err := s.adminUser(ctx, "users.expire_password", id, true)
	if err != nil {
		return nil, err
	}
	return s.expirePassword(ctx, u.ID)
}

// AdminEndSessions ends every session of a user and returns how many ended.
func (s *Service) AdminEndSessions(ctx context.Context, id string) (int, error) {
	_, u, err := s.adminUser(ctx, "users.end_sessions", id, true)
	if err != nil {
		return 0, err
	}
	if err := s.Reauth(ctx); err != nil {
		return 0, err
	}
	var n int
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if n, err = s.endSessions(ctx, tx, u, "", "admin"); err != nil || n > 0 {
			return err
		}
		// An administrator's action is recorded even when it found nothing to end.
		return s.record(ctx, tx, "session.ended", u, map[string]any{"sessions": []string{}, "reason": "admin"})
	})
	if err == nil {
		s.sessions.forgetUser(u.ID) // after the commit too, for the other nodes
	}
	return n, err
}

// AdminUserSessions lists a user's sessions, newest first.
func (s *Service) AdminUserSessions(ctx context.Context, id string) ([]*userdb.Session, error) {
	_, u, err := s.adminUser(ctx, "users.sessions", id, false)
	if err != nil {
		return nil, err
	}
	return s.Sessions(ctx, u.ID)
}

// AdminUserEvents lists the events about a user, newest first; f.UserID and
// f.AccountID are ignored.
func (s *Service) AdminUserEvents(ctx context.Context, id string, f userdb.EventFilter) ([]*userdb.Event, error) {
	_, u, err := s.adminUser(ctx, "users.events", id, false)
	if err != nil {
		return nil, err
	}
	f.UserID, f.AccountID = u.ID, ""
	return s.events(ctx, f)
}

// AdminUserRoles returns the roles a user holds.
func (s *Service) AdminUserRoles(ctx context.Context, id string) ([]*userdb.Role, error) {
	_, u, err := s.adminUser(ctx, "users.roles", id, false)
	if err != nil {
		return nil, err
	}
	return s.userRoles(ctx, u)
}

func (s *Service) userRoles(ctx context.Context, u *userdb.User) ([]*userdb.Role, error) {
	all, err := s.store.FindRoles(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	out := []*userdb.Role{}
	for _, r := range all {
		if u.HasRole(r.Name) {
			out = append(out, r)
		}
	}
	return out, nil
}

// AdminAddRole gives a user a role of its account. Nobody adds roles to
// themselves, and only super-admins grant super-admin.
func (s *Service) AdminAddRole(ctx context.Context, id, role string) (*userdb.User, error) {
	const action = "users.add_role"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	if err := s.checkGrant(ctx, sc, u, action, []string{role}); err != nil {
		return nil, err
	}
	return s.addRole(ctx, u.ID, role)
}

// AdminRemoveRole takes a role away from a user.
func (s *Service) AdminRemoveRole(ctx context.Context, id, role string) (*userdb.User, error) {
	_, u, err := s.adminUser(ctx, "users.remove_role", id, true)
	if err != nil {
		return nil, err
	}
	return s.removeRole(ctx, u.ID, role)
}

// AdminSetRoles makes a user's roles exactly names (role names of its
// account), in one transaction, recording each role added or removed. The
// rules of AdminAddRole apply to the roles added.
func (s *Service) AdminSetRoles(ctx context.Context, id string, names []string) (*userdb.User, error) {
	const action = "users.set_roles"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return nil, err
	}
	want, err := s.resolveRoles(ctx, u.AccountID, names)
	if err != nil {
		return nil, err
	}
	var add []*userdb.Role
	keep := map[string]bool{}
	for _, r := range want {
		if keep[r.Name] {
			continue // the same role named twice, in another case
		}
		keep[r.Name] = true
		if !u.HasRole(r.Name) {
			add = append(add, r)
		}
	}
	var addNames []string
	for _, r := range add {
		addNames = append(addNames, r.Name)
	}
	if err := s.checkGrant(ctx, sc, u, action, addNames); err != nil {
		return nil, err
	}
	held, err := s.userRoles(ctx, u)
	if err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		for _, r := range add {
			if err := tx.AddUserRole(ctx, u.ID, r.ID); err != nil {
				return err
			}
			if err := s.record(ctx, tx, "user.role_added", u, map[string]any{"role": r.Name}); err != nil {
				return err
			}
		}
		for _, r := range held {
			if keep[r.Name] {
				continue
			}
			if err := tx.RemoveUserRole(ctx, u.ID, r.ID); err != nil {
				return err
			}
			if err := s.record(ctx, tx, "user.role_removed", u, map[string]any{"role": r.Name}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID)
	return s.store.FindUserByID(ctx, u.ID)
}

// checkGrant refuses adding roles to oneself and granting super-admin
// without being one.
func (s *Service) checkGrant(ctx context.Context, sc scope, u *userdb.User, action string, roles []string) error {
	if len(roles) == 0 {
		return nil
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return err
	}
	if !sc.super && slices.ContainsFunc(roles, s.isSuperRole) {
		return s.deny(ctx, errSuperOnly, action, userTarget(u))
	}
	if slices.ContainsFunc(roles, s.isAdminRole) {
		return s.Reauth(ctx) // granting admin rights (mfa.go)
	}
	return nil
}

// isSuperRole reports whether a role name, as a lookup would read it, is
// the super-admin role.
func (s *Service) isSuperRole(name string) bool {
	return strings.EqualFold(strings.TrimSpace(name), s.opts.SuperAdminRole)
}

// AdminEvents lists audit events, newest first. f.AccountID is an account's
// id or name, as in AdminListUsers; an admin sees the events of its own
// account only. A super-admin may also name a deleted account by its id,
// since its events outlive it.
func (s *Service) AdminEvents(ctx context.Context, f userdb.EventFilter) ([]*userdb.Event, error) {
	const action = "events.list"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if f.AccountID != "" || !sc.super {
		a, err := s.adminAccount(ctx, sc, action, f.AccountID)
		switch {
		case err == nil:
			f.AccountID = a.ID
		case sc.super && userdb.IsCode(err, userdb.ENOTFOUND) && strings.HasPrefix(f.AccountID, "acc_"):
			// A deleted account: its id as given.
		default:
			return nil, err
		}
	}
	return s.events(ctx, f)
}
