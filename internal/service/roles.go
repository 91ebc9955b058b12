package service

import (
	"context"
	"sync"
	"time"

	"github.com/userdb/userdb"
)

// roleCache keeps each account's roles for the session-cache TTL, so showing
// a signed-in user's roles costs no query on the hot path.
type roleCache struct {
	mu      sync.RWMutex
	entries map[string]roleEntry
}

type roleEntry struct {
	roles    []*userdb.Role
	loadedAt time.Time
}

// AccountRoles returns the roles of an account (shared, read-only).
func (s *Service) AccountRoles(ctx context.Context, accountID string) ([]*userdb.Role, error) {
	now := s.clock.Now()
	s.roles.mu.RLock()
	e, ok := s.roles.entries[accountID]
	s.roles.mu.RUnlock()
	if ok && now.Sub(e.loadedAt) < s.opts.SessionCacheTTL {
		return e.roles, nil
	}
	roles, err := s.store.FindRoles(ctx, accountID)
	if err != nil {
		return nil, err
	}
	s.roles.mu.Lock()
	if s.roles.entries == nil {
		s.roles.entries = make(map[string]roleEntry)
	}
	s.roles.entries[accountID] = roleEntry{roles: roles, loadedAt: now}
	s.roles.mu.Unlock()
	return roles, nil
}

func (c *roleCache) forget() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}
