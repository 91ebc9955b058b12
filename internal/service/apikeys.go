package service

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// NewAPIKey describes an API key to create.
type NewAPIKey struct {
	Name string
	// Account scopes the key to an account (id or name); "" makes a global
	// key, which must carry the super-admin role.
	Account string
	// Roles are role names of the key's account (of the default account for
	// a global key). A key scoped to an account acts as its admin when it
	// carries the admin role; a global key acts as super-admin.
	Roles []string
	// ExpiresAt is when the key stops working; nil: never, or in
	// Options.APIKeyMaxLifetime when that is set (a later time is refused).
	ExpiresAt *time.Time
	// ManageKeys lets the key create and revoke keys. Only a signed-in
	// administrator or the command line gives it; a key never does.
	ManageKeys bool
}

// apiKeyTouchEvery is the least time between two writes of a key's
// last-used time: a busy key does not cost a write per request.
const apiKeyTouchEvery = time.Minute

// errBadAPIKey is the one answer for unknown, revoked and expired keys.
var errBadAPIKey = userdb.Errorf(userdb.EUNAUTHORIZED, "Invalid API key.")

// createAPIKey creates an API key as the system and returns it with its
// secret, which is shown once and stored only as its SHA-256.
func (s *Service) createAPIKey(ctx context.Context, n NewAPIKey) (*userdb.APIKey, string, error) {
	n.Name = strings.TrimSpace(n.Name)
	switch {
	case n.Name == "":
		return nil, "", userdb.FieldError("name", "A name is required.")
	case utf8.RuneCountInString(n.Name) > userdb.MaxNameLen:
		return nil, "", userdb.FieldError("name", "Name must be at most %d characters.", userdb.MaxNameLen)
	case strings.ContainsFunc(n.Name, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !utf8.ValidString(n.Name):
		return nil, "", userdb.FieldError("name", "Name contains characters that are not allowed.")
	}
	now := s.clock.Now()
	if n.ExpiresAt != nil && !n.ExpiresAt.After(now) {
		return nil, "", userdb.FieldError("expiresAt", "The expiry must be in the future.")
	}
	if longest := s.opts.APIKeyMaxLifetime; longest > 0 {
		limit := now.Add(longest)
		if n.ExpiresAt == nil {
			n.ExpiresAt = &limit
		} else if n.ExpiresAt.After(limit) {
			return nil, "", userdb.FieldError("expiresAt", "The expiry must be at most %s from now (api_keys.max_lifetime).", days(longest))
		}
	}
	accountID := userdb.DefaultAccountID
	if strings.TrimSpace(n.Account) != "" {
		a, err := s.findAccount(ctx, n.Account)
		if err != nil {
			return nil, "", err
		}
		accountID = a.ID
	}
	roles, err := s.resolveRoles(ctx, accountID, n.Roles)
	if err != nil {
		return nil, "", err
	}
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = r.Name
	}
	super := slices.Contains(names, s.opts.SuperAdminRole)
	if strings.TrimSpace(n.Account) == "" {
		accountID = ""
		if !super {
			return nil, "", userdb.FieldError("roles", "A global key must carry the %s role; give it an account otherwise.", s.opts.SuperAdminRole)
		}
	} else if super {
		return nil, "", userdb.FieldError("roles", "Only a global key (without an account) can carry the %s role.", s.opts.SuperAdminRole)
	}
	secret, hash := userdb.NewSecret()
	k := &userdb.APIKey{
		ID: userdb.NewID("key"), Name: n.Name, KeyHash: hash, AccountID: accountID, Roles: names,
		CreatedBy: MetaFrom(ctx).ActorID, CreatedAt: now, ExpiresAt: n.ExpiresAt, ManageKeys: n.ManageKeys,
	}
	// A recent sign-in (mfa.go), checked once the input is known good.
	if err := s.Reauth(ctx); err != nil {
		return nil, "", err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return err
		}
		details := map[string]any{"name": k.Name, "roles": k.Roles, "manage_keys": k.ManageKeys}
		if err := s.notifyKeyChange(ctx, tx, k, "created", details); err != nil {
			return err
		}
		return s.recordKey(ctx, tx, "apikey.created", k, details)
	})
	if err != nil {
		return nil, "", err
	}
	s.kick()
	return k, secret, nil
}

// revokeAPIKey revokes a key; it stops working at once.
func (s *Service) revokeAPIKey(ctx context.Context, id string) error {
	k, err := s.store.FindAPIKeyByID(ctx, id)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return errNoAPIKey
	} else if err != nil {
		return err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.RevokeAPIKey(ctx, k.ID, s.clock.Now()); err != nil {
			return err
		}
		details := map[string]any{"name": k.Name}
		if err := s.notifyKeyChange(ctx, tx, k, "revoked", details); err != nil {
			return err
		}
		return s.recordKey(ctx, tx, "apikey.revoked", k, details)
	})
	if err == nil {
		s.changed(changedAPIKeys)
		s.kick()
	}
	return err
}

