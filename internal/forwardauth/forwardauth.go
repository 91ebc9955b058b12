package forwardauth

import (
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// The endpoints. ForwardAuthPath answers a browser that is not signed in
// with a redirect to the sign-in page (Traefik, Caddy); AuthRequestPath with
// 401 and that page in Location, since nginx's auth_request accepts only
// 2xx, 401 and 403 (nginx's configuration turns it into the redirect).
const (
	ForwardAuthPath = "/authz/forward-auth"
	AuthRequestPath = "/authz/auth-request"
)

// Identity is the caller of the original request, as the application is
// told in Remote-* headers.
type Identity struct {
	User    string   // Remote-User: the username (the email when there is none; the key's id for an API key; the user's id, or the client's for its own token, for an OAuth access token)
	Email   string   // Remote-Email
	Name    string   // Remote-Name: the full name
	Groups  []string // Remote-Groups: role names, comma-separated
	Account string   // Remote-Account: the account's name
}

// Authenticator finds the caller of the original request from what the
// proxy passed on: the session cookie or an Authorization: Bearer token
// (see Bearer). A
// request without valid credentials gets an EUNAUTHORIZED error. It must
// not cost a database round trip when its caches are warm: it runs before
// every request to the applications behind the proxy.
type Authenticator func(r *http.Request) (*Identity, error)

// Rule requires roles for the requests to some hosts and paths.
type Rule struct {
	Hosts []string // host[:port] or *.domain; empty: every host
	Paths []string // /exact or /prefix*; empty: every path
	Roles []string // one of them; empty: any signed-in caller
}

// Options configure the handler.
type Options struct {
	Authenticate Authenticator
	Rules        []Rule
	// DenyByDefault refuses (403) requests no rule matches; otherwise any
	// signed-in caller goes through.
	DenyByDefault bool
	// SignIn is the absolute URL of the sign-in page; the original URL is
	// added as next=.
	SignIn string
	Logger *slog.Logger
}

// Handler serves the forward-authentication endpoints.
type Handler struct {
	opts Options
	log  *slog.Logger
}

// New returns the handler.
func New(o Options) *Handler {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	for i := range o.Rules {
		r := &o.Rules[i]
		r.Hosts = slices.Clone(r.Hosts)
		for j, h := range r.Hosts {
			r.Hosts[j] = strings.ToLower(h)
		}
	}
	return &Handler{opts: o, log: o.Logger}
}

// Routes registers the endpoints for every method: a proxy asks with the
// method of the original request.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc(ForwardAuthPath, func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, false) })
	mux.HandleFunc(AuthRequestPath, func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, true) })
}

// Header names of the answer.
const (
	hUser    = "Remote-User"
	hEmail   = "Remote-Email"
	hName    = "Remote-Name"
	hGroups  = "Remote-Groups"
	hAccount = "Remote-Account"
)

func (h *Handler) serve(w http.ResponseWriter, r *http.Request, nginx bool) {
	w.Header()["Cache-Control"] = noStore
	orig, ok := h.original(r)
	if !ok {
		// Without the original URL no rule can be applied: refusing is the
		// only safe answer. It is the operator's to fix, so it is logged.
		httpx.Logger(r).Warn("forward auth: the request came from an untrusted peer or without the original URL; "+
			"add the proxy to server.trusted_proxies and have it send X-Original-URL or X-Forwarded-Uri",
			"peer", r.RemoteAddr)
		h.deny(w, http.StatusForbidden)
		return
	}
	roles, allowed := h.rule(orig)
	id, err := h.opts.Authenticate(r)
	if err != nil {
		if !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
			// A rate limit (429) or a failure (500): the proxy refuses the
			// request (nginx turns anything but 2xx, 401 and 403 into 500).
			httpx.Error(w, r, err)
			return
		}
		h.unauthenticated(w, r, orig, nginx)
		return
	}
	if !allowed || (len(roles) > 0 && !slices.ContainsFunc(id.Groups, func(g string) bool { return slices.Contains(roles, g) })) {
		h.deny(w, http.StatusForbidden)
		return
	}
	hd := w.Header()
	hd[hUser] = []string{id.User}
	hd[hEmail] = []string{id.Email}
	hd[hName] = []string{id.Name}
	hd[hGroups] = []string{strings.Join(id.Groups, ",")}
	hd[hAccount] = []string{id.Account}
	w.WriteHeader(http.StatusOK)
}

