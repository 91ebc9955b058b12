package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var apiKeyTests = []test{
	{"NotFoundAndConflict", testAPIKeyNotFound},
	{"CreateAndFind", testAPIKeyCreateAndFind},
	{"ListNewestFirst", testFindAPIKeys},
	{"RevokeAndTouch", testAPIKeyRevokeAndTouch},
}

func keyIDs(keys []*userdb.APIKey) []string {
	var ids []string
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

func testAPIKeyNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	_, err := s.FindAPIKeyByID(ctx, "key_missing")
	wantCode(t, "FindAPIKeyByID", err, userdb.ENOTFOUND)
	_, hash := userdb.NewSecret()
	_, err = s.FindAPIKeyByHash(ctx, hash)
	wantCode(t, "FindAPIKeyByHash", err, userdb.ENOTFOUND)
	wantCode(t, "RevokeAPIKey", s.RevokeAPIKey(ctx, "key_missing", base), userdb.ENOTFOUND)

	k := MustCreateAPIKey(t, s, "", base)
	dup := *k
	_, dup.KeyHash = userdb.NewSecret()
	wantCode(t, "CreateAPIKey with a taken ID", s.CreateAPIKey(ctx, &dup), userdb.ECONFLICT)
}

func wantAPIKey(t *testing.T, got, want *userdb.APIKey) {
	t.Helper()
	p := "API key " + want.Name + " "
	wantEqual(t, p+"ID", got.ID, want.ID)
	wantEqual(t, p+"Name", got.Name, want.Name)
	if !bytes.Equal(got.KeyHash, want.KeyHash) {
		t.Errorf("%sKeyHash = %x, want %x", p, got.KeyHash, want.KeyHash)
	}
	wantEqual(t, p+"AccountID", got.AccountID, want.AccountID)
	wantSet(t, p+"Roles", got.Roles, want.Roles)
	wantEqual(t, p+"CreatedBy", got.CreatedBy, want.CreatedBy)
	wantEqual(t, p+"ManageKeys", got.ManageKeys, want.ManageKeys)
	wantTime(t, p+"CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTimePtr(t, p+"ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	wantTimePtr(t, p+"LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	wantTimePtr(t, p+"RevokedAt", got.RevokedAt, want.RevokedAt)
}

func testAPIKeyCreateAndFind(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	creator := MustCreateUser(t, s, userdb.User{Username: "creator"})
	a := MustCreateAccount(t, s, "tenant")
	_, hash := userdb.NewSecret()
	k := &userdb.APIKey{
		ID:         userdb.NewID("key"),
		Name:       "deploy bot",
		KeyHash:    hash,
		AccountID:  a.ID,
		Roles:      []string{"admin", "viewer"},
		CreatedBy:  creator.ID,
		ManageKeys: true,
		CreatedAt:  at(time.Hour),
		ExpiresAt:  ptr(at(48 * time.Hour)),
	}
	must(t, s.CreateAPIKey(ctx, k))
	got, err := s.FindAPIKeyByID(ctx, k.ID)
	must(t, err)
	wantAPIKey(t, got, k)
	got, err = s.FindAPIKeyByHash(ctx, hash)
	must(t, err)
	wantAPIKey(t, got, k)

	global := MustCreateAPIKey(t, s, "", at(2*time.Hour))
	got, err = s.FindAPIKeyByID(ctx, global.ID)
	must(t, err)
	wantAPIKey(t, got, global)
}

func testFindAPIKeys(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "tenant-a")
	b := MustCreateAccount(t, s, "tenant-b")
	k1 := MustCreateAPIKey(t, s, "", at(1*time.Hour))
	k3 := MustCreateAPIKey(t, s, a.ID, at(3*time.Hour))
	k2 := MustCreateAPIKey(t, s, a.ID, at(2*time.Hour))
	k4 := MustCreateAPIKey(t, s, b.ID, at(4*time.Hour))

	got, err := s.FindAPIKeys(ctx, "")
	must(t, err)
	wantSeq(t, "all keys newest first", keyIDs(got), []string{k4.ID, k3.ID, k2.ID, k1.ID})
	got, err = s.FindAPIKeys(ctx, a.ID)
	must(t, err)
	wantSeq(t, "keys of account A newest first", keyIDs(got), []string{k3.ID, k2.ID})
	got, err = s.FindAPIKeys(ctx, "acc_missing")
	must(t, err)
	wantEqual(t, "keys of a missing account", len(got), 0)
}

func testAPIKeyRevokeAndTouch(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	k := MustCreateAPIKey(t, s, "", base)
	other := MustCreateAPIKey(t, s, "", at(time.Minute))

	must(t, s.TouchAPIKey(ctx, k.ID, at(time.Hour)))
	must(t, s.TouchAPIKey(ctx, k.ID, at(2*time.Hour)))
	must(t, s.RevokeAPIKey(ctx, k.ID, at(3*time.Hour)))
	want := *k
	want.LastUsedAt, want.RevokedAt = ptr(at(2*time.Hour)), ptr(at(3*time.Hour))
	got, err := s.FindAPIKeyByID(ctx, k.ID)
	must(t, err)
	wantAPIKey(t, got, &want)
	got, err = s.FindAPIKeyByHash(ctx, k.KeyHash)
	must(t, err)
	wantAPIKey(t, got, &want)

	keys, err := s.FindAPIKeys(ctx, "")
	must(t, err)
	wantSeq(t, "keys listed after revoking", keyIDs(keys), []string{other.ID, k.ID})
	got, err = s.FindAPIKeyByID(ctx, other.ID)
	must(t, err)
	wantAPIKey(t, got, other)
}
