package service

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/userdb/userdb"
)

// maxCachedSessions bounds the memory the session cache may use.
const maxCachedSessions = 200_000

// sessionCache serves session lookups from memory for a short time and batches
// last-seen writes, so the hot path (GET /me, the Authenticated middleware)
// makes no database round trip on a hit and no write per request.
type sessionCache struct {
	s   *Service
	max int // entries kept; maxCachedSessions but in tests

	mu     sync.RWMutex
	byHash map[string]*cachedSession // key: string(token hash)
	byUser map[string][]string       // user id -> token hash keys
	// gen counts invalidations (forgetUser, forgetAll). A load that began
	// before one may have read what the change replaced: its entry answers
	// its own request but is not cached.
	gen atomic.Uint64

	seenMu sync.Mutex
	seen   map[string]time.Time // session id -> last seen, not yet written
}

type cachedSession struct {
	sess     userdb.Session
	user     *userdb.User // shared, read-only
	loadedAt time.Time
	lastSeen atomic.Int64 // unix nanoseconds
}

func newSessionCache(s *Service) *sessionCache {
	return &sessionCache{
		s:      s,
		max:    maxCachedSessions,
		byHash: make(map[string]*cachedSession),
		byUser: make(map[string][]string),
		seen:   make(map[string]time.Time),
	}
}

// maxSecretLen bounds a session cookie's value: longer is no session.
const maxSecretLen = 128

// errNoSession is the one answer for every kind of bad session, so a caller
// learns nothing about why.
var errNoSession = userdb.Errorf(userdb.EUNAUTHORIZED, "Not signed in.")

// Authenticate returns the user and session of a session cookie's secret.
// The user is shared with other callers and must not be modified.
func (s *Service) Authenticate(ctx context.Context, secret string) (*userdb.User, *userdb.Session, error) {
	if secret == "" || len(secret) > maxSecretLen {
		return nil, nil, errNoSession
	}
	return s.sessions.lookup(ctx, userdb.HashSecret(secret))
}

func (c *sessionCache) lookup(ctx context.Context, hash []byte) (*userdb.User, *userdb.Session, error) {
	now := c.s.clock.Now()
	key := string(hash)
	c.mu.RLock()
	e := c.byHash[key]
	c.mu.RUnlock()
	// Without news of the other nodes' changes (Redis is down), nothing
	// cached can be trusted: every lookup reads the store.
	if e == nil || now.Sub(e.loadedAt) >= c.s.opts.SessionCacheTTL || !c.s.peers.Connected() {
		var err error
		if e, err = c.load(ctx, key, hash, now); err != nil {
			return nil, nil, err
		}
	}
	if !c.alive(e, now) {
		c.drop(key, e.user.ID)
		// Ending an expired session is housekeeping: its failure changes nothing for the caller.
		if err := c.s.store.DeleteSession(ctx, e.sess.ID); err != nil && !userdb.IsCode(err, userdb.ENOTFOUND) {
			c.s.log.Warn("deleting expired session", "err", err)
		}
		return nil, nil, errNoSession
	}
	c.touch(e, now)
	sess := e.sess
	sess.LastSeenAt = time.Unix(0, e.lastSeen.Load()).UTC()
	return e.user, &sess, nil
}

// load reads a session and its user from the store and caches them.
func (c *sessionCache) load(ctx context.Context, key string, hash []byte, now time.Time) (*cachedSession, error) {
	gen := c.gen.Load()
	sess, err := c.s.store.FindSessionByTokenHash(ctx, hash)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, errNoSession
	} else if err != nil {
		return nil, err
	}
	u, err := c.s.store.FindUserByID(ctx, sess.UserID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, errNoSession
	} else if err != nil {
		return nil, err
	}
	// A lock stops new sign-ins only: failures anyone can cause must not
	// end the owner's sessions.
	if u.Status != userdb.StatusEnabled && u.Status != userdb.StatusLocked {
		return nil, errNoSession
	}
	acc, err := c.s.store.FindAccountByID(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	if acc.Status != userdb.StatusEnabled {
		return nil, errNoSession
	}
	e := &cachedSession{sess: *sess, user: u, loadedAt: now}
	e.lastSeen.Store(sess.LastSeenAt.UnixNano())
	c.seenMu.Lock()
	if t, ok := c.seen[sess.ID]; ok && t.After(sess.LastSeenAt) {
		e.lastSeen.Store(t.UnixNano())
	}
	c.seenMu.Unlock()

	c.mu.Lock()
	if c.gen.Load() != gen {
		c.mu.Unlock()
		return e, nil
	}
	if len(c.byHash) >= c.max {
		c.evictLocked(max(c.max/4, 1))
	}
	if _, ok := c.byHash[key]; !ok {
		c.byUser[u.ID] = append(c.byUser[u.ID], key)
	}
	c.byHash[key] = e
	c.mu.Unlock()
	return e, nil
}

