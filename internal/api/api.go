package api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
)

// Endpoint is one of the original's configurable routes.
type Endpoint struct {
	Enabled bool
	URI     string
}

// Endpoint names, as in the original's `endpoints` option.
const (
	EpLogin         = "login"
	EpLogout        = "logout"
	EpMe            = "me"
	EpRegister      = "register"
	EpVerify        = "verify"
	EpForgot        = "forgot"
	EpChange        = "change"
	EpExpired       = "expired"
	EpCheckPassword = "check_password"
)

// Options configure the API.
type Options struct {
	Endpoints   map[string]Endpoint
	CookieName  string
	SameSite    http.SameSite
	Secure      string // auto | always | never
	Transformer Transformer
	// LoginPage is where a browser that is not signed in is sent.
	LoginPage string
	// VerifyPage and ResetPage, when set, are the pages a browser following
	// an email's /verify or /change link is sent to, with its sptoken.
	VerifyPage, ResetPage string
	// RegisterPage, when set, is where a browser asking for GET /register
	// is sent; JSON clients get the form's view model (viewmodel.go).
	RegisterPage string
	// MaxUpload is server.max_upload, the largest spreadsheet the import
	// routes take; it sizes their read and write deadlines.
	MaxUpload int64
	// OAuth is the OAuth provider (nil when it is off): the clients routes,
	// and access tokens with the admin scope as admin credentials.
	OAuth *oauth.Provider
}

// API serves the JSON routes.
type API struct {
	svc  *service.Service
	opts Options
}

// New returns the API.
func New(svc *service.Service, o Options) *API {
	if o.Transformer == nil {
		o.Transformer = NoTransform
	}
	if o.CookieName == "" {
		o.CookieName = "userdb"
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteLaxMode
	}
	if o.LoginPage == "" {
		o.LoginPage = o.Endpoints[EpLogin].URI
	}
	return &API{svc: svc, opts: o}
}

// Routes registers the API's routes on mux.
func (a *API) Routes(mux *http.ServeMux) {
	ep := func(name string, methods []string, h http.HandlerFunc) {
		e, ok := a.opts.Endpoints[name]
		if !ok || !e.Enabled || e.URI == "" {
			return
		}
		for _, m := range methods {
			mux.HandleFunc(m+" "+e.URI, h)
		}
	}
	ep(EpLogin, []string{"POST"}, a.login)
	ep(EpLogout, []string{"POST"}, a.authed(a.logout))
	ep(EpLogout, []string{"GET"}, httpx.SameOriginGET(a.authed(a.logout)))
	ep(EpMe, []string{"GET"}, a.authed(a.me))
	ep(EpMe, []string{"POST"}, a.authed(a.updateMe))
	ep(EpRegister, []string{"POST"}, a.register)
	ep(EpVerify, []string{"GET"}, a.verify)
	ep(EpVerify, []string{"POST"}, a.resendVerification)
	ep(EpForgot, []string{"POST"}, a.forgot)
	ep(EpForgot, []string{"GET"}, httpx.SameOriginGET(a.forgot))
	ep(EpChange, []string{"GET"}, a.checkResetToken)
	ep(EpChange, []string{"POST"}, a.change)
	ep(EpExpired, []string{"POST"}, a.authed(a.expired))
	ep(EpCheckPassword, []string{"POST"}, a.checkPassword)
	if login := a.opts.Endpoints[EpLogin]; login.Enabled && login.URI != "" && a.opts.LoginPage != login.URI {
		mux.HandleFunc("GET "+login.URI, a.loginView)
	}
	if reg := a.opts.Endpoints[EpRegister]; reg.Enabled && reg.URI != "" && a.opts.RegisterPage != reg.URI {
		mux.HandleFunc("GET "+reg.URI, a.registerView)
	}
	if me, ok := a.opts.Endpoints[EpMe]; ok && me.Enabled {
		mux.HandleFunc("POST "+me.URI+"/password", a.authed(a.changePassword))
		mux.HandleFunc("GET "+me.URI+"/sessions", a.authed(a.listSessions))
		mux.HandleFunc("DELETE "+me.URI+"/sessions/{id}", a.authed(a.endSession))
		mux.HandleFunc("DELETE "+me.URI+"/sessions", a.authed(a.endOtherSessions))
		mux.HandleFunc("POST "+me.URI+"/compromised", a.authed(a.reportCompromised))
	}
}

