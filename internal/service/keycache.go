package service

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/userdb/userdb"
)

// keyCache keeps the API keys that authenticated, and their accounts, for
// SessionCacheTTL, so that a request carrying a key (the admin API,
// forward authentication) costs no database round trip. Revoking a key
// and any change of an account drop it, on every node through Peers.
type keyCache struct {
	mu       sync.RWMutex
	keys     map[string]*cachedKey     // by string(key hash)
	accounts map[string]*cachedAccount // by account id
	creators map[string]*cachedCreator // the users who made keys, by user id
	// gen counts forgets: a load that began before one is not cached (see
	// sessionCache.gen).
	gen atomic.Uint64
}

type cachedKey struct {
	key      *userdb.APIKey // shared, read-only
	loadedAt time.Time
	lastUsed atomic.Int64 // unix nanoseconds of the last recorded use
	// expired is the answer to every use once the key is found expired.
	expired atomic.Pointer[error]
}

// lastUse returns the key's last use known to this node (zero: none).
func (e *cachedKey) lastUse() time.Time {
	if n := e.lastUsed.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// noteUse learns of a use at t (by another node), unless a later one is
// known.
func (e *cachedKey) noteUse(t time.Time) {
	for {
		last := e.lastUsed.Load()
		if last >= t.UnixNano() || e.lastUsed.CompareAndSwap(last, t.UnixNano()) {
			return
		}
	}
}

type cachedAccount struct {
	acc      *userdb.Account // shared, read-only
	loadedAt time.Time
}

// apiKey returns the key whose secret hashes to hash.
func (s *Service) apiKey(ctx context.Context, hash []byte) (*cachedKey, error) {
	c, now := &s.keys, s.clock.Now()
	c.mu.RLock()
	e := c.keys[string(hash)]
	c.mu.RUnlock()
	if e != nil && s.peers.Connected() && now.Sub(e.loadedAt) < s.opts.SessionCacheTTL {
		return e, nil
	}
	gen := c.gen.Load()
	k, err := s.store.FindAPIKeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	e = &cachedKey{key: k, loadedAt: now}
	if k.LastUsedAt != nil {
		e.lastUsed.Store(k.LastUsedAt.UnixNano())
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if c.keys == nil || len(c.keys) >= maxCachedKeys {
			c.keys = make(map[string]*cachedKey)
		}
		c.keys[string(hash)] = e
	}
	c.mu.Unlock()
	return e, nil
}

// Account returns an account by id, from memory when it was read less than
// SessionCacheTTL ago (and no node changed an account since). The account
// is shared and must not be modified.
func (s *Service) Account(ctx context.Context, id string) (*userdb.Account, error) {
	c, now := &s.keys, s.clock.Now()
	c.mu.RLock()
	e := c.accounts[id]
	c.mu.RUnlock()
	if e != nil && s.peers.Connected() && now.Sub(e.loadedAt) < s.opts.SessionCacheTTL {
		return e.acc, nil
	}
	gen := c.gen.Load()
	a, err := s.store.FindAccountByID(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.gen.Load() == gen {
		if c.accounts == nil || len(c.accounts) >= maxCachedKeys {
			c.accounts = make(map[string]*cachedAccount)
		}
		c.accounts[id] = &cachedAccount{acc: a, loadedAt: now}
	}
	c.mu.Unlock()
	return a, nil
}

// maxCachedKeys bounds each map of the key cache; a full map starts over.
const maxCachedKeys = 10_000

// used reports whether the key's use at now is to be recorded: at most once
// per apiKeyTouchEvery, on this node.
func (e *cachedKey) used(now time.Time) bool {
	last := e.lastUsed.Load()
	if last != 0 && now.UnixNano()-last < int64(apiKeyTouchEvery) {
		return false
	}
	return e.lastUsed.CompareAndSwap(last, now.UnixNano())
}

func (c *keyCache) forget() {
	c.mu.Lock()
	c.gen.Add(1)
	c.keys, c.accounts, c.creators = nil, nil, nil
	c.mu.Unlock()
}
