package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
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
	AssetsPath     = "/assets/"
)

// Branding is how the pages present the product (config branding).
type Branding struct {
	ProductName  string
	LogoURL      string // absolute URL or path; "" for none
	PrimaryColor string // #rgb or #rrggbb
}

// Options configure the pages.
type Options struct {
	Branding Branding
	// AllowedReturnURLs are absolute URLs that next= may point to besides
	// paths of this site (server.allowed_return_urls).
	AllowedReturnURLs []string
	// Apps lists and withdraws the user's consents to OAuth clients (the
	// OAuth provider; nil when it is off: no page).
	Apps Apps
}

// Sessions reads and writes the session cookie. *api.API implements it, so
// the pages and the JSON API share one cookie and one way of setting it.
type Sessions interface {
	Authenticate(r *http.Request) (*api.Principal, error)
	SetSession(w http.ResponseWriter, r *http.Request, l *service.Login)
	ClearSession(w http.ResponseWriter, r *http.Request)
}

// Pages serves the hosted pages.
type Pages struct {
	svc      *service.Service
	sessions Sessions
	brand    Branding
	returns  []*url.URL
	assets   *assets
	apps     Apps
}

// New returns the pages. The templates were parsed when the program started.
func New(svc *service.Service, sessions Sessions, o Options) *Pages {
	b := o.Branding
	if b.ProductName == "" {
		b.ProductName = "userdb"
	}
	if !hexColor.MatchString(b.PrimaryColor) {
		b.PrimaryColor = defaultColor
	}
	return &Pages{
		svc:      svc,
		sessions: sessions,
		brand:    b,
		returns:  parseReturnURLs(o.AllowedReturnURLs),
		assets:   newAssets(b.PrimaryColor, b.LogoURL),
		apps:     o.Apps,
	}
}

// registrationEnabled reports whether strangers may create accounts.
func (p *Pages) registrationEnabled() bool { return p.svc.Options().RegistrationEnabled }

// pageHandler handles a request for a page that needs a signed-in user.
type pageHandler func(w http.ResponseWriter, r *http.Request, me *api.Principal)

// signedIn lets only signed-in users through to h; others are sent to the
// sign-in page, coming back here afterwards. A user whose password has
// expired is sent to change it first, unless expiredOK.
func (p *Pages) signedIn(h pageHandler, expiredOK bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		me, err := p.sessions.Authenticate(r)
		if err != nil && !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
			p.fail(w, r, err)
			return
		}
		if err != nil {
			back := r.URL.Path
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				back = r.URL.RequestURI()
			}
			redirect(w, r, SignInPath+"?next="+url.QueryEscape(back))
			return
		}
		if !expiredOK && p.svc.PasswordExpired(me.User) {
			redirect(w, r, ExpiredPath+"?next="+url.QueryEscape(r.URL.RequestURI()))
			return
		}
		h(w, withMeta(r, me.User.ID), me)
	}
}

// withMeta returns r carrying who asks, for the audit log.
func withMeta(r *http.Request, actor string) *http.Request {
	m := service.Meta{ActorID: actor, IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}
	return r.WithContext(service.WithMeta(r.Context(), m))
}

// redirect answers a form post or a page request with 303 See Other, so the
// browser follows with a GET and a reload never posts the form again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// rotateSession ends the browser's current session, if any, before a new
// one starts: a session planted before sign-in does not survive it.
func (p *Pages) rotateSession(r *http.Request) {
	if old, err := p.sessions.Authenticate(r); err == nil {
		_ = p.svc.Logout(r.Context(), old.User, old.Session)
	}
}

// formValue returns a trimmed form field; passwords are read raw instead.
func formValue(r *http.Request, name string) string {
	return strings.TrimSpace(r.PostFormValue(name))
}
