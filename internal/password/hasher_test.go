package password_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/timingtest"
)

// cheap are argon2id parameters that hash in well under a millisecond.
var cheap = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

const staple = "correct horse battery staple"

// Hashes made by other systems, pasted as constants.
const (
	// Node's bcryptjs 2.4: bcrypt.hashSync(staple, 10).
	bcryptjs10 = "$2a$10$5ffeeS7ojvQj0ECWs0h89ejEFh5DFlCU9gifQX8HGpfimj0SE5QVm"
	// Node's bcryptjs 2.4: bcrypt.hashSync("x".repeat(72) + "tail-ignored", 4).
	bcryptjs72 = "$2a$04$y9XT9rixZtCbYe3H4U3EJOEOi8trXL4O0K9vd6jnzYU/eiXJo5XaG"
	// The argon2 reference implementation's test vectors (src/test.c and
	// kats), password "password", salt "somesalt".
	argon2RefM64MiB = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	argon2RefM256   = "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	argon2RefM256P2 = "$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc"
	// passlib's documentation example for scrypt, password "password"
	// (checked with Python's hashlib.scrypt).
	scryptPasslib = "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E"
	// Python's hashlib.scrypt(staple, salt=bytes.fromhex("a1b2...8f90"), n=1024, r=8, p=1, dklen=32).
	scryptPython = "$scrypt$ln=10,r=8,p=1$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"
	// Python's hashlib.pbkdf2_hmac("sha256", staple, salt, 29000), in
	// passlib's format with adapted base64 (the salt's "." is a "+").
	pbkdf2Passlib = "$pbkdf2-sha256$29000$Ox98LppA2FVhqgw.fxK51A$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0"
	// Python's hashlib, encoded as Django's PBKDF2PasswordHasher does:
	// base64(pbkdf2_hmac("sha256", staple, b"Xq3VnB8kLr2MwT6yHc9ZpE", 20000)).
	pbkdf2Django = "pbkdf2_sha256$20000$Xq3VnB8kLr2MwT6yHc9ZpE$k2+AxtY4w0SLCsir2Q7eLvS55hW9AqqraUqHWenSYfs="
)

func TestVerifyKnownHashes(t *testing.T) {
	t.Parallel()
	generated, err := bcrypt.GenerateFromPassword([]byte(staple), 10)
	if err != nil {
		t.Fatal(err)
	}
	x72 := strings.Repeat("x", 72)
	tests := []struct {
		name, encoded, password, wrong string
		rehash                         bool
	}{
		{"bcrypt generated here", string(generated), staple, "correct horse battery stapler", true},
		{"bcryptjs 2a", bcryptjs10, staple, "Correct horse battery staple", true},
		{"bcryptjs as 2b", "$2b$" + bcryptjs10[4:], staple, "", true},
		{"bcryptjs as PHP's 2y", "$2y$" + bcryptjs10[4:], staple, "", true},
		{"bcrypt uses 72 bytes", bcryptjs72, x72, strings.Repeat("x", 71), true},
		{"bcrypt ignores bytes after 72", bcryptjs72, x72 + "anything else", "", true},
		{"argon2id reference 64 MiB", argon2RefM64MiB, "password", "passwore", true},
		{"argon2id reference same params", argon2RefM256, "password", "Password", false},
		{"argon2id reference 2 lanes", argon2RefM256P2, "password", "", true},
		{"scrypt passlib", scryptPasslib, "password", "", true},
		{"scrypt python", scryptPython, staple, "correct horse", true},
		{"pbkdf2 passlib", pbkdf2Passlib, staple, staple + " ", true},
		{"pbkdf2 django", pbkdf2Django, staple, "", true},
	}
	// The parameters of argon2RefM256, so that hash needs no rehash.
	h := password.NewHasher(password.Params{Memory: 256, Iterations: 2, Parallelism: 1, SaltLen: 8, KeyLen: 32}, 0, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(t.Context(), tt.password, tt.encoded)
			if !ok || rehash != tt.rehash || err != nil {
				t.Errorf("Verify(right password) = %v, %v, %v; want true, %v, nil", ok, rehash, err, tt.rehash)
			}
			if got := h.NeedsRehash(tt.encoded); got != tt.rehash {
				t.Errorf("NeedsRehash = %v, want %v", got, tt.rehash)
			}
			if tt.wrong == "" {
				return
			}
			ok, rehash, err = h.Verify(t.Context(), tt.wrong, tt.encoded)
			if ok || rehash || err != nil {
				t.Errorf("Verify(wrong password) = %v, %v, %v; want false, false, nil", ok, rehash, err)
			}
		})
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 0, 0)
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	ctx := t.Context()

	a, err := h.Hash(ctx, staple)
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Hash(ctx, staple)
	if err != nil {
		t.Fatal(err)
	}
	if !phc.MatchString(a) {
		t.Errorf("Hash = %q, not an argon2id PHC string with the hasher's params", a)
	}
	if a == b {
		t.Errorf("two hashes of one password are equal (%q): the salt is not random", a)
	}
	if ok, rehash, err := h.Verify(ctx, staple, a); !ok || rehash || err != nil {
		t.Errorf("Verify(own hash) = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
	if ok, _, err := h.Verify(ctx, staple+"!", a); ok || err != nil {
		t.Errorf("Verify(wrong password, own hash) = %v, %v; want false, nil", ok, err)
	}
	if h.NeedsRehash(a) {
		t.Error("NeedsRehash(own hash) = true")
	}
}

func TestHashDefaultParams(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(password.DefaultParams(), 1, 0)
	got, err := h.Hash(t.Context(), staple)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("Hash = %q, want OWASP's m=19456,t=2,p=1", got)
	}
}

