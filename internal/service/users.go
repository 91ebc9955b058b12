package service

import (
	"context"
	"errors"
	"strings"

	"github.com/userdb/userdb"
)

// NewUser describes a user to create.
type NewUser struct {
	Account    string // account name or id; "" = the default account
	Username   string
	Email      string
	GivenName  string
	MiddleName string
	Surname    string
	FullName   string
	// Password is checked against the policy and hashed. Empty with Invite
	// set: the user chooses one from the invitation email.
	Password string
	// PasswordHash is an already hashed password (import); used when Password is empty.
	PasswordHash string
	Status       userdb.Status // "" = ENABLED (PENDING for invitations)
	Roles        []string      // role names in the user's account
	CustomData   map[string]any
	// Invite sends the invitation email (the original's new-user workflow).
	Invite bool
	// Verified marks the email as verified.
	Verified bool

	// claim, when set, runs first in the transaction that creates the user:
	// its error rolls the creation back (the first administrator's set-up).
	claim func(ctx context.Context, tx userdb.Store) error
}

// createUser creates a user with its roles, and with Invite set also the
// invitation token and email, all in one transaction; event is the type of
// the event it records.
func (s *Service) createUser(ctx context.Context, n NewUser, event string) (*userdb.User, error) {
	acc, err := s.findAccount(ctx, n.Account)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	u := &userdb.User{
		ID: userdb.NewID("usr"), AccountID: acc.ID,
		Username: n.Username, Email: n.Email,
		GivenName: n.GivenName, MiddleName: n.MiddleName, Surname: n.Surname, FullName: n.FullName,
		Status: n.Status, CustomData: n.CustomData, CreatedAt: now, UpdatedAt: now,
	}
	if u.Status == "" {
		u.Status = userdb.StatusEnabled
		if n.Invite {
			u.Status = userdb.StatusPending
		}
	}
	if n.Verified {
		u.EmailVerifiedAt = &now
	}
	u.Normalize()
	// The configured bounds first: they are tighter than Validate's.
	if err := s.opts.CustomData.Check(u.CustomData); err != nil {
		return nil, err
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := s.checkProfile(ctx, u.CustomData, u.CustomData, event == "user.registered"); err != nil {
		return nil, err
	}
	switch {
	case n.Password != "":
		h, err := s.hashNewPassword(ctx, u, n.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash, u.PasswordChangedAt = h, &now
	case n.PasswordHash != "":
		if len(n.PasswordHash) > 512 {
			return nil, userdb.FieldError("passwordHash", "Password hash is too long.")
		}
		// A weak hash is stored wrapped in argon2id, as imports store it.
		h, _, err := s.hasher.WrapWeak(ctx, n.PasswordHash)
		if userdb.IsCode(err, userdb.EINVALID) {
			return nil, unusableHash(err)
		} else if err != nil {
			return nil, err
		}
		u.PasswordHash, u.PasswordChangedAt = h, &now
	case !n.Invite:
		return nil, userdb.FieldError("password", "A password is required unless the user is invited.")
	}
	roles, err := s.resolveRoles(ctx, acc.ID, n.Roles)
	if err != nil {
		return nil, err
	}

	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if n.claim != nil {
			if err := n.claim(ctx, tx); err != nil {
				return err
			}
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if s.opts.History > 0 && u.PasswordHash != "" {
			if err := tx.AddPasswordHistory(ctx, u.ID, u.PasswordHash, now, s.opts.History); err != nil {
				return err
			}
		}
		for _, r := range roles {
			if err := tx.AddUserRole(ctx, u.ID, r.ID); err != nil {
				return err
			}
			u.Roles = append(u.Roles, r.Name)
		}
		if err := s.record(ctx, tx, event, u, map[string]any{"roles": u.Roles, "invited": n.Invite}); err != nil {
			return err
		}
		if n.Invite {
			tok, err := s.newToken(ctx, tx, userdb.TokenInvite, u, s.opts.InviteTTL)
			if err != nil {
				return err
			}
			return s.queueEmail(ctx, tx, EmailInvitation, u, link(s.opts.InviteURL, tok))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if n.Invite {
		s.kick()
	}
	return s.store.FindUserByID(ctx, u.ID)
}

// unusableHash is the answer to an imported password hash that Verify
// could not use; err says why (a cost above the bounds, an unknown
// format...).
func unusableHash(err error) error {
	why := err.Error()
	if e := (*userdb.Error)(nil); errors.As(err, &e) {
		why = e.Message
	}
	why = strings.TrimPrefix(why, "password: ")
	return userdb.FieldError("passwordHash", "The password hash cannot be used: %s. userdb verifies argon2id, bcrypt, scrypt and PBKDF2-SHA256 within bounds that keep sign-in fast.", why)
}

// findAccount finds an account by id or name; "" is the default account.
func (s *Service) findAccount(ctx context.Context, ref string) (*userdb.Account, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		ref = userdb.DefaultAccountID
	}
	a, err := s.store.FindAccountByID(ctx, ref)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		a, err = s.store.FindAccountByName(ctx, ref)
	}
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "No account named " + quote(ref) + "."}
	}
	return a, err
}

