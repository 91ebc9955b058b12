package service_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

const day = 24 * time.Hour

// keyExpiryOptions are the defaults of api_keys: 30 days of inactivity, a
// warning 7 days before.
func keyExpiryOptions(o *service.Options) {
	o.APIKeyInactivity, o.APIKeyWarning = 30*day, 7*day
}

// node returns another service on e's store and clock: a second node of
// the cluster, with its own caches.
func (e *env) node(change ...func(*service.Options)) *service.Service {
	e.t.Helper()
	return newEnvDeps(e.t, func(d *service.Deps) { d.Store, d.Clock = e.store, e.clock }, change...).svc
}

// keyRefused checks that secret is refused with a 401 whose message says
// what it must.
func keyRefused(t *testing.T, what string, svc *service.Service, secret, says string) {
	t.Helper()
	_, err := svc.AuthenticateAPIKey(context.Background(), secret)
	if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || !strings.Contains(userdb.ErrorMessage(err), says) {
		t.Fatalf("%s: %v, want a 401 saying %q", what, err, says)
	}
}

func keyWorks(t *testing.T, what string, svc *service.Service, secret string) {
	t.Helper()
	if _, err := svc.AuthenticateAPIKey(context.Background(), secret); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// TestASVS_2_10_1_UnusedKeyExpires: a key nobody uses for 30 days stops
// working with a 401 that says why, its apikey.expired event is recorded
// once (on whichever node finds it first), and it stays expired.
func TestASVS_2_10_1_UnusedKeyExpires(t *testing.T) {
	e := newEnv(t, keyExpiryOptions)
	boss := e.user("", "boss@example.com", "a long enough secret 1", userdb.RoleSuperAdmin)
	k, secret, err := e.svc.AdminCreateAPIKey(e.as(boss), service.NewAPIKey{Name: "nightly export", Roles: []string{userdb.RoleSuperAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	if state, at := e.svc.APIKeyState(k); state != "active" || at == nil || !at.Equal(k.CreatedAt.Add(30*day)) {
		t.Fatalf("key %s, inactivity expiry %v; want active, 30 days after creation", state, at)
	}
	e.clock.Add(30 * day)
	keyRefused(t, "a key unused for 30 days", e.svc, secret, "not used for 30 days")
	keyRefused(t, "the same key again", e.svc, secret, "not used for 30 days")
	keyRefused(t, "the same key on another node", e.node(keyExpiryOptions), secret, "not used for 30 days")
	if ev := e.events("apikey.expired", nil); len(ev) != 1 || ev[0].Details["reason"] != "inactivity" || ev[0].Details["key_id"] != k.ID {
		t.Fatalf("apikey.expired events %+v, want one", ev)
	}
	stored, err := e.store.FindAPIKeyByID(context.Background(), k.ID)
	if err != nil || stored.ExpiredAt == nil || stored.LastUsedAt != nil {
		t.Fatalf("stored key %+v, %v: want ExpiredAt and no use", stored, err)
	}
	if state, _ := e.svc.APIKeyState(stored); state != "expired" {
		t.Fatalf("an expired key listed as %s", state)
	}
	// Expired for good: a node that would no longer expire it still refuses.
	keyRefused(t, "an expired key once inactivity expiry is off", e.node(), secret, "expired")
}

// TestASVS_2_10_1_UsedKeyDoesNotExpire: each use moves the inactivity
// expiry on, also a use on another node than the one that checks (which
// reads the stored last use before refusing a key it believes idle).
func TestASVS_2_10_1_UsedKeyDoesNotExpire(t *testing.T) {
	// Node a keeps keys in memory for a year: only the stored last use
	// tells it of b's uses.
	e := newEnv(t, keyExpiryOptions, func(o *service.Options) { o.SessionCacheTTL = 365 * day })
	b := e.node(keyExpiryOptions)
	_, secret, err := e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "deploy", Roles: []string{userdb.RoleSuperAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	keyWorks(t, "a new key on node a", e.svc, secret)
	for range 3 {
		e.clock.Add(29 * day)
		keyWorks(t, "a key used 29 days ago, on node b", b, secret)
	}
	e.clock.Add(29 * day)
	keyWorks(t, "a key node a last saw 116 days ago, used on node b 29 days ago", e.svc, secret)
	if ev := e.events("apikey.expired", nil); len(ev) != 0 {
		t.Fatalf("apikey.expired events %+v of a key in use", ev)
	}
	e.clock.Add(30 * day)
	keyRefused(t, "the key after 30 days without use", b, secret, "not used for 30 days")
}

// TestASVS_2_10_1_AbsoluteExpiry: a key's expiresAt ends it whatever its
// use, and is at most api_keys.max_lifetime away (which is also the expiry
// of a key created without one).
func TestASVS_2_10_1_AbsoluteExpiry(t *testing.T) {
	e := newEnv(t, keyExpiryOptions, func(o *service.Options) { o.APIKeyMaxLifetime = 90 * day })
	tooLate := e.clock.Now().Add(91 * day)
	_, _, err := e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "forever", Roles: []string{userdb.RoleSuperAdmin}, ExpiresAt: &tooLate})
	wantErr(t, "an expiry beyond max_lifetime", err, userdb.EINVALID, "expiresAt")
	if keys, _ := e.store.FindAPIKeys(context.Background(), ""); len(keys) != 0 {
		t.Fatalf("a refused key was stored: %+v", keys)
	}
	dflt, _, err := e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "default", Roles: []string{userdb.RoleSuperAdmin}})
	if err != nil || dflt.ExpiresAt == nil || !dflt.ExpiresAt.Equal(e.clock.Now().Add(90*day)) {
		t.Fatalf("a key without expiry: %+v, %v; want it to expire in 90 days", dflt, err)
	}
	ends := e.clock.Now().Add(10 * day)
	k, secret, err := e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "short", Roles: []string{userdb.RoleSuperAdmin}, ExpiresAt: &ends})
	if err != nil {
		t.Fatal(err)
	}
	for range 9 {
		e.clock.Add(day)
		keyWorks(t, "a key before its expiry", e.svc, secret)
	}
	e.clock.Add(day)
	keyRefused(t, "a key at its expiry", e.svc, secret, "expired on "+ends.Format("2006-01-02 15:04 UTC"))
	if ev := e.events("apikey.expired", nil); len(ev) != 1 || ev[0].Details["reason"] != "expires_at" || ev[0].Details["key_id"] != k.ID {
		t.Fatalf("apikey.expired events %+v", ev)
	}
}

