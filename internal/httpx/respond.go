package httpx

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// StatusOf maps an error code to an HTTP status: the only such mapping.
func StatusOf(err error) int {
	switch userdb.ErrorCode(err) {
	case userdb.EINVALID:
		return http.StatusBadRequest
	case userdb.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case userdb.EFORBIDDEN:
		return http.StatusForbidden
	case userdb.ENOTFOUND:
		return http.StatusNotFound
	case userdb.ECONFLICT:
		return http.StatusConflict
	case userdb.ERATELIMITED:
		return http.StatusTooManyRequests
	}
	return http.StatusInternalServerError
}

// ErrorBody is the error JSON of the original library: {"status": N, "message": "..."},
// with the field at fault when there is one.
type ErrorBody struct {
	// Next is where a request refused for want of a session was going
	// (edge.Unauthenticated), as the original library said.
	Next    string `json:"next,omitempty"`
	Status  int    `json:"status"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// Code is the error's Reason, when it has one (README: "Sign-in
	// errors").
	Code string `json:"code,omitempty"`
}

// Error writes err as JSON. Internal errors are logged with their detail and
// answered with a generic message.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	if status == http.StatusInternalServerError {
		Logger(r).Error("request failed", "err", err)
	}
	body := ErrorBody{Status: status, Message: userdb.ErrorMessage(err)}
	var e *userdb.Error
	if errors.As(err, &e) && e.Code != userdb.EINTERNAL {
		body.Field, body.Code = e.Field, e.Reason
	}
	SetRetryAfter(w, err)
	JSON(w, status, body)
}

// SetRetryAfter sets Retry-After on the answer to a rate-limited error: the
// seconds its cause names (internal/limit), rounded up, or 1.
func SetRetryAfter(w http.ResponseWriter, err error) {
	if StatusOf(err) != http.StatusTooManyRequests {
		return
	}
	secs := int64(1)
	var ra interface{ RetryAfter() time.Duration }
	if errors.As(err, &ra) {
		secs = max(int64((ra.RetryAfter()+time.Second-1)/time.Second), 1)
	}
	w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
}

// JSON writes v as JSON with the status.
func JSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if v == nil {
		return
	}
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("writing response", "err", err)
	}
}

// JSONBytes writes body, JSON already encoded, with the status and the
// headers JSON writes (assigned from shared values, as SecurityHeaders
// does, so that the hot paths allocate none).
func JSONBytes(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	w.Write(body)
}

// Values of the headers of every JSON answer; see the security headers'.
var (
	jsonContentType = []string{"application/json; charset=utf-8"}
	noStore         = []string{"no-store"}
)

// WantsHTML reports whether the client is a browser asking for a page rather
// than an XHR/JSON client, as the original decided with req.accepts(['html','json']).
func WantsHTML(r *http.Request) bool {
	if r.Header.Get("X-Requested-With") == "XMLHttpRequest" {
		return false
	}
	accept := r.Header.Get("Accept")
	html, json := -1.0, -1.0
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			} else {
				q = 0
			}
		}
		switch mt {
		case "text/html", "application/xhtml+xml":
			html = max(html, q)
		case "application/json":
			json = max(json, q)
		}
	}
	return html > 0 && html >= json
}

// RedirectToLogin sends a browser to the sign-in page with next= set to the
// page it asked for.
func RedirectToLogin(w http.ResponseWriter, r *http.Request, loginPath string) {
	http.Redirect(w, r, loginPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusFound)
}

// Decode reads a JSON object or a form into dst. It enforces the body limit
// (set by the Limit middleware), rejects unknown content types, trailing data
// and invalid JSON with EINVALID errors a person can read. For forms, fields
// are copied into dst through its json tags (string fields only).
func Decode(r *http.Request, dst any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json", "":
		return decodeJSON(r.Body, dst)
	case "application/x-www-form-urlencoded", "multipart/form-data":
		if err := r.ParseForm(); err != nil {
			return bodyError(err)
		}
		return formInto(r.PostForm, dst)
	}
	return userdb.Errorf(userdb.EINVALID, "Content-Type %q is not supported; send application/json.", ct)
}

func decodeJSON(body io.Reader, dst any) error {
	dec := json.NewDecoder(body)
	if err := dec.Decode(dst); err != nil {
		if errors.Is(err, io.EOF) {
			return userdb.Errorf(userdb.EINVALID, "The request body is empty; send a JSON object.")
		}
		return bodyError(err)
	}
	if dec.More() {
		return userdb.Errorf(userdb.EINVALID, "The request body must hold a single JSON object.")
	}
	return nil
}

func bodyError(err error) error {
	var tooBig *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &tooBig):
		return userdb.Errorf(userdb.EINVALID, "The request body is too large (limit %s).", ByteSize(tooBig.Limit))
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return userdb.Errorf(userdb.EINVALID, "The request body must be a JSON object.")
		}
		return &userdb.Error{Code: userdb.EINVALID, Field: typeErr.Field,
			Message: "Field " + typeErr.Field + " must be " + jsonKind(typeErr.Type.Kind().String()) + "."}
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return userdb.Errorf(userdb.EINVALID, "The request body is not valid JSON.")
	}
	return userdb.Errorf(userdb.EINVALID, "The request body could not be read.")
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "a list"
	case "int", "int64", "float64", "int32", "uint32", "uint64":
		return "a number"
	}
	return "of another type"
}

// formInto copies form fields into dst through its json tags. A field sent
// twice takes its first value.
func formInto(form url.Values, dst any) error {
	m := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			m[k] = v[0]
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return userdb.Internal(err)
	}
	return decodeJSON(strings.NewReader(string(b)), dst)
}

// ByteSize writes a size limit for people: 25 MiB, 64 KiB, 100 bytes.
func ByteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
