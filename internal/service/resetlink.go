package service

import (
	"context"

	"github.com/userdb/userdb"
)

// ResetTokenUser returns the user a password-reset token was sent to, while
// the token is good, without using it up: the reset page names the account
// to password managers, so they save the new password for it. Whoever holds
// the link may reset the password anyway, so this tells them nothing more.
// Errors: EINVALID (field sptoken) for an unknown, used or expired token.
func (s *Service) ResetTokenUser(ctx context.Context, token string) (*userdb.User, error) {
	_, u, err := s.findTokenUser(ctx, userdb.TokenReset, token)
	return u, err
}
