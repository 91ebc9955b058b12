package web

import (
	"context"
	"net/http"
	"net/url"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// Paths of the hosted pages. The server points email links and the JSON
// API's browser redirects at them.
const (
	SignInPath     = "/signin"
	SignUpPath     = "/signup"
	SignOutPath    = "/signout"
	VerifyPath     = "/verify-email"
	ForgotPath     = "/forgot-password"
	ResetPath      = "/reset-password"
	ExpiredPath    = "/password-expired"
	ProfilePath    = "/profile"
	SessionsPath   = "/profile/sessions"
	InvitationPath = "/invitation"
)

// Options configure the pages.
type Options struct {
	Branding ui.Branding
	// AllowedReturnURLs are absolute URLs that next= may point to besides
	// paths of this site (server.allowed_return_urls).
	AllowedReturnURLs []string
	// Apps lists and withdraws the user's consents to OAuth clients (the
	// OAuth provider; nil when it is off: no page).
	Apps Apps
	// SetupToken, when set, opens /setup?token= to create the first
	// administrator, while none exists (service.SetupOpen).
	SetupToken string
	// InvitationJSON, when set, answers the requests to the welcome page
	// that do not want HTML (the JSON API's welcome flow), so that an
	// application's own page can complete an invitation.
	InvitationJSON http.HandlerFunc
}

// Pages serves the hosted pages.
type Pages struct {
	svc     *service.Service
	edge    *edge.Edge
	look    *ui.Look
	returns []*url.URL
	apps    Apps
	// setupToken is Options.SetupToken ("" = no set-up page).
	setupToken string
	json       http.HandlerFunc // Options.InvitationJSON
}

// New returns the pages; e authenticates their visitors. The templates were
// parsed when the program started.
func New(svc *service.Service, e *edge.Edge, o Options) *Pages {
	return &Pages{svc: svc, edge: e, look: ui.NewLook(o.Branding), returns: parseReturnURLs(o.AllowedReturnURLs),
		apps: o.Apps, setupToken: o.SetupToken, json: o.InvitationJSON}
}

// registrationEnabled reports whether strangers may create accounts.
func (p *Pages) registrationEnabled() bool { return p.svc.Options().RegistrationEnabled }

// pageHandler handles a request for a page that needs a signed-in user.
type pageHandler func(w http.ResponseWriter, r *http.Request, me *edge.Principal)

// signedIn lets only signed-in users through to h; others are sent to the
// sign-in page, coming back here afterwards. A user whose password has
// expired is sent to change it first, unless expiredOK.
func (p *Pages) signedIn(h pageHandler, expiredOK bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, err := p.edge.Authenticate(r)
		if err != nil && !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
			p.fail(w, r, err)
			return
		}
		if err != nil {
			ui.Redirect(w, r, p.edge.SignInURL(r))
			return
		}
		if !expiredOK && p.svc.PasswordExpired(me.User) {
			ui.Redirect(w, r, p.edge.ExpiredURL(r))
			return
		}
		r = p.edge.WithCaller(r, me)
		h(w, r.WithContext(context.WithValue(r.Context(), callerKey{}, me.User)), me)
	}
}
