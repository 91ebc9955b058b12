package userdb

import (
	"strings"
	"time"
)

// Status of an account, user or role.
type Status string

const (
	StatusPending  Status = "PENDING"  // user: waiting for email verification or an invitation
	StatusEnabled  Status = "ENABLED"  // may sign in
	StatusDisabled Status = "DISABLED" // switched off by an administrator
	StatusLocked   Status = "LOCKED"   // user: too many failed sign-ins
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusPending, StatusEnabled, StatusDisabled, StatusLocked:
		return true
	}
	return false
}

// ParseStatus accepts a status in any case.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToUpper(strings.TrimSpace(s)))
	if !st.Valid() {
		return "", FieldError("status", "status must be one of PENDING, ENABLED, DISABLED, LOCKED")
	}
	return st, nil
}

// DefaultAccountName is the account created by the first migration. Users
// created without an account belong to it, and the super-admin role lives in it.
const DefaultAccountName = "default"

// DefaultAccountID is the id of the default account.
const DefaultAccountID = "acc_default"

// Role names with a meaning of their own.
const (
	RoleSuperAdmin = "super-admin" // acts across all accounts
	RoleAdmin      = "admin"       // acts within its own account
)

// Account is a tenant: an organisation whose users and roles belong to it.
type Account struct {
	ID          string
	Name        string
	Description string
	Status      Status // ENABLED or DISABLED
	CustomData  map[string]any
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Validate checks an account before it is written.
func (a *Account) Validate() error {
	a.Name = strings.TrimSpace(a.Name)
	if err := checkName("name", a.Name, 100); err != nil {
		return err
	}
	if len(a.Description) > MaxDescriptionLen {
		return FieldError("description", "description must be at most %d characters", MaxDescriptionLen)
	}
	if a.Status != StatusEnabled && a.Status != StatusDisabled {
		return FieldError("status", "account status must be ENABLED or DISABLED")
	}
	return checkCustomData(a.CustomData)
}

// AccountUpdate changes an account; nil fields stay as they are.
type AccountUpdate struct {
	Name        *string
	Description *string
	Status      *Status
	CustomData  map[string]any // replaced whole when non-nil
}

// Apply copies the set fields of up onto a (for validation before writing).
func (up *AccountUpdate) Apply(a *Account) {
	setIf(&a.Name, up.Name)
	setIf(&a.Description, up.Description)
	setIf(&a.Status, up.Status)
	if up.CustomData != nil {
		a.CustomData = up.CustomData
	}
}

// Role is a named set of permissions within an account.
type Role struct {
	ID          string
	AccountID   string
	Name        string
	Description string
	Status      Status
	CustomData  map[string]any
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Validate checks a role before it is written.
func (r *Role) Validate() error {
	r.Name = strings.TrimSpace(r.Name)
	if r.AccountID == "" {
		return FieldError("account", "a role needs an account")
	}
	if err := checkName("name", r.Name, 100); err != nil {
		return err
	}
	if len(r.Description) > MaxDescriptionLen {
		return FieldError("description", "description must be at most %d characters", MaxDescriptionLen)
	}
	if r.Status != StatusEnabled && r.Status != StatusDisabled {
		return FieldError("status", "role status must be ENABLED or DISABLED")
	}
	return checkCustomData(r.CustomData)
}

// RoleUpdate changes a role; nil fields stay as they are.
type RoleUpdate struct {
	Name        *string
	Description *string
	Status      *Status
	CustomData  map[string]any // replaced whole when non-nil
}

// Apply copies the set fields of up onto r (for validation before writing).
func (up *RoleUpdate) Apply(r *Role) {
	setIf(&r.Name, up.Name)
	setIf(&r.Description, up.Description)
	setIf(&r.Status, up.Status)
	if up.CustomData != nil {
		r.CustomData = up.CustomData
	}
}

// setIf sets *dst to *src when src is set.
func setIf[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}
