package oauth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/userdb/userdb"
)

// revocations keeps every unexpired revocation in memory, so that
// introspection and userinfo check JWT access tokens without a database
// read. Revocations made on this node count at once; those of other nodes
// when poll reads them (oauth.revocation_poll).
type revocations struct {
	store userdb.Store
	clock userdb.Clock
	log   *slog.Logger

	mu     sync.RWMutex
	last   int64                // the highest id read
	jtis   map[string]time.Time // revoked token id -> when it can be forgotten
	users  map[string]time.Time // user id -> tokens issued up to then are revoked
	expiry map[string]time.Time // user id -> when that can be forgotten
}

func newRevocations(st userdb.Store, clock userdb.Clock, log *slog.Logger) *revocations {
	return &revocations{store: st, clock: clock, log: log,
		jtis: map[string]time.Time{}, users: map[string]time.Time{}, expiry: map[string]time.Time{}}
}

// poll reads the revocations added since the last poll, in pages, and
// forgets the expired ones.
func (rv *revocations) poll(ctx context.Context) error {
	now := rv.clock.Now()
	for range 1000 { // at most a million revocations a poll
		rv.mu.RLock()
		after := rv.last
		rv.mu.RUnlock()
		list, err := rv.store.FindOAuthRevocations(ctx, after, now, 1000)
		if err != nil {
			return err
		}
		for _, r := range list {
			rv.add(r)
		}
		if len(list) < 1000 {
			break
		}
	}
	rv.mu.Lock()
	for j, exp := range rv.jtis {
		if !exp.After(now) {
			delete(rv.jtis, j)
		}
	}
	for u, exp := range rv.expiry {
		if !exp.After(now) {
			delete(rv.users, u)
			delete(rv.expiry, u)
		}
	}
	rv.mu.Unlock()
	return nil
}

// add takes a revocation into memory.
func (rv *revocations) add(r *userdb.OAuthRevocation) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if r.ID > rv.last {
		rv.last = r.ID
	}
	switch r.Kind {
	case userdb.RevokeTokenID:
		rv.jtis[r.Key] = r.ExpiresAt
	case userdb.RevokeUser:
		if r.RevokedAt.After(rv.users[r.Key]) {
			rv.users[r.Key] = r.RevokedAt
		}
		if r.ExpiresAt.After(rv.expiry[r.Key]) {
			rv.expiry[r.Key] = r.ExpiresAt
		}
	}
}

// isRevoked reports whether a token was revoked by its id or with its
// user. iat counts whole seconds, so a token issued in the same second as
// its user's revocation counts as revoked: the safe side.
func (rv *revocations) isRevoked(a *accessInfo) bool {
	rv.mu.RLock()
	defer rv.mu.RUnlock()
	if _, ok := rv.jtis[a.jti]; ok {
		return true
	}
	if a.userID != "" {
		if at, ok := rv.users[a.userID]; ok && a.iat <= at.Unix() {
			return true
		}
	}
	return false
}
