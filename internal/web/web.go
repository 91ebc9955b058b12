package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
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
}

// Pages serves the hosted pages.
type Pages struct {
	svc      *service.Service
	edge     *edge.Edge
	brand    Branding
	returns  []*url.URL
	assets   *assets
}

// New returns the pages; e authenticates their visitors. The templates were
// parsed when the program started.
func New(svc *service.Service, e *edge.Edge, o Options) *Pages {
	b := o.Branding
	if b.ProductName == "" {
		b.ProductName = "userdb"
	}
	if !hexColor.MatchString(b.PrimaryColor) {
		b.PrimaryColor = defaultColor
	}
	return &Pages{
		svc:      svc,
		edge:     e,
		brand:    b,
		returns:  parseReturnURLs(o.AllowedReturnURLs),
		assets:   newAssets(b.PrimaryColor, b.LogoURL),
	}
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
			redirect(w, r, p.edge.SignInURL(r))
			return
		}
		if !expiredOK && p.svc.PasswordExpired(me.User) {
			redirect(w, r, p.edge.ExpiredURL(r))
			return
		}
		h(w, p.edge.WithMeta(r, me.User.ID), me)
	}
}

// redirect answers a form post or a page request with 303 See Other, so the
// browser follows with a GET and a reload never posts the form again.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// formValue returns a trimmed form field; passwords are read raw instead.
func formValue(r *http.Request, name string) string {
	return strings.TrimSpace(r.PostFormValue(name))
}
