package userdb

import (
	"context"
	"time"
)

// FactorKind names a kind of second factor.
type FactorKind string

const (
	// FactorTOTP is an authenticator app's time-based code (RFC 6238).
	FactorTOTP FactorKind = "totp"
	// FactorWebAuthn is a security key or passkey (WebAuthn).
	FactorWebAuthn FactorKind = "webauthn"
)

// Factor is a second factor of a user. Secret is the kind's secret sealed
// with the instance key (a TOTP key); Data its public part (a WebAuthn
// credential, JSON); KeyHash, when not nil, finds it by a credential id
// (SHA-256) and is unique. Counter is the last TOTP time step used, so a
// code is accepted once, or a WebAuthn signature counter. A factor being
// enrolled has no ConfirmedAt and counts for nothing.
type Factor struct {
	ID          string
	UserID      string
	Kind        FactorKind
	Name        string
	Secret      []byte
	Data        string
	KeyHash     []byte
	Counter     int64
	ConfirmedAt *time.Time
	CreatedAt   time.Time
	LastUsedAt  *time.Time
}

// MFAPolicy says whether users must have a second factor.
type MFAPolicy string

const (
	MFAOff      MFAPolicy = "off"      // no second factor is asked or offered
	MFAOptional MFAPolicy = "optional" // users may add one; it is asked when they have
	MFARequired MFAPolicy = "required" // users must have one
)

// Valid reports whether p is one of the three policies.
func (p MFAPolicy) Valid() bool { return p == MFAOff || p == MFAOptional || p == MFARequired }

// MFADevice is a browser a user asked to remember after a second factor:
// its cookie holds a random secret whose SHA-256 is TokenHash.
type MFADevice struct {
	TokenHash []byte
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string
	UserAgent string
}

// MFAStore keeps second factors, recovery codes, remembered devices and
// the policies set on accounts and roles.
type MFAStore interface {
	// CreateFactor stores f; ECONFLICT when its id or key hash is taken,
	// ENOTFOUND when its user does not exist.
	CreateFactor(ctx context.Context, f *Factor) error
	// FindFactor returns the factor with the id, or ENOTFOUND.
	FindFactor(ctx context.Context, id string) (*Factor, error)
	// FindFactorByKey returns the factor with the key hash, or ENOTFOUND.
	FindFactorByKey(ctx context.Context, hash []byte) (*Factor, error)
	// FindUserFactors lists the user's factors, confirmed or not, oldest
	// first.
	FindUserFactors(ctx context.Context, userID string) ([]*Factor, error)
	// ConfirmFactor marks an unconfirmed factor confirmed at now, with the
	// counter; ENOTFOUND when there is no such unconfirmed factor.
	ConfirmFactor(ctx context.Context, id string, counter int64, now time.Time) error
	// UseFactor records a use of a confirmed factor with the counter, only
	// if the counter is above the stored one: of concurrent uses with one
	// counter exactly one succeeds; the others, and a counter not above
	// the stored one, fail with ECONFLICT. A counter of 0 on a factor whose
	// counter is 0 (a synced passkey, which does not count) records the use
	// without the condition. ENOTFOUND when there is no such confirmed
	// factor.
	UseFactor(ctx context.Context, id string, counter int64, now time.Time) error
	// RenameFactor changes a factor's name; ENOTFOUND when there is none.
	RenameFactor(ctx context.Context, id, name string) error
	// DeleteFactor removes a factor; ENOTFOUND when there is none.
	DeleteFactor(ctx context.Context, id string) error
	// DeleteUserFactors removes every factor of the user and says how many.
	DeleteUserFactors(ctx context.Context, userID string) (int, error)

	// ReplaceRecoveryCodes replaces the user's recovery codes by the
	// hashes (none removes them all).
	ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error
	// UseRecoveryCode uses up the user's unused code with the hash: of
	// concurrent uses exactly one succeeds; the others, and unknown or used
	// codes, fail with ENOTFOUND.
	UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) error
	// CountRecoveryCodes says how many of the user's codes are unused.
	CountRecoveryCodes(ctx context.Context, userID string) (int, error)

	// CreateMFADevice stores a remembered device; ENOTFOUND when its user
	// does not exist.
	CreateMFADevice(ctx context.Context, d *MFADevice) error
	// FindMFADevice returns the user's device with the hash, unexpired at
	// now, or ENOTFOUND.
	FindMFADevice(ctx context.Context, userID string, hash []byte, now time.Time) (*MFADevice, error)
	// DeleteUserMFADevices forgets every remembered device of the user.
	DeleteUserMFADevices(ctx context.Context, userID string) (int, error)
	// DeleteExpiredMFADevices removes those that expired before now.
	DeleteExpiredMFADevices(ctx context.Context, now time.Time) (int, error)

	// SetMFAPolicy sets the policy of an account or role by its id; ""
	// removes it (the default applies).
	SetMFAPolicy(ctx context.Context, subjectID string, p MFAPolicy, now time.Time) error
	// FindMFAPolicies returns the policies set on the ids (absent ones are
	// not in the map).
	FindMFAPolicies(ctx context.Context, subjectIDs []string) (map[string]MFAPolicy, error)

	// StartMFAGrace records now as the start of the user's grace period
	// unless one started already, and returns the start; ENOTFOUND when the
	// user does not exist.
	StartMFAGrace(ctx context.Context, userID string, now time.Time) (time.Time, error)
	// EndMFAGrace forgets the user's grace period.
	EndMFAGrace(ctx context.Context, userID string) error
}
