package userdb

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Field limits shared by every surface.
const (
	MaxNameLen        = 100
	MaxEmailLen       = 254 // RFC 5321 path limit
	MaxUsernameLen    = 100
	MaxDescriptionLen = 1000
	MaxCustomDataLen  = 64 << 10 // encoded JSON bytes
)

// User is a person (or service) that signs in. Its ID is random, immutable
// and never reused: it is the subject of every token issued for it.
type User struct {
	ID         string
	AccountID  string
	Username   string
	Email      string
	GivenName  string
	MiddleName string
	Surname    string
	FullName   string
	Status     Status
	// PasswordHash is a PHC string (or a legacy bcrypt hash); empty for users
	// who have no password (invited, passwordless, upstream-only).
	PasswordHash       string
	PasswordChangedAt  *time.Time
	PasswordMustChange bool // set by an administrator: the next sign-in must change it
	// PasswordTemporary: an administrator set the password to be changed;
	// it stops working a while after PasswordChangedAt (ASVS 2.3.1).
	PasswordTemporary bool
	EmailVerifiedAt   *time.Time
	LastLoginAt       *time.Time
	LastFailedLoginAt *time.Time
	FailedLogins      int
	LockedAt          *time.Time
	// DeactivatedAt is when an administrator deactivated the user (Okta's
	// DEPROVISIONED): a DISABLED user with it set was switched off for good
	// and may be deleted; without it, only suspended. Enabling clears it.
	DeactivatedAt *time.Time
	CustomData    map[string]any
	CreatedAt     time.Time
	UpdatedAt     time.Time
	// Version increases with every update; UpdateUser can require it.
	Version int64

	// Roles are the names of the user's roles, loaded with the user.
	Roles []string
}

// HasRole reports whether the user has the named role.
func (u *User) HasRole(name string) bool {
	for _, r := range u.Roles {
		if r == name {
			return true
		}
	}
	return false
}

// Normalize trims the user's fields, defaults the username to the email and
// derives the full name from its parts (or the parts from the full name), as
// the original library did.
func (u *User) Normalize() {
	u.Email = NormalizeIdentifier(u.Email)
	u.Username = NormalizeIdentifier(u.Username)
	if u.Username == "" {
		u.Username = u.Email
	}
	u.GivenName = strings.TrimSpace(u.GivenName)
	u.MiddleName = strings.TrimSpace(u.MiddleName)
	u.Surname = strings.TrimSpace(u.Surname)
	u.FullName = strings.TrimSpace(u.FullName)
	if u.GivenName == "" && u.Surname == "" && u.FullName != "" {
		parts := strings.Fields(u.FullName)
		u.GivenName = parts[0]
		if len(parts) > 1 {
			u.Surname = parts[len(parts)-1]
		}
		if len(parts) > 2 {
			u.MiddleName = strings.Join(parts[1:len(parts)-1], " ")
		}
	}
	u.FullName = JoinName(u.GivenName, u.MiddleName, u.Surname)
}

// JoinName joins the non-empty name parts with spaces.
func JoinName(parts ...string) string {
	var b []string
	for _, p := range parts {
		if p != "" {
			b = append(b, p)
		}
	}
	return strings.Join(b, " ")
}

// Validate checks a normalized user before it is written.
func (u *User) Validate() error {
	if u.AccountID == "" {
		return FieldError("account", "a user needs an account")
	}
	if err := ValidateEmail(u.Email); err != nil {
		return err
	}
	if err := checkName("username", u.Username, MaxUsernameLen); err != nil {
		return err
	}
	if !validIdentifier(u.Username) {
		return FieldError("username", "username must not contain invisible or control characters")
	}
	for _, f := range []struct{ name, v string }{
		{"givenName", u.GivenName}, {"middleName", u.MiddleName}, {"surname", u.Surname},
	} {
		if utf8.RuneCountInString(f.v) > MaxNameLen {
			return FieldError(f.name, "%s must be at most %d characters", f.name, MaxNameLen)
		}
		if !validText(f.v) {
			return FieldError(f.name, "%s contains characters that are not allowed", f.name)
		}
	}
	if !u.Status.Valid() {
		return FieldError("status", "status must be one of PENDING, ENABLED, DISABLED, LOCKED")
	}
	return checkCustomData(u.CustomData)
}

