package server

import (
	"net/http"

	"github.com/userdb/userdb/internal/okta"
)

// OktaPath is where Okta's management API is served: an application on an
// Okta SDK sets orgUrl to server.base_url + OktaPath and its API token to
// a userdb API key.
const OktaPath = okta.Prefix

// WithOktaBearer lets Okta's management API accept OAuth 2.0 access tokens
// (Authorization: Bearer) with okta.* scopes, checked by b; without it,
// the API takes API keys only (Authorization: SSWS).
func WithOktaBearer(b okta.BearerAuthenticator) Option {
	return func(o *options) { o.oktaBearer = b }
}

// oktaRoutes registers Okta's management API under OktaPath.
func (s *Server) oktaRoutes(mux *http.ServeMux) {
	okta.New(s.svc, okta.Options{OrgURL: s.cfg.BaseURL() + okta.Prefix, Bearer: s.oktaBearer}).Routes(mux)
}
