package password

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"sync/atomic"

	"golang.org/x/crypto/argon2"

	"github.com/userdb/userdb"
)

// Params are the argon2id cost parameters (RFC 9106).
type Params struct {
	Memory      uint32 // KiB
	Iterations  uint32
	Parallelism uint8
	SaltLen     uint32 // bytes
	KeyLen      uint32 // bytes
}

// DefaultParams returns OWASP's recommendation for argon2id: 19 MiB of memory,
// two passes, one lane, a 16-byte salt and a 32-byte key.
func DefaultParams() Params {
	return Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}
}

// Validate returns an EINVALID error if the hasher cannot use p: below the
// minimums of RFC 9106, or above the bounds Verify accepts from stored hashes
// (so every hash the hasher writes, it can verify).
func (p Params) Validate() error {
	var err error
	switch {
	case p.SaltLen < 8 || p.SaltLen > 64:
		err = fmt.Errorf("argon2id salt length must be 8 to 64 bytes, not %d", p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		err = fmt.Errorf("argon2id key length must be %d to %d bytes, not %d", minKeyLen, maxKeyLen, p.KeyLen)
	default:
		err = checkArgon2Cost(p.Memory, p.Iterations, p.Parallelism)
	}
	if err != nil {
		return userdb.Errorf(userdb.EINVALID, "%v", err)
	}
	return nil
}

// DefaultQueue is the number of requests that may wait for a worker when
// NewHasher is given no queue size.
const DefaultQueue = 10000

// Hasher hashes passwords with argon2id and verifies them against argon2id,
// bcrypt, scrypt and PBKDF2 hashes. It is safe for concurrent use.
//
// Every hash and verification runs in a bounded pool: argon2id allocates its
// whole memory cost for each hash, so at most workers of them run at once,
// and up to queue more wait for a turn. A request that finds the queue full
// fails at once with ERATELIMITED, so a flood of sign-ins costs bounded
// memory instead of exhausting it.
type Hasher struct {
	params   Params
	slots    chan struct{} // holds one token per running hash
	maxQueue int64
	queued   atomic.Int64
	running  atomic.Int64
	computed atomic.Int64
	// peppers holds the keys of the configured peppers by id, and pepperID
	// is the one new hashes use ("" for none); see SetPeppers.
	peppers  map[string][]byte
	pepperID string
}

// NewHasher returns a Hasher that writes argon2id hashes with p, runs at most
// workers hashes at once (runtime.NumCPU() if workers <= 0) and lets at most
// queue requests wait (DefaultQueue if queue <= 0). It panics if p is
// invalid; configuration should be checked with p.Validate first.
func NewHasher(p Params, workers, queue int) *Hasher {
	if err := p.Validate(); err != nil {
		panic("password: " + err.Error())
	}
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	if queue <= 0 {
		queue = DefaultQueue
	}
	return &Hasher{params: p, slots: make(chan struct{}, workers), maxQueue: int64(queue)}
}

// Queued returns the number of requests waiting for a worker.
func (h *Hasher) Queued() int { return int(h.queued.Load()) }

// Computed returns the number of hashes computed so far (hashes,
// verifications and dummy verifications alike).
func (h *Hasher) Computed() int64 { return h.computed.Load() }

// Running returns the number of hashes being computed.
func (h *Hasher) Running() int { return int(h.running.Load()) }

// Hash returns the argon2id hash of password in the PHC string format of the
// reference implementation: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<key>, with
// salt and key in standard base64 without padding. It returns ERATELIMITED if
// the queue is full, or ctx's error if ctx ends while waiting.
//
// With a pepper (SetPeppers), argon2id runs over HMAC-SHA256(pepper,
// password) and the parameters name the pepper: m=19456,t=2,p=1,pepper=ID.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	salt := make([]byte, h.params.SaltLen)
	rand.Read(salt)
	var key []byte
	if err := h.run(ctx, func() { key = h.argon2Key([]byte(password), salt) }); err != nil {
		return "", err
	}
	return h.encode(salt, key), nil
}