// UserUpdate changes a user; nil fields stay as they are. When Version is
// set, the update applies only if the stored version still equals it, and
// fails with ECONFLICT otherwise.
type UserUpdate struct {
	AccountID          *string
	Username           *string
	Email              *string
	GivenName          *string
	MiddleName         *string
	Surname            *string
	Status             *Status
	PasswordHash       *string
	PasswordChangedAt  *time.Time
	PasswordMustChange *bool
	PasswordTemporary  *bool
	EmailVerifiedAt    *time.Time
	ClearEmailVerified bool
	LastLoginAt        *time.Time
	// ResetFailedLogins sets the failed-login count to zero and clears the lock time.
	ResetFailedLogins bool
	DeactivatedAt     *time.Time
	ClearDeactivated  bool
	CustomData        map[string]any // replaced whole when non-nil
	Version           *int64
	// KeepVersion marks a sign-in's own bookkeeping (the last login time,
	// the failed-login count, the rehash of a legacy hash): Version and
	// UpdatedAt stay, so an edit made from the user as read before the
	// sign-in still applies.
	KeepVersion bool
}

// Apply copies the set fields of up onto u (for validation before writing).
func (up *UserUpdate) Apply(u *User) {
	setIf(&u.AccountID, up.AccountID)
	setIf(&u.Username, up.Username)
	setIf(&u.Email, up.Email)
	setIf(&u.GivenName, up.GivenName)
	setIf(&u.MiddleName, up.MiddleName)
	setIf(&u.Surname, up.Surname)
	setIf(&u.PasswordHash, up.PasswordHash)
	setIf(&u.Status, up.Status)
	if up.PasswordChangedAt != nil {
		u.PasswordChangedAt = up.PasswordChangedAt
	}
	if up.PasswordMustChange != nil {
		u.PasswordMustChange = *up.PasswordMustChange
	}
	setIf(&u.PasswordTemporary, up.PasswordTemporary)
	if up.EmailVerifiedAt != nil {
		u.EmailVerifiedAt = up.EmailVerifiedAt
	}
	if up.ClearEmailVerified {
		u.EmailVerifiedAt = nil
	}
	if up.LastLoginAt != nil {
		u.LastLoginAt = up.LastLoginAt
	}
	if up.ResetFailedLogins {
		u.FailedLogins = 0
		u.LockedAt = nil
	}
	if up.DeactivatedAt != nil {
		u.DeactivatedAt = up.DeactivatedAt
	}
	if up.ClearDeactivated {
		u.DeactivatedAt = nil
	}
	if up.CustomData != nil {
		u.CustomData = up.CustomData
	}
	u.FullName = JoinName(u.GivenName, u.MiddleName, u.Surname)
}

// ValidateEmail checks that s is a single plain address ("a@example.com").
func ValidateEmail(s string) error {
	if s == "" {
		return FieldError("email", "email is required")
	}
	if len(s) > MaxEmailLen {
		return FieldError("email", "email must be at most %d characters", MaxEmailLen)
	}
	if !validIdentifier(s) {
		return FieldError("email", "email must not contain invisible or control characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return FieldError("email", "email %q is not a valid address", s)
	}
	return nil
}

func checkName(field, v string, max int) error {
	if v == "" {
		return FieldError(field, "%s is required", field)
	}
	if utf8.RuneCountInString(v) > max {
		return FieldError(field, "%s must be at most %d characters", field, max)
	}
	if !validText(v) {
		return FieldError(field, "%s contains characters that are not allowed", field)
	}
	return nil
}

// validText rejects invalid UTF-8 and control characters.
func validText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func checkCustomData(m map[string]any) error {
	return StoredCustomDataLimits.Check(m)
}
