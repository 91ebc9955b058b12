package userdb

import (
	"errors"
	"fmt"
)

// Error codes: a closed set. Each transport maps them to its own status
// codes in exactly one place (see internal/httpx).
const (
	EINVALID      = "invalid"      // the caller's input is wrong
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials fine, permission missing
	ENOTFOUND     = "not_found"    // no such thing (or not visible to the caller)
	ECONFLICT     = "conflict"     // uniqueness or optimistic-version conflict
	ERATELIMITED  = "rate_limited" // too many requests
	EINTERNAL     = "internal"     // anything else; its details are never shown
)

// Reasons of refused sign-ins with the right password (see Error.Reason).
// A wrong password never has one: it is the one generic answer.
const (
	ReasonEmailNotVerified = "email_not_verified"
	ReasonUserDisabled     = "user_disabled"
	ReasonUserLocked       = "user_locked"
	ReasonAccountDisabled  = "account_disabled"
	// ReasonTemporaryPasswordExpired: an administrator's temporary
	// password was not changed in time (password.temporary_ttl).
	ReasonTemporaryPasswordExpired = "temporary_password_expired"
)

// ErrorReason returns the Reason of the first *Error in err's chain, or "".
func ErrorReason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}

// Error is the error type of the domain. Message is safe to show to the
// caller; Err, if set, carries detail for the logs only.
type Error struct {
	Code    string
	Message string
	// Field names the input field at fault, for EINVALID errors about one field.
	Field string
	// Reason, when set, tells apart errors of one code that a client acts
	// on differently (ReasonEmailNotVerified...): transports show it as a
	// stable, documented string beside the message.
	Reason string
	Err    error
}

func (e *Error) Error() string {
	s := e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted, caller-safe message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one input field.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Code: EINVALID, Field: field, Message: fmt.Sprintf(format, args...)}
}

// Internal wraps err as an EINTERNAL error with a generic message.
func Internal(err error) *Error {
	return &Error{Code: EINTERNAL, Message: "internal error", Err: err}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for nil
// and EINTERNAL for any other error.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the caller-safe message of err. Errors that are not
// *Error, and internal errors, get a generic message so nothing leaks.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL && e.Message != "" {
		return e.Message
	}
	return "An internal error occurred."
}

// IsCode reports whether err carries the code.
func IsCode(err error, code string) bool { return ErrorCode(err) == code }
