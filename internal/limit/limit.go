package limit

import (
	"context"
	"fmt"
	"time"
)

// Rate allows Count events per Per, refilled evenly over Per (the generic
// cell rate algorithm): a full burst of Count at once, then one event every
// Per/Count. A zero Count means no limit.
type Rate struct {
	Count int
	Per   time.Duration
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.Count <= 0 || r.Per <= 0 }

func (r Rate) String() string {
	if r.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Count, r.Per)
}

// interval is the time one event's allowance takes to come back.
func (r Rate) interval() time.Duration { return r.Per / time.Duration(r.Count) }

// Result is a Limiter's verdict.
type Result struct {
	Allowed bool
	// RetryAfter is how long until one more event is allowed (0 when Allowed).
	RetryAfter time.Duration
}

// Limiter counts events per key. Implementations are safe for concurrent use.
type Limiter interface {
	// Allow counts n events for key under r and says whether they fit. With
	// n = 0 it counts nothing and says whether one more event would fit.
	Allow(ctx context.Context, key string, r Rate, n int) (Result, error)
}
