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
	s.repeat(ctx, apiKeyExpiryEvery, s.svc.SweepAPIKeys, "sweeping expired API keys", "warned of API keys about to expire")
}