func TestVerifyOtherParamsNeedsRehash(t *testing.T) {
	t.Parallel()
	old := password.NewHasher(cheap, 0, 0)
	encoded, err := old.Hash(t.Context(), staple)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*password.Params)
	}{
		{"memory", func(p *password.Params) { p.Memory = 128 }},
		{"iterations", func(p *password.Params) { p.Iterations = 2 }},
		{"parallelism", func(p *password.Params) { p.Parallelism = 2 }},
		{"salt length", func(p *password.Params) { p.SaltLen = 32 }},
		{"key length", func(p *password.Params) { p.KeyLen = 64 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := cheap
			tt.change(&p)
			h := password.NewHasher(p, 0, 0)
			ok, rehash, err := h.Verify(t.Context(), staple, encoded)
			if !ok || !rehash || err != nil {
				t.Errorf("Verify = %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			if !h.NeedsRehash(encoded) {
				t.Error("NeedsRehash = false, want true")
			}
		})
	}
}

func TestVerifyUnusableHash(t *testing.T) {
	t.Parallel()
	const salt, key = "c29tZXNhbHQ", "nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4"
	argon := func(version, params string) string {
		return "$argon2id$" + version + "$" + params + "$" + salt + "$" + key
	}
	tests := []struct{ name, encoded string }{
		{"empty", ""},
		{"plain text", "password"},
		{"unknown algorithm", "$1$saltsalt$qjXMvbEw8oaL.CzflDugX/"},
		{"too long", "$argon2id$v=19$m=256,t=2,p=1$" + strings.Repeat("A", 600)},
		{"argon2i", "$argon2i$v=19$m=256,t=2,p=1$" + salt + "$" + key},
		{"argon2id version 16", argon("v=16", "m=256,t=2,p=1")},
		{"argon2id without version", "$argon2id$m=256,t=2,p=1$" + salt + "$" + key},
		{"argon2id missing key", "$argon2id$v=19$m=256,t=2,p=1$" + salt},
		{"argon2id params out of order", argon("v=19", "t=2,m=256,p=1")},
		{"argon2id params missing", argon("v=19", "m=256,t=2")},
		{"argon2id params extra", argon("v=19", "m=256,t=2,p=1,x=1")},
		{"argon2id negative", argon("v=19", "m=-256,t=2,p=1")},
		{"argon2id no passes", argon("v=19", "m=256,t=0,p=1")},
		{"argon2id no lanes", argon("v=19", "m=256,t=2,p=0")},
		{"argon2id 256 lanes", argon("v=19", "m=4096,t=2,p=256")},
		{"argon2id memory below 8 KiB per lane", argon("v=19", "m=8,t=2,p=2")},
		{"argon2id memory above 1 GiB", argon("v=19", "m=2097152,t=1,p=1")},
		{"argon2id memory times passes too high", argon("v=19", "m=1048576,t=5,p=1")},
		{"argon2id memory above 32 bits", argon("v=19", "m=4294967296,t=1,p=1")},
		{"argon2id bad base64", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$not*base64"},
		{"argon2id padded base64", "$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ=$" + key},
		{"argon2id key too short", "$argon2id$v=19$m=256,t=2,p=1$" + salt + "$AAAAAAAAAAA"},
		{"bcrypt 2x", "$2x$" + bcryptjs10[4:]},
		{"bcrypt truncated", bcryptjs10[:59]},
		{"bcrypt bad character", bcryptjs10[:59] + "*"},
		{"bcrypt cost 17", "$2a$17$" + bcryptjs10[7:]},
		{"bcrypt cost 31", "$2a$31$" + bcryptjs10[7:]},
		{"bcrypt cost not a number", "$2a$1x$" + bcryptjs10[7:]},
		{"scrypt N above 2^20", "$scrypt$ln=21,r=8,p=1$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"},
		{"scrypt work too high", "$scrypt$ln=20,r=8,p=2$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"},
		{"scrypt huge r and p", "$scrypt$ln=1,r=4294967295,p=4294967295$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"},
		{"scrypt r zero", "$scrypt$ln=10,r=0,p=1$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"},
		{"scrypt N of 1", "$scrypt$ln=0,r=8,p=1$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"},
		{"scrypt missing key", "$scrypt$ln=10,r=8,p=1$obLD1OX2BxgpOktcbX6PkA"},
		{"scrypt params missing", "$scrypt$ln=10,r=8$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy/Fs"},
		{"scrypt adapted base64", "$scrypt$ln=10,r=8,p=1$obLD1OX2BxgpOktcbX6PkA$NMakVMXSm3UR2bYZWthn0Mt2aQFCGAUN6BoDlZXy.Fs"},
		{"pbkdf2 iterations above 10 million", "$pbkdf2-sha256$10000001$Ox98LppA2FVhqgw.fxK51A$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0"},
		{"pbkdf2 no iterations", "$pbkdf2-sha256$0$Ox98LppA2FVhqgw.fxK51A$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0"},
		{"pbkdf2 iterations not a number", "$pbkdf2-sha256$lots$Ox98LppA2FVhqgw.fxK51A$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0"},
		{"pbkdf2 standard base64", "$pbkdf2-sha256$29000$Ox98LppA2FVhqgw+fxK51A$sz103SEc1T67GFQ4e7dIsvAIT9Z9/NZ6CT0/f9/17i0"},
		{"pbkdf2 key too long", "$pbkdf2-sha256$29000$Ox98LppA2FVhqgw.fxK51A$" + strings.Repeat("A", 100)},
		{"django missing salt", "pbkdf2_sha256$20000$k2+AxtY4w0SLCsir2Q7eLvS55hW9AqqraUqHWenSYfs="},
		{"django unpadded key", strings.TrimSuffix(pbkdf2Django, "=")},
	}
	h := password.NewHasher(cheap, 0, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ok, rehash, err := h.Verify(t.Context(), "password", tt.encoded)
			if ok || rehash || !userdb.IsCode(err, userdb.EINTERNAL) {
				t.Errorf("Verify = %v, %v, %v; want false, false, an internal error", ok, rehash, err)
			}
			if msg := userdb.ErrorMessage(err); strings.Contains(msg, "password") || strings.Contains(msg, "hash") {
				t.Errorf("the caller-safe message %q tells about the stored hash", msg)
			}
			if !h.NeedsRehash(tt.encoded) {
				t.Error("NeedsRehash = false, want true")
			}
		})
	}
}

