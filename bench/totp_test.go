package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/server"
)

// BenchmarkLoginTOTPHandler measures the sign-in of a user with a TOTP
// factor without the network — POST /login with the password, then POST
// /login/mfa with the code — beside the plain POST /login of a user without
// one and the raw hash, at the default argon2id parameters, in alternating
// rounds of the same run. It reports the CPU time of each per sign-in and
// the ratios: what the second step adds to a sign-in, and both against the
// hash (the harness's login and login-totp "by CPU").
func BenchmarkLoginTOTPHandler(b *testing.B) {
	ctx := context.Background()
	p := password.DefaultParams()
	const users, enrolled = 1000, 128
	cfg := seeded(b, "totp0", users, p, nil)
	cfg.Protection.RateLimits.Enabled = false // the enrolment signs in 128 users from one address
	srv, err := server.Open(ctx, cfg, server.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close(context.Background()) })
	// The enrolment goes through the harness's own code, over loopback.
	ts := httptest.NewServer(srv)
	defer ts.Close()
	h := &harness{o: &options{timeout: time.Minute}, progress: io.Discard, tgt: &target{base: ts.URL}, tag: "totp0", users: users}
	totpUsers, err := h.enrolTOTP(ctx, enrolled, runtime.NumCPU())
	if err != nil {
		b.Fatal(err)
	}

	var failed atomic.Int64
	serve := func(req *http.Request) (*http.Response, error) {
		req.RemoteAddr = "127.0.0.1:40000"
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec.Result(), nil
	}
	login := func(i int) {
		// The first users: enrolTOTP took the last ones.
		req, _ := loginRequest(ctx, "http://127.0.0.1:8080", emailOf("totp0", i%(users-enrolled)), benchPassword)
		if res, _ := serve(req); res.StatusCode != http.StatusOK {
			failed.Add(1)
		}
	}
	var next atomic.Int64
	loginTOTP := func(int) {
		u, step := claimTOTPStep(totpUsers, &next, time.Now())
		if u == nil {
			b.Fatalf("the %d TOTP users have used their codes of this step", enrolled)
		}
		if status, err := signInTOTP(ctx, serve, "http://127.0.0.1:8080", u, step); err != nil || status != http.StatusOK {
			failed.Add(1)
		}
	}
	login(0) // warm the caches and the pool
	b.ResetTimer()
	cpu := alternateCPU(b, cpuOp{runtime.NumCPU(), hashOnce(p)}, cpuOp{8, login}, cpuOp{8, loginTOTP})
	b.StopTimer()
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d sign-ins failed", n)
	}
	perOp := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(perOp(cpu[0]), "hash-cpu-ns/op")
	b.ReportMetric(perOp(cpu[1]), "login-cpu-ns/op")
	b.ReportMetric(perOp(cpu[2]), "totp-cpu-ns/op")
	b.ReportMetric(float64(cpu[0])/float64(cpu[1]), "login-ratio")
	b.ReportMetric(float64(cpu[0])/float64(cpu[2]), "totp-ratio")
	b.ReportMetric(float64(cpu[2])/float64(cpu[1]), "totp-over-login")
}
