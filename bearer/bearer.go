// Package bearer protects an API with the access tokens of a userdb server
// (or any OAuth 2.0 server that issues JWT access tokens): it verifies
// `Authorization: Bearer <JWT>` against the issuer's key set, fetched once
// and cached (fetched again for a key it has not seen), checks issuer,
// audience, expiry and scopes, and puts the claims in the request context.
//
//	v := bearer.New("https://id.example.com/oauth2/default")
//	mux.Handle("/api/", v.Middleware(bearer.RequireScopes("customScope")(api)))
//
// Only RS256, ES256 and EdDSA signatures are accepted: a token with
// "alg": "none", or an HMAC made with the public key as its secret, fails.
package bearer

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	jsonv2 "github.com/go-json-experiment/json"
)

// Claims are the claims of a userdb access token.
type Claims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience audience `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	JTI      string   `json:"jti"`
	ClientID string   `json:"cid"`
	Scopes   []string `json:"scp"`
	UserID   string   `json:"uid"` // empty for a client's own token
	Roles    []string `json:"roles"`
	Account  string   `json:"account"`
}

// HasScope reports whether the token was granted the scope.
func (c *Claims) HasScope(s string) bool { return slices.Contains(c.Scopes, s) }

// audience is a JWT "aud": one string or a list.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var one string
		if err := jsonv2.Unmarshal(b, &one); err != nil {
			return err
		}
		*a = audience{one}
		return nil
	}
	var many []string
	if err := jsonv2.Unmarshal(b, &many); err != nil {
		return errors.New("bearer: aud is neither a string nor a list")
	}
	*a = many
	return nil
}

// Errors of Verify; each is also an *Error.
var (
	ErrMissing = &Error{Code: "invalid_request", Description: "no bearer token"}
	ErrInvalid = &Error{Code: "invalid_token", Description: "the access token is invalid"}
	ErrExpired = &Error{Code: "invalid_token", Description: "the access token has expired"}
)

// Error is an RFC 6750 error.
type Error struct {
	Code        string // invalid_request, invalid_token or insufficient_scope
	Description string
}

func (e *Error) Error() string { return "bearer: " + e.Description }

// algorithms are the only signature algorithms accepted.
var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256, jose.EdDSA}

// Verifier verifies access tokens of one issuer. It is safe for concurrent
// use.
type Verifier struct {
	issuer   string
	audience string
	jwksURL  string
	hc       *http.Client
	now      func() time.Time
	leeway   time.Duration

	// The key set and the headers seen are read on every request and
	// change rarely: readers load a snapshot without a lock, writers
	// replace it whole.
	keys      atomic.Pointer[keySet]
	headers   atomic.Pointer[map[string]header]
	headersMu sync.Mutex // one writer of headers at a time
	fetchMu   sync.Mutex // one fetch of the key set at a time
}

// keySet is the issuer's key set as last fetched.
type keySet struct {
	keys      map[string]jose.JSONWebKey
	fetchedAt time.Time
}

// Option changes a Verifier.
type Option func(*Verifier)

// WithAudience sets the audience tokens must carry ("api://default" by
// default, as userdb and Okta issue them).
func WithAudience(aud string) Option { return func(v *Verifier) { v.audience = aud } }

// WithJWKSURL sets where the keys are ({issuer}/v1/keys by default).
func WithJWKSURL(u string) Option { return func(v *Verifier) { v.jwksURL = u } }

// WithHTTPClient sets the client that fetches the keys.
func WithHTTPClient(c *http.Client) Option { return func(v *Verifier) { v.hc = c } }

// WithClock sets the clock expiry is checked against (tests).
func WithClock(now func() time.Time) Option { return func(v *Verifier) { v.now = now } }

// WithLeeway allows for clock skew between the issuer and this server.
func WithLeeway(d time.Duration) Option { return func(v *Verifier) { v.leeway = d } }

// New returns a Verifier for the issuer.
func New(issuer string, opts ...Option) *Verifier {
	v := &Verifier{issuer: strings.TrimSuffix(issuer, "/"), audience: "api://default",
		hc: &http.Client{Timeout: 10 * time.Second}, now: time.Now}
	v.keys.Store(&keySet{})
	v.headers.Store(&map[string]header{})
	v.jwksURL = v.issuer + "/v1/keys"
	for _, o := range opts {
		o(v)
	}
	return v
}

// refetchAfter keeps an unknown kid from making a fetch per request.
const refetchAfter = 10 * time.Second

// key returns the key with the id, fetching the key set when it has not
// been fetched or does not hold it (a rotation).
func (v *Verifier) key(ctx context.Context, kid string) (jose.JSONWebKey, error) {
	set := v.keys.Load()
	k, ok := set.keys[kid]
	fetched := set.fetchedAt
	if ok {
		return k, nil
	}
	if !fetched.IsZero() && v.now().Sub(fetched) < refetchAfter {
		return k, ErrInvalid
	}
	if err := v.fetch(ctx, fetched); err != nil {
		return k, err
	}
	k, ok = v.keys.Load().keys[kid]
	if !ok {
		return k, ErrInvalid
	}
	return k, nil
}

// fetch reads the key set, once for callers that found the same one stale.
func (v *Verifier) fetch(ctx context.Context, stale time.Time) error {
	v.fetchMu.Lock()
	defer v.fetchMu.Unlock()
	if v.keys.Load().fetchedAt != stale {
		return nil // another caller fetched meanwhile
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.jwksURL, nil)
	if err != nil {
		return err
	}
	resp, err := v.hc.Do(req)
	if err != nil {
		return fmt.Errorf("bearer: fetching the key set: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bearer: fetching the key set: %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return fmt.Errorf("bearer: reading the key set: %w", err)
	}
	keys := make(map[string]jose.JSONWebKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.IsPublic() && (k.Use == "" || k.Use == "sig") {
			keys[k.KeyID] = k
		}
	}
	v.keys.Store(&keySet{keys: keys, fetchedAt: v.now()})
	return nil
}

// scratch holds the buffers a verification decodes into, reused so that a
// request allocates little besides its claims.
var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// header is what the JOSE header of a token says, once checked.
type header struct {
	alg jose.SignatureAlgorithm
	kid string
}

// maxHeaders bounds the cache of headers seen (one issuer signs with a few
// keys, so a few headers repeat; anything else is not cached).
const maxHeaders = 64

// parseHeader reads a JOSE header segment. Headers repeat from token to
// token, so a checked one is remembered by its text.
func (v *Verifier) parseHeader(seg string) (header, error) {
	h, ok := (*v.headers.Load())[seg]
	if ok {
		return h, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return h, ErrInvalid
	}
	var j struct {
		Alg  string   `json:"alg"`
		Kid  string   `json:"kid"`
		Crit []string `json:"crit"`
	}
	if err := json.Unmarshal(raw, &j); err != nil || len(j.Crit) > 0 {
		return h, ErrInvalid
	}
	h = header{alg: jose.SignatureAlgorithm(j.Alg), kid: j.Kid}
	if !slices.Contains(algorithms, h.alg) {
		return h, ErrInvalid // none, HS256 and the rest
	}
	v.headersMu.Lock()
	if old := *v.headers.Load(); len(old) < maxHeaders {
		m := maps.Clone(old)
		m[seg] = h
		v.headers.Store(&m)
	}
	v.headersMu.Unlock()
	return h, nil
}

// verifySignature checks the signature of the signing input (RFC 7515
// section 5.2) with the key, for the algorithm the header names and the
// key is registered for.
func verifySignature(alg jose.SignatureAlgorithm, key any, input, sig []byte) bool {
	switch alg {
	case jose.RS256:
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return false
		}
		sum := sha256.Sum256(input)
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) == nil
	case jose.ES256:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || len(sig) != 64 {
			return false
		}
		sum := sha256.Sum256(input)
		return ecdsa.Verify(pub, sum[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:]))
	case jose.EdDSA:
		pub, ok := key.(ed25519.PublicKey)
		return ok && ed25519.Verify(pub, input, sig)
	}
	return false
}

// Verify checks a token and returns its claims. Failures are *Error
// (ErrInvalid, ErrExpired) or, when the keys cannot be fetched, another
// error.
//
// It reads the compact serialization itself rather than through go-jose's
// general JWS parser: a token of this issuer has one shape, and parsing it
// directly keeps verification close to the cost of the signature check.
func (v *Verifier) Verify(ctx context.Context, token string) (*Claims, error) {
	if len(token) > 16<<10 {
		return nil, ErrInvalid
	}
	h1 := strings.IndexByte(token, '.')
	h2 := strings.LastIndexByte(token, '.')
	if h1 < 0 || h2 == h1 || strings.IndexByte(token[h1+1:h2], '.') >= 0 {
		return nil, ErrInvalid
	}
	h, err := v.parseHeader(token[:h1])
	if err != nil {
		return nil, err
	}
	k, err := v.key(ctx, h.kid)
	if err != nil {
		return nil, err
	}
	if k.Algorithm != "" && k.Algorithm != string(h.alg) {
		return nil, ErrInvalid
	}
	buf := scratch.Get().(*[]byte)
	b := append((*buf)[:0], token[:h2]...) // the signing input, then the signature
	n := len(b)
	b, err = base64.RawURLEncoding.AppendDecode(b, []byte(token[h2+1:]))
	if err != nil || !verifySignature(h.alg, k.Key, b[:n], b[n:]) {
		*buf = b[:0]
		scratch.Put(buf)
		return nil, ErrInvalid
	}
	b, err = base64.RawURLEncoding.AppendDecode(b[:0], []byte(token[h1+1:h2])) // the claims
	*buf = b[:0]
	defer scratch.Put(buf)
	if err != nil {
		return nil, ErrInvalid
	}
	c := new(Claims)
	if err := unmarshalClaims(b, c); err != nil {
		return nil, ErrInvalid
	}
	if c.Issuer != v.issuer || !slices.Contains(c.Audience, v.audience) {
		return nil, ErrInvalid
	}
	now := v.now()
	if c.Expiry == 0 || !now.Before(time.Unix(c.Expiry, 0).Add(v.leeway)) {
		return nil, ErrExpired
	}
	if c.IssuedAt > now.Add(v.leeway+time.Minute).Unix() {
		return nil, ErrInvalid
	}
	return c, nil
}

type claimsKey struct{}

// FromContext returns the claims Middleware put in the context.
func FromContext(ctx context.Context) (*Claims, bool) {
	c, ok := ctx.Value(claimsKey{}).(*Claims)
	return c, ok
}

// NewContext returns ctx carrying the claims.
func NewContext(ctx context.Context, c *Claims) context.Context {
	return context.WithValue(ctx, claimsKey{}, c)
}

// Middleware lets through requests with a valid bearer token, with its
// claims in the context; others get 401 with an RFC 6750 challenge.
func (v *Verifier) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			challenge(w, http.StatusUnauthorized, ErrMissing)
			return
		}
		c, err := v.Verify(r.Context(), strings.TrimSpace(token))
		if err != nil {
			var be *Error
			if !errors.As(err, &be) {
				http.Error(w, "the key set of the token issuer cannot be read", http.StatusServiceUnavailable)
				return
			}
			challenge(w, http.StatusUnauthorized, be)
			return
		}
		next.ServeHTTP(w, r.WithContext(NewContext(r.Context(), c)))
	})
}

// RequireScopes returns middleware, inside Middleware, that lets through
// tokens granted every one of the scopes; others get 403
// insufficient_scope.
func RequireScopes(scopes ...string) func(http.Handler) http.Handler {
	scopes = slices.Clone(scopes)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := FromContext(r.Context())
			if !ok {
				challenge(w, http.StatusUnauthorized, ErrMissing)
				return
			}
			for _, s := range scopes {
				if !c.HasScope(s) {
					challenge(w, http.StatusForbidden, &Error{Code: "insufficient_scope", Description: "the token lacks scope " + s})
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

func challenge(w http.ResponseWriter, status int, e *Error) {
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer error=%q, error_description=%q`, e.Code, e.Description))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": e.Code, "error_description": e.Description})
}
