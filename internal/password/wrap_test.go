package password_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/benchtest"
	"github.com/userdb/userdb/internal/password"
)

// weakHashes returns a hash of staple below OWASP's minimum in every format
// the importer accepts.
func weakHashes(t *testing.T) map[string]string {
	t.Helper()
	b4, err := bcrypt.GenerateFromPassword([]byte(staple), 4)
	if err != nil {
		t.Fatal(err)
	}
	h := password.NewHasher(password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 1, 0)
	argon, err := h.Hash(t.Context(), staple)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"bcrypt cost 4":              string(b4),
		"bcryptjs cost 4 (72 bytes)": bcryptjs72,
		"pbkdf2 passlib 29000":       pbkdf2Passlib,
		"pbkdf2 django 20000":        pbkdf2Django,
		"scrypt ln=10":               scryptPython,
		"scrypt ln=16 (passlib)":     scryptPasslib,
		"argon2id 8 KiB 1 pass":      argon,
	}
}

// passwordOf returns the password a test hash was made of.
func passwordOf(encoded string) string {
	switch encoded {
	case bcryptjs72:
		return strings.Repeat("x", 72)
	case scryptPasslib:
		return "password"
	}
	return staple
}

// TestASVS_2_4_4_WeakImportedHashIsWrapped reproduces the audit's finding:
// an imported bcrypt hash of cost 4 or PBKDF2 of few iterations was stored
// as it came. WrapWeak stores argon2id over it instead: the weak key is
// gone from the stored hash, the right password verifies (and asks for a
// rehash to plain argon2id), a wrong one does not.
func TestASVS_2_4_4_WeakImportedHashIsWrapped(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 2, 0)
	for name, weak := range weakHashes(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pw := passwordOf(weak)
			stored, wrapped, err := h.WrapWeak(t.Context(), weak)
			if err != nil || !wrapped {
				t.Fatalf("WrapWeak = %q, %v, %v; want a wrapped hash", stored, wrapped, err)
			}
			key := weak[strings.LastIndex(weak, "$")+1:]
			if strings.HasPrefix(weak, "$2") {
				key = weak[29:]
			}
			if !strings.HasPrefix(stored, "$wrap$") || strings.Contains(stored, key) {
				t.Fatalf("stored %q still holds the weak key %q", stored, key)
			}
			if err := h.Check(stored); err != nil {
				t.Fatalf("Check(wrapped) = %v", err)
			}
			ok, rehash, err := h.Verify(t.Context(), pw, stored)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify(right password) = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			// Neither the legacy hash nor its key is a password: whoever
			// holds the old database cannot pass the hash.
			for _, wrong := range []string{pw[:len(pw)-1], "", strings.ToUpper(pw), weak, key} {
				if ok, _, err := h.Verify(t.Context(), wrong, stored); ok || err != nil {
					t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
				}
			}
			// A sign-in rehashes to plain argon2id, which needs nothing more.
			again, err := h.Hash(t.Context(), pw)
			if err != nil || h.NeedsRehash(again) || strings.HasPrefix(again, "$wrap$") {
				t.Errorf("rehash = %q, %v", again, err)
			}
			if !h.Wraps(stored, weak) {
				t.Error("Wraps(stored, weak) = false")
			}
		})
	}
}

// TestASVS_2_4_4_StrongImportedHashIsKept: hashes at or above OWASP's
// minimum are stored as they came, and rehashed at sign-in as before.
func TestASVS_2_4_4_StrongImportedHashIsKept(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 2, 0)
	for _, strong := range []string{bcryptjs10, argon2RefM64MiB} {
		stored, wrapped, err := h.WrapWeak(t.Context(), strong)
		if stored != strong || wrapped || err != nil {
			t.Errorf("WrapWeak(%s) = %q, %v, %v; want it unchanged", strong, stored, wrapped, err)
		}
	}
	b4, _ := bcrypt.GenerateFromPassword([]byte(staple), 4)
	if h.Wraps(bcryptjs10, string(b4)) {
		t.Error("Wraps(another hash) = true")
	}
}

// TestASVS_2_4_3_AbsurdParametersRefused: hashes with costs no system
// should have, or that would stall the pool at each sign-in, are refused
// with a message that says which bound they cross.
func TestASVS_2_4_3_AbsurdParametersRefused(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 1, 0)
	longSalt := strings.Repeat("A", 100)
	tests := []struct{ name, encoded, want string }{
		{"bcrypt cost 17", "$2a$17$" + bcryptjs10[7:], "bcrypt cost 17 is above the limit of 16"},
		{"bcrypt cost 3", "$2a$03$" + bcryptjs10[7:], "bcrypt cost 3 is below"},
		{"pbkdf2 0 iterations", "$pbkdf2-sha256$0$Ox98LppA2FVhqgw.fxK51A$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0", "iterations 0 outside 1 to 10000000"},
		{"pbkdf2 20 million iterations", "pbkdf2_sha256$20000000$salt$k2+AxtY4w0SLCsir2Q7eLvS55hW9AqqraUqHWenSYfs=", "iterations 20000000 outside"},
		{"django salt 100 bytes", "pbkdf2_sha256$1000$" + longSalt + "$k2+AxtY4w0SLCsir2Q7eLvS55hW9AqqraUqHWenSYfs=", "salt longer than 64 bytes"},
		{"passlib salt 75 bytes", "$pbkdf2-sha256$1000$" + longSalt + "$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0", "salt longer than 64 bytes"},
		{"scrypt 2 GiB", "$scrypt$ln=21,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E", "scrypt N×r×p outside"},
		{"unknown pepper", "$argon2id$v=19$m=64,t=1,p=1,pepper=gone$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4", `pepper "gone", which is not configured`},
		{"md5", "5f4dcc3b5aa765d61d8327deb882cf99", "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := h.WrapWeak(t.Context(), tt.encoded)
			if !userdb.IsCode(err, userdb.EINVALID) || !strings.Contains(userdb.ErrorMessage(err), tt.want) {
				t.Errorf("WrapWeak = %v; want EINVALID with %q", err, tt.want)
			}
			if err := h.Check(tt.encoded); err == nil {
				t.Error("Check accepted it")
			}
		})
	}
}

