package api

import (
	"net/http"
	"net/url"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
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
	Transformer Transformer
	// LoginPage is where a browser asking for GET /login is sent.
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
}

// API serves the JSON routes.
type API struct {
	svc  *service.Service
	edge *edge.Edge
	opts Options
}

// New returns the API; e authenticates its callers.
func New(svc *service.Service, e *edge.Edge, o Options) *API {
	if o.Transformer == nil {
		o.Transformer = NoTransform
	}
	if o.LoginPage == "" {
		o.LoginPage = o.Endpoints[EpLogin].URI
	}
	return &API{svc: svc, edge: e, opts: o}
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
	ep(EpLogout, []string{"POST", "GET"}, a.authed(a.logout))
	ep(EpMe, []string{"GET"}, a.authed(a.me))
	ep(EpMe, []string{"POST"}, a.authed(a.updateMe))
	ep(EpRegister, []string{"POST"}, a.register)
	ep(EpVerify, []string{"GET"}, a.verify)
	ep(EpVerify, []string{"POST"}, a.resendVerification)
	ep(EpForgot, []string{"POST", "GET"}, a.forgot)
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
	}
}

// authedHandler receives the caller.
type authedHandler func(w http.ResponseWriter, r *http.Request, p *edge.Principal)

// authed lets only signed-in callers through; others get 401 JSON or, for a
// browser, a redirect to the sign-in page.
func (a *API) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p, err := a.edge.Authenticate(r)
		if err != nil {
			a.edge.Unauthenticated(w, r, err)
			return
		}
		h(w, a.edge.WithMeta(r, p.User.ID), p)
	}
}

// toPage sends a browser to one of the hosted pages, carrying over the
// query parameter param (next=, sptoken=) and nothing else.
func toPage(w http.ResponseWriter, r *http.Request, page, param string) {
	if v := r.URL.Query().Get(param); v != "" {
		page += "?" + param + "=" + url.QueryEscape(v)
	}
	http.Redirect(w, r, page, http.StatusFound)
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