func TestVerifyHugePassword(t *testing.T) {
	t.Parallel()
	huge := strings.Repeat("p", 1<<20)
	h := password.NewHasher(cheap, 0, 0)
	encoded, err := h.Hash(t.Context(), huge)
	if err != nil {
		t.Fatal(err)
	}
	for _, enc := range []string{encoded, bcryptjs10, scryptPython, pbkdf2Passlib, pbkdf2Django} {
		ok, _, err := h.Verify(t.Context(), huge, enc)
		if want := enc == encoded; ok != want || err != nil {
			t.Errorf("Verify(1 MiB password, %.20s...) = %v, %v; want %v, nil", enc, ok, err, want)
		}
	}
}

// TestUnusableHashTakesAsLong checks that answering for a malformed hash or
// an unknown user costs about as much as a real argon2id verification: each
// path is timed against a real verification in pairs, and fails when the
// pairs show it more than 3 times faster or slower (internal/timingtest's
// rule, at a false-alarm probability of 0.1%: 14 pairs of 15). A path that
// skipped the hash would be a hundred times faster in every pair; load from
// other tests falls on both members of a pair alike. It does not run in
// parallel with this package's other tests, to time quietly.
func TestUnusableHashTakesAsLong(t *testing.T) {
	p := password.Params{Memory: 4 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	h := password.NewHasher(p, 1, 0)
	ctx := t.Context()
	stored, err := h.Hash(ctx, staple)
	if err != nil {
		t.Fatal(err)
	}
	timed := func(f func()) func() time.Duration {
		return func() time.Duration {
			start := time.Now()
			f()
			return time.Since(start)
		}
	}
	real := timed(func() { h.Verify(ctx, "wrong", stored) })
	paths := []struct {
		name string
		f    func()
	}{
		{"malformed hash", func() { h.Verify(ctx, "wrong", "$argon2id$v=19$garbage") }},
		{"unknown format", func() { h.Verify(ctx, "wrong", "not a hash") }},
		{"dummy verify", func() { h.DummyVerify(ctx, "wrong") }},
	}
	const ratio, alpha = 3, 0.001
	for _, p := range paths {
		pairs := timingtest.Compare(15, timed(p.f), real)
		t.Logf("%s (a) against a real verification (b): %s", p.name, pairs.String(ratio, alpha))
		if pairs.Differ(ratio, alpha) {
			t.Errorf("%s does not take about as long as a real verification", p.name)
		}
	}
}

func TestConcurrentHashes(t *testing.T) {
	t.Parallel()
	const workers, n = 2, 1000
	h := password.NewHasher(cheap, workers, 0)
	ctx := t.Context()

	stop := make(chan struct{})
	maxRunning, maxQueued := make(chan int), make(chan int)
	go func() {
		var r, q int
		for {
			select {
			case <-stop:
				maxRunning <- r
				maxQueued <- q
				return
			default:
				r, q = max(r, h.Running()), max(q, h.Queued())
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			if _, err := h.Hash(ctx, staple); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Errorf("Hash under load: %v", err)
	}
	if r := <-maxRunning; r > workers || r == 0 {
		t.Errorf("up to %d hashes ran at once, want 1 to %d", r, workers)
	}
	if q := <-maxQueued; q == 0 {
		t.Error("no request ever waited: the load did not exercise the queue")
	}
	if h.Running() != 0 || h.Queued() != 0 {
		t.Errorf("after the load Running = %d, Queued = %d; want 0, 0", h.Running(), h.Queued())
	}
}

func TestHashCancelled(t *testing.T) {
	t.Parallel()
	h := password.NewHasher(cheap, 1, 0)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Hash(ctx, staple); err != context.Canceled {
		t.Errorf("Hash(cancelled ctx) error = %v, want context.Canceled", err)
	}
	if _, _, err := h.Verify(ctx, staple, bcryptjs10); err != context.Canceled {
		t.Errorf("Verify(cancelled ctx) error = %v, want context.Canceled", err)
	}
}

func TestParamsValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*password.Params)
		valid  bool
	}{
		{"default", func(*password.Params) {}, true},
		{"RFC 9106 second choice", func(p *password.Params) { p.Memory, p.Iterations, p.Parallelism = 64*1024, 3, 4 }, true},
		{"no passes", func(p *password.Params) { p.Iterations = 0 }, false},
		{"no lanes", func(p *password.Params) { p.Parallelism = 0 }, false},
		{"memory below 8 KiB per lane", func(p *password.Params) { p.Memory, p.Parallelism = 31, 4 }, false},
		{"memory above 1 GiB", func(p *password.Params) { p.Memory = 1<<20 + 1 }, false},
		{"memory times passes too high", func(p *password.Params) { p.Memory, p.Iterations = 1<<20, 5 }, false},
		{"salt too short", func(p *password.Params) { p.SaltLen = 7 }, false},
		{"salt too long", func(p *password.Params) { p.SaltLen = 65 }, false},
		{"key too short", func(p *password.Params) { p.KeyLen = 15 }, false},
		{"key too long", func(p *password.Params) { p.KeyLen = 65 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := password.DefaultParams()
			tt.change(&p)
			err := p.Validate()
			if tt.valid && err != nil || !tt.valid && !userdb.IsCode(err, userdb.EINVALID) {
				t.Errorf("Validate() = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

func TestNewHasherPanicsOnInvalidParams(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("NewHasher with zero Params did not panic")
		}
	}()
	password.NewHasher(password.Params{}, 1, 1)
}

func BenchmarkHashArgon2idDefault(b *testing.B) {
	h := password.NewHasher(password.DefaultParams(), 1, 0)
	ctx := b.Context()
	for b.Loop() {
		if _, err := h.Hash(ctx, staple); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyBcrypt10(b *testing.B) {
	h := password.NewHasher(password.DefaultParams(), 1, 0)
	ctx := b.Context()
	for b.Loop() {
		if ok, _, err := h.Verify(ctx, staple, bcryptjs10); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
