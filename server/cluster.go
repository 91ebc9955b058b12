package server

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/userdb/userdb/internal/cluster"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
)

// openRedis connects to redis.addr, when set: the rate limits' shared
// counters and the bus that carries cache invalidations between nodes.
// Nothing is dialled yet; Run subscribes the bus.
func (s *Server) openRedis() {
	rc := s.cfg.Redis
	if rc.Addr == "" {
		return
	}
	s.redis = redis.NewClient(&redis.Options{
		Addr: rc.Addr, Password: rc.Password, DB: rc.DB,
		DialTimeout: 2 * time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second,
	})
	// Pub/sub channels are not per database: the number keeps clusters
	// that share a Redis on different databases apart.
	s.bus = cluster.New(s.redis, "userdb:"+strconv.Itoa(rc.DB)+":changes", s.log)
	s.metrics.reg.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "userdb_redis_up", Help: "1 while this node is subscribed to the other nodes' changes through Redis; 0 while caches are off and lookups read the database.",
		}, func() float64 {
			if s.bus.Connected() {
				return 1
			}
			return 0
		}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "userdb_cache_invalidations_sent_total", Help: "Changes this node announced to the others.",
		}, func() float64 { return float64(s.bus.Stats().Sent) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "userdb_cache_invalidations_received_total", Help: "Changes of other nodes applied to this node's caches.",
		}, func() float64 { return float64(s.bus.Stats().Received) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "userdb_cache_invalidations_failed_total", Help: "Changes this node could not announce (the others see them within sessions.cache_ttl).",
		}, func() float64 { return float64(s.bus.Stats().Failed) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "userdb_cache_resyncs_total", Help: "Subscriptions to the other nodes' changes, each of which emptied the caches.",
		}, func() float64 { return float64(s.bus.Stats().Resyncs) }),
	)
}

// peers hands the service the bus, or none (a nil *cluster.Bus in the
// interface would not read as nil).
func (s *Server) peers() service.Peers {
	if s.bus == nil {
		return nil
	}
	return s.bus
}

// runBus keeps the bus subscribed until ctx ends. Besides the service's
// caches, another node's change makes the OAuth provider read the
// revocations at once: ending a user's sessions (a "user:" key) revokes
// the user's tokens in the same transaction, and the provider announces
// its own (oauth.RevocationsChanged); "*" follows a resubscription, when
// messages may have been missed.
func (s *Server) runBus(ctx context.Context) {
	if s.bus == nil {
		return
	}
	s.bus.Run(ctx, func(key string) {
		if s.oauth != nil && (key == oauth.RevocationsChanged || key == "*" || strings.HasPrefix(key, "user:")) {
			s.oauth.PollRevocations()
		}
		if key != oauth.RevocationsChanged {
			s.svc.Forget(key)
		}
	})
}

// redisHealthy says whether the shared rate-limit counters are worth
// trying: Redis is not known to be down.
func (s *Server) redisHealthy() bool { return s.bus != nil && !s.bus.Failing() }
