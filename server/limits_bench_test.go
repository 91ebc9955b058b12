package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// everyLimit sets every rate limit to rate ("off", or a rate so high that
// it counts every request and refuses none).
func everyLimit(rate string) func(*server.Config) {
	return func(c *server.Config) {
		rl := &c.Protection.RateLimits
		for _, f := range []*config.Rate{&rl.LoginPerIP, &rl.LoginPerName, &rl.LoginFailuresPerIP, &rl.KnownDeviceFailures,
			&rl.RegisterPerIP, &rl.ForgotPerIP, &rl.VerifyPerIP, &rl.EmailsPerAddress, &rl.PasswordPerUser,
			&rl.AdminAPIPerKey, &rl.TokenPerClient} {
			*f = config.Rate(rate)
		}
	}
}

// BenchmarkRateLimiterCost measures POST /login and GET /me through the
// whole handler (no network) on a server whose every limit counts (set so
// high that none refuses) against the same server with limits off, in
// alternating rounds of the same run. It reports each side's ns per request
// and the ratio of throughputs, limited over unlimited (issue 17's target:
// at least 0.97). Sign-ins use the tests' fast argon2id parameters, so the
// limiter's share is larger than with the production ones.
func BenchmarkRateLimiterCost(b *testing.B) {
	const users = 64
	type side struct {
		e       *env
		cookies []string
	}
	open := func(rate string) side {
		e := newEnvB(b, everyLimit(rate))
		s := side{e: e}
		for i := range users {
			email := fmt.Sprintf("user%d@example.com", i)
			if _, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), service.NewUser{Email: email, Password: "correct horse battery", Verified: true}); err != nil {
				b.Fatal(err)
			}
			l, err := inside.Service(e.srv).Login(context.Background(), email, "correct horse battery")
			if err != nil {
				b.Fatal(err)
			}
			// httptest's requests are for example.com, not loopback: the
			// cookie is Secure there, so its name has the __Host- prefix.
			s.cookies = append(s.cookies, "__Host-userdb="+l.Secret)
		}
		return s
	}
	on, off := open("1000000000/1m"), open("off")
	for _, tc := range []struct {
		name string
		req  func(s side, i int) *http.Request
	}{
		{"GET /me", func(s side, i int) *http.Request {
			r := httptest.NewRequest("GET", "/me", nil)
			r.Header.Set("Cookie", s.cookies[i%users])
			r.Header.Set("Accept", "application/json")
			return r
		}},
		{"POST /login", func(s side, i int) *http.Request {
			r := httptest.NewRequest("POST", "/login", strings.NewReader(fmt.Sprintf(`{"login":"user%d@example.com","password":"correct horse battery"}`, i%users)))
			r.Header.Set("Content-Type", "application/json")
			return r
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			serve := func(s side, n int) time.Duration {
				start := time.Now()
				for i := range n {
					w := httptest.NewRecorder()
					s.e.srv.ServeHTTP(w, tc.req(s, i))
					if w.Code != 200 {
						b.Fatalf("%s: %d %s", tc.name, w.Code, w.Body)
					}
				}
				return time.Since(start)
			}
			serve(on, users)
			serve(off, users)
			var tOn, tOff time.Duration
			const rounds = 10
			b.ResetTimer()
			for r := range rounds {
				n := max(b.N/rounds, 1)
				if r%2 == 0 {
					tOn += serve(on, n)
					tOff += serve(off, n)
				} else {
					tOff += serve(off, n)
					tOn += serve(on, n)
				}
			}
			b.StopTimer()
			per := float64(max(b.N/rounds, 1) * rounds)
			b.ReportMetric(float64(tOn.Nanoseconds())/per, "limited-ns/req")
			b.ReportMetric(float64(tOff.Nanoseconds())/per, "unlimited-ns/req")
			b.ReportMetric(tOff.Seconds()/tOn.Seconds(), "ratio")
		})
	}
}
