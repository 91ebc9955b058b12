package api

import (
	"net/http"
	"net/url"
	"sync"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
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
	Transformer Transformer
	// LoginPage is where a browser asking for GET /login is sent.
	LoginPage string
	// VerifyPage and ResetPage, when set, are the pages a browser following
	// an email's /verify or /change link is sent to, with its sptoken.
	VerifyPage, ResetPage string
	// RegisterPage, when set, is where a browser asking for GET /register
	// is sent; JSON clients get the form's view model (viewmodel.go).
	RegisterPage string
	// ProfilePage, when set, is where a browser asking for GET /me is
	// sent: it shows the signed-in user as a page rather than JSON.
	ProfilePage string
	// MaxUpload is server.max_upload, the largest spreadsheet the import
	// routes take; it sizes their read and write deadlines.
	MaxUpload int64
	// OAuth is the OAuth provider (nil when it is off): the clients routes,
	// and access tokens with the admin scope as admin credentials.
	OAuth *oauth.Provider
	// Strategy, when set, authenticates a request through a program's own
	// strategy named by its realm header (server.WithStrategy): the user
	// and the realm, or a nil user when the request names no such realm.
	// /login, /me, /logout and /expired then start a session for that user,
	// as the original's routes did.
	Strategy func(r *http.Request) (*userdb.User, string, error)
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
	ep(EpLogout, []string{"POST"}, a.authed(a.logout))
	ep(EpLogout, []string{"GET"}, httpx.SameOriginGET(a.authed(a.logout)))
	ep(EpMe, []string{"GET"}, a.authedRead(a.me))
	ep(EpMe, []string{"POST"}, a.authed(a.updateMe))
	ep(EpRegister, []string{"POST"}, a.register)
	ep(EpVerify, []string{"GET"}, a.verify)
	ep(EpVerify, []string{"POST"}, a.resendVerification)
	ep(EpForgot, []string{"POST"}, a.forgot)
	ep(EpForgot, []string{"GET"}, httpx.SameOriginGET(a.forgot))
	ep(EpChange, []string{"GET"}, a.checkResetToken)
	ep(EpChange, []string{"POST"}, a.change)
	ep(EpExpired, []string{"POST"}, a.expired)
	ep(EpCheckPassword, []string{"POST"}, a.checkPassword)
	a.passwordlessRoutes(mux)
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
	a.mfaRoutes(mux)
}

// authedHandler receives the caller.
type authedHandler func(w http.ResponseWriter, r *http.Request, p *edge.Principal)

// authed lets only signed-in callers through, carrying their metadata for
// the audit log; others get 401 JSON or, for a browser, a redirect to the
// sign-in page.
func (a *API) authed(h authedHandler) http.HandlerFunc {
	return a.authedRead(func(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
		h(w, a.edge.WithCaller(r, p), p)
	})
}

// authedRead is authed for a handler that writes nothing, and so records
// no event: GET /me, the hottest route, skips the copy of the request.
func (a *API) authedRead(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		// The session first, as the original's req.isAuthenticated()
		// (index.js:699); a strategy only for a caller without one, so a
		// realm header on every request does not start a session each time.
		p, err := a.edge.Authenticate(r)
		if err != nil {
			if sp, serr := a.strategy(w, r); serr != nil || sp != nil {
				p, err = sp, serr
			}
		}
		if err != nil {
			a.edge.Unauthenticated(w, r, err)
			return
		}
		h(w, r, p)
	}
}

// strategy signs in the user a program's strategy authenticates r as
// (Options.Strategy), setting the session cookie; nil without a realm.
func (a *API) strategy(w http.ResponseWriter, r *http.Request) (*edge.Principal, error) {
	if a.opts.Strategy == nil {
		return nil, nil
	}
	u, realm, err := a.opts.Strategy(r)
	if err != nil || u == nil {
		return nil, err
	}
	l, err := a.svc.StrategySession(a.edge.WithMeta(r, "").Context(), u.ID, realm)
	if err != nil {
		return nil, err
	}
	a.edge.SetSession(w, r, l)
	return a.edge.SignedIn(l), nil
}

// toPage sends a browser to one of the hosted pages, carrying over the
// query parameter param (next=, sptoken=) and nothing else.
func toPage(w http.ResponseWriter, r *http.Request, page, param string) {
	if v := r.URL.Query().Get(param); v != "" {
		page += "?" + param + "=" + url.QueryEscape(v)
	}
	http.Redirect(w, r, page, http.StatusFound)
}

// userView builds the view of u, with its account and the details of its
// roles (both from the service's caches).
func (a *API) userView(r *http.Request, u *userdb.User) (*UserView, error) {
	roles, err := a.svc.AccountRoles(r.Context(), u.AccountID)
	if err != nil {
		return nil, err
	}
	acc, err := a.svc.Account(r.Context(), u.AccountID)
	if err != nil {
		return nil, err
	}
	return NewUserView(u, acc, roles, a.svc.PasswordExpired(u)), nil
}

// view renders a user through the transformer.
func (a *API) view(r *http.Request, u *userdb.User) (any, error) {
	v, err := a.userView(r, u)
	if err != nil {
		return nil, err
	}
	return a.opts.Transformer(v), nil
}

// account answers {"account": view} with the status.
func (a *API) account(w http.ResponseWriter, r *http.Request, status int, u *userdb.User) {
	v, err := a.userView(r, u)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.writeView(w, status, true, v)
}

// bodies are the buffers the user JSON is written into.
var bodies = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// writeView answers with the user's JSON through the transformer, wrapped
// as {"account": ...} when wrap is set. A *UserView, which the built-in
// transformers return, is written by hand (viewjson.go); anything else a
// transformer returns goes through encoding/json.
func (a *API) writeView(w http.ResponseWriter, status int, wrap bool, v *UserView) {
	out := a.opts.Transformer(v)
	if uv, ok := out.(*UserView); ok {
		bp := bodies.Get().(*[]byte)
		b := (*bp)[:0]
		if wrap {
			b = append(b, `{"account":`...)
		}
		if b, ok = uv.appendJSON(b); ok {
			if wrap {
				b = append(b, '}')
			}
			httpx.JSONBytes(w, status, append(b, '\n'))
		}
		if cap(b) <= 64<<10 { // a huge custom data is not kept for every request
			*bp = b
			bodies.Put(bp)
		}
		if ok {
			return
		}
	}
	if wrap {
		httpx.JSON(w, status, accountBody{Account: out})
		return
	}
	httpx.JSON(w, status, out)
}
