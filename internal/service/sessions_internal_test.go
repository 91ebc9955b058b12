package service

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// sessionsOnly is a store holding sessions and enabled users, enough for the
// session cache; any other call panics (nil embedded Store).
type sessionsOnly struct {
	userdb.Store
	sessions map[string]*userdb.Session // by token hash
	users    map[string]*userdb.User
	// afterFindUser, when set, runs after FindUserByID has read a user.
	afterFindUser func()
}

func (s *sessionsOnly) FindSessionByTokenHash(_ context.Context, hash []byte) (*userdb.Session, error) {
	if x, ok := s.sessions[string(hash)]; ok {
		cp := *x
		return &cp, nil
	}
	return nil, userdb.Errorf(userdb.ENOTFOUND, "no session")
}

func (s *sessionsOnly) FindUserByID(_ context.Context, id string) (*userdb.User, error) {
	if u, ok := s.users[id]; ok {
		cp := *u
		if s.afterFindUser != nil {
			s.afterFindUser()
		}
		return &cp, nil
	}
	return nil, userdb.Errorf(userdb.ENOTFOUND, "no user")
}

func (s *sessionsOnly) FindAccountByID(_ context.Context, id string) (*userdb.Account, error) {
	return &userdb.Account{ID: id, Status: userdb.StatusEnabled}, nil
}

type fixedClock time.Time

func (c fixedClock) Now() time.Time { return time.Time(c) }

// TestSessionCacheEvictionKeepsUserIndex fills a small session cache past
// its bound, so that eviction runs again and again, and checks that every
// cached session stays reachable from its user's index: forgetUser (called
// when a user is disabled, changes password, signs out) must drop every
// cached session of the user, not leave some to be served until the TTL.
func TestSessionCacheEvictionKeepsUserIndex(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := &sessionsOnly{sessions: map[string]*userdb.Session{}, users: map[string]*userdb.User{}}
	var hashes [][]byte
	for u := range 4 {
		id := fmt.Sprintf("usr_%d", u)
		st.users[id] = &userdb.User{ID: id, AccountID: "acc_default", Status: userdb.StatusEnabled}
		for k := range 4 {
			h := userdb.HashSecret(fmt.Sprintf("secret-%d-%d", u, k))
			st.sessions[string(h)] = &userdb.Session{ID: fmt.Sprintf("ses_%d_%d", u, k), TokenHash: h, UserID: id,
				CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
			hashes = append(hashes, h)
		}
	}
	s := &Service{store: st, clock: fixedClock(now), log: slog.New(slog.DiscardHandler), peers: noPeers{},
		opts: Options{SessionCacheTTL: time.Hour, SessionLifetime: time.Hour}}
	s.sessions = newSessionCache(s)
	s.sessions.max = 6 // 16 sessions: eviction runs on most loads

	for round := range 50 {
		for i := range hashes {
			// Interleave users so that each user's entries are scattered.
			h := hashes[(i*5+round)%len(hashes)]
			if _, _, err := s.sessions.lookup(context.Background(), h); err != nil {
				t.Fatal(err)
			}
			checkIndex(t, s.sessions)
		}
		// A user disabled meanwhile: forgetting the user drops every
		// cached session of it, so none is served from memory.
		victim := fmt.Sprintf("usr_%d", round%4)
		st.users[victim].Status = userdb.StatusDisabled
		s.sessions.forgetUser(victim)
		for key, e := range s.sessions.byHash {
			if e.user.ID == victim {
				t.Fatalf("round %d: session %x of %s still cached after forgetUser", round, key[:4], victim)
			}
		}
		for _, h := range hashes {
			if sess := st.sessions[string(h)]; sess.UserID == victim {
				if _, _, err := s.sessions.lookup(context.Background(), h); !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
					t.Fatalf("round %d: disabled user's session %s: err %v, want not signed in", round, sess.ID, err)
				}
			}
		}
		st.users[victim].Status = userdb.StatusEnabled
		s.sessions.forgetUser(victim)
	}
}

// checkIndex checks that byUser lists exactly the keys of byHash, each
// under its own user.
func checkIndex(t *testing.T, c *sessionCache) {
	t.Helper()
	if len(c.byHash) > c.max {
		t.Fatalf("cache holds %d entries, bound %d", len(c.byHash), c.max)
	}
	indexed := 0
	for userID, keys := range c.byUser {
		if len(keys) == 0 {
			t.Fatalf("empty index entry for %s", userID)
		}
		for _, k := range keys {
			e, ok := c.byHash[k]
			if !ok || e.user.ID != userID {
				t.Fatalf("index of %s names a key that is not its cached session", userID)
			}
			indexed++
		}
	}
	if indexed != len(c.byHash) {
		t.Fatalf("%d cached sessions, %d indexed by user", len(c.byHash), indexed)
	}
}

// TestSessionCacheLoadRacingInvalidation: a change (here the user is
// disabled) commits and invalidates the cache while a lookup is between
// reading the session and the user. The lookup may answer from what it
// read, but must not cache it: the next lookup reads the store again and
// sees the user disabled, instead of being served the old user until the
// cache's TTL.
func TestSessionCacheLoadRacingInvalidation(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	st := &sessionsOnly{sessions: map[string]*userdb.Session{}, users: map[string]*userdb.User{}}
	h := userdb.HashSecret("secret")
	st.sessions[string(h)] = &userdb.Session{ID: "ses_1", TokenHash: h, UserID: "usr_1",
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	st.users["usr_1"] = &userdb.User{ID: "usr_1", AccountID: "acc_default", Status: userdb.StatusEnabled}
	s := &Service{store: st, clock: fixedClock(now), log: slog.New(slog.DiscardHandler), peers: noPeers{},
		opts: Options{SessionCacheTTL: time.Hour, SessionLifetime: time.Hour}}
	s.sessions = newSessionCache(s)

	// The lookup reads the user enabled; the disabling commits and
	// invalidates the cache right after that read.
	st.afterFindUser = func() {
		st.afterFindUser = nil
		st.users["usr_1"] = &userdb.User{ID: "usr_1", AccountID: "acc_default", Status: userdb.StatusDisabled}
		s.sessions.forgetUser("usr_1")
	}
	if _, _, err := s.sessions.lookup(context.Background(), h); err != nil {
		t.Fatalf("the racing lookup: %v", err)
	}
	if u, _, err := s.sessions.lookup(context.Background(), h); !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
		t.Fatalf("after the user was disabled: user %+v, err %v; want the session refused", u, err)
	}
}
