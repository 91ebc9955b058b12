package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var apiKeyTests = []test{
	{"NotFoundAndConflict", testAPIKeyNotFound},
	{"CreateAndFind", testAPIKeyCreateAndFind},
	{"ListNewestFirst", testFindAPIKeys},
	{"RevokeAndTouch", testAPIKeyRevokeAndTouch},
	{"FindDue", testFindAPIKeysDue},
	{"WarningClaimedOnce", testClaimAPIKeyWarning},
	{"ExpiredOnce", testExpireAPIKey},
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
	wantTimePtr(t, p+"WarnedAt", got.WarnedAt, want.WarnedAt)
	wantTimePtr(t, p+"ExpiredAt", got.ExpiredAt, want.ExpiredAt)
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

// testFindAPIKeysDue: keys about to expire by their ExpiresAt or by
// inactivity (last use, or creation), live ones only, paged by id.
func testFindAPIKeysDue(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	idle := MustCreateAPIKey(t, s, "", base)        // never used since base
	used := MustCreateAPIKey(t, s, "", base)        // used lately
	MustCreateAPIKey(t, s, "", at(20*24*time.Hour)) // created lately: not due
	revoked := MustCreateAPIKey(t, s, "", base)
	expired := MustCreateAPIKey(t, s, "", base)
	must(t, s.TouchAPIKey(ctx, used.ID, at(20*24*time.Hour)))
	must(t, s.RevokeAPIKey(ctx, revoked.ID, at(time.Hour)))
	if ok, err := s.ExpireAPIKey(ctx, expired.ID, at(time.Hour)); err != nil || !ok {
		t.Fatalf("ExpireAPIKey = %v, %v, want true", ok, err)
	}
	_, hash := userdb.NewSecret()
	ends := &userdb.APIKey{ID: userdb.NewID("key"), Name: "ends", KeyHash: hash, Roles: []string{userdb.RoleAdmin},
		CreatedAt: at(20 * 24 * time.Hour), ExpiresAt: ptr(at(25 * 24 * time.Hour))}
	must(t, s.CreateAPIKey(ctx, ends))

	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	absBefore, idleBefore := at(26*24*time.Hour), at(10*24*time.Hour)
	got, err := s.FindAPIKeysDue(ctx, absBefore, idleBefore, "", 100)
	must(t, err)
	wantSeq(t, "keys due by expiry or inactivity", keyIDs(got), sorted(idle.ID, ends.ID))
	got, err = s.FindAPIKeysDue(ctx, absBefore, time.Time{}, "", 100)
	must(t, err)
	wantSeq(t, "keys due by expiry (inactivity off)", keyIDs(got), []string{ends.ID})
	got, err = s.FindAPIKeysDue(ctx, at(24*24*time.Hour), time.Time{}, "", 100)
	must(t, err)
	wantSeq(t, "keys due before the expiry", keyIDs(got), nil)

	all := sorted(idle.ID, ends.ID)
	first, err := s.FindAPIKeysDue(ctx, absBefore, idleBefore, "", 1)
	must(t, err)
	wantSeq(t, "first page", keyIDs(first), all[:1])
	next, err := s.FindAPIKeysDue(ctx, absBefore, idleBefore, first[0].ID, 1)
	must(t, err)
	wantSeq(t, "second page", keyIDs(next), all[1:])
}

// testClaimAPIKeyWarning: of concurrent claims one wins; a claim after the
// key was used again wins again.
func testClaimAPIKeyWarning(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	k := MustCreateAPIKey(t, s, "", base)
	wins := countWins(t, 8, func() (bool, error) { return s.ClaimAPIKeyWarning(ctx, k.ID, at(time.Hour)) })
	wantEqual(t, "concurrent warning claims won", wins, 1)
	ok, err := s.ClaimAPIKeyWarning(ctx, k.ID, at(2*time.Hour))
	must(t, err)
	wantEqual(t, "claim of a warned key, unused since", ok, false)
	got, err := s.FindAPIKeyByID(ctx, k.ID)
	must(t, err)
	wantTimePtr(t, "WarnedAt", got.WarnedAt, ptr(at(time.Hour)))

	must(t, s.TouchAPIKey(ctx, k.ID, at(3*time.Hour)))
	ok, err = s.ClaimAPIKeyWarning(ctx, k.ID, at(4*time.Hour))
	must(t, err)
	wantEqual(t, "claim after the key was used again", ok, true)
	ok, err = s.ClaimAPIKeyWarning(ctx, "key_missing", at(4*time.Hour))
	must(t, err)
	wantEqual(t, "claim of a missing key", ok, false)
}

// testExpireAPIKey: of concurrent expiries one wins; revoked keys are not
// expired.
func testExpireAPIKey(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	k := MustCreateAPIKey(t, s, "", base)
	wins := countWins(t, 8, func() (bool, error) { return s.ExpireAPIKey(ctx, k.ID, at(time.Hour)) })
	wantEqual(t, "concurrent expiries won", wins, 1)
	got, err := s.FindAPIKeyByHash(ctx, k.KeyHash)
	must(t, err)
	want := *k
	want.ExpiredAt = ptr(at(time.Hour))
	wantAPIKey(t, got, &want)

	revoked := MustCreateAPIKey(t, s, "", base)
	must(t, s.RevokeAPIKey(ctx, revoked.ID, at(time.Minute)))
	ok, err := s.ExpireAPIKey(ctx, revoked.ID, at(time.Hour))
	must(t, err)
	wantEqual(t, "expiry of a revoked key", ok, false)
}