// encode returns the PHC string of an argon2id key made with h's parameters
// and current pepper.
func (h *Hasher) encode(salt, key []byte) string {
	p, b64, pepper := h.params, base64.RawStdEncoding, ""
	if h.pepperID != "" {
		pepper = ",pepper=" + h.pepperID
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d%s$%s$%s",
		argon2.Version, p.Memory, p.Iterations, p.Parallelism, pepper, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches the stored hash encoded and, if it
// does, whether it should be rehashed with Hash because encoded is not an
// argon2id hash with the hasher's parameters. The formats accepted:
//
//	argon2id  $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>
//	          the reference implementation's PHC string; salt and key in
//	          standard base64 without padding; version 19 (0x13) only.
//	bcrypt    $2a$<cost>$<53 characters>, and the same with $2b$ or $2y$;
//	          only the first 72 bytes of the password count, as in bcrypt.
//	scrypt    $scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<key>
//	          passlib's format; salt and key in standard base64 without
//	          padding, the salt used as its decoded bytes.
//	PBKDF2    $pbkdf2-sha256$<iterations>$<salt>$<key>
//	          passlib's format; salt and key in passlib's adapted base64
//	          ("." instead of "+", no padding), the salt used decoded.
//	PBKDF2    pbkdf2_sha256$<iterations>$<salt>$<key>
//	          Django's format; the salt is used as its text, the key is in
//	          standard base64 with padding.
//	wrapped   $wrap$<legacy stub>$argon2id$...: a weak imported hash
//	          wrapped in argon2id (WrapWeak, wrap.go).
//
// An argon2id hash may name a pepper (m=..,t=..,p=..,pepper=ID); a pepper
// that is not configured makes the hash unusable, as below.
//
// Keys must be 16 to 64 bytes, and costs are bounded so that an imported
// hash cannot stall the server: argon2id at most 1 GiB and 4 GiB × passes,
// bcrypt cost at most 16, scrypt N×r×p at most 2^23 (1 GiB at r=8), PBKDF2
// at most 10,000,000 iterations.
//
// A stored hash that is malformed, of an unknown format or above the cost
// bounds is a data problem: Verify returns false with an EINTERNAL error,
// after spending as long as a real verification would. It returns
// ERATELIMITED if the queue is full, or ctx's error if ctx ends while
// waiting.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error) {
	stored, parseErr := h.parse(encoded)
	err = h.run(ctx, func() {
		if parseErr != nil {
			// Why: an unusable hash must not answer faster than a usable one,
			// or timing would tell which accounts have broken or legacy data.
			h.dummy(password)
			return
		}
		ok = stored.verify(password)
	})
	if err != nil {
		return false, false, err
	}
	if parseErr != nil {
		return false, false, userdb.Internal(parseErr)
	}
	return ok, ok && !h.current(stored), nil
}

// DummyVerify spends as long as verifying an argon2id hash with the hasher's
// parameters, and discards the result. Sign-in calls it for unknown users so
// that timing does not reveal which users exist.
func (h *Hasher) DummyVerify(ctx context.Context, password string) {
	// An error means the queue was full or ctx ended; Verify would have
	// returned just as early, so the timing still matches.
	_ = h.run(ctx, func() { h.dummy(password) })
}

// NeedsRehash reports whether encoded is anything other than a well-formed
// argon2id hash with the hasher's parameters.
func (h *Hasher) NeedsRehash(encoded string) bool {
	stored, err := h.parse(encoded)
	return err != nil || !h.current(stored)
}

// current reports whether stored is an argon2id hash with h's parameters
// and current pepper (or none, as h).
func (h *Hasher) current(stored hash) bool {
	a, ok := stored.(*argon2idHash)
	return ok && a.params() == h.params && a.pepperID == h.pepperID
}

// parse parses encoded and finds the key of the pepper it names.
func (h *Hasher) parse(encoded string) (hash, error) {
	stored, err := parseHash(encoded)
	if err != nil {
		return nil, err
	}
	return stored, h.bindPepper(stored)
}

// dummy computes an argon2id key with h's parameters and throws it away.
func (h *Hasher) dummy(password string) {
	h.argon2Key([]byte(password), make([]byte, h.params.SaltLen))
}

// run calls fn in a worker slot, waiting in the queue for one if needed.
func (h *Hasher) run(ctx context.Context, fn func()) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	h.running.Add(1)
	h.computed.Add(1)
	defer func() {
		h.running.Add(-1)
		<-h.slots
	}()
	fn()
	return nil
}

// acquire takes a worker slot, waiting for one unless the queue is full.
func (h *Hasher) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	if h.queued.Add(1) > h.maxQueue {
		h.queued.Add(-1)
		return userdb.Errorf(userdb.ERATELIMITED, "Server busy, try again.")
	}
	defer h.queued.Add(-1)
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Check reports whether encoded is a hash this package can verify, without
// verifying anything (imports check pre-hashed passwords this way).
func (h *Hasher) Check(encoded string) error {
	_, err := h.parse(encoded)
	return err
}
