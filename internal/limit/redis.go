package limit

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose counters live in Redis, so that every node
// counts against the same limits. It runs the GCRA of
// github.com/go-redis/redis_rate as one script per check, on Redis's clock.
type Redis struct {
	lim    *redis_rate.Limiter
	prefix string
}

// NewRedis returns a limiter on client; keys are stored under prefix.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{lim: redis_rate.NewLimiter(client), prefix: prefix}
}

// Allow implements Limiter.
func (l *Redis) Allow(ctx context.Context, key string, r Rate, n int) (Result, error) {
	if r.Off() {
		return Result{Allowed: true}, nil
	}
	lim := redis_rate.Limit{Rate: r.Count, Burst: r.Count, Period: r.Per}
	res, err := l.lim.AllowN(ctx, l.prefix+key, lim, n)
	if err != nil {
		return Result{}, err
	}
	if n > 0 {
		if res.Allowed > 0 {
			return Result{Allowed: true}, nil
		}
		return Result{RetryAfter: max(res.RetryAfter, time.Millisecond)}, nil
	}
	// A look (n = 0) is allowed by the script even when the bucket is empty;
	// one more event fits only with a whole event remaining.
	if res.Remaining >= 1 {
		return Result{Allowed: true}, nil
	}
	return Result{RetryAfter: max(res.ResetAfter-time.Duration(r.Count-1)*r.interval(), time.Millisecond)}, nil
}