// TestASVS_2_4_4_WrapGoesThroughPool: wrapping is an argon2id computation
// like a sign-in's, so it waits for the pool and is refused when the queue
// is full instead of running beside it.
func TestASVS_2_4_4_WrapGoesThroughPool(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 1, 1)
	before := h.Computed()
	if _, _, err := h.WrapWeak(t.Context(), pbkdf2Passlib); err != nil {
		t.Fatal(err)
	}
	if h.Computed() != before+1 {
		t.Errorf("Computed went from %d to %d; want one hash through the pool", before, h.Computed())
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, _, err := h.WrapWeak(ctx, pbkdf2Passlib); !errors.Is(err, context.Canceled) {
		t.Errorf("WrapWeak(ended ctx) = %v; want context.Canceled", err)
	}
}

// TestWrappedHashTampered: a wrapped hash whose stub or argon2id part was
// edited is unusable or fails, never verifies.
func TestWrappedHashTampered(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 1, 0)
	stored, _, err := h.WrapWeak(t.Context(), pbkdf2Passlib)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{
		strings.Replace(stored, "$29000$", "$29001$", 1),     // another iteration count
		strings.Replace(stored, "$len=32$", "$len=31$", 1),   // another key length
		strings.Replace(stored, "$len=32$", "$len=9999$", 1), // out of bounds
		strings.Replace(stored, "pbkdf2-sha256", "md5", 1),   // unknown inner format
		strings.TrimSuffix(stored, stored[len(stored)-4:]),   // truncated key
		"$wrap$" + pbkdf2Passlib[1:],                         // no argon2id part
	} {
		if ok, _, _ := h.Verify(t.Context(), staple, bad); ok {
			t.Errorf("Verify(%q) = true", bad)
		}
	}
}

// TestWrappedHashWithWeakLayerRefused: a wrapped hash from elsewhere whose
// argon2id layer is below the minimum is refused at import (its weak part
// cannot be wrapped again without the password); one with a strong layer
// is kept.
func TestWrappedHashWithWeakLayerRefused(t *testing.T) {
	t.Parallel()
	weakLayer := password.NewHasher(password.Params{Memory: 8, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 1, 0)
	stored, _, err := weakLayer.WrapWeak(t.Context(), pbkdf2Passlib)
	if err != nil {
		t.Fatal(err)
	}
	h := password.NewHasher(cheap, 1, 0)
	if got, wrapped, err := h.WrapWeak(t.Context(), stored); userdb.ErrorCode(err) != userdb.EINVALID {
		t.Errorf("WrapWeak(a weak layer) = %q, %v, %v; want EINVALID", got, wrapped, err)
	}
	strong, _, err := password.NewHasher(password.DefaultParams(), 1, 0).WrapWeak(t.Context(), pbkdf2Passlib)
	if err != nil {
		t.Fatal(err)
	}
	if got, wrapped, err := h.WrapWeak(t.Context(), strong); got != strong || wrapped || err != nil {
		t.Errorf("WrapWeak(a strong layer) = %q, %v, %v; want it kept", got, wrapped, err)
	}
}

// BenchmarkWrapWeak wraps weak hashes (bcrypt cost 4, as an import of many
// would) on every CPU through one default-parameter hasher, against a
// baseline of the same hasher hashing passwords (a sign-in's rehash, or an
// import with plain passwords), in the same run. Wrapping costs one
// argon2id each: cpu-ratio near 1 says it adds nothing but that, and
// wrapped/s is the throughput an import of weak hashes gets from the pool.
func BenchmarkWrapWeak(b *testing.B) {
	h := password.NewHasher(password.DefaultParams(), 0, 0)
	weak, err := bcrypt.GenerateFromPassword([]byte(staple), 4)
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	m := benchtest.Alternate(b, func() {
		if _, err := h.Hash(ctx, staple); err != nil {
			b.Error(err)
		}
	}, func() {
		if _, ok, err := h.WrapWeak(ctx, string(weak)); !ok || err != nil {
			b.Error(ok, err)
		}
	})
	b.StopTimer()
	b.ReportMetric(m[0].Rate, "hashed/s")
	b.ReportMetric(m[1].Rate, "wrapped/s")
	b.ReportMetric(float64(m[1].CPU)/float64(m[0].CPU), "cpu-ratio")
}
