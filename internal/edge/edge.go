package edge

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// Options configure the edge.
type Options struct {
	CookieName string        // "userdb" by default
	SameSite   http.SameSite // Lax by default
	Secure     string        // auto (default) | always | never
	// SignInPage is where a browser that is not signed in is sent, with
	// next= set to where it was going; ExpiredPage where a user whose
	// password has expired changes it first; ProfilePage is the signed-in
	// user's own page, where pages with nothing better to offer link to.
	SignInPage, ExpiredPage, ProfilePage string
	// AccessToken, when set, authenticates an admin request by an OAuth
	// access token of the provider (with its admin scope): ok is false when
	// the credential is not an access token at all (an API key, then).
	AccessToken func(ctx context.Context, token string) (act service.Actor, ok bool, err error)
}

// Edge reads and writes the session cookie and authenticates requests for
// every HTTP surface, so that a browser has one session whichever surface
// it signed in through.
type Edge struct {
	svc  *service.Service
	opts Options
}

// New returns the edge.
func New(svc *service.Service, o Options) *Edge {
	if o.CookieName == "" {
		o.CookieName = "userdb"
	}
	if o.SameSite == 0 {
		o.SameSite = http.SameSiteLaxMode
	}
	return &Edge{svc: svc, opts: o}
}

// Options returns the edge's settings (the pages' paths among them).
func (e *Edge) Options() Options { return e.opts }

// Principal is the signed-in caller of a request.
type Principal struct {
	User    *userdb.User
	Session *userdb.Session

	secret string // the cookie's value, for the caller's Meta
}

// errNotSignedIn answers a request without a session cookie.
var errNotSignedIn = userdb.Errorf(userdb.EUNAUTHORIZED, "Not signed in.")

// Authenticate finds the caller of r from its session cookie. Every kind of
// bad or missing cookie is the same EUNAUTHORIZED error. The user is shared
// with other requests and must not be modified.
func (e *Edge) Authenticate(r *http.Request) (*Principal, error) {
	c, err := r.Cookie(e.opts.CookieName)
	if err != nil {
		return nil, errNotSignedIn
	}
	u, s, err := e.svc.Authenticate(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	return &Principal{User: u, Session: s, secret: c.Value}, nil
}

// AuthenticateActor finds the caller of an admin request: an API key (or
// an OAuth access token with the admin scope) when the request carries an
// Authorization header, which must then be a valid Bearer credential,
// otherwise the user of the session cookie.
func (e *Edge) AuthenticateActor(r *http.Request) (service.Actor, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, key, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return service.Actor{}, userdb.Errorf(userdb.EUNAUTHORIZED, "Use Authorization: Bearer <API key>.")
		}
		key = strings.TrimSpace(key)
		if e.opts.AccessToken != nil {
			if act, isToken, err := e.opts.AccessToken(r.Context(), key); isToken {
				return act, err
			}
		}
		return e.svc.AuthenticateAPIKey(r.Context(), key)
	}
	p, err := e.Authenticate(r)
	if err != nil {
		return service.Actor{}, err
	}
	return service.UserActor(p.User), nil
}

// Unauthenticated answers a request that needs a signed-in caller, as the
// original library's authenticatedErrorResponse did (index.js:686-697): a
// request that accepts HTML, whatever its method, is sent to the sign-in
// page with next= (302 for GET and HEAD, 303 for the rest, so the browser
// follows with a GET; a post comes back to its page, SignInURL); anyone
// else gets 401 JSON {next, status, message}, next being where the request
// was going, for the client to come back to after signing in.
func (e *Edge) Unauthenticated(w http.ResponseWriter, r *http.Request, err error) {
	if !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
		httpx.Error(w, r, err)
		return
	}
	if httpx.WantsHTML(r) {
		status := http.StatusSeeOther
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			status = http.StatusFound
		}
		http.Redirect(w, r, e.SignInURL(r), status)
		return
	}
	httpx.JSON(w, http.StatusUnauthorized, httpx.ErrorBody{
		Next: r.URL.RequestURI(), Status: http.StatusUnauthorized, Message: userdb.ErrorMessage(err),
	})
}

// SignInURL is the sign-in page, coming back to r afterwards: to the page
// r asked for, or to the path a form posted to (a sign-in cannot repeat the
// post).
func (e *Edge) SignInURL(r *http.Request) string {
	back := r.URL.Path
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		back = r.URL.RequestURI()
	}
	return e.opts.SignInPage + "?next=" + url.QueryEscape(back)
}

// ExpiredURL is the page that changes an expired password, coming back to
// the page r asked for afterwards.
func (e *Edge) ExpiredURL(r *http.Request) string {
	return e.opts.ExpiredPage + "?next=" + url.QueryEscape(r.URL.RequestURI())
}

// Meta describes r for the audit log: who asks (actor, "" for nobody yet),
// from where, with what; and the session cookie it carries, which a
// sign-in ends (service.Meta.Session).
func (e *Edge) Meta(r *http.Request, actor string) service.Meta {
	m := service.Meta{ActorID: actor, IP: httpx.ClientIP(r), UserAgent: r.UserAgent()}
	if c, err := r.Cookie(e.opts.CookieName); err == nil {
		m.Session = c.Value
	}
	if c, err := r.Cookie(e.PendingCookie()); err == nil {
		m.Pending = c.Value
	}
	if c, err := r.Cookie(e.RememberCookie()); err == nil {
		m.MFADevice = c.Value
	}
	return m
}

// WithMeta returns r carrying its metadata (Meta) for the service.
func (e *Edge) WithMeta(r *http.Request, actor string) *http.Request {
	return r.WithContext(service.WithMeta(r.Context(), e.Meta(r, actor)))
}

// CallerMeta is Meta for a request whose caller p Authenticate found: the
// actor is p's user.
func (e *Edge) CallerMeta(r *http.Request, p *Principal) service.Meta {
	return service.Meta{ActorID: p.User.ID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), Session: p.secret}
}

// WithCaller returns r carrying CallerMeta for the service.
func (e *Edge) WithCaller(r *http.Request, p *Principal) *http.Request {
	return r.WithContext(service.WithMeta(r.Context(), e.CallerMeta(r, p)))
}

// SignedIn is the caller of a request that has just signed in through l.
func (e *Edge) SignedIn(l *service.Login) *Principal {
	return &Principal{User: l.User, Session: l.Session, secret: l.Secret}
}

// SetSession sets the session cookie of a sign-in.
func (e *Edge) SetSession(w http.ResponseWriter, r *http.Request, l *service.Login) {
	http.SetCookie(w, &http.Cookie{
		Name: e.opts.CookieName, Value: l.Secret, Path: "/",
		// Max-Age rather than Expires: relative to the session's start, so a
		// client's clock does not matter.
		MaxAge:   int(l.Session.ExpiresAt.Sub(l.Session.CreatedAt).Seconds()),
		HttpOnly: true, Secure: e.secure(r), SameSite: e.opts.SameSite,
	})
}

// ClearSession removes the session cookie.
func (e *Edge) ClearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: e.opts.CookieName, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0),
		HttpOnly: true, Secure: e.secure(r), SameSite: e.opts.SameSite,
	})
}

// secure decides the cookie's Secure flag: always, except in "auto" mode on
// plain HTTP to a loopback host from a loopback peer (development). The Host
// header alone is not enough: a proxy may forward "Host: localhost" for a
// browser elsewhere, so the peer must be on this machine too, and a request
// carrying forwarding headers came through a proxy, which serves the
// browser over whatever it likes (HTTPS, usually).
func (e *Edge) secure(r *http.Request) bool {
	switch e.opts.Secure {
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
