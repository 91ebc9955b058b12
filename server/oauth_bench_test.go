package server_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/bearer"
	"github.com/userdb/userdb/internal/benchtest"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/oauth"
)

// benchCCClient makes a client-credentials client on a benchmark's server.
func benchCCClient(b *testing.B, e *env) (string, string) {
	c, secret := e.addClient(oauth.ClientInput{Name: ptr("bench"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	return c.ID, secret
}

func ccToken(b *testing.B, e *env, id, secret string) string {
	req, _ := http.NewRequest("POST", e.issuer()+"/v1/token", strings.NewReader("grant_type=client_credentials&scope=customScope"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(res.Body).Decode(&m); err != nil || res.StatusCode != 200 {
		b.Fatalf("token: %d %v", res.StatusCode, err)
	}
	return m["access_token"].(string)
}

// measure runs f b.N times on the benchmark's goroutines and returns
// operations per second of wall-clock time and CPU time per operation.
func measure(b *testing.B, f func()) (perSec float64, cpuPerOp time.Duration) {
	c0, start := benchtest.CPUTime(), time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f()
		}
	})
	wall, cpu := time.Since(start), benchtest.CPUTime()-c0
	return float64(b.N) / wall.Seconds(), cpu / time.Duration(b.N)
}

// rawSign returns a function that makes one RS256 signature of a token's
// size with a 2048-bit key: the ceiling of token issuance.
func rawSign(b *testing.B) func() {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	msg := []byte(strings.Repeat("x", 400))
	return func() {
		h := sha256.Sum256(msg)
		if _, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:]); err != nil {
			b.Error(err)
		}
	}
}

// report writes a measured rate and its ceiling's, as ratios of wall-clock
// throughput and of CPU time per operation.
func report(b *testing.B, unit string, rate float64, cpu time.Duration, ceilUnit string, ceilRate float64, ceilCPU time.Duration) {
	b.ReportMetric(rate, unit)
	b.ReportMetric(ceilRate, ceilUnit)
	b.ReportMetric(rate/ceilRate, "ratio")
	b.ReportMetric(float64(ceilCPU)/float64(cpu), "cpu-ratio")
}

// BenchmarkOAuthClientCredentials issues client-credentials tokens over
// loopback HTTP at concurrency 16 (HTTP Basic, a custom scope, an RS256
// JWT, the event written in a batch) and, in the same run, raw RS256
// signatures on every core; it reports issuance as a ratio of signing (the
// target: at least 0.8). The load generator runs in the same process, so
// cpu-ratio counts the client's share against the server.
func BenchmarkOAuthClientCredentials(b *testing.B) {
	e := oauthEnv(b)
	id, secret := benchCCClient(b, e)
	ccToken(b, e, id, secret) // the client is in the cache
	sign := rawSign(b)
	b.SetParallelism(8) // 16 clients on 2 cores
	b.ResetTimer()
	rate, cpu := measure(b, func() { ccToken(b, e, id, secret) })
	signRate, signCPU := measure(b, sign)
	b.StopTimer()
	report(b, "tokens/s", rate, cpu, "rs256-signs/s", signRate, signCPU)
}