// Principal is the signed-in caller of a request.
type Principal struct {
	User    *userdb.User
	Session *userdb.Session
}

type principalKey struct{}

// authedHandler receives the caller.
type authedHandler func(w http.ResponseWriter, r *http.Request, p *Principal)

// authed lets only signed-in callers through; others get 401 JSON or, for a
// browser, a redirect to the sign-in page.
func (a *API) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			a.Unauthenticated(w, r, err)
			return
		}
		h(w, r.WithContext(service.WithMeta(r.Context(), meta(r, p.User.ID))), p)
	}
}

// Authenticate finds the caller of r from its session cookie.
func (a *API) Authenticate(r *http.Request) (*Principal, error) {
	c, err := r.Cookie(a.opts.CookieName)
	if err != nil {
		return nil, userdb.Errorf(userdb.EUNAUTHORIZED, "Not signed in.")
	}
	u, s, err := a.svc.Authenticate(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &Principal{User: u, Session: s}, nil
}

// Unauthenticated answers a request that needs a signed-in caller.
func (a *API) Unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if userdb.IsCode(err, userdb.EUNAUTHORIZED) && httpx.WantsHTML(r) && r.Method == http.MethodGet {
		httpx.RedirectToLogin(w, r, a.opts.LoginPage)
		return
	}
	httpx.Error(w, r, err)
}

// toPage sends a browser to one of the hosted pages, carrying over the
// query parameter param (next=, sptoken=) and nothing else.
func toPage(w http.ResponseWriter, r *http.Request, page, param string) {
	if v := r.URL.Query().Get(param); v != "" {
		page += "?" + param + "=" + url.QueryEscape(v)
	}
	http.Redirect(w, r, page, http.StatusFound)
}

// meta describes the request for the audit log.
func meta(r *http.Request, actor string) service.Meta {
	return service.Meta{ActorID: actor, IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}
}

// withMeta returns r with its metadata for the audit log (no actor yet).
func withMeta(r *http.Request) *http.Request {
	return r.WithContext(service.WithMeta(r.Context(), meta(r, "")))
}

// SetSession sets the session cookie of a sign-in. The hosted pages use it
// too, so a browser has one session whichever surface it signed in through.
func (a *API) SetSession(w http.ResponseWriter, r *http.Request, l *service.Login) {
	http.SetCookie(w, &http.Cookie{
		Name: a.opts.CookieName, Value: l.Secret, Path: "/",
		// Max-Age rather than Expires: relative to the session's start, so a
		// client's clock does not matter.
		MaxAge:   int(l.Session.ExpiresAt.Sub(l.Session.CreatedAt).Seconds()),
		HttpOnly: true, Secure: a.secure(r), SameSite: a.opts.SameSite,
	})
}

// ClearSession removes the session cookie.
func (a *API) ClearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: a.opts.CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: a.secure(r), SameSite: a.opts.SameSite,
	})
}

// secure decides the cookie's Secure flag: always, except in "auto" mode on
// plain HTTP to a loopback host from a loopback peer (development). The Host
// header alone is not enough: a proxy may forward "Host: localhost" for a
// browser elsewhere, so the peer must be on this machine too, and a request
// carrying forwarding headers came through a proxy, which serves the
// browser over whatever it likes (HTTPS, usually).
func (a *API) secure(r *http.Request) bool {
	switch a.opts.Secure {
	case "always":
		return true
	case "never":
		return false
	}
	if r.TLS != nil {
		return true
	}
	for _, h := range forwardingHeaders {
		if _, ok := r.Header[h]; ok {
			return true
		}
	}
	return !isLoopback(r.Host) || !isLoopback(r.RemoteAddr)
}

// forwardingHeaders are set by reverse proxies (canonical header keys).
var forwardingHeaders = []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Real-Ip"}

// isLoopback reports whether a host or host:port names this machine.
func isLoopback(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// view renders a user through the transformer.
func (a *API) view(r *http.Request, u *userdb.User) (any, error) {
	roles, err := a.svc.AccountRoles(r.Context(), u.AccountID)
	if err != nil {
		return nil, err
	}
	return a.opts.Transformer(NewUserView(u, roles, a.svc.PasswordExpired(u))), nil
}

// account answers {"account": view} with the status.
func (a *API) account(w http.ResponseWriter, r *http.Request, status int, u *userdb.User) {
	v, err := a.view(r, u)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, status, map[string]any{"account": v})
}
