package userdb

import (
	"context"
	"time"
)

// PendingStage is what a pending sign-in still needs before it becomes a
// session.
type PendingStage string

const (
	// PendingMFA waits for a second factor.
	PendingMFA PendingStage = "mfa"
	// PendingPasswordChange waits for a new password: the one given has
	// expired or was temporary.
	PendingPasswordChange PendingStage = "password_change"
)

// PendingLogin is a sign-in whose password was right but which is not
// complete. It is not a session: it authorizes only completing its stage.
// The browser holds a random secret; the store keeps its SHA-256
// (TokenHash). DeviceHash binds it to the device cookie of the browser that
// started it (nil when that request had none).
type PendingLogin struct {
	ID         string
	TokenHash  []byte
	UserID     string
	Stage      PendingStage
	AMR        []string // how the user has authenticated so far (RFC 8176)
	DeviceHash []byte
	CreatedAt  time.Time
	ExpiresAt  time.Time
	// Remember: the sign-in asked to keep the session it becomes
	// (Session.Remembered).
	Remember bool
}

// PendingLoginStore keeps pending sign-ins.
type PendingLoginStore interface {
	// CreatePendingLogin stores p; ECONFLICT when its id or token hash is
	// taken, ENOTFOUND when its user does not exist.
	CreatePendingLogin(ctx context.Context, p *PendingLogin) error
	// FindPendingLogin returns the pending sign-in whose token has the
	// hash and that is unexpired at now, or ENOTFOUND.
	FindPendingLogin(ctx context.Context, hash []byte, now time.Time) (*PendingLogin, error)
	// UsePendingLogin removes the pending sign-in with the id if it is
	// unexpired at now: of any number of concurrent calls exactly one
	// succeeds; the others, and calls for expired or unknown ones, fail
	// with ENOTFOUND.
	UsePendingLogin(ctx context.Context, id string, now time.Time) error
	// DeleteUserPendingLogins removes every pending sign-in of the user and
	// says how many.
	DeleteUserPendingLogins(ctx context.Context, userID string) (int, error)
	// DeleteExpiredPendingLogins removes those that expired before now.
	DeleteExpiredPendingLogins(ctx context.Context, now time.Time) (int, error)
}
