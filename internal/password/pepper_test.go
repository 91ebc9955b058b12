package password_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
)

func pepper(id string, fill byte) password.Pepper {
	return password.Pepper{ID: id, Key: bytes.Repeat([]byte{fill}, 32)}
}

// pepperedHasher returns a cheap hasher with current (nil: none) and previous.
func pepperedHasher(t *testing.T, current *password.Pepper, previous ...password.Pepper) *password.Hasher {
	t.Helper()
	h := password.NewHasher(cheap, 2, 0)
	if err := h.SetPeppers(current, previous); err != nil {
		t.Fatal(err)
	}
	return h
}

func mustHash(t *testing.T, h *password.Hasher, pw string) string {
	t.Helper()
	s, err := h.Hash(t.Context(), pw)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkVerify(t *testing.T, h *password.Hasher, pw, encoded string, wantOK, wantRehash bool) {
	t.Helper()
	ok, rehash, err := h.Verify(t.Context(), pw, encoded)
	if ok != wantOK || rehash != wantRehash || err != nil {
		t.Errorf("Verify(%q, %s) = %v, %v, %v; want %v, %v, nil", pw, encoded, ok, rehash, err, wantOK, wantRehash)
	}
}

// TestASVS_2_4_5_PepperOn: with a pepper, the hash records its id and is
// argon2id over HMAC-SHA256(key, password): it verifies with the key, and
// not with another key under the same id, nor without the key.
func TestASVS_2_4_5_PepperOn(t *testing.T) {
	t.Parallel()
	k1 := pepper("k1", 1)
	h := pepperedHasher(t, &k1)
	stored := mustHash(t, h, staple)
	if !strings.Contains(stored, ",pepper=k1$") {
		t.Fatalf("hash %s does not record the pepper id", stored)
	}
	checkVerify(t, h, staple, stored, true, false)
	checkVerify(t, h, staple+"x", stored, false, false)

	other := pepper("k1", 2) // the same id, another key
	checkVerify(t, pepperedHasher(t, &other), staple, stored, false, false)

	// Without the key the hash cannot be verified: an internal error for
	// the log, and no sign-in.
	ok, _, err := password.NewHasher(cheap, 1, 0).Verify(t.Context(), staple, stored)
	if ok || !userdb.IsCode(err, userdb.EINTERNAL) || !strings.Contains(err.Error(), `pepper "k1"`) {
		t.Errorf("Verify without the pepper = %v, %v; want false and an internal error naming it", ok, err)
	}
}

// TestASVS_2_4_5_PepperRotation: after k2 becomes current, k1's hashes
// verify and ask for a rehash, which records k2; hashes made before any
// pepper do the same.
func TestASVS_2_4_5_PepperRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := pepper("k1", 1), pepper("k2", 2)
	old := mustHash(t, pepperedHasher(t, &k1), staple)
	plain := mustHash(t, password.NewHasher(cheap, 1, 0), staple)

	h := pepperedHasher(t, &k2, k1)
	checkVerify(t, h, staple, old, true, true)
	checkVerify(t, h, staple+"x", old, false, false)
	checkVerify(t, h, staple, plain, true, true)
	checkVerify(t, h, "", plain, false, false)
	fresh := mustHash(t, h, staple)
	if !strings.Contains(fresh, ",pepper=k2$") || h.NeedsRehash(fresh) {
		t.Errorf("rehash %s: want pepper k2 and nothing more to do", fresh)
	}
	if !h.NeedsRehash(old) || !h.NeedsRehash(plain) {
		t.Error("NeedsRehash(k1 or unpeppered hash) = false")
	}
}

// TestASVS_2_4_5_PepperOff: with no current pepper but k1 still listed,
// k1's hashes verify and are rehashed without a pepper.
func TestASVS_2_4_5_PepperOff(t *testing.T) {
	t.Parallel()
	k1 := pepper("k1", 1)
	old := mustHash(t, pepperedHasher(t, &k1), staple)
	h := pepperedHasher(t, nil, k1)
	checkVerify(t, h, staple, old, true, true)
	if fresh := mustHash(t, h, staple); strings.Contains(fresh, "pepper") {
		t.Errorf("hash %s with the pepper off names one", fresh)
	}
}

// TestASVS_2_4_5_PepperedWrap: a weak import wrapped while a pepper is on
// carries the pepper in its argon2id part.
func TestASVS_2_4_5_PepperedWrap(t *testing.T) {
	t.Parallel()
	k1 := pepper("k1", 1)
	h := pepperedHasher(t, &k1)
	stored, wrapped, err := h.WrapWeak(t.Context(), pbkdf2Django)
	if err != nil || !wrapped || !strings.Contains(stored, ",pepper=k1$") {
		t.Fatalf("WrapWeak = %q, %v, %v", stored, wrapped, err)
	}
	checkVerify(t, h, staple, stored, true, true)
	checkVerify(t, h, staple+"x", stored, false, false)
	if ok, _, err := password.NewHasher(cheap, 1, 0).Verify(t.Context(), staple, stored); ok || err == nil {
		t.Errorf("Verify without the pepper = %v, %v", ok, err)
	}
}

func TestSetPeppersRefusesBadKeys(t *testing.T) {
	t.Parallel()
	k1 := pepper("k1", 1)
	for name, tt := range map[string]struct {
		current  *password.Pepper
		previous []password.Pepper
	}{
		"short key":   {&password.Pepper{ID: "k1", Key: make([]byte, 31)}, nil},
		"bad id":      {&password.Pepper{ID: "k,1", Key: make([]byte, 32)}, nil},
		"empty id":    {nil, []password.Pepper{{Key: make([]byte, 32)}}},
		"id twice":    {&k1, []password.Pepper{pepper("k1", 2)}},
		"id too long": {&password.Pepper{ID: strings.Repeat("k", 17), Key: make([]byte, 32)}, nil},
	} {
		if err := password.NewHasher(cheap, 1, 0).SetPeppers(tt.current, tt.previous); !userdb.IsCode(err, userdb.EINVALID) {
			t.Errorf("%s: SetPeppers = %v; want EINVALID", name, err)
		}
	}
}
