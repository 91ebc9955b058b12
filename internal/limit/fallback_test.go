package limit_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/limit"
)

type broken struct{}

func (broken) Allow(context.Context, string, limit.Rate, int) (limit.Result, error) {
	return limit.Result{}, errors.New("connection refused")
}

// TestFallback counts in the shared limiter while it is healthy, and in the
// local one while it is known down or fails: the limit keeps holding.
func TestFallback(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	rate := limit.Rate{Count: 2, Per: time.Hour}
	ctx := context.Background()
	allowed := func(l limit.Limiter) bool {
		t.Helper()
		res, err := l.Allow(ctx, "k", rate, 1)
		if err != nil {
			t.Fatal(err)
		}
		return res.Allowed
	}

	shared, local := limit.NewMemory(now), limit.NewMemory(now)
	healthy := true
	f := &limit.Fallback{Shared: shared, Local: local, Healthy: func() bool { return healthy }}
	if !allowed(f) || !allowed(f) || allowed(f) {
		t.Fatal("healthy: the shared limiter did not allow 2 of 3")
	}
	healthy = false
	if !allowed(f) || !allowed(f) || allowed(f) {
		t.Fatal("down: the local limiter did not take over with counters of its own")
	}

	f = &limit.Fallback{Shared: broken{}, Local: limit.NewMemory(now), Healthy: func() bool { return true }}
	if !allowed(f) || !allowed(f) || allowed(f) {
		t.Fatal("failing shared limiter: the local one did not hold the limit")
	}
}
