package server

import (
	"net/http"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/forwardauth"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/web"
)

// forwardAuthRoutes serves forward authentication when forward_auth.enabled.
func (s *Server) forwardAuthRoutes(mux *http.ServeMux) {
	fa := s.cfg.ForwardAuth
	if !fa.Enabled {
		return
	}
	rules := make([]forwardauth.Rule, len(fa.Rules))
	for i, r := range fa.Rules {
		rules[i] = forwardauth.Rule{Hosts: r.Hosts, Paths: r.Paths, Roles: r.Roles}
	}
	forwardauth.New(forwardauth.Options{
		Authenticate: s.forwardIdentity, Rules: rules, DenyByDefault: fa.Default == config.ForwardAuthDeny,
		SignIn: s.cfg.BaseURL() + web.SignInPath, Logger: s.log,
	}).Routes(mux)
}

// forwardIdentity finds the caller of a forwarded request: an OAuth access
// token or an API key in Authorization: Bearer (another scheme is the
// application's business, and is ignored), or the session cookie. All of
// them, and the account's name, come from the token itself or the
// service's caches: no database round trip once warm.
func (s *Server) forwardIdentity(r *http.Request) (*forwardauth.Identity, error) {
	ctx := r.Context()
	if tok, ok := forwardauth.Bearer(r); ok && s.oauth != nil && oauth.LooksLikeAccessToken(tok) {
		c, err := s.oauth.Caller(ctx, tok)
		if err != nil {
			return nil, err
		}
		// Remote-User is the user's id (the token's uid), or the client's
		// for its own token, as it is the key's id for an API key: the
		// token names no username, and reading the user would cost a
		// database round trip on every request.
		id := &forwardauth.Identity{User: c.UserID, Groups: c.Roles}
		if id.User == "" {
			id.User = c.ClientID
		}
		if c.AccountID != "" {
			acc, err := s.svc.Account(ctx, c.AccountID)
			if err != nil {
				return nil, err
			}
			id.Account = acc.Name
		}
		return id, nil
	}
	if key, ok := forwardauth.Bearer(r); ok {
		a, err := s.svc.AuthenticateAPIKey(ctx, key)
		if err != nil {
			return nil, err
		}
		id := &forwardauth.Identity{User: a.ID, Groups: a.Roles}
		if a.AccountID != "" {
			acc, err := s.svc.Account(ctx, a.AccountID)
			if err != nil {
				return nil, err
			}
			id.Account = acc.Name
		}
		return id, nil
	}
	p, err := s.edge.Authenticate(r)
	if err != nil {
		return nil, err
	}
	u := p.User
	acc, err := s.svc.Account(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	name := u.Username
	if name == "" {
		name = u.Email
	}
	return &forwardauth.Identity{User: name, Email: u.Email, Name: u.FullName, Groups: u.Roles, Account: acc.Name}, nil
}
