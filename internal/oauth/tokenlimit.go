package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// maxTokenRequest bounds the body of a token request: a few parameters and
// at most a signed client assertion.
const maxTokenRequest = 64 << 10

// tokenAllowed applies the token endpoint's rate limit (rate_limits.
// token_per_client) to the client a request names, before the op package
// authenticates it, and answers 429 with Retry-After past the limit. It
// reads the form, which the op package then finds parsed.
func (p *Provider) tokenAllowed(ctx context.Context, w http.ResponseWriter, r *http.Request) bool {
	if p.limit == nil || r.Method != http.MethodPost {
		return true
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxTokenRequest)
	if err := r.ParseForm(); err != nil {
		writeTokenError(w, http.StatusBadRequest, "invalid_request", "The request body is not a form of at most 64 KiB.")
		return false
	}
	client := r.PostForm.Get("client_id")
	if id, _, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: the Basic credentials are form-encoded.
		if unescaped, err := url.QueryUnescape(id); err == nil {
			client = unescaped
		}
	}
	err := p.limit(ctx, client)
	switch {
	case err == nil:
		return true
	case userdb.IsCode(err, userdb.ERATELIMITED):
		httpx.SetRetryAfter(w, err)
		writeTokenError(w, http.StatusTooManyRequests, "rate_limited", userdb.ErrorMessage(err))
		return false
	default: // the limiter's trouble does not stop the token endpoint
		p.log.Warn("oauth: token rate limit not applied", "err", err)
		return true
	}
}

// writeTokenError answers as RFC 6749 5.2 does.
func writeTokenError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}
