package limit

import "context"

// Fallback counts in Shared (Redis: every node's counters) while Healthy
// says it can be reached, and in Local (this node's memory) otherwise or
// when Shared fails: while Redis is down the limits still hold, per node,
// and no request waits for a Redis that does not answer.
type Fallback struct {
	Shared, Local Limiter
	Healthy       func() bool
}

// Allow implements Limiter.
func (f *Fallback) Allow(ctx context.Context, key string, r Rate, n int) (Result, error) {
	if f.Healthy() {
		if res, err := f.Shared.Allow(ctx, key, r, n); err == nil {
			return res, nil
		}
	}
	return f.Local.Allow(ctx, key, r, n)
}