// BenchmarkBearerVerify verifies access tokens in the resource-server
// middleware (the whole handler chain, no network; 32 distinct tokens of
// this server in turn, so nothing is cached but the key set and the JOSE
// header) and, alternating with it in the same run, the bare RS256
// signatures of the same tokens; it reports the middleware's rate as a
// ratio of the signature's (the target: at least 0.9). The CPU ratio is
// the steadier reading on a shared machine.
func BenchmarkBearerVerify(b *testing.B) {
	e := oauthEnv(b)
	id, secret := benchCCClient(b, e)
	v := bearer.New(e.issuer(), bearer.WithClock(e.clock.Now))
	h := v.Middleware(bearer.RequireScopes("customScope")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))

	// The RSA public key from the key set, for the bare signatures.
	res, err := http.Get(e.issuer() + "/v1/keys")
	if err != nil {
		b.Fatal(err)
	}
	var set struct {
		Keys []struct{ N, E string } `json:"keys"`
	}
	json.NewDecoder(res.Body).Decode(&set)
	res.Body.Close()
	nb, _ := base64.RawURLEncoding.DecodeString(set.Keys[0].N)
	pub := &rsa.PublicKey{N: new(big.Int).SetBytes(nb), E: 65537}

	// One request per token (the middleware only reads it) and a writer
	// that keeps the status alone: what is measured is the middleware, not
	// the making of requests.
	type token struct {
		req        *http.Request
		input, sig []byte
	}
	toks := make([]token, 32)
	for i := range toks {
		tok := ccToken(b, e, id, secret)
		req := httptest.NewRequest("GET", "/api", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		dot := strings.LastIndexByte(tok, '.')
		sig, _ := base64.RawURLEncoding.DecodeString(tok[dot+1:])
		toks[i] = token{req, []byte(tok[:dot]), sig}
		if i == 0 {
			if _, err := v.Verify(b.Context(), tok); err != nil { // the key set is fetched
				b.Fatal(err)
			}
		}
	}
	var next atomic.Uint64
	b.ResetTimer()
	raw := func() {
		t := &toks[next.Add(1)%uint64(len(toks))]
		sum := sha256.Sum256(t.input)
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], t.sig); err != nil {
			b.Error(err)
		}
	}
	// The bare signature runs twice: the ratio of the two (control) shows
	// how far the machine's noise alone moves cpu-ratio in this run.
	m := benchtest.Alternate(b, func() {
		t := &toks[next.Add(1)%uint64(len(toks))]
		var w benchtest.StatusWriter
		h.ServeHTTP(&w, t.req)
		if w.Code != 0 && w.Code != 200 {
			b.Errorf("middleware: %d", w.Code)
		}
	}, raw, raw)
	b.StopTimer()
	report(b, "verified/s", m[0].Rate, m[0].CPU, "rs256-verifies/s", m[1].Rate, m[1].CPU)
	b.ReportMetric(float64(m[2].CPU)/float64(m[1].CPU), "control")
}

// BenchmarkOAuthIntrospect introspects a JWT access token over loopback
// HTTP at concurrency 16 (TestIntrospectionNeedsNoDatabase shows it reads
// nothing from the database) and reports it beside raw RS256 signing, the
// cost of issuing a token, measured in the same run.
func BenchmarkOAuthIntrospect(b *testing.B) {
	e := oauthEnv(b)
	id, secret := benchCCClient(b, e)
	tok := ccToken(b, e, id, secret)
	body := url.Values{"token": {tok}}.Encode()
	introspect := func() {
		req, _ := http.NewRequest("POST", e.issuer()+"/v1/introspect", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(id, secret)
		res, err := benchClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(data), `"active":true`) {
			b.Fatalf("introspection: %s", data)
		}
	}
	introspect()
	sign := rawSign(b)
	b.SetParallelism(8)
	b.ResetTimer()
	rate, cpu := measure(b, introspect)
	signRate, signCPU := measure(b, sign)
	b.StopTimer()
	report(b, "introspections/s", rate, cpu, "rs256-signs/s", signRate, signCPU)
}

// TestIntrospectionNeedsNoDatabase closes the database under the server
// and introspects a JWT access token: the answer comes from the token, the
// client cache and the revocations in memory.
func TestIntrospectionNeedsNoDatabase(t *testing.T) {
	e := oauthEnv(t)
	c, secret := e.addClient(oauth.ClientInput{Name: ptr("svc"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	_, body := e.tokenPost(oauth.TokenPath, c.ID, secret, url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}})
	tok := body["access_token"].(string)
	if _, in := e.tokenPost(oauth.IntrospectPath, c.ID, secret, url.Values{"token": {tok}}); in["active"] != true {
		t.Fatalf("introspection: %v", in)
	}
	if err := inside.Service(e.srv).Store().Close(); err != nil {
		t.Fatal(err)
	}
	status, in := e.tokenPost(oauth.IntrospectPath, c.ID, secret, url.Values{"token": {tok}})
	if status != 200 || in["active"] != true || in["client_id"] != c.ID {
		t.Errorf("introspection without a database: %d %v", status, in)
	}
	// A check that does need the database fails without it, which shows
	// that it is closed indeed.
	if status, _ := e.tokenPost(oauth.TokenPath, "cli_unknown", secret, url.Values{"grant_type": {"client_credentials"}}); status < 400 {
		t.Errorf("a request that reads the database succeeded: %d", status)
	}
}
