package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"github.com/userdb/userdb"
)

// wrapPrefix starts a wrapped hash: a weak imported hash whose key went
// through argon2id at import (ASVS 2.4.3, 2.4.4). The format is
//
//	$wrap$<legacy stub>$argon2id$v=19$m=..,t=..,p=..[,pepper=ID]$<salt>$<key>
//
// where the legacy stub is the imported hash without its leading "$" and
// with its key replaced by "len=<bytes>" (bcrypt: its version, cost and
// salt, "2b$04$<22 characters>"). The argon2id part is computed over the
// imported key, so verifying a password computes the legacy key first, with
// the recorded algorithm, cost and salt, then argon2id over it. The weak
// key itself is no longer stored, and a sign-in replaces the whole with a
// plain argon2id hash of the password.
const wrapPrefix = "$wrap$"

// legacy is a stored hash whose key can be recomputed from a password: the
// inner layer of a wrapped hash.
type legacy interface {
	hash
	// derive returns the key the hash would hold for password (nil if it
	// cannot be computed, which matches nothing).
	derive(password string) []byte
	// storedKey returns the key the hash holds.
	storedKey() []byte
	// weak reports whether the hash is below OWASP's minimum cost for its
	// algorithm (formats.go).
	weak() bool
}

var (
	_ legacy = bcryptHash(nil)
	_ legacy = (*pbkdf2Hash)(nil)
	_ legacy = (*scryptHash)(nil)
	_ legacy = (*argon2idHash)(nil)
)

type wrappedHash struct {
	inner legacy
	outer *argon2idHash
}

func (w *wrappedHash) verify(password string) bool {
	return subtle.ConstantTimeCompare(w.outer.deriveBytes(w.inner.derive(password)), w.outer.key) == 1
}

// parseWrapped parses a wrapped hash: its argon2id part and its legacy stub,
// which must be a hash this package verifies (with the same bounds) once a
// placeholder key of the recorded length is put back.
func parseWrapped(s string) (hash, error) {
	body := strings.TrimPrefix(s, wrapPrefix)
	i := strings.LastIndex(body, "$argon2id$")
	if i < 0 {
		return nil, malformed("wrapped")
	}
	outer, err := parseArgon2id(body[i:])
	if err != nil {
		return nil, err
	}
	enc, ok := legacyFromStub(body[:i])
	if !ok {
		return nil, malformed("wrapped")
	}
	inner, err := parseHash(enc)
	if err != nil {
		return nil, err
	}
	l, ok := inner.(legacy)
	if a, isArgon := inner.(*argon2idHash); !ok || (isArgon && a.pepperID != "") {
		return nil, malformed("wrapped")
	}
	return &wrappedHash{inner: l, outer: outer.(*argon2idHash)}, nil
}

// legacyFromStub rebuilds a parseable legacy hash from a stub, with a key
// of zeros of the recorded length.
func legacyFromStub(stub string) (string, bool) {
	for _, v := range []string{"2a$", "2b$", "2y$"} {
		if strings.HasPrefix(stub, v) {
			return "$" + stub + strings.Repeat(".", 31), len(stub) == 28
		}
	}
	j := strings.LastIndex(stub, "$len=")
	if j < 0 {
		return "", false
	}
	n, err := strconv.Atoi(stub[j+len("$len="):])
	if err != nil || n < minKeyLen || n > maxKeyLen {
		return "", false
	}
	zeros, prefix := make([]byte, n), stub[:j]
	switch {
	case strings.HasPrefix(prefix, "pbkdf2_sha256$"): // Django's has no leading "$"
		return prefix + "$" + base64.StdEncoding.EncodeToString(zeros), true
	case strings.HasPrefix(prefix, "pbkdf2-sha256$"):
		return "$" + prefix + "$" + ab64.EncodeToString(zeros), true
	case strings.HasPrefix(prefix, "scrypt$"), strings.HasPrefix(prefix, "argon2id$"):
		return "$" + prefix + "$" + base64.RawStdEncoding.EncodeToString(zeros), true
	}
	return "", false
}

// stubOf returns the stub of the legacy hash encoded.
func stubOf(encoded string, l legacy) string {
	if _, ok := l.(bcryptHash); ok {
		return encoded[1:29]
	}
	i := strings.LastIndex(encoded, "$")
	return strings.TrimPrefix(encoded[:i], "$") + "$len=" + strconv.Itoa(len(l.storedKey()))
}

// WrapWeak returns encoded as an import should store it. A hash below
// OWASP's minimum cost for its algorithm (bcrypt cost 10, PBKDF2-SHA256
// 600,000 iterations, scrypt N×r×p 2^20, argon2id 7 MiB × 5 passes) comes
// back wrapped in argon2id with the hasher's parameters and current pepper,
// and wrapped reports it; any other hash comes back as it is.
//
// A hash Verify could not use (unknown format, malformed, a cost outside the
// bounds, a salt above 64 bytes, a pepper not configured) is refused with an
// EINVALID error saying why. The argon2id computation runs in the pool like
// any other: ERATELIMITED if the queue is full, or ctx's error.
func (h *Hasher) WrapWeak(ctx context.Context, encoded string) (stored string, wrapped bool, err error) {
	parsed, err := h.parse(encoded)
	if err != nil {
		return "", false, userdb.Errorf(userdb.EINVALID, "%s", strings.TrimPrefix(err.Error(), "password: "))
	}
	if w, ok := parsed.(*wrappedHash); ok && w.outer.weak() {
		// Another instance's wrapping with a weak argon2id layer: the
		// weak part cannot be wrapped again without the password.
		return "", false, userdb.Errorf(userdb.EINVALID, "the argon2id layer of this wrapped hash is below the minimum cost; import the original hash instead")
	}
	l, ok := parsed.(legacy)
	if a, isArgon := parsed.(*argon2idHash); !ok || !l.weak() || (isArgon && a.pepperID != "") {
		return encoded, false, nil
	}
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	var key []byte
	if err := h.run(ctx, func() { key = h.argon2Key(l.storedKey(), salt) }); err != nil {
		return "", false, err
	}
	return wrapPrefix + stubOf(encoded, l) + h.encode(salt, key), true, nil
}

// Wraps reports whether wrapped is the wrapping WrapWeak made of legacy:
// the same algorithm, cost and salt, which a new hash of any password would
// not share. The migration from the Node library uses it to tell a user
// left as it imported it from one whose password changed.
func (h *Hasher) Wraps(wrapped, legacyHash string) bool {
	parsed, err := parseHash(legacyHash)
	l, ok := parsed.(legacy)
	return err == nil && ok && strings.HasPrefix(wrapped, wrapPrefix+stubOf(legacyHash, l)+"$argon2id$")
}

// argon2Key computes the argon2id key of input with h's parameters and
// current pepper.
func (h *Hasher) argon2Key(input, salt []byte) []byte {
	p := h.params
	return argon2.IDKey(withPepper(h.peppers[h.pepperID], input), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLen)
}
