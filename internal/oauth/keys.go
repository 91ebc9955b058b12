package oauth

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/userdb/userdb"
)

// Algorithms the provider signs with and verifies. Symmetric algorithms
// and "none" are never accepted, so a token "signed" with the public key
// as an HMAC secret, or not at all, fails to parse.
var signingAlgs = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// keyPropagation is how long a new key is published before it signs:
// every node reloads its keys at least this often, so no node hands out a
// key set without a key another node already signs with.
const keyPropagation = 2 * time.Minute

// keyReload is how often a node reads the keys from the database.
const keyReload = time.Minute

// signingKey is a usable key: its private half, its JWK and a signer made
// once (making one per token would cost more than the signature).
type signingKey struct {
	id       string
	seq      int64
	alg      jose.SignatureAlgorithm
	private  crypto.Signer
	public   jose.JSONWebKey
	signer   jose.Signer
	activeAt time.Time
	retireAt *time.Time
}

// keyRing holds the keys every node agrees on through the database: the
// newest active key signs; all keys not retired are published and verify.
type keyRing struct {
	store   userdb.Store
	sealKey []byte
	alg     string
	clock   userdb.Clock
	// keep is how long a replaced key stays published: the longest a token
	// it signed may live.
	keep time.Duration

	mu       sync.RWMutex
	keys     []*signingKey // by seq
	loadedAt time.Time
}

// newKey makes a key pair of the algorithm.
func newKey(alg string) (crypto.Signer, error) {
	switch alg {
	case "RS256":
		return rsa.GenerateKey(rand.Reader, 2048)
	case "ES256":
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, err
	}
	return nil, fmt.Errorf("oauth: unknown signing algorithm %q", alg)
}

// sealAAD binds a sealed value to its use.
var sealAAD = []byte("userdb oauth signing key")

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// seal encrypts a private key with the instance key (AES-256-GCM, the nonce
// in front).
func seal(key, plain []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	return gcm.Seal(nonce, nonce, plain, sealAAD), nil
}

func unseal(key, sealed []byte) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(sealed) < gcm.NonceSize() {
		return nil, errors.New("oauth: sealed key too short")
	}
	return gcm.Open(nil, sealed[:gcm.NonceSize()], sealed[gcm.NonceSize():], sealAAD)
}

func (r *keyRing) open(k *userdb.OAuthSigningKey) (*signingKey, error) {
	der, err := unseal(r.sealKey, k.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("oauth: signing key %s cannot be decrypted with the instance key: %w", k.ID, err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("oauth: signing key %s: %w", k.ID, err)
	}
	signer, ok := priv.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("oauth: signing key %s is not a signing key", k.ID)
	}
	alg := jose.SignatureAlgorithm(k.Algorithm)
	sk := &signingKey{id: k.ID, seq: k.Seq, alg: alg, private: signer, activeAt: k.ActiveAt, retireAt: k.RetiredAt,
		public: jose.JSONWebKey{Key: signer.Public(), KeyID: k.ID, Algorithm: string(alg), Use: "sig"}}
	sk.signer, err = jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: signer, KeyID: k.ID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	return sk, nil
}

// load reads the keys from the database, making the first one if there is
// none.
func (r *keyRing) load(ctx context.Context) error {
	now := r.clock.Now()
	rows, err := r.store.FindOAuthSigningKeys(ctx, now)
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		// The first key signs at once: nothing was published before it.
		if _, err := r.create(ctx, 1, now); err != nil && !userdb.IsCode(err, userdb.ECONFLICT) {
			return err
		}
		if rows, err = r.store.FindOAuthSigningKeys(ctx, now); err != nil {
			return err
		}
	}
	keys := make([]*signingKey, 0, len(rows))
	for _, row := range rows {
		k, err := r.open(row)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	r.mu.Lock()
	r.keys, r.loadedAt = keys, now
	r.mu.Unlock()
	return nil
}

// create stores a new key in place seq, signing from activeAt.
func (r *keyRing) create(ctx context.Context, seq int64, activeAt time.Time) (*userdb.OAuthSigningKey, error) {
	priv, err := newKey(r.alg)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	sealed, err := seal(r.sealKey, der)
	if err != nil {
		return nil, err
	}
	k := &userdb.OAuthSigningKey{ID: userdb.NewID("key"), Seq: seq, Algorithm: r.alg, PrivateKey: sealed,
		CreatedAt: r.clock.Now(), ActiveAt: activeAt}
	return k, r.store.CreateOAuthSigningKey(ctx, k)
}

