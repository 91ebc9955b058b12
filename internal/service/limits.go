package service

import (
	"context"

	"github.com/userdb/userdb/internal/limit"
)

// loginAllowed applies the sign-in limits before any work: attempts per
// client IP, failed attempts per IP across names (credential stuffing), and
// attempts per name typed — counted on the text, so a name nobody has is
// limited exactly as a user's.
func (s *Service) loginAllowed(ctx context.Context, login string) error {
	ip := MetaFrom(ctx).IP
	if err := s.limits.Take(ctx, limit.LoginIP, ip); err != nil {
		return err
	}
	if err := s.limits.Check(ctx, limit.LoginFailuresIP, ip); err != nil {
		return err
	}
	return s.limits.Take(ctx, limit.LoginName, login)
}

// loginFailed counts a failed sign-in against its client IP.
func (s *Service) loginFailed(ctx context.Context) {
	s.limits.Charge(ctx, limit.LoginFailuresIP, MetaFrom(ctx).IP)
}

// emailAllowed says whether another workflow email may go to address now.
// Past the limit the request is answered as any other and sends nothing, so
// a loop cannot flood a mailbox and learns nothing about who exists.
func (s *Service) emailAllowed(ctx context.Context, address string) bool {
	return s.limits.Take(ctx, limit.EmailAddress, address) == nil
}

// TokenRequestAllowed counts a request to the OAuth token endpoint against
// its client (the id it names, authenticated or not: a flood of requests
// with a wrong secret is limited like any other).
func (s *Service) TokenRequestAllowed(ctx context.Context, clientID string) error {
	return s.limits.Take(ctx, limit.TokenClient, clientID)
}
