package server_test

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/timingtest"
	"github.com/userdb/userdb/server"
)

// TestTimingDoesNotRevealUsers times each endpoint that takes a login for a
// known user (enabled, disabled and pending) and an unknown one, in pairs
// taken back to back, and fails when the pairs show that the known user's
// answer takes more than 10% longer, or shorter, than the unknown one's
// (internal/timingtest's rule: a one-sided sign test in each direction at
// a false-alarm probability of 0.1%). Load from whatever else the machine
// runs (go test runs packages in parallel) falls on both members of a pair
// alike, so it cannot make equal paths fail; it can only hide a difference,
// and a real one (a path that skips the hash, a synchronous lookup for
// known users before /forgot or POST /verify answers, 10-20% slower) shows
// in most pairs. Sign-in runs at the default argon2id parameters, since the
// hash is what dominates its time. There is no absolute slack for the fast
// answers of /forgot, POST /verify and POST /login/email (about 150µs).
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
		pairs              int
		body               func(string) any
	}{
		{"login", "POST", "/login", 31, func(l string) any { return map[string]string{"login": l, "password": "wrong password"} }},
		{"forgot", "POST", "/forgot", 301, func(l string) any { return map[string]string{"email": l} }},
		{"resend", "POST", "/verify", 301, func(l string) any { return map[string]string{"login": l} }},
		{"magic", "POST", "/login/email", 301, func(l string) any { return map[string]string{"email": l} }},
	}
	const ratio, alpha = 1.10, 0.001
	for _, tc := range cases {
		for _, k := range known {
			t.Run(tc.name+"/"+k.kind, func(t *testing.T) {
				// Every answer is the unknown user's, word for word.
				want := c.do(tc.method, tc.path, tc.body("nobody@example.com"))
				if want.status >= 500 {
					t.Fatalf("%s: %d", tc.path, want.status)
				}
				measure := func(login string) func() time.Duration {
					return func() time.Duration {
						start := time.Now()
						r := c.do(tc.method, tc.path, tc.body(login))
						d := time.Since(start)
						if r.status != want.status || string(r.body) != string(want.body) {
							t.Fatalf("%s for %s: %d %s; for an unknown user %d %s", tc.path, login, r.status, r.body, want.status, want.body)
						}
						return d
					}
				}
				measure("warm@example.com")()
				pairs := timingtest.Compare(tc.pairs, measure(k.login), measure("nobody@example.com"))
				t.Logf("known (a) against unknown (b): %s", pairs.String(ratio, alpha))
				if pairs.Differ(ratio, alpha) {
					t.Fatalf("the answers for a known and an unknown user differ by more than %.0f%%", 100*(ratio-1))
				}
				// The work behind the answers (forgot and resend look the
				// user up afterwards) ends before the next case is timed.
				e.flush()
			})
		}
	}
}
