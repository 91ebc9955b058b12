package server

import (
	"context"
	"time"
)

// apiKeyExpiryEvery is how often expired API keys are recorded and the
// creators of keys about to expire warned.
const apiKeyExpiryEvery = time.Hour

// sweepAPIKeys runs the API key expiry job (service.SweepAPIKeys) at
// start-up and every hour; every node runs it, each expiry and warning
// happens once.
func (s *Server) sweepAPIKeys(ctx context.Context) {
	t := time.NewTicker(apiKeyExpiryEvery)
	defer t.Stop()
	for {
		if n, err := s.svc.SweepAPIKeys(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeping expired API keys", "err", err)
		} else if n > 0 {
			s.log.Info("warned of API keys about to expire", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
