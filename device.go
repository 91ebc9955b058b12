package userdb

import (
	"context"
	"time"
)

// Device is a browser a user signed in from, known by the SHA-256 of the
// random id its device cookie carries.
type Device struct {
	UserID     string
	DeviceHash []byte
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// TokenNotMe is the "This wasn't me" link of a new-device notice: using it
// reports the sign-in as someone else's.
const TokenNotMe TokenKind = "not_me"

// ProtectionStore keeps what account protection remembers: devices users
// signed in from and the password expiry warnings sent.
type ProtectionStore interface {
	// TouchDevice records a sign-in from d: it adds the device, or moves its
	// LastSeenAt, IP and UserAgent. created is true for exactly one of any
	// number of concurrent first sign-ins from one device. ENOTFOUND when the
	// user does not exist.
	TouchDevice(ctx context.Context, d *Device) (created bool, err error)
	// FindDevice returns the user's device with the hash, or ENOTFOUND.
	FindDevice(ctx context.Context, userID string, hash []byte) (*Device, error)
	// DeleteUserDevices forgets every device of the user and says how many.
	DeleteUserDevices(ctx context.Context, userID string) (int, error)

	// FindPasswordsSetBetween lists up to limit users with a password whose
	// password was set (PasswordChangedAt, else CreatedAt) within [from, to],
	// oldest first.
	FindPasswordsSetBetween(ctx context.Context, from, to time.Time, limit int) ([]*User, error)
	// ClaimPasswordWarning records that the warning sent the interval before
	// expiry, for the password the user set at changedAt, is being sent. It
	// is true for exactly one caller; false when it was claimed already.
	// ENOTFOUND when the user does not exist.
	ClaimPasswordWarning(ctx context.Context, userID string, changedAt time.Time, before time.Duration, now time.Time) (bool, error)
}
