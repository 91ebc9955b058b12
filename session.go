package userdb

import "time"

// Session is a signed-in browser or client. The cookie holds a random secret;
// the store keeps only its SHA-256 (TokenHash). ID is a separate public
// handle used to list and end sessions without revealing the secret.
type Session struct {
	ID         string
	TokenHash  []byte
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // absolute end of life
	IP         string
	UserAgent  string
	// AMR says how the user authenticated (RFC 8176: "pwd" for a
	// password); the OIDC provider copies it into ID tokens. CreatedAt is
	// the authentication time, since every sign-in makes a new session.
	AMR []string
	// Remembered: the user asked to be kept signed in ("Keep me signed
	// in"); ExpiresAt is then sessions.remember_lifetime after CreatedAt,
	// and the session does not end when idle.
	Remembered bool
}

// TokenKind says what a one-time token is for.
type TokenKind string

const (
	TokenVerify TokenKind = "verify" // email verification
	TokenReset  TokenKind = "reset"  // password reset
	TokenInvite TokenKind = "invite" // invitation: verify and choose a password
	TokenMagic  TokenKind = "magic"  // passwordless sign-in link
	// TokenEmailChange confirms a new email address; the token carries the
	// address (OneTimeToken.Email) and was sent to it.
	TokenEmailChange TokenKind = "email_change"
)

// OneTimeToken is a single-use secret sent by email. The store keeps only its
// SHA-256; ConsumeToken uses it up atomically.
type OneTimeToken struct {
	TokenHash []byte
	Kind      TokenKind
	UserID    string
	// Email is the new address a TokenEmailChange confirms ("" for the
	// other kinds). At most MaxEmailLen bytes.
	Email string
	// Browser is the SHA-256 of the nonce that the browser which asked for
	// a magic link keeps in a cookie; Code the SHA-256 of that nonce and the
	// link's six-digit code (nil for the other kinds). Attempts counts the
	// codes tried against the token.
	Browser, Code []byte
	Attempts      int
	CreatedAt     time.Time
	ExpiresAt     time.Time
	ConsumedAt    *time.Time
}

// APIKey authenticates a program against the admin API. The secret is shown
// once at creation; the store keeps only its SHA-256.
type APIKey struct {
	ID        string
	Name      string
	KeyHash   []byte
	AccountID string // "" for a global key
	Roles     []string
	// CreatedBy is the actor that created the key: a user id, an API key
	// id, or "" (or "cli", "app") for the command line and the library. A
	// key made by a user or a key acts with at most its creator's current
	// rights, and not at all once the creator is gone or disabled.
	CreatedBy string
	// ManageKeys lets the key create and revoke API keys; without it only
	// a signed-in administrator or the command line does.
	ManageKeys bool
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
	// WarnedAt is when the creator was last warned that the key expires
	// soon; ExpiredAt when the key was found expired (by ExpiresAt or by
	// inactivity) and its apikey.expired event recorded. An expired key
	// stays expired.
	WarnedAt  *time.Time
	ExpiredAt *time.Time
}

// Event is one entry of the audit log. Details never carry secrets.
type Event struct {
	ID        int64
	Type      string
	Time      time.Time
	ActorID   string // who did it ("" for the system or an anonymous caller)
	UserID    string // whom it concerns
	AccountID string
	IP        string
	UserAgent string
	Details   map[string]any
}

// EventFilter selects events, newest first.
type EventFilter struct {
	UserID    string
	AccountID string
	Type      string // exact type, or a prefix ending in "." such as "user."
	Since     *time.Time
	Until     *time.Time
	BeforeID  int64 // cursor: only events with a smaller id
	Limit     int
}

// OutboxEmail is an email waiting to be sent, written in the same
// transaction as the state change that caused it.
type OutboxEmail struct {
	ID            int64
	To            string
	Subject       string
	Text          string
	HTML          string
	Kind          string // which workflow email, e.g. "verification"
	UserID        string
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        *time.Time
	LastError     string
}

// Clock tells the time. Tests inject one they can move.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock, in UTC.
type SystemClock struct{}

// Now returns the current time in UTC.
func (SystemClock) Now() time.Time { return time.Now().UTC() }
