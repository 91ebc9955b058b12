package password

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"
)

// Bounds on what Verify accepts from a stored hash. Hashes are imported from
// other systems; without bounds, one hostile or mistaken hash could make each
// sign-in attempt for that user allocate gigabytes or run for minutes, and
// with a few such users stall every worker of the pool.
const (
	maxEncodedLen       = 512      // bytes; no hash of these formats comes near
	minKeyLen           = 16       // shorter keys make a chance match of a wrong password likelier
	maxKeyLen           = 64       // PBKDF2's cost grows with the key length
	maxArgon2Memory     = 1 << 20  // KiB: 1 GiB
	maxArgon2Work       = 1 << 22  // memory × passes in KiB: 1 GiB × 4, or 19 MiB × 215
	maxBcryptCost       = 16       // 2^16 rounds
	maxScryptWork       = 1 << 23  // N × r × p: ln=20,r=8,p=1 uses 1 GiB
	maxPBKDF2Iterations = 10000000 // of HMAC-SHA256
	maxSaltLen          = 64       // bytes; salts longer than this are no safer, only costlier to parse
)

// What counts as weak, from OWASP's Password Storage Cheat Sheet (2023): an
// imported hash below these is wrapped in argon2id when it is imported
// (wrap.go), so the database never holds a hash that is cheap to crack.
const (
	minBcryptCost       = 10
	minPBKDF2Iterations = 600000   // of HMAC-SHA256
	minScryptWork       = 1 << 20  // N × r × p: N=2^17, r=8, p=1
	minArgon2Work       = 7168 * 5 // memory × passes in KiB: 7 MiB × 5, the cheapest OWASP setting
)

// bcryptMaxBytes is how much of a password bcrypt uses; the rest is ignored.
const bcryptMaxBytes = 72

// hash is a stored hash, parsed.
type hash interface {
	// verify reports in constant time whether the hash is password's.
	verify(password string) bool
}

// parseHash recognises the format of encoded and parses it.
func parseHash(encoded string) (hash, error) {
	if len(encoded) > maxEncodedLen {
		return nil, fmt.Errorf("password: stored hash longer than %d bytes", maxEncodedLen)
	}
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		return parseArgon2id(encoded)
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		return parseBcrypt(encoded)
	case strings.HasPrefix(encoded, "$scrypt$"):
		return parseScrypt(encoded)
	case strings.HasPrefix(encoded, "$pbkdf2-sha256$"):
		return parsePasslibPBKDF2(encoded)
	case strings.HasPrefix(encoded, "pbkdf2_sha256$"):
		return parseDjangoPBKDF2(encoded)
	case strings.HasPrefix(encoded, wrapPrefix):
		return parseWrapped(encoded)
	case encoded == "":
		return nil, errors.New("password: stored hash is empty")
	}
	return nil, errors.New("password: stored hash of unknown format")
}

// ab64 is passlib's adapted base64.
var ab64 = base64.NewEncoding("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789./").WithPadding(base64.NoPadding)

type argon2idHash struct {
	memory, iterations uint32
	parallelism        uint8
	salt, key          []byte
	// pepperID names the pepper the password went through (HMAC-SHA256)
	// before argon2id, "" for none; pepperKey is that pepper's key, found
	// by the Hasher before verifying (pepper.go).
	pepperID  string
	pepperKey []byte
}

func parseArgon2id(s string) (hash, error) {
	f := strings.Split(s, "$")
	if len(f) != 6 {
		return nil, malformed("argon2id")
	}
	if v, err := parseParams(f[2], "v"); err != nil || v[0] != argon2.Version {
		return nil, errors.New("password: argon2id hash is not version 19")
	}
	params, pepperID := cutPepperID(f[3])
	c, err := parseParams(params, "m", "t", "p")
	if err != nil || c[2] > 255 || (pepperID != "" && !validPepperID(pepperID)) {
		return nil, malformed("argon2id")
	}
	a := &argon2idHash{memory: c[0], iterations: c[1], parallelism: uint8(c[2]), pepperID: pepperID}
	if err := checkArgon2Cost(a.memory, a.iterations, a.parallelism); err != nil {
		return nil, fmt.Errorf("password: stored %w", err)
	}
	if a.salt, a.key, err = decodeSaltKey(base64.RawStdEncoding, f[4], f[5]); err != nil {
		return nil, malformedBy("argon2id", err)
	}
	return a, nil
}

func (a *argon2idHash) verify(password string) bool {
	return subtle.ConstantTimeCompare(a.derive(password), a.key) == 1
}

// derive computes the key of password with a's salt, cost and pepper.
func (a *argon2idHash) derive(password string) []byte { return a.deriveBytes([]byte(password)) }

