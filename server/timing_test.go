package server_test

import (
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/config"
	"github.com/userdb/userdb/server"
)

// TestTimingDoesNotRevealUsers measures the response time of each endpoint
// that takes a login for a known and an unknown user, interleaved, and wants
// the median difference within 10% of the median time. Sign-in runs at the default
// argon2id parameters, since the hash is what dominates its time.
func TestTimingDoesNotRevealUsers(t *testing.T) {
	if testing.Short() {
		t.Skip("timing test: not in -short mode")
	}
	e := newEnv(t, func(c *server.Config) {
		def := config.Default()
		c.Hashing = def.Hashing
		c.Lockout.AfterFailures = 0 // a lock would change the known user's path
		c.Endpoints.Verify.Enabled = true
	})
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	cases := []struct {
		name, method, path string
		samples            int
		body               func(string) any
		tolerance          time.Duration // absolute slack for sub-millisecond answers
	}{
		{"login", "POST", "/login", 31, func(l string) any { return map[string]string{"login": l, "password": "wrong password"} }, 0},
		{"forgot", "POST", "/forgot", 101, func(l string) any { return map[string]string{"email": l} }, 50 * time.Microsecond},
		{"resend", "POST", "/verify", 101, func(l string) any { return map[string]string{"login": l} }, 50 * time.Microsecond},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var known, unknown []time.Duration
			measure := func(login string) time.Duration {
				start := time.Now()
				r := c.do(tc.method, tc.path, tc.body(login))
				d := time.Since(start)
				if r.status >= 500 {
					t.Fatalf("%s: %d", tc.path, r.status)
				}
				// Let work done after the answer finish before the next sample.
				time.Sleep(2 * time.Millisecond)
				return d
			}
			measure("warm@example.com")
			// Alternate which goes first, so neither always follows the other.
			for i := 0; i < tc.samples; i++ {
				if i%2 == 0 {
					known = append(known, measure("ann@example.com"))
					unknown = append(unknown, measure("nobody@example.com"))
				} else {
					unknown = append(unknown, measure("nobody@example.com"))
					known = append(known, measure("ann@example.com"))
				}
			}
			// Compare adjacent pairs: each pair ran under the same load, so the
			// median of their differences is not thrown off by load that
			// changes during the run (other tests, other processes).
			diffs := make([]time.Duration, len(known))
			for i := range known {
				diffs[i] = known[i] - unknown[i]
			}
			mu := median(unknown)
			diff := median(diffs)
			if diff < 0 {
				diff = -diff
			}
			t.Logf("median known %v, unknown %v, median paired difference %v (%.1f%%)",
				median(known), mu, diff, 100*float64(diff)/float64(mu))
			if diff > tc.tolerance && float64(diff) > 0.10*float64(mu) {
				t.Fatalf("known and unknown users differ by more than 10%%: paired difference %v, unknown median %v", diff, mu)
			}
		})
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
