package limit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Memory is a Limiter of this node only: a token bucket per key
// (golang.org/x/time/rate), which behaves as the GCRA of the Redis limiter.
// Keys unused for longer than their rate's period are dropped.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	sweepAt time.Time
}

type bucket struct {
	lim  *rate.Limiter
	rate Rate
	used time.Time
}

// NewMemory returns an in-memory limiter reading the time from now (the
// service's clock, so tests can move it).
func NewMemory(now func() time.Time) *Memory {
	return &Memory{now: now, buckets: make(map[string]*bucket)}
}

// sweepEvery is how often Memory looks for idle buckets to drop.
const sweepEvery = time.Minute

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, r Rate, n int) (Result, error) {
	if r.Off() {
		return Result{Allowed: true}, nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.After(m.sweepAt) {
		m.sweep(now)
	}
	b := m.buckets[key]
	if b == nil || b.rate != r {
		b = &bucket{lim: rate.NewLimiter(rate.Every(r.interval()), r.Count), rate: r}
		m.buckets[key] = b
	}
	b.used = now
	if n > 0 && b.lim.AllowN(now, n) {
		return Result{Allowed: true}, nil
	}
	tokens := b.lim.TokensAt(now)
	need := float64(max(n, 1))
	if n == 0 && tokens >= 1 {
		return Result{Allowed: true}, nil
	}
	wait := time.Duration((need - tokens) * float64(r.interval()))
	return Result{RetryAfter: max(wait, time.Millisecond)}, nil
}

// sweep drops buckets that have refilled completely: forgetting them
// changes no verdict.
func (m *Memory) sweep(now time.Time) {
	for k, b := range m.buckets {
		if now.Sub(b.used) > b.rate.Per {
			delete(m.buckets, k)
		}
	}
	m.sweepAt = now.Add(sweepEvery)
}

// Len returns the number of keys held (tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}
