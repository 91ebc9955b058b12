package server

import (
	"net/http"

	"github.com/userdb/userdb/internal/okta"
)

// OktaPath is where Okta's management API is served: an application on an
// Okta SDK sets orgUrl to server.base_url + OktaPath and its API token to
// a userdb API key.
const OktaPath = okta.Prefix

// oktaRoutes registers Okta's management API under OktaPath. It takes API
// keys (Authorization: SSWS) and, when the OAuth provider is on, the
// provider's access tokens with okta.* scopes (Authorization: Bearer).
func (s *Server) oktaRoutes(mux *http.ServeMux) {
	var bearer okta.BearerAuthenticator
	if s.oauth != nil {
		bearer = s.oauth
	}
	okta.New(s.svc, okta.Options{OrgURL: s.cfg.BaseURL() + okta.Prefix, Bearer: bearer}).Routes(mux)
}
