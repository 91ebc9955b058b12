package server

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/breach"
	"github.com/userdb/userdb/internal/device"
	"github.com/userdb/userdb/internal/limit"
	"github.com/userdb/userdb/internal/service"
)

// newLimits builds the rate limits of the configuration: counters in Redis
// when redis.addr is set (shared by every node) and reachable, in this
// node's memory otherwise. It returns nil when limits are switched off.
func (s *Server) newLimits(clock userdb.Clock) (*limit.Rules, error) {
	rl := s.cfg.Protection.RateLimits
	if !rl.Enabled {
		return nil, nil
	}
	rates := map[string]limit.Rate{}
	for rule, text := range map[string]config.Rate{
		limit.LoginIP: rl.LoginPerIP, limit.LoginName: rl.LoginPerName, limit.LoginFailuresIP: rl.LoginFailuresPerIP,
		limit.KnownDeviceFailures: rl.KnownDeviceFailures, limit.RegisterIP: rl.RegisterPerIP,
		limit.ForgotIP: rl.ForgotPerIP, limit.VerifyIP: rl.VerifyPerIP, limit.EmailAddress: rl.EmailsPerAddress,
		limit.PasswordUser: rl.PasswordPerUser, limit.AdminKey: rl.AdminAPIPerKey, limit.TokenClient: rl.TokenPerClient,
	} {
		n, per, err := text.Parse()
		if err != nil {
			return nil, &userdb.Error{Code: userdb.EINVALID, Message: "protection.rate_limits." + rule + ": " + err.Error()}
		}
		rates[rule] = limit.Rate{Count: n, Per: per}
	}
	var lim limit.Limiter = limit.NewMemory(clock.Now)
	if s.redis != nil {
		// Counted in this node's memory while Redis is down (per node).
		lim = &limit.Fallback{Shared: limit.NewRedis(s.redis, "userdb:limit:"), Local: lim, Healthy: s.redisHealthy}
	}
	hits := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "userdb_rate_limited_total", Help: "Requests refused by a rate limit, by rule.",
	}, []string{"rule"})
	for rule := range rates {
		hits.WithLabelValues(rule) // every rule shows, at 0 until it refuses
	}
	s.metrics.reg.MustRegister(hits)
	return limit.NewRules(lim, rates, clock.Now, s.log, func(ctx context.Context, h limit.Hit) {
		hits.WithLabelValues(h.Rule).Inc()
		if h.First {
			s.recordLimit(ctx, clock, h)
		}
	}), nil
}

// recordLimit writes the first refusal of a key in a period to the audit log.
func (s *Server) recordLimit(ctx context.Context, clock userdb.Clock, h limit.Hit) {
	m := service.MetaFrom(ctx)
	e := &userdb.Event{Type: "rate_limited", Time: clock.Now(), ActorID: m.ActorID, IP: m.IP, UserAgent: m.UserAgent,
		Details: map[string]any{"rule": h.Rule, "key": h.Key}}
	if err := s.store.CreateEvent(context.WithoutCancel(ctx), e); err != nil {
		s.log.Warn("recording a rate limit", "err", err)
	}
}

// serviceLimits hands the service its limits, or none (a nil *limit.Rules
// in the interface would not read as nil).
func serviceLimits(r *limit.Rules) service.Limits {
	if r == nil {
		return nil
	}
	return r
}

// deviceCookies is the device cookie of the configuration, signed with the
// instance's cookie key.
func (s *Server) deviceCookies() *device.Cookies {
	d := s.cfg.Protection.Devices
	return &device.Cookies{Name: d.CookieName, Key: s.keys.CookieKey, Lifetime: time.Duration(d.Lifetime)}
}

// expiryEvery is how often the password expiry warnings are looked for.
const expiryEvery = time.Hour

// SendExpiryWarnings runs the password expiry warning job once and returns
// how many warnings it sent; Run runs it every hour. Any number of nodes may
// run it at once: each warning goes out once.
func (s *Server) SendExpiryWarnings(ctx context.Context) (int, error) {
	return s.svc.SendExpiryWarnings(ctx)
}

func (s *Server) warnExpiries(ctx context.Context) {
	if s.cfg.Password.MaxAge <= 0 || len(s.cfg.Password.ExpiryWarning) == 0 {
		return
	}
	s.repeat(ctx, expiryEvery, s.svc.SendExpiryWarnings, "sending password expiry warnings", "sent password expiry warnings")
}

// repeat runs job at once and then every interval until ctx ends, logging
// its failures as failed and the count of what it did (if any) as did.
func (s *Server) repeat(ctx context.Context, every time.Duration, job func(context.Context) (int, error), failed, did string) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := job(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn(failed, "err", err)
		} else if n > 0 {
			s.log.Info(did, "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// newBreaches opens the breach list of the configuration: the offline file
// when password.breach.file is set, the range API otherwise; nil when the
// check is off.
func (s *Server) newBreaches(clock userdb.Clock) (service.Breaches, error) {
	b := s.cfg.Password.Breach
	if s.cfg.Password.BreachCheck == service.BreachOff || s.cfg.Password.BreachCheck == "" {
		return nil, nil
	}
	if b.File != "" {
		f, err := breach.Open(b.File)
		if err != nil {
			return nil, &userdb.Error{Code: userdb.EINVALID, Message: "password.breach.file: " + err.Error()}
		}
		return f, nil
	}
	return &breach.Range{BaseURL: b.APIURL, Client: &http.Client{Timeout: time.Duration(b.Timeout)},
		CacheTTL: time.Duration(b.CacheTTL), Now: clock.Now}, nil
}
