package okta

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// apiError is Okta's error: errorCode, errorSummary, errorLink, errorId and
// errorCauses, sent with Okta's status for the code.
type apiError struct {
	status  int
	Code    string  `json:"errorCode"`
	Summary string  `json:"errorSummary"`
	Link    string  `json:"errorLink"`
	ID      string  `json:"errorId"`
	Causes  []cause `json:"errorCauses"`
}

type cause struct {
	Summary string `json:"errorSummary"`
}

func (e *apiError) Error() string { return e.Code + " " + e.Summary }

// Okta's error codes used here, with their statuses and summaries.
func errValidation(field, msg string) *apiError {
	summary := "Api validation failed: " + field
	if field == "" {
		summary = "Api validation failed"
	}
	e := &apiError{status: http.StatusBadRequest, Code: "E0000001", Summary: summary}
	if msg != "" {
		if field != "" {
			msg = field + ": " + msg
		}
		e.Causes = []cause{{msg}}
	}
	return e
}

func errSearch(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "E0000031", Summary: "Invalid search criteria.",
		Causes: []cause{{msg}}}
}

func errBadBody(msg string) *apiError {
	return &apiError{status: http.StatusBadRequest, Code: "E0000003", Summary: "The request body was not well-formed.",
		Causes: []cause{{msg}}}
}

func errNotFound(id, kind string) *apiError {
	return &apiError{status: http.StatusNotFound, Code: "E0000007", Summary: "Not found: Resource not found: " + id + " (" + kind + ")"}
}

var (
	errInvalidToken = &apiError{status: http.StatusUnauthorized, Code: "E0000011", Summary: "Invalid token provided"}
	errForbidden    = &apiError{status: http.StatusForbidden, Code: "E0000006", Summary: "You do not have permission to perform the requested action"}
	errStatus       = &apiError{status: http.StatusForbidden, Code: "E0000038", Summary: "This operation is not allowed in the user's current status."}
	errActive       = &apiError{status: http.StatusForbidden, Code: "E0000016", Summary: "Activation failed because the user is already active"}
	errRateLimited  = &apiError{status: http.StatusTooManyRequests, Code: "E0000047", Summary: "API call exceeded rate limit due to too many requests."}
	errInternal     = &apiError{status: http.StatusInternalServerError, Code: "E0000009", Summary: "Internal Server Error"}
)

func errCredentials(msg string) *apiError {
	return &apiError{status: http.StatusForbidden, Code: "E0000014", Summary: "Update of credentials failed",
		Causes: []cause{{msg}}}
}

// translate turns a service error into Okta's. kind and id name the object
// a not-found error is about ("User", "UserGroup"), as Okta's summary does:
// an object of another account reads exactly like a missing one, since
// the service answers both with ENOTFOUND.
func translate(err error, kind, id string) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var e *userdb.Error
	errors.As(err, &e)
	switch userdb.ErrorCode(err) {
	case userdb.EINVALID:
		if e.Field == "cursor" {
			return errValidation("after", "The cursor is not valid.")
		}
		if e.Field == "status" {
			return errStatus // a lifecycle step from the wrong status
		}
		return errValidation(oktaField(e.Field), e.Message)
	case userdb.ECONFLICT:
		field := oktaField(e.Field)
		if field == "login" || field == "email" {
			return errValidation(field, "An object with this field already exists in the current organization")
		}
		return errValidation(field, e.Message)
	case userdb.ENOTFOUND:
		if e.Field == "account" {
			return errValidation("account", e.Message)
		}
		return errNotFound(id, kind)
	case userdb.EUNAUTHORIZED:
		return errInvalidToken
	case userdb.EFORBIDDEN:
		return errForbidden
	case userdb.ERATELIMITED:
		return errRateLimited
	}
	return errInternal
}

// oktaField names a service field as Okta's profile does.
func oktaField(f string) string {
	switch f {
	case "username":
		return "login"
	case "givenName":
		return "firstName"
	case "surname":
		return "lastName"
	}
	if name, ok := strings.CutPrefix(f, "customData."); ok {
		return name
	}
	return f
}

// writeError answers with Okta's error JSON; internal errors are logged.
func writeError(w http.ResponseWriter, r *http.Request, err error, kind, id string) {
	e := *translate(err, kind, id)
	if e.status >= 500 {
		httpx.Logger(r).Error("okta API request failed", "err", err)
	}
	e.Link, e.ID = e.Code, errorID()
	if e.Causes == nil {
		e.Causes = []cause{}
	}
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `SSWS realm="userdb"`)
	}
	httpx.JSON(w, e.status, e)
}

// errorID is a random id for the error, as Okta gives every error one.
func errorID() string {
	var b [12]byte
	rand.Read(b[:])
	return "oae" + base64.RawURLEncoding.EncodeToString(b[:])
}