func (c *sessionCache) alive(e *cachedSession, now time.Time) bool {
	if !now.Before(e.sess.ExpiresAt) {
		return false
	}
	if idle := c.s.opts.SessionIdle; idle > 0 && !e.sess.Remembered {
		if now.Sub(time.Unix(0, e.lastSeen.Load())) > idle {
			return false
		}
	}
	return true
}

// touch notes that the session was used. It writes nothing: the batch does.
// Most requests only read an atomic; a second's granularity is plenty for
// idle timeouts and session lists.
func (c *sessionCache) touch(e *cachedSession, now time.Time) {
	last := e.lastSeen.Load()
	if now.UnixNano()-last < int64(time.Second) {
		return
	}
	if !e.lastSeen.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	c.seenMu.Lock()
	c.seen[e.sess.ID] = now
	c.seenMu.Unlock()
}

// evictLocked drops about n entries (map order is random enough). c.mu is held.
// Each leaves its user's other entries indexed, so that forgetUser still
// finds them.
func (c *sessionCache) evictLocked(n int) {
	for key, e := range c.byHash {
		if n <= 0 {
			break
		}
		c.dropLocked(key, e.user.ID)
		n--
	}
}

func (c *sessionCache) drop(key, userID string) {
	c.mu.Lock()
	c.dropLocked(key, userID)
	c.mu.Unlock()
}

// dropLocked removes one entry and its place in the user's index. c.mu is held.
func (c *sessionCache) dropLocked(key, userID string) {
	delete(c.byHash, key)
	keys := c.byUser[userID]
	for i, k := range keys {
		if k == key {
			keys = append(keys[:i], keys[i+1:]...)
			break
		}
	}
	if len(keys) == 0 {
		delete(c.byUser, userID)
	} else {
		c.byUser[userID] = keys
	}
}

// forgetUser drops every cached session of a user, after the user changed or
// sessions ended, so the next request reads the store; the other nodes of
// a cluster drop theirs too.
func (c *sessionCache) forgetUser(userID string) { c.s.changed(changedUser + userID) }

// forgetAll empties the caches (an account was disabled: many users at
// once), on every node.
func (c *sessionCache) forgetAll() { c.s.changed(changedAll) }

// dropUser drops this node's cached sessions of a user.
func (c *sessionCache) dropUser(userID string) {
	c.mu.Lock()
	c.gen.Add(1)
	for _, key := range c.byUser[userID] {
		delete(c.byHash, key)
	}
	delete(c.byUser, userID)
	c.mu.Unlock()
}

// dropAll empties this node's session cache.
func (c *sessionCache) dropAll() {
	c.mu.Lock()
	c.gen.Add(1)
	c.byHash = make(map[string]*cachedSession)
	c.byUser = make(map[string][]string)
	c.mu.Unlock()
}

func (c *sessionCache) run(ctx context.Context) {
	t := time.NewTicker(c.s.opts.TouchInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			_ = c.flush(ctx) // logged; the next round writes newer times
		}
	}
}

// flush writes the pending last-seen times in one batch. A failed write is
// logged (the times are bookkeeping, and the next batch has newer ones) and
// returned.
func (c *sessionCache) flush(ctx context.Context) error {
	c.seenMu.Lock()
	batch := c.seen
	c.seen = make(map[string]time.Time)
	c.seenMu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	err := c.s.store.TouchSessions(context.WithoutCancel(ctx), batch)
	if err != nil {
		c.s.log.Warn("recording session last-seen times", "err", err, "sessions", len(batch))
	}
	return err
}
