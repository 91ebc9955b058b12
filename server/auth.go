package server

import (
	"context"
	"net/http"
	"slices"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// Strategy authenticates a request in some way (the original's passport
// strategies). The request header `realm` picks one by name; "local", the
// session cookie, is the default. A strategy returns an EUNAUTHORIZED error
// when the request does not authenticate.
type Strategy interface {
	Authenticate(r *http.Request) (*userdb.User, error)
}

// StrategyFunc adapts a function to a Strategy.
type StrategyFunc func(r *http.Request) (*userdb.User, error)

// Authenticate calls f.
func (f StrategyFunc) Authenticate(r *http.Request) (*userdb.User, error) { return f(r) }

// WithStrategy registers a strategy under a realm name.
func WithStrategy(realm string, st Strategy) Option {
	return func(o *options) {
		if o.strategies == nil {
			o.strategies = map[string]Strategy{}
		}
		o.strategies[realm] = st
	}
}

func (s *Server) localStrategy(r *http.Request) (*userdb.User, error) {
	p, err := s.edge.Authenticate(r)
	if err != nil {
		return nil, err
	}
	return p.User, nil
}

// Caller is the authenticated user of a request.
type Caller struct {
	*userdb.User
	superAdmin string
}

// Has reports whether the caller has the role.
func (c *Caller) Has(role string) bool { return c.HasRole(role) }

// Can reports whether the caller has one of roles (all of them when all is
// set). A super-admin can do everything; no roles asked for is always true.
func (c *Caller) Can(roles []string, all bool) bool {
	return len(roles) == 0 || c.HasRole(c.superAdmin) || c.CanOnly(roles, all)
}

// CanOnly is Can without the super-admin's pass: whether the caller itself
// holds one of roles (all of them when all is set), as the original's
// user.canOnly (index.js:383-393). No roles asked for is always true.
func (c *Caller) CanOnly(roles []string, all bool) bool {
	if len(roles) == 0 {
		return true
	}
	n := 0
	for _, r := range roles {
		if c.HasRole(r) {
			n++
		}
	}
	if all {
		return n == len(roles)
	}
	return n > 0
}

type callerKey struct{}

// CallerFrom returns the caller that Authenticated put in the context.
func CallerFrom(ctx context.Context) (*Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(*Caller)
	return c, ok
}

// Authenticated lets a request through only when its realm's strategy
// authenticates it, and puts the Caller in its context. Others get 401 (or,
// for a browser asking for a page, a redirect to the sign-in page).
func (s *Server) Authenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		realm := r.Header.Get("realm")
		if realm == "" {
			realm = "local"
		}
		st, ok := s.strategies[realm]
		if !ok {
			s.edge.Unauthenticated(w, r, userdb.Errorf(userdb.EUNAUTHORIZED, "Unknown authentication realm."))
			return
		}
		u, err := st.Authenticate(r)
		if err != nil {
			s.edge.Unauthenticated(w, r, err)
			return
		}
		ctx := context.WithValue(r.Context(), callerKey{}, &Caller{User: u, superAdmin: s.cfg.SuperAdminRole})
		ctx = service.WithMeta(ctx, s.edge.Meta(r, u.ID))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// Authorized returns middleware, to be used inside Authenticated, that lets
// through callers with one of roles (all of them when all is set); others
// get 403 in the negotiated format.
func (s *Server) Authorized(roles []string, all bool) func(http.Handler) http.Handler {
	roles = slices.Clone(roles)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := CallerFrom(r.Context())
			if !ok {
				httpx.Error(w, r, userdb.Errorf(userdb.EUNAUTHORIZED, "Not signed in."))
				return
			}
			if !c.Can(roles, all) {
				if httpx.WantsHTML(r) {
					http.Error(w, "Forbidden", http.StatusForbidden)
					return
				}
				httpx.Error(w, r, userdb.Errorf(userdb.EFORBIDDEN, "You do not have permission to do this."))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// realmStrategy authenticates r through the program's strategy its realm
// header names, for the original's own routes (api.Options.Strategy): the
// user and the realm, or a nil user for no realm or "local" (the session
// cookie, which those routes read themselves).
func (s *Server) realmStrategy(r *http.Request) (*userdb.User, string, error) {
	realm := r.Header.Get("realm")
	if realm == "" || realm == "local" {
		return nil, "", nil
	}
	st, ok := s.strategies[realm]
	if !ok {
		return nil, "", userdb.Errorf(userdb.EUNAUTHORIZED, "Unknown authentication realm.")
	}
	u, err := st.Authenticate(r)
	if err != nil {
		return nil, "", err
	}
	return u, realm, nil
}
