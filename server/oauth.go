package server

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/okta"
	"github.com/userdb/userdb/internal/ui"
)

// openOAuth builds the OAuth 2.0 / OpenID Connect provider (oauth.enabled).
// It runs before the other surfaces are built: what it needs of them (the
// session of a request, ending a session) it reaches through s when a
// request comes.
func (s *Server) openOAuth(ctx context.Context, o options) error {
	cfg := s.cfg
	if !cfg.OAuth.Enabled {
		return nil
	}
	keys, err := cfg.ResolveKeys()
	if err != nil {
		return err
	}
	oc := cfg.OAuth
	claims := map[string]string{}
	for _, c := range oc.Claims {
		claims[c.Name] = c.Attribute
	}
	set := oauth.Settings{
		BaseURL: cfg.BaseURL(), Audience: oc.Audience, SigningAlg: oc.SigningAlg,
		KeyRotation: time.Duration(oc.KeyRotation), AccessTokenTTL: time.Duration(oc.AccessTokenTTL),
		IDTokenTTL: time.Duration(oc.IDTokenTTL), RefreshTokenTTL: time.Duration(oc.RefreshTokenTTL),
		CodeTTL: time.Duration(oc.CodeTTL), RefreshGrace: time.Duration(oc.RefreshGrace),
		DeviceCodeTTL: time.Duration(oc.DeviceCodeTTL), DevicePollInterval: time.Duration(oc.DevicePollInterval),
		RevocationPoll: time.Duration(oc.RevocationPoll), Scopes: append(slices.Clone(oc.Scopes), okta.Scopes...), AdminScope: oc.AdminScope,
		Claims: claims, Registration: cfg.Registration.Enabled,
	}
	look := ui.NewLook(ui.Branding(cfg.Branding))
	set.Look = oauth.Look{ProductName: look.Brand.ProductName, LogoURL: look.Brand.LogoURL,
		StyleURL: look.URLs.Style, ThemeURL: look.URLs.Theme, IconURL: look.URLs.Icon}
	s.oauth, err = oauth.New(ctx, set, oauth.Options{
		Store: s.store, Clock: o.clock, Logger: s.log, EncryptionKey: keys.EncryptionKey,
		Sessions: oauthSessions{s},
		EndSession: func(ctx context.Context, u *userdb.User, sess *userdb.Session) error {
			return s.svc.Logout(ctx, u, sess)
		},
		LimitToken: func(ctx context.Context, clientID string) error {
			return s.svc.TokenRequestAllowed(ctx, clientID)
		},
		// The bus is opened after the provider; it is read when used.
		Publish: func(key string) {
			if s.bus != nil {
				s.bus.Publish(key)
			}
		},
	})
	return err
}

// oauthSessions gives the provider the userdb session of a request.
type oauthSessions struct{ s *Server }

func (o oauthSessions) Authenticate(r *http.Request) (*userdb.User, *userdb.Session, error) {
	p, err := o.s.edge.Authenticate(r)
	if err != nil {
		return nil, nil, err
	}
	return p.User, p.Session, nil
}

func (o oauthSessions) SignOut(w http.ResponseWriter, r *http.Request) error {
	o.s.edge.ClearSession(w, r)
	return nil
}

// revokeGrants is the service's hook for ending all of a user's sessions.
func (s *Server) revokeGrants(ctx context.Context, st userdb.Store, userID string) error {
	if s.oauth == nil {
		return nil
	}
	return s.oauth.RevokeGrants(ctx, st, userID)
}

// oauthRoutes registers the provider's endpoints.
func (s *Server) oauthRoutes(mux *http.ServeMux) {
	if s.oauth != nil {
		s.oauth.Routes(mux)
	}
}

// oauthBypass lets the provider's back-channel endpoints past the
// cross-origin protection: clients call them from their own origin with
// their own credentials or a bearer token, never a cookie.
func oauthBypass(cross func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		protected := cross(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if slices.Contains(oauth.BackChannelPaths, r.URL.Path) {
				next.ServeHTTP(w, r)
				return
			}
			protected.ServeHTTP(w, r)
		})
	}
}