func (a *argon2idHash) deriveBytes(input []byte) []byte {
	return argon2.IDKey(withPepper(a.pepperKey, input), a.salt, a.iterations, a.memory, a.parallelism, uint32(len(a.key)))
}

func (a *argon2idHash) storedKey() []byte { return a.key }

// weak: below the cheapest of OWASP's equivalent argon2id settings
// (7 MiB × 5 passes; 19 MiB × 2 is the default here).
func (a *argon2idHash) weak() bool { return uint64(a.memory)*uint64(a.iterations) < minArgon2Work }

func (a *argon2idHash) params() Params {
	return Params{
		Memory: a.memory, Iterations: a.iterations, Parallelism: a.parallelism,
		SaltLen: uint32(len(a.salt)), KeyLen: uint32(len(a.key)),
	}
}

// checkArgon2Cost checks argon2id parameters against RFC 9106's minimums and
// the package's bounds.
func checkArgon2Cost(memory, iterations uint32, parallelism uint8) error {
	switch {
	case iterations < 1 || parallelism < 1:
		return errors.New("argon2id passes and lanes must be at least 1")
	case memory < 8*uint32(parallelism):
		return errors.New("argon2id memory must be at least 8 KiB per lane")
	case memory > maxArgon2Memory:
		return fmt.Errorf("argon2id memory above the limit of %d KiB", maxArgon2Memory)
	case uint64(memory)*uint64(iterations) > maxArgon2Work:
		return fmt.Errorf("argon2id memory × passes above the limit of %d KiB", maxArgon2Work)
	}
	return nil
}

type bcryptHash []byte

func parseBcrypt(s string) (hash, error) {
	// Why check the characters here: x/crypto decodes salt and hash only
	// while comparing, and would report bad ones as a mere mismatch.
	const alphabet = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	if len(s) != 60 || s[6] != '$' || strings.Trim(s[7:], alphabet) != "" {
		return nil, malformed("bcrypt")
	}
	cost, err := strconv.Atoi(s[4:6])
	if err != nil {
		return nil, malformed("bcrypt")
	}
	if cost < bcrypt.MinCost {
		return nil, fmt.Errorf("password: bcrypt cost %d is below bcrypt's minimum of %d", cost, bcrypt.MinCost)
	}
	if cost > maxBcryptCost {
		return nil, fmt.Errorf("password: bcrypt cost %d is above the limit of %d", cost, maxBcryptCost)
	}
	return bcryptHash(s), nil
}

func (b bcryptHash) verify(password string) bool {
	// Why truncate: bcrypt only ever used the first 72 bytes, and systems we
	// import from (bcryptjs, PHP, OpenBSD) silently ignored the rest, so their
	// users may have typed longer passwords. A match is rehashed with
	// argon2id, which uses the whole password.
	p := []byte(password[:min(len(password), bcryptMaxBytes)])
	return bcrypt.CompareHashAndPassword(b, p) == nil
}

// derive computes the 31 characters of the bcrypt hash of password with b's
// cost and salt (bcryptcore.go).
func (b bcryptHash) derive(password string) []byte {
	return bcryptKey(password[:min(len(password), bcryptMaxBytes)], b.cost(), b[7:29])
}

func (b bcryptHash) storedKey() []byte { return b[29:] }

func (b bcryptHash) cost() int { n, _ := strconv.Atoi(string(b[4:6])); return n }

// weak: below OWASP's minimum cost of 10.
func (b bcryptHash) weak() bool { return b.cost() < minBcryptCost }

type scryptHash struct {
	logN, r, p int
	salt, key  []byte
}

func parseScrypt(s string) (hash, error) {
	f := strings.Split(s, "$")
	if len(f) != 5 {
		return nil, malformed("scrypt")
	}
	c, err := parseParams(f[2], "ln", "r", "p")
	if err != nil {
		return nil, malformed("scrypt")
	}
	h := &scryptHash{logN: int(c[0]), r: int(c[1]), p: int(c[2])}
	// Check factor by factor so that the product cannot overflow.
	if h.logN < 1 || h.r < 1 || h.p < 1 || h.r > maxScryptWork || h.p > maxScryptWork ||
		h.r*h.p > maxScryptWork>>h.logN {
		return nil, fmt.Errorf("password: scrypt N×r×p outside 2 to %d", maxScryptWork)
	}
	if h.salt, h.key, err = decodeSaltKey(base64.RawStdEncoding, f[3], f[4]); err != nil {
		return nil, malformedBy("scrypt", err)
	}
	return h, nil
}

func (h *scryptHash) verify(password string) bool {
	return subtle.ConstantTimeCompare(h.derive(password), h.key) == 1
}

func (h *scryptHash) derive(password string) []byte {
	key, err := scrypt.Key([]byte(password), h.salt, 1<<h.logN, h.r, h.p, len(h.key))
	if err != nil {
		return nil // the parameters were checked when parsing; nil matches nothing
	}
	return key
}