// rotate publishes a new key that signs from keyPropagation on, and retires
// the keys it replaces once every token they signed has expired.
func (r *keyRing) rotate(ctx context.Context) (*userdb.OAuthSigningKey, error) {
	if err := r.load(ctx); err != nil {
		return nil, err
	}
	return r.rotateFrom(ctx, r.snapshot())
}

func (r *keyRing) snapshot() []*signingKey {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.keys)
}

// rotateFrom makes the key after the newest of old. Two nodes rotating
// from the same keys try the same place (seq); one wins, and the other
// fails with ECONFLICT.
func (r *keyRing) rotateFrom(ctx context.Context, old []*signingKey) (*userdb.OAuthSigningKey, error) {
	now := r.clock.Now()
	var seq int64 = 1
	if len(old) > 0 {
		seq = old[len(old)-1].seq + 1
	}
	activeAt := now.Add(keyPropagation)
	k, err := r.create(ctx, seq, activeAt)
	if err != nil {
		return nil, err
	}
	for _, o := range old {
		if o.retireAt == nil {
			if err := r.store.RetireOAuthSigningKey(ctx, o.id, activeAt.Add(r.keep)); err != nil {
				return nil, err
			}
		}
	}
	return k, r.load(ctx)
}

// maybeRotate rotates when the newest key, as the database has it now, is
// older than every.
func (r *keyRing) maybeRotate(ctx context.Context, every time.Duration) error {
	if every <= 0 {
		return nil
	}
	if err := r.load(ctx); err != nil {
		return err
	}
	keys := r.snapshot()
	if len(keys) > 0 && r.clock.Now().Sub(keys[len(keys)-1].activeAt) < every {
		return nil
	}
	_, err := r.rotateFrom(ctx, keys)
	if userdb.IsCode(err, userdb.ECONFLICT) {
		return r.load(ctx) // another node rotated
	}
	return err
}

// ensure loads the keys if none are loaded yet: a server opened before its
// database was migrated starts without them.
func (r *keyRing) ensure(ctx context.Context) error {
	r.mu.RLock()
	n := len(r.keys)
	r.mu.RUnlock()
	if n > 0 {
		return nil
	}
	return r.load(ctx)
}

// current returns the key that signs now: the newest active one.
func (r *keyRing) current() (*signingKey, error) {
	now := r.clock.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i := len(r.keys) - 1; i >= 0; i-- {
		if !r.keys[i].activeAt.After(now) {
			return r.keys[i], nil
		}
	}
	return nil, errors.New("oauth: no signing key is active")
}

// published returns the keys of the JWKS: every key not retired.
func (r *keyRing) published() []*signingKey {
	now := r.clock.Now()
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*signingKey, 0, len(r.keys))
	for _, k := range r.keys {
		if k.retireAt == nil || k.retireAt.After(now) {
			out = append(out, k)
		}
	}
	return out
}

// byID returns a published key by its kid.
func (r *keyRing) byID(kid string) *signingKey {
	for _, k := range r.published() {
		if k.id == kid {
			return k
		}
	}
	return nil
}

// jwks is the public key set.
func (r *keyRing) jwks() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	for _, k := range r.published() {
		set.Keys = append(set.Keys, k.public)
	}
	return set
}

// opKey adapts a signing key to the op package's SigningKey and Key.
type opKey struct{ k *signingKey }

func (o opKey) SignatureAlgorithm() jose.SignatureAlgorithm { return o.k.alg }
func (o opKey) Algorithm() jose.SignatureAlgorithm          { return o.k.alg }
func (o opKey) Key() any                                    { return o.k.private }
func (o opKey) ID() string                                  { return o.k.id }
func (o opKey) Use() string                                 { return "sig" }

// opPublicKey is a published key for the op package's key set.
type opPublicKey struct{ k *signingKey }

func (o opPublicKey) ID() string                         { return o.k.id }
func (o opPublicKey) Algorithm() jose.SignatureAlgorithm { return o.k.alg }
func (o opPublicKey) Use() string                        { return "sig" }
func (o opPublicKey) Key() any                           { return o.k.public.Key }

// verify checks a compact JWS against the published keys and returns its
// payload. Only the asymmetric algorithms parse at all.
func (r *keyRing) verify(token string) ([]byte, error) {
	jws, err := jose.ParseSigned(token, signingAlgs)
	if err != nil {
		return nil, err
	}
	if len(jws.Signatures) != 1 {
		return nil, errors.New("oauth: one signature expected")
	}
	h := jws.Signatures[0].Header
	k := r.byID(h.KeyID)
	if k == nil || jose.SignatureAlgorithm(h.Algorithm) != k.alg {
		return nil, errors.New("oauth: unknown key")
	}
	return jws.Verify(k.public.Key)
}
