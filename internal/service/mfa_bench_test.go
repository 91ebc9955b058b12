package service_test

import (
	"testing"
	"time"

	"github.com/userdb/userdb/internal/service"
)

// BenchmarkMFAStep times VerifyMFA with the right code of the next step
// each time (a real sign-in's second step: unseal, three HMACs, the
// replay-proof UPDATE, and the session), and BenchmarkPasswordStep the
// password step before it, in the same run: their ratio is what the
// second factor adds to a sign-in.
func BenchmarkMFAStep(b *testing.B) {
	e := newEnv(b)
	e.user("", "ann@example.com", "secret pass 1")
	secret, _ := e.enrolTOTP("ann@example.com", "secret pass 1")
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		e.clock.Add(30 * time.Second)
		ctx, p := e.pending("dev-A", "ann@example.com", "secret pass 1")
		code := e.code(secret, 0)
		b.StartTimer()
		if _, err := e.svc.VerifyMFA(ctx, p, service.MFAProof{Code: code}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPasswordStep is the password step of the same sign-in.
func BenchmarkPasswordStep(b *testing.B) {
	e := newEnv(b)
	e.user("", "ann@example.com", "secret pass 1")
	e.enrolTOTP("ann@example.com", "secret pass 1")
	for b.Loop() {
		if _, err := e.svc.Login(browser("dev-A", ""), "ann@example.com", "secret pass 1"); err != nil {
			b.Fatal(err)
		}
	}
}
