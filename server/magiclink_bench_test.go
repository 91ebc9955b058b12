package server_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/benchtest"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// BenchmarkMagicLinkRequest measures POST /login/email through the
// server's handler (no network) for a known and for an unknown address,
// against POST /forgot of a known address, in alternating rounds of the
// same run. Each answers before its work — the lookup, the token, the
// email and the event — which is why the two addresses are told apart by
// nothing the client sees; each round waits for that work (srv.Flush), so
// the CPU time per request includes it. forgot is the baseline because it
// is the same shape of workflow, older and tuned: ratios are each one's CPU
// per request over the baseline's. forgot runs twice: the ratio of the two
// (control) is how far the machine's noise alone moves a ratio in this run.
// Wall-clock rates include Flush's wait for the background delay and are
// not reported.
func BenchmarkMagicLinkRequest(b *testing.B) {
	e := newEnvB(b, func(cfg *server.Config) {
		// One client asks at a rate no person reaches: the limits would
		// answer most of it with 429 and cap the emails per address.
		cfg.Protection.RateLimits.Enabled = false
	})
	svc := inside.Service(e.srv)
	const users = 64
	for i := range users {
		email := fmt.Sprintf("ml%d@example.com", i)
		if _, err := svc.AdminCreateUser(ctxCLI(), service.NewUser{Email: email, Password: "correct horse battery", Verified: true}); err != nil {
			b.Fatal(err)
		}
	}
	var next atomic.Uint64
	post := func(path, email string) {
		req := httptest.NewRequest("POST", path, strings.NewReader(`{"email":"`+email+`"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		var w benchtest.StatusWriter
		e.srv.ServeHTTP(&w, req)
		if w.Code != 0 && w.Code != 200 {
			b.Errorf("POST %s: %d", path, w.Code)
		}
	}
	known := func() string { return fmt.Sprintf("ml%d@example.com", next.Add(1)%users) }
	unknown := func() string { return fmt.Sprintf("nobody%d@example.com", next.Add(1)%users) }
	settle := func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := e.srv.Flush(ctx); err != nil {
			b.Fatal(err)
		}
	}
	sent0 := svc.MagicLinkStats().Sent.Load()
	b.ResetTimer()
	m := benchtest.AlternateSettled(b, settle,
		func() { post("/forgot", known()) },
		func() { post("/login/email", known()) },
		func() { post("/login/email", unknown()) },
		func() { post("/forgot", known()) },
	)
	b.StopTimer()
	// Every request for a known address stored a link and queued its
	// email: none was skipped by a limit, or the figure would be too low.
	if sent := svc.MagicLinkStats().Sent.Load() - sent0; sent != int64(b.N) {
		b.Fatalf("%d magic links sent for %d requests of a known address", sent, b.N)
	}
	forgot := m[0].CPU
	b.ReportMetric(float64(forgot.Nanoseconds()), "forgot-cpu-ns/op")
	b.ReportMetric(float64(m[1].CPU.Nanoseconds()), "known-cpu-ns/op")
	b.ReportMetric(float64(m[2].CPU.Nanoseconds()), "unknown-cpu-ns/op")
	b.ReportMetric(float64(m[1].CPU)/float64(forgot), "known-over-forgot")
	b.ReportMetric(float64(m[2].CPU)/float64(forgot), "unknown-over-forgot")
	b.ReportMetric(float64(m[3].CPU)/float64(forgot), "control")
}
