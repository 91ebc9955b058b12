package service_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// TestAPIKeys: a key's secret is shown once and stored as its hash; it
// authenticates as an actor with the key's roles and reach (a global
// super-admin key every account, an account's admin key that account);
// revoked and disabled-account keys get the one answer, expired keys one
// saying so; the
// last use is written at most once a minute.
func TestAPIKeys(t *testing.T) {
	e := newAuthzEnv(t)
	ctx := context.Background()
	later := e.clock.Now().Add(time.Hour)

	global, globalSecret, err := e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "ci", Roles: []string{userdb.RoleSuperAdmin}, ExpiresAt: &later})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := e.store.FindAPIKeyByID(ctx, global.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored.KeyHash, userdb.HashSecret(globalSecret)) || bytes.Contains(stored.KeyHash, []byte(globalSecret)) {
		t.Fatal("the stored key is not the hash of its secret")
	}
	actor, err := e.svc.AuthenticateAPIKey(ctx, globalSecret)
	if err != nil || actor.KeyID != global.ID || actor.AccountID != "" {
		t.Fatalf("the global key authenticates as %+v, %v", actor, err)
	}
	asKey := func(secret string) context.Context {
		t.Helper()
		a, err := e.svc.AuthenticateAPIKey(ctx, secret)
		if err != nil {
			t.Fatalf("authenticating a key: %v", err)
		}
		return service.WithActor(ctx, a)
	}
	if _, err := e.svc.AdminGetUser(asKey(globalSecret), e.target("globex").ID); err != nil {
		t.Errorf("the global key reading a globex user: %v", err)
	}

	// What a key may carry.
	_, _, err = e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "weak", Roles: []string{userdb.RoleAdmin}})
	wantErr(t, "a global key without super-admin", err, userdb.EINVALID, "roles")
	_, _, err = e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "odd", Account: "acme", Roles: []string{userdb.RoleSuperAdmin}})
	wantErr(t, "an account's key with super-admin", err, userdb.EINVALID, "roles")
	past := e.clock.Now().Add(-time.Second)
	_, _, err = e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "old", Roles: []string{userdb.RoleSuperAdmin}, ExpiresAt: &past})
	wantErr(t, "a key expired already", err, userdb.EINVALID, "expiresAt")

	// An admin's keys: its own account's, admin at most.
	boss := e.as(e.acmeAdmin)
	_, _, err = e.svc.AdminCreateAPIKey(boss, service.NewAPIKey{Name: "escalate", Roles: []string{userdb.RoleSuperAdmin}})
	wantErr(t, "an admin creating a super-admin key", err, userdb.EFORBIDDEN, "")
	_, _, err = e.svc.AdminCreateAPIKey(boss, service.NewAPIKey{Name: "elsewhere", Account: "globex", Roles: []string{userdb.RoleAdmin}})
	wantErr(t, "an acme admin creating a globex key", err, userdb.ENOTFOUND, "")
	acmeKey, acmeSecret, err := e.svc.AdminCreateAPIKey(boss, service.NewAPIKey{Name: "acme ci", Roles: []string{userdb.RoleAdmin}})
	if err != nil || acmeKey.AccountID != e.acme.ID {
		t.Fatalf("an acme admin's key: %+v, %v", acmeKey, err)
	}
	globexKey, _, err := e.svc.AdminCreateAPIKey(sys(), service.NewAPIKey{Name: "globex ci", Account: "globex", Roles: []string{userdb.RoleAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := e.svc.AdminListAPIKeys(boss, "")
	if err != nil || len(keys) != 1 || keys[0].ID != acmeKey.ID {
		t.Fatalf("an acme admin lists %d keys (%v), want its one", len(keys), err)
	}
	err = e.svc.AdminRevokeAPIKey(boss, globexKey.ID)
	wantErr(t, "an acme admin revoking a globex key", err, userdb.ENOTFOUND, "")

	// The account's key acts as an admin of the account.
	keyCtx := asKey(acmeSecret)
	if _, err := e.svc.AdminGetUser(keyCtx, e.target("acme").ID); err != nil {
		t.Errorf("the acme key reading an acme user: %v", err)
	}
	_, err = e.svc.AdminGetUser(keyCtx, e.target("globex").ID)
	wantErr(t, "the acme key reading a globex user", err, userdb.ENOTFOUND, "")

	// Last use: written at the first use, then at most once a minute.
	lastUsed := func(id string) *time.Time {
		k, err := e.store.FindAPIKeyByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return k.LastUsedAt
	}
	first := e.clock.Now()
	if at := lastUsed(acmeKey.ID); at == nil || !at.Equal(first) {
		t.Fatalf("last used %v, want %v", at, first)
	}
	e.clock.Add(59 * time.Second)
	asKey(acmeSecret)
	if at := lastUsed(acmeKey.ID); !at.Equal(first) {
		t.Fatalf("last used %v after a use within the minute, want %v", at, first)
	}
	e.clock.Add(time.Second)
	asKey(acmeSecret)
	if at := lastUsed(acmeKey.ID); !at.Equal(e.clock.Now()) {
		t.Fatalf("last used %v a minute later, want %v", at, e.clock.Now())
	}

	// Every way a key stops working gets the same answer.
	badKey := func(what, secret string) {
		t.Helper()
		_, err := e.svc.AuthenticateAPIKey(ctx, secret)
		if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || userdb.ErrorMessage(err) != "Invalid API key." {
			t.Errorf("%s: %v; want the one answer of a bad key", what, err)
		}
	}
	badKey("an unknown key", strings.Repeat("x", 43))
	e.clock.Set(later)
	if _, err := e.svc.AuthenticateAPIKey(ctx, globalSecret); userdb.ErrorCode(err) != userdb.EUNAUTHORIZED || !strings.Contains(userdb.ErrorMessage(err), "expired") {
		t.Errorf("an expired key: %v; want a 401 saying it expired", err) // its holder learns why
	}
	if _, err := e.svc.AdminSetAccountStatus(e.as(e.super), "acme", userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	badKey("a disabled account's key", acmeSecret)
	if _, err := e.svc.AdminSetAccountStatus(e.as(e.super), "acme", userdb.StatusEnabled); err != nil {
		t.Fatal(err)
	}
	asKey(acmeSecret)
	if err := e.svc.AdminRevokeAPIKey(boss, acmeKey.ID); err != nil {
		t.Fatal(err)
	}
	badKey("a revoked key", acmeSecret)
	if ev := e.events("apikey.revoked", nil); len(ev) != 1 || ev[0].ActorID != e.acmeAdmin.ID {
		t.Errorf("apikey.revoked events %+v", ev)
	}
}