// AdminCreateAPIKey creates an API key. An admin creates keys scoped to its
// own account ("" is that account); global keys are for super-admins.
func (s *Service) AdminCreateAPIKey(ctx context.Context, n NewAPIKey) (*userdb.APIKey, string, error) {
	const action = "apikeys.create"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, "", err
	}
	if err := s.keyMayManageKeys(ctx, sc, action); err != nil {
		return nil, "", err
	}
	if sc.actor.KeyID != "" && n.ManageKeys {
		return nil, "", s.deny(ctx, errKeyManagesKeys, action, target{accountID: sc.actor.AccountID})
	}
	if !sc.super {
		a, err := s.adminAccount(ctx, sc, action, n.Account)
		if err != nil {
			return nil, "", err
		}
		if slices.ContainsFunc(n.Roles, s.isSuperRole) {
			return nil, "", s.deny(ctx, errSuperOnly, action, target{accountID: a.ID})
		}
		n.Account = a.ID
	}
	return s.createAPIKey(ctx, n)
}

// errKeyManagesKeys refuses a key what only a session (or the command line)
// does with keys: a stolen key must not mint others.
var errKeyManagesKeys = userdb.Errorf(userdb.EFORBIDDEN, "An API key cannot create or revoke API keys unless it was given the right to (manageKeys); sign in to manage keys.")

// keyMayManageKeys refuses key actors without ManageKeys; a key with it
// makes keys that lack it.
func (s *Service) keyMayManageKeys(ctx context.Context, sc scope, action string) error {
	if sc.actor.KeyID == "" || sc.actor.ManageKeys {
		return nil
	}
	return s.deny(ctx, errKeyManagesKeys, action, target{accountID: sc.actor.AccountID})
}

// AdminListAPIKeys lists API keys, newest first: an admin sees its own
// account's, a super-admin every key or one account's.
func (s *Service) AdminListAPIKeys(ctx context.Context, account string) ([]*userdb.APIKey, error) {
	const action = "apikeys.list"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(account) != "" || !sc.super {
		a, err := s.adminAccount(ctx, sc, action, account)
		if err != nil {
			return nil, err
		}
		account = a.ID
	}
	return s.store.FindAPIKeys(ctx, account)
}

// AdminRevokeAPIKey revokes a key of the actor's reach (global keys are
// reached by super-admins only).
func (s *Service) AdminRevokeAPIKey(ctx context.Context, id string) error {
	const action = "apikeys.revoke"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return err
	}
	if err := s.keyMayManageKeys(ctx, sc, action); err != nil {
		return err
	}
	k, err := s.store.FindAPIKeyByID(ctx, strings.TrimSpace(id))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return errNoAPIKey
	} else if err != nil {
		return err
	}
	if !sc.super && k.AccountID != sc.account {
		return s.deny(ctx, errNoAPIKey, action, target{id: k.ID, accountID: k.AccountID})
	}
	return s.revokeAPIKey(ctx, k.ID)
}

// AuthenticateAPIKey returns the actor of an API key's secret. Unknown,
// revoked and expired keys, and keys of a disabled account, all get the same
// EUNAUTHORIZED error; an expired key's says so (apikeyexpiry.go). The key's
// last-used time is written at most once a minute by each node; keys and
// their accounts are served from memory (keycache.go).
func (s *Service) AuthenticateAPIKey(ctx context.Context, secret string) (Actor, error) {
	if secret == "" || len(secret) > 128 {
		return Actor{}, errBadAPIKey
	}
	e, err := s.apiKey(ctx, userdb.HashSecret(secret))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return Actor{}, errBadAPIKey
	} else if err != nil {
		return Actor{}, err
	}
	k, now := e.key, s.clock.Now()
	if k.RevokedAt != nil {
		return Actor{}, errBadAPIKey
	}
	if err := s.checkKeyExpiry(ctx, e, now); err != nil {
		return Actor{}, err
	}
	if k.AccountID != "" {
		if err := s.enabledAccount(ctx, k.AccountID); err != nil {
			return Actor{}, err
		}
	}
	roles, err := s.keyRoles(ctx, k, 0)
	if err != nil {
		return Actor{}, err
	}
	if err := s.limits.Take(ctx, limit.AdminKey, k.ID); err != nil {
		return Actor{}, err
	}
	if e.used(now) {
		// Bookkeeping: a failed write does not refuse the request.
		if err := s.store.TouchAPIKey(ctx, k.ID, now); err != nil {
			s.log.Warn("recording API key use", "err", err, "key", k.ID)
		}
	}
	a := KeyActor(k)
	a.Roles = roles
	return a, nil
}

// recordKey writes an event about an API key through st.
func (s *Service) recordKey(ctx context.Context, st userdb.Store, typ string, k *userdb.APIKey, details map[string]any) error {
	m := MetaFrom(ctx)
	details["key_id"] = k.ID
	return st.CreateEvent(ctx, &userdb.Event{
		Type: typ, Time: s.clock.Now(), ActorID: m.ActorID, AccountID: k.AccountID,
		IP: m.IP, UserAgent: m.UserAgent, Details: details,
	})
}