// TestASVS_2_10_1_WarningSentOnce: the key's creator is emailed 7 days
// before either expiry, once, though two nodes run the job at once and
// again later; the job records the expiry of a key nobody used; a key used
// after its warning is warned again when idle again.
func TestASVS_2_10_1_WarningSentOnce(t *testing.T) {
	e := newEnv(t, keyExpiryOptions)
	b := e.node(keyExpiryOptions)
	boss := e.user("", "boss@example.com", "a long enough secret 1", userdb.RoleSuperAdmin)
	idle, secret, err := e.svc.AdminCreateAPIKey(e.as(boss), service.NewAPIKey{Name: "idle bot", Roles: []string{userdb.RoleSuperAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	ends := e.clock.Now().Add(20 * day)
	ending, endingSecret, err := e.svc.AdminCreateAPIKey(e.as(boss), service.NewAPIKey{Name: "ending bot", Roles: []string{userdb.RoleSuperAdmin}, ExpiresAt: &ends})
	if err != nil {
		t.Fatal(err)
	}
	sweep := func() int {
		t.Helper()
		var wg sync.WaitGroup
		var n [2]int
		var errs [2]error
		for i, svc := range []*service.Service{e.svc, b} {
			wg.Go(func() { n[i], errs[i] = svc.SweepAPIKeys(context.Background()) })
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		return n[0] + n[1]
	}
	warnings := func(name string) []*userdb.OutboxEmail {
		t.Helper()
		var out []*userdb.OutboxEmail
		for _, m := range e.emails("boss@example.com", service.EmailAPIKeyExpiring) {
			if strings.Contains(m.Text, `"`+name+`"`) {
				out = append(out, m)
			}
		}
		return out
	}

	// Day 13: the absolute expiry of the ending bot is 7 days away.
	e.clock.Add(13*day - time.Minute)
	if n := sweep(); n != 0 || len(warnings("ending bot")) != 0 {
		t.Fatalf("%d warnings more than 7 days before the expiry", n)
	}
	e.clock.Add(time.Minute)
	if n := sweep(); n != 1 {
		t.Fatalf("two nodes sent %d warnings 7 days before the absolute expiry, want 1", n)
	}
	keyWorks(t, "the warned key", e.svc, endingSecret) // a use does not bring its warning back
	if n := sweep(); n != 0 {
		t.Fatalf("%d more warnings of one absolute expiry", n)
	}
	if m := warnings("ending bot"); len(m) != 1 || !strings.Contains(m[0].Text, "expires on 21 March 2026 at 12:00 UTC") {
		t.Fatalf("absolute expiry warnings %+v", m)
	}

	// Day 23: the idle bot's inactivity expiry is 7 days away; the ending
	// bot's expiry has passed, and the job records it.
	e.clock.Add(10 * day)
	if n := sweep(); n != 1 {
		t.Fatalf("two nodes sent %d warnings 7 days before the inactivity expiry, want 1", n)
	}
	sweep()
	m := warnings("idle bot")
	if len(m) != 1 || !strings.Contains(m[0].Text, "has not been used since it was created") || !strings.Contains(m[0].Text, "31 March 2026") {
		t.Fatalf("inactivity warnings %+v, want one naming the day it stops", m)
	}
	ev := e.events("apikey.expiry_warned", nil)
	if len(ev) != 2 || ev[0].Details["notified"] != true || ev[0].Details["reason"] != "inactivity" || ev[1].Details["reason"] != "expires_at" {
		t.Fatalf("apikey.expiry_warned events %+v", ev)
	}
	if ev := e.events("apikey.expired", nil); len(ev) != 1 || ev[0].Details["key_id"] != ending.ID {
		t.Fatalf("apikey.expired events %+v, want the ending bot's", ev)
	}

	// Used after the warning: warned again 23 days after that use.
	e.clock.Add(time.Hour)
	keyWorks(t, "the warned key", e.svc, secret)
	e.clock.Add(23 * day)
	if n := sweep(); n != 1 || len(warnings("idle bot")) != 2 {
		t.Fatalf("%d warnings of a key idle again after its warning, want 1", n)
	}
	// And, unused, it expires: the job records it once.
	e.clock.Add(7 * day)
	sweep()
	sweep()
	if ev := e.events("apikey.expired", nil); len(ev) != 2 || ev[0].Details["key_id"] != idle.ID {
		t.Fatalf("apikey.expired events %+v, want the idle key's too", ev)
	}
	keyRefused(t, "the key the job expired", e.svc, secret, "not used for 30 days")
}