func (h *scryptHash) storedKey() []byte { return h.key }

// weak: below OWASP's N=2^17, r=8, p=1.
func (h *scryptHash) weak() bool { return h.r*h.p < minScryptWork>>min(h.logN, 30) }

type pbkdf2Hash struct {
	iterations int
	salt, key  []byte
}

func parsePasslibPBKDF2(s string) (hash, error) {
	n, salt, key, err := splitPBKDF2(s, "$pbkdf2-sha256$")
	if err != nil {
		return nil, err
	}
	h := &pbkdf2Hash{iterations: n}
	if h.salt, h.key, err = decodeSaltKey(ab64, salt, key); err != nil {
		return nil, malformedBy("pbkdf2-sha256", err)
	}
	return h, nil
}

func parseDjangoPBKDF2(s string) (hash, error) {
	n, salt, key, err := splitPBKDF2(s, "pbkdf2_sha256$")
	if err != nil {
		return nil, err
	}
	if len(salt) > maxSaltLen {
		return nil, fmt.Errorf("password: %w", errLongSalt)
	}
	h := &pbkdf2Hash{iterations: n, salt: []byte(salt)}
	if h.key, err = decodeKey(base64.StdEncoding, key); err != nil {
		return nil, malformed("pbkdf2_sha256")
	}
	return h, nil
}

// splitPBKDF2 splits prefix<iterations>$<salt>$<key> and checks the
// iteration count.
func splitPBKDF2(s, prefix string) (iterations int, salt, key string, err error) {
	f := strings.Split(strings.TrimPrefix(s, prefix), "$")
	if len(f) != 3 {
		return 0, "", "", malformed("pbkdf2-sha256")
	}
	n, err := strconv.Atoi(f[0])
	if err != nil {
		return 0, "", "", malformed("pbkdf2-sha256")
	}
	if n < 1 || n > maxPBKDF2Iterations {
		return 0, "", "", fmt.Errorf("password: pbkdf2-sha256 iterations %d outside 1 to %d", n, maxPBKDF2Iterations)
	}
	return n, f[1], f[2], nil
}

func (h *pbkdf2Hash) verify(password string) bool {
	return subtle.ConstantTimeCompare(h.derive(password), h.key) == 1
}

func (h *pbkdf2Hash) derive(password string) []byte {
	key, err := pbkdf2.Key(sha256.New, password, h.salt, h.iterations, len(h.key))
	if err != nil {
		return nil
	}
	return key
}

func (h *pbkdf2Hash) storedKey() []byte { return h.key }

// weak: below OWASP's 600,000 iterations of PBKDF2-HMAC-SHA256.
func (h *pbkdf2Hash) weak() bool { return h.iterations < minPBKDF2Iterations }

// parseParams parses "k1=v1,k2=v2,..." with exactly the keys given, in their
// order, and values that fit in 32 bits.
func parseParams(s string, keys ...string) ([]uint32, error) {
	fields := strings.Split(s, ",")
	if len(fields) != len(keys) {
		return nil, errors.New("wrong number of parameters")
	}
	vals := make([]uint32, len(keys))
	for i, f := range fields {
		v, ok := strings.CutPrefix(f, keys[i]+"=")
		if !ok {
			return nil, fmt.Errorf("parameter %q missing", keys[i])
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, err
		}
		vals[i] = uint32(n)
	}
	return vals, nil
}

// decodeSaltKey decodes a salt and a key with enc.
func decodeSaltKey(enc *base64.Encoding, salt, key string) ([]byte, []byte, error) {
	s, err := enc.DecodeString(salt)
	if err != nil {
		return nil, nil, err
	}
	if len(s) > maxSaltLen {
		return nil, nil, errLongSalt
	}
	k, err := decodeKey(enc, key)
	return s, k, err
}

// decodeKey decodes a key with enc and checks its length.
func decodeKey(enc *base64.Encoding, key string) ([]byte, error) {
	k, err := enc.DecodeString(key)
	if err != nil {
		return nil, err
	}
	if len(k) < minKeyLen || len(k) > maxKeyLen {
		return nil, fmt.Errorf("key of %d bytes", len(k))
	}
	return k, nil
}

// errLongSalt refuses salts above maxSaltLen.
var errLongSalt = fmt.Errorf("salt longer than %d bytes", maxSaltLen)

// malformedBy is malformed, unless err is a bound that was exceeded, which
// it names.
func malformedBy(format string, err error) error {
	if errors.Is(err, errLongSalt) {
		return fmt.Errorf("password: %s %w", format, errLongSalt)
	}
	return malformed(format)
}

func malformed(format string) error {
	return fmt.Errorf("password: malformed %s hash", format)
}
