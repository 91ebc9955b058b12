package service

import (
	"context"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// Actor is who calls an administrative method: a signed-in user, an API key,
// or the system (the command line and start-up tasks), which may do
// everything.
//
// The rules the Admin* methods apply:
//   - the system and holders of the super-admin role (users of the default
//     account, or global API keys) act on every account;
//   - holders of the admin role (users, or API keys scoped to an account) act
//     within their own account only: anything in another account is reported
//     as not found, so its existence does not leak;
//   - an admin cannot grant super-admin, cannot change a super-admin, and
//     nobody can add roles to themselves, change their own status or delete
//     themselves through these methods;
//   - everyone else is refused.
//
// Every refusal is recorded as an authz.denied event.
type Actor struct {
	// ID is recorded as the actor of events: a user id or an API key id
	// ("" for the system, which keeps the actor of the request's Meta).
	ID string
	// AccountID is the account the actor belongs to; "" for the system and
	// for global API keys.
	AccountID string
	// Roles are the actor's role names.
	Roles []string
	// KeyID is set when the actor is an API key.
	KeyID string
	// ManageKeys is set for an API key that may create and revoke keys.
	ManageKeys bool
	system     bool
}

// SystemActor returns the actor that may do everything: the command line and
// the server's own tasks.
func SystemActor() Actor { return Actor{system: true} }

// UserActor returns the actor for a signed-in user.
func UserActor(u *userdb.User) Actor {
	return Actor{ID: u.ID, AccountID: u.AccountID, Roles: slices.Clone(u.Roles)}
}

// KeyActor returns the actor for an API key.
func KeyActor(k *userdb.APIKey) Actor {
	return Actor{ID: k.ID, AccountID: k.AccountID, Roles: slices.Clone(k.Roles), KeyID: k.ID, ManageKeys: k.ManageKeys}
}

// IsSystem reports whether a is the system actor.
func (a Actor) IsSystem() bool { return a.system }

func (a Actor) has(role string) bool { return slices.Contains(a.Roles, role) }

type actorKey struct{}

// WithActor returns ctx carrying the actor of the Admin* methods. The actor's
// ID also becomes the actor of the events the request records.
func WithActor(ctx context.Context, a Actor) context.Context {
	if a.ID != "" {
		m := MetaFrom(ctx)
		m.ActorID = a.ID
		ctx = WithMeta(ctx, m)
	}
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor carried by ctx.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// scope is what an actor may reach.
type scope struct {
	actor Actor
	// super: every account.
	super bool
	// account is the one account an admin acts in (when not super).
	account string
}

// in reports whether the scope reaches the account.
func (sc scope) in(accountID string) bool { return sc.super || accountID == sc.account }

// self reports whether u is the actor itself.
func (sc scope) self(u *userdb.User) bool { return sc.actor.KeyID == "" && sc.actor.ID == u.ID }

// Errors of the authorization checks. Not-found errors repeat the words of
// a real miss, so a refusal cannot be told from an absence.
var (
	errForbidden   = userdb.Errorf(userdb.EFORBIDDEN, "You do not have permission to do this.")
	errNoUser      = userdb.Errorf(userdb.ENOTFOUND, "No such user.")
	errNoAccount   = &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "No such account."}
	errNoRole      = userdb.Errorf(userdb.ENOTFOUND, "No such role.")
	errNoAPIKey    = userdb.Errorf(userdb.ENOTFOUND, "No such API key.")
	errSuperOnly   = userdb.Errorf(userdb.EFORBIDDEN, "Only a super-admin can do this.")
	errNotYourself = userdb.Errorf(userdb.EFORBIDDEN, "You cannot do this to yourself.")
)

// target is what a refused action was aimed at, for the audit log.
type target struct {
	id        string
	userID    string
	accountID string // the target's account when known; admins of it see the event
}

func userTarget(u *userdb.User) target {
	return target{id: u.ID, userID: u.ID, accountID: u.AccountID}
}

// adminScope returns the scope of the actor in ctx, or refuses actors with
// no administrative role.
func (s *Service) adminScope(ctx context.Context, action string) (scope, error) {
	a, ok := ActorFrom(ctx)
	if !ok {
		return scope{}, s.deny(ctx, errForbidden, action, target{})
	}
	sc := scope{actor: a}
	switch {
	case a.system:
		sc.super = true
	case a.KeyID != "" && a.AccountID == "":
		// A global key is a super-admin key or nothing.
		sc.super = a.has(s.opts.SuperAdminRole)
	case a.KeyID == "" && a.AccountID == userdb.DefaultAccountID && a.has(s.opts.SuperAdminRole):
		// The role is only ever created in the default account; checking
		// the account as well keeps a misnamed role elsewhere harmless.
		sc.super = true
	case a.AccountID != "" && a.has(userdb.RoleAdmin):
		sc.account = a.AccountID
	}
	if !sc.super && sc.account == "" {
		return scope{}, s.deny(ctx, errForbidden, action, target{accountID: a.AccountID})
	}
	return sc, nil
}

// requireSuper refuses admins an action reserved for super-admins.
func (s *Service) requireSuper(ctx context.Context, sc scope, action string, t target) error {
	if sc.super {
		return nil
	}
	return s.deny(ctx, errSuperOnly, action, t)
}

// deny records an authz.denied event and returns err. The event names the
// target's account only when the actor could see it anyway, or when it is
// the account whose data was asked for (its admins should know).
func (s *Service) deny(ctx context.Context, err *userdb.Error, action string, t target) error {
	m := MetaFrom(ctx)
	details := map[string]any{"action": action, "reason": err.Code}
	if t.id != "" {
		details["target"] = truncate(t.id, 100) // it may be whatever the caller typed
	}
	e := &userdb.Event{
		Type: "authz.denied", Time: s.clock.Now(), ActorID: m.ActorID, UserID: t.userID,
		AccountID: t.accountID, IP: m.IP, UserAgent: truncate(m.UserAgent, 512), Details: details,
	}
	if werr := s.store.CreateEvent(context.WithoutCancel(ctx), e); werr != nil {
		s.log.Warn("recording a refused request", "err", werr, "action", action)
	}
	return err
}

// adminUser finds a user the actor may act on. A user of another account is
// not found; with write set, a super-admin can be changed by super-admins only.
func (s *Service) adminUser(ctx context.Context, action, id string, write bool) (scope, *userdb.User, error) {
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return sc, nil, err
	}
	u, err := s.store.FindUserByID(ctx, strings.TrimSpace(id))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return sc, nil, errNoUser
	} else if err != nil {
		return sc, nil, err
	}
	if !sc.in(u.AccountID) {
		return sc, nil, s.deny(ctx, errNoUser, action, userTarget(u))
	}
	if write && !sc.super && u.HasRole(s.opts.SuperAdminRole) {
		return sc, nil, s.deny(ctx, errSuperOnly, action, userTarget(u))
	}
	return sc, u, nil
}

// notSelf refuses an action an actor may not take on itself.
func (s *Service) notSelf(ctx context.Context, sc scope, u *userdb.User, action string) error {
	if sc.self(u) {
		return s.deny(ctx, errNotYourself, action, userTarget(u))
	}
	return nil
}

// adminAccount finds an account (by id or name) the actor may see; ""
// is the actor's own account (the default account for super-admins).
// An admin asking for another account gets the answer of a missing one,
// decided before any lookup, so not even timing tells them apart.
func (s *Service) adminAccount(ctx context.Context, sc scope, action, ref string) (*userdb.Account, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" && !sc.super {
		ref = sc.account
	}
	if !sc.super && ref != sc.account {
		own, err := s.store.FindAccountByID(ctx, sc.account)
		if err != nil {
			return nil, err
		}
		if !strings.EqualFold(ref, own.Name) {
			return nil, s.deny(ctx, errNoAccount, action, target{id: ref})
		}
		return own, nil
	}
	a, err := s.findAccount(ctx, ref)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, errNoAccount
	}
	return a, err
}