// resolveRoles finds roles by name within an account. The super-admin role
// lives in the default account and may be given to its users only.
func (s *Service) resolveRoles(ctx context.Context, accountID string, names []string) ([]*userdb.Role, error) {
	var roles []*userdb.Role
	seen := map[string]bool{}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" || seen[name] {
			continue
		}
		seen[name] = true
		r, err := s.store.FindRoleByName(ctx, accountID, name)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			if name == s.opts.SuperAdminRole {
				return nil, &userdb.Error{Code: userdb.EINVALID, Field: "roles", Message: "Only users of the default account can be " + name + "."}
			}
			return nil, &userdb.Error{Code: userdb.EINVALID, Field: "roles", Message: "The account has no role named " + quote(name) + "."}
		} else if err != nil {
			return nil, err
		}
		roles = append(roles, r)
	}
	return roles, nil
}

// findUser finds a user by id, username or email.
func (s *Service) findUser(ctx context.Context, ref string) (*userdb.User, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return nil, userdb.Errorf(userdb.EINVALID, "A user id, username or email is required.")
	}
	u, err := s.store.FindUserByID(ctx, ref)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		u, err = s.store.FindUserByLogin(ctx, ref)
	}
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, userdb.Errorf(userdb.ENOTFOUND, "No user %s.", quote(ref))
	}
	return u, err
}

// ProfileUpdate holds the fields a user or an administrator may change; nil
// fields stay as they are.
type ProfileUpdate struct {
	Username   *string
	Email      *string
	GivenName  *string
	MiddleName *string
	Surname    *string
	Status     *userdb.Status
	// CustomData keys are merged into the user's custom data; a null value
	// removes a key.
	CustomData map[string]any
	// ReplaceCustomData makes CustomData replace the stored custom data
	// whole (keys set to null are left out).
	ReplaceCustomData bool
	Version           *int64
	// Password, set by an administrator, is written with the profile in one
	// transaction (checked by the policy, the breach check and the history
	// against the updated names first), with a password set's effects: the
	// user's other sessions and links end.
	Password *string
}

// UpdateProfile changes a user's own editable fields (names and custom data).
func (s *Service) UpdateProfile(ctx context.Context, u *userdb.User, p ProfileUpdate) (*userdb.User, error) {
	p.Username, p.Email, p.Status, p.Password = nil, nil, nil, nil
	return s.updateUser(ctx, u.ID, p, "user.profile_updated")
}