var noStore = []string{"no-store"}

// deny answers with a status and no body worth showing: the proxy shows its
// own error page, or its configuration's.
func (h *Handler) deny(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(http.StatusText(status) + "\n"))
}

// unauthenticated answers a caller without valid credentials: a browser
// (asking for a page, without an Authorization header of its own) is sent
// to sign in and come back to the original URL; anyone else gets 401.
func (h *Handler) unauthenticated(w http.ResponseWriter, r *http.Request, orig *url.URL, nginx bool) {
	_, bearer := Bearer(r)
	browser := !bearer && httpx.WantsHTML(r) &&
		(method(r) == http.MethodGet || method(r) == http.MethodHead)
	if !browser {
		if bearer {
			w.Header().Set("WWW-Authenticate", `Bearer realm="userdb"`)
		}
		h.deny(w, http.StatusUnauthorized)
		return
	}
	loc := h.opts.SignIn + "?next=" + url.QueryEscape(orig.String())
	w.Header().Set("Location", loc)
	if nginx {
		h.deny(w, http.StatusUnauthorized)
		return
	}
	w.WriteHeader(http.StatusFound)
}

// Bearer returns the token of an Authorization: Bearer header. Other
// schemes (an application's own Basic authentication) are not userdb's
// credentials.
func Bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// method is the original request's method, as the proxy passed it on.
func method(r *http.Request) string {
	if m := r.Header.Get("X-Original-Method"); m != "" {
		return m
	}
	if m := r.Header.Get("X-Forwarded-Method"); m != "" {
		return m
	}
	return r.Method
}

// original returns the URL the client asked the proxy for, from a trusted
// proxy only: X-Original-URL (nginx, by configuration), else the scheme
// and host the proxy forwarded (httpx.TrustedProxies has applied them) with
// X-Forwarded-Uri (Traefik, Caddy). Its path is decoded and cleaned, as the
// proxy routes by it, so that "/public/../admin" meets the rules of
// "/admin".
func (h *Handler) original(r *http.Request) (*url.URL, bool) {
	if !httpx.FromTrustedProxy(r) {
		return nil, false
	}
	var u *url.URL
	if raw := r.Header.Get("X-Original-URL"); raw != "" {
		var err error
		if u, err = url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, false
		}
	} else if uri := r.Header.Get("X-Forwarded-Uri"); uri != "" {
		ref, err := url.ParseRequestURI(uri)
		if err != nil {
			return nil, false
		}
		u = &url.URL{Scheme: httpx.Scheme(r), Host: r.Host, Path: ref.Path, RawPath: ref.RawPath, RawQuery: ref.RawQuery}
	} else {
		return nil, false
	}
	if !httpx.PlainHost(u.Host) || u.Path == "" && u.RawPath != "" {
		return nil, false
	}
	clean := path.Clean("/" + u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	u.Path, u.RawPath, u.Fragment = clean, "", ""
	return u, true
}

// rule returns the roles the first matching rule requires, and false when
// no rule matches and the default refuses.
func (h *Handler) rule(u *url.URL) (roles []string, allowed bool) {
	host := strings.ToLower(u.Host)
	hostname := strings.ToLower(u.Hostname())
	for _, r := range h.opts.Rules {
		if matchHost(r.Hosts, host, hostname) && matchPath(r.Paths, u.Path) {
			return r.Roles, true
		}
	}
	return nil, !h.opts.DenyByDefault
}

// matchHost reports whether a pattern matches: one with a port against the
// host and port, one without against the host name alone.
func matchHost(patterns []string, host, hostname string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, p := range patterns {
		h := hostname
		if _, _, err := net.SplitHostPort(p); err == nil {
			h = host
		} else {
			p = strings.TrimSuffix(strings.TrimPrefix(p, "["), "]")
		}
		if suffix, ok := strings.CutPrefix(p, "*."); ok {
			if strings.HasSuffix(h, "."+suffix) {
				return true
			}
		} else if h == p {
			return true
		}
	}
	return false
}

func matchPath(patterns []string, p string) bool {
	if len(patterns) == 0 {
		return true
	}
	for _, pt := range patterns {
		if prefix, ok := strings.CutSuffix(pt, "*"); ok {
			if strings.HasPrefix(p, prefix) {
				return true
			}
		} else if p == pt {
			return true
		}
	}
	return false
}
