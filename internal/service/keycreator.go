package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// A key acts with at most its creator's current rights, as Okta's API
// tokens do: the review found a key made by an admin still working after
// that admin was demoted, disabled and deleted. Keys made by the command
// line or the library (CreatedBy "", "cli", "app") answer to the operator
// and keep their roles.

// maxKeyChain bounds the chain of keys that made keys (a key with
// ManageKeys makes keys, which cannot themselves carry ManageKeys, so the
// chain is at most two long; the bound guards against crafted rows).
const maxKeyChain = 4

// keyRoles returns the roles k acts with: its own, less those its creator
// no longer has. A creator that was deleted or disabled, or whose account
// is disabled, leaves the key nothing: errBadAPIKey, as for a revoked key.
func (s *Service) keyRoles(ctx context.Context, k *userdb.APIKey, depth int) ([]string, error) {
	switch {
	case strings.HasPrefix(k.CreatedBy, "usr_"):
		u, err := s.keyCreator(ctx, k.CreatedBy)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, errBadAPIKey
		} else if err != nil {
			return nil, err
		}
		// A locked creator keeps its keys: anyone can lock an account by
		// guessing its password.
		if u.Status != userdb.StatusEnabled && u.Status != userdb.StatusLocked {
			return nil, errBadAPIKey
		}
		if err := s.enabledAccount(ctx, u.AccountID); err != nil {
			return nil, err
		}
		super := u.AccountID == userdb.DefaultAccountID && u.HasRole(s.opts.SuperAdminRole)
		if super {
			return k.Roles, nil
		}
		if k.AccountID != u.AccountID {
			return nil, errBadAPIKey // a global key or another account's: beyond the creator now
		}
		return slices.DeleteFunc(slices.Clone(k.Roles), func(r string) bool { return !u.HasRole(r) }), nil
	case strings.HasPrefix(k.CreatedBy, "key_"):
		if depth >= maxKeyChain {
			return nil, errBadAPIKey
		}
		parent, err := s.store.FindAPIKeyByID(ctx, k.CreatedBy)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, errBadAPIKey
		} else if err != nil {
			return nil, err
		}
		if !s.keyLive(parent, s.clock.Now()) || parent.AccountID != "" && parent.AccountID != k.AccountID {
			return nil, errBadAPIKey
		}
		roles, err := s.keyRoles(ctx, parent, depth+1)
		if err != nil {
			return nil, err
		}
		if parent.AccountID == "" && slices.Contains(roles, s.opts.SuperAdminRole) {
			return k.Roles, nil // a live super-admin key reaches every account
		}
		return slices.DeleteFunc(slices.Clone(k.Roles), func(r string) bool { return !slices.Contains(roles, r) }), nil
	}
	return k.Roles, nil
}

// keyLive reports whether k, as stored, is neither revoked nor expired at
// now (by its ExpiresAt or its inactivity).
func (s *Service) keyLive(k *userdb.APIKey, now time.Time) bool {
	at, _ := s.keyExpiry(k, time.Time{})
	return k.RevokedAt == nil && k.ExpiredAt == nil && (at.IsZero() || now.Before(at))
}

// enabledAccount returns errBadAPIKey unless the account exists and is
// enabled.
func (s *Service) enabledAccount(ctx context.Context, id string) error {
	a, err := s.Account(ctx, id)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return errBadAPIKey
	} else if err != nil {
		return err
	}
	if a.Status != userdb.StatusEnabled {
		return errBadAPIKey
	}
	return nil
}

// keyCreator returns the user who created a key, from memory for
// SessionCacheTTL; any change of the user (status, roles, deletion) drops
// it on every node, as it drops the user's sessions.
func (s *Service) keyCreator(ctx context.Context, id string) (*userdb.User, error) {
	c, now := &s.keys, s.clock.Now()
	c.mu.RLock()
	e := c.creators[id]
	c.mu.RUnlock()
	if e != nil && s.peers.Connected() && now.Sub(e.loadedAt) < s.opts.SessionCacheTTL {
		return e.user, nil
	}
	gen := c.gen.Load()
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if c.creators == nil || len(c.creators) >= maxCachedKeys {
			c.creators = make(map[string]*cachedCreator)
		}
		c.creators[id] = &cachedCreator{user: u, loadedAt: now}
	}
	c.mu.Unlock()
	return u, nil
}

type cachedCreator struct {
	user     *userdb.User // shared, read-only
	loadedAt time.Time
}

// dropCreator forgets a cached creator after the user changed.
func (c *keyCache) dropCreator(userID string) {
	c.mu.Lock()
	c.gen.Add(1)
	delete(c.creators, userID)
	c.mu.Unlock()
}
