package server_test

import (
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// TestTimingDoesNotRevealUsers measures the response time of each endpoint
// that takes a login for a known user (enabled, disabled and pending) and an
// unknown one, interleaved, and wants the median difference within 10% of
// the median time. Sign-in runs at the default argon2id parameters, since the
// hash is what dominates its time. There is no absolute slack for the fast
// answers of /forgot and POST /verify (about 150µs): a slack of 50µs let a
// synchronous lookup for known users through, 10-20% slower; more samples
// keep the noise down instead.
func TestTimingDoesNotRevealUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test: not in -short mode")
	}
	e := newEnv(t, func(c *server.Config) {
		def := config.Default()
		c.Hashing = def.Hashing
		c.Lockout.AfterFailures = 0 // a lock would change the known user's path
		// Rate limits answer known and unknown names alike (limits_test.go);
		// here they would only cut the samples short.
		c.Protection.RateLimits.Enabled = false
		c.Endpoints.Verify.Enabled = true
	})
	e.addUser("ann@example.com", "correct horse battery")
	dis := e.addUser("dis@example.com", "correct horse battery")
	if _, err := inside.Service(e.srv).AdminSetUserStatus(ctxCLI(), dis.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if _, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), service.NewUser{Email: "pen@example.com", Password: "correct horse battery", Status: userdb.StatusPending}); err != nil {
		t.Fatal(err)
	}
	known := []struct{ kind, login string }{{"enabled", "ann@example.com"}, {"disabled", "dis@example.com"}, {"pending", "pen@example.com"}}
	c := e.client()
	cases := []struct {
		name, method, path string
		samples            int
		body               func(string) any
	}{
		{"login", "POST", "/login", 31, func(l string) any { return map[string]string{"login": l, "password": "wrong password"} }},
		{"forgot", "POST", "/forgot", 201, func(l string) any { return map[string]string{"email": l} }},
		{"resend", "POST", "/verify", 201, func(l string) any { return map[string]string{"login": l} }},
	}
	for _, tc := range cases {
		for _, k := range known {
			t.Run(tc.name+"/"+k.kind, func(t *testing.T) {
				// Every answer is the unknown user's, word for word.
				want := c.do(tc.method, tc.path, tc.body("nobody@example.com"))
				if want.status >= 500 {
					t.Fatalf("%s: %d", tc.path, want.status)
				}
				measure := func(login string) time.Duration {
					start := time.Now()
					r := c.do(tc.method, tc.path, tc.body(login))
					d := time.Since(start)
					if r.status != want.status || string(r.body) != string(want.body) {
						t.Fatalf("%s for %s: %d %s; for an unknown user %d %s", tc.path, login, r.status, r.body, want.status, want.body)
					}
					// Let work done after the answer finish before the next sample.
					time.Sleep(2 * time.Millisecond)
					return d
				}
				measure("warm@example.com")
				// A real difference shows in every round; noise from whatever else
				// the machine runs (go test runs packages in parallel) rarely
				// shows in three rounds in a row.
				const rounds = 3
				for round := 1; ; round++ {
					diff, mu := timingRound(tc.samples, k.login, measure)
					ok := float64(diff) <= 0.10*float64(mu)
					t.Logf("round %d: median unknown %v, median paired difference %v (%.1f%%)",
						round, mu, diff, 100*float64(diff)/float64(mu))
					if ok {
						break
					}
					if round == rounds {
						t.Fatalf("known and unknown users differ by more than 10%% in %d rounds", rounds)
					}
				}
			})
		}
	}
}

// timingRound measures samples pairs of a known and an unknown user,
// alternating which goes first, and returns the median of the paired
// differences (each pair ran under the same load, so load that changes
// during the run does not tilt it) and the unknown user's median.
func timingRound(samples int, knownLogin string, measure func(login string) time.Duration) (diff, unknownMedian time.Duration) {
	var unknown, diffs []time.Duration
	for i := 0; i < samples; i++ {
		var k, u time.Duration
		if i%2 == 0 {
			k, u = measure(knownLogin), measure("nobody@example.com")
		} else {
			u, k = measure("nobody@example.com"), measure(knownLogin)
		}
		unknown = append(unknown, u)
		diffs = append(diffs, k-u)
	}
	diff = median(diffs)
	if diff < 0 {
		diff = -diff
	}
	return diff, median(unknown)
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