// mergeCustomData returns stored with patch applied: keys set to a value
// are added or replaced, keys set to nil removed.
func mergeCustomData(stored, patch map[string]any) map[string]any {
	merged := make(map[string]any, len(stored)+len(patch))
	for k, v := range stored {
		merged[k] = v
	}
	for k, v := range patch {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	return merged
}

func (s *Service) updateUser(ctx context.Context, id string, p ProfileUpdate, event string) (*userdb.User, error) {
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	up := userdb.UserUpdate{
		Username: identifier(p.Username), Email: identifier(p.Email),
		GivenName: trimmed(p.GivenName), MiddleName: trimmed(p.MiddleName), Surname: trimmed(p.Surname),
		Status: p.Status, Version: p.Version,
	}
	changes := p.CustomData
	if p.CustomData != nil && p.ReplaceCustomData {
		up.CustomData = mergeCustomData(nil, p.CustomData)
		// Keys that go are changes too: a user may not drop an attribute
		// only administrators edit.
		changes = mergeCustomData(nil, p.CustomData)
		for k := range u.CustomData {
			if _, ok := changes[k]; !ok {
				changes[k] = nil
			}
		}
	} else if p.CustomData != nil {
		up.CustomData = mergeCustomData(u.CustomData, p.CustomData)
	}
	if up.Email != nil && userdb.Fold(*up.Email) != userdb.Fold(u.Email) {
		up.ClearEmailVerified = true // a new address is not verified yet
	}
	// A status change has the effects SetUserStatus gives it.
	disabling := p.Status != nil && *p.Status == userdb.StatusDisabled && u.Status != userdb.StatusDisabled
	up.ResetFailedLogins = p.Status != nil && *p.Status == userdb.StatusEnabled && u.Status != userdb.StatusEnabled
	up.ClearDeactivated = up.ResetFailedLogins
	check := *u
	up.Apply(&check)
	if p.CustomData != nil {
		if err := s.opts.CustomData.Check(check.CustomData); err != nil {
			return nil, err
		}
	}
	if err := check.Validate(); err != nil {
		return nil, err
	}
	if p.CustomData != nil {
		if err := s.checkProfile(ctx, check.CustomData, changes, event == "user.profile_updated"); err != nil {
			return nil, err
		}
	}
	var hash string
	if p.Password != nil {
		if hash, err = s.hashNewPassword(ctx, &check, *p.Password); err != nil {
			return nil, err
		}
	}
	var out *userdb.User
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if out, err = tx.UpdateUser(ctx, id, up, s.clock.Now()); err != nil {
			return err
		}
		if p.Password != nil {
			if out, err = s.writePassword(ctx, tx, out, hash, userdb.UserUpdate{}); err != nil {
				return err
			}
			if _, err := s.endSessions(ctx, tx, out, "", "password_set"); err != nil {
				return err
			}
			details := map[string]any{"must_change": false}
			if err := s.notifyPasswordSet(ctx, tx, out, details); err != nil {
				return err
			}
			if err := s.record(ctx, tx, "password.set", out, details); err != nil {
				return err
			}
		}
		if disabling {
			if _, err := s.endSessions(ctx, tx, out, "", "user_disabled"); err != nil {
				return err
			}
		}
		if up.ClearEmailVerified {
			// Links sent to the old address must not act on the account.
			if err := s.killTokens(ctx, tx, out.ID); err != nil {
				return err
			}
			if err := s.notifyEmailChanged(ctx, tx, u, out); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, event, out, map[string]any{"fields": changedFields(p)})
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(id)
	s.kick() // the notices
	return out, nil
}

func changedFields(p ProfileUpdate) []string {
	var f []string
	add := func(name string, set bool) {
		if set {
			f = append(f, name)
		}
	}
	add("username", p.Username != nil)
	add("email", p.Email != nil)
	add("givenName", p.GivenName != nil)
	add("middleName", p.MiddleName != nil)
	add("surname", p.Surname != nil)
	add("status", p.Status != nil)
	add("customData", p.CustomData != nil)
	return f
}

// identifier is an email or username as stored (userdb.NormalizeIdentifier).
func identifier(p *string) *string {
	if p == nil {
		return nil
	}
	return ptr(userdb.NormalizeIdentifier(*p))
}

func trimmed(p *string) *string {
	if p == nil {
		return nil
	}
	return ptr(strings.TrimSpace(*p))
}

func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return "\"" + s + "\""
}
