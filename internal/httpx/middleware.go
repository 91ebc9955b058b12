package httpx

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"
)

// Middleware wraps a handler.
type Middleware func(http.Handler) http.Handler

// Chain applies middleware so that the first listed runs first.
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

type ctxKey int

const infoKey ctxKey = 0

// requestInfo is what the middleware learns about a request. It is one
// context value, set once by RequestIDs and filled in by the middleware
// after it, so that each step does not copy the request and its context.
type requestInfo struct {
	id   string
	base *slog.Logger
	// What TrustedProxies decided: the client's address, whether the
	// peer is a trusted proxy, and the scheme the client used.
	ip      string
	trusted bool
	https   bool
	// logger is base with the request id, made when first asked for:
	// most requests log only their access line, which needs none.
	logger atomic.Pointer[slog.Logger]
}

func infoOf(r *http.Request) *requestInfo {
	i, _ := r.Context().Value(infoKey).(*requestInfo)
	return i
}

// Logger returns the request's logger (with its request id).
func Logger(r *http.Request) *slog.Logger {
	i := infoOf(r)
	if i == nil {
		return slog.Default()
	}
	if l := i.logger.Load(); l != nil {
		return l
	}
	l := i.base.With("request_id", i.id)
	i.logger.Store(l)
	return l
}

// RequestID returns the request's id.
func RequestID(r *http.Request) string {
	if i := infoOf(r); i != nil {
		return i.id
	}
	return ""
}

// ClientIP returns the client's address as decided by TrustedProxies, or
// the peer's without it.
func ClientIP(r *http.Request) string {
	if i := infoOf(r); i != nil && i.ip != "" {
		return i.ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// RequestIDs gives every request an id (from a well-formed X-Request-Id or a
// new one), echoes it, and puts a logger carrying it in the context.
func RequestIDs(base *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id := r.Header.Get("X-Request-Id")
			if !validRequestID(id) {
				var b [8]byte
				rand.Read(b[:])
				id = hex.EncodeToString(b[:])
			}
			w.Header()["X-Request-Id"] = []string{id}
			info := &requestInfo{id: id, base: base}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), infoKey, info)))
		})
	}
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Recover turns a panic into a logged 500.
func Recover(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				Logger(r).Error("panic", "value", v, "stack", string(debug.Stack()))
				JSON(w, http.StatusInternalServerError, ErrorBody{Status: 500, Message: "An internal error occurred."})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// StatusRecorder remembers the status a handler wrote.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
	Bytes  int
}

func (s *StatusRecorder) WriteHeader(code int) {
	if s.Status == 0 {
		s.Status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *StatusRecorder) Write(b []byte) (int, error) {
	if s.Status == 0 {
		s.Status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.Bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *StatusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// AccessLog logs one line per request, without query strings (they may carry
// tokens) or cookies. Observe, when set, also receives each request.
func AccessLog(observe func(r *http.Request, status int, d time.Duration)) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := &StatusRecorder{ResponseWriter: w}
			next.ServeHTTP(rec, r)
			if rec.Status == 0 {
				rec.Status = http.StatusOK
			}
			end := time.Now()
			d := end.Sub(start)
			if observe != nil {
				observe(r, rec.Status, d)
			}
			level := slog.LevelInfo
			if rec.Status >= 500 {
				level = slog.LevelError
			}
			i := infoOf(r)
			logger := slog.Default()
			if i != nil {
				logger = i.base
			}
			ctx := r.Context()
			if !logger.Enabled(ctx, level) {
				return
			}
			// The record is made here and handed to the handler, as
			// Logger.LogAttrs would, but without the call stack it reads
			// for a source position (this line's, of no use) and with the
			// time already read: the line costs a sixth of a GET /me.
			line := slog.NewRecord(end, level, "http request", 0)
			if i != nil {
				// The request id as the line's first attribute writes what
				// Logger(r) would, without building a logger per request.
				line.AddAttrs(slog.String("request_id", i.id))
			}
			line.AddAttrs(slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", rec.Status), slog.Int("bytes", rec.Bytes),
				slog.Duration("duration", d), slog.String("ip", ClientIP(r)))
			logger.Handler().Handle(ctx, line)
		})
	}
}

// The values of the security headers. Each slice has length and capacity 1
// and is shared by every response: setting or adding a value replaces or
// copies it, so no response can change another's.
var (
	nosniff        = []string{"nosniff"}
	frameDeny      = []string{"DENY"}
	referrerPolicy = []string{"same-origin"}
	defaultCSP     = []string{ContentSecurityPolicy(nil, nil)}
	hsts           = []string{"max-age=31536000"}
)

// plainHost is a host name or IP address with an optional port: all an
// origin may hold.
var plainHost = regexp.MustCompile(`^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$`)

// PlainHost reports whether host (a URL's Host) is a host name or IP
// address with an optional port. url.Parse lets through hosts such as
// "a;b", which would break out of a Content-Security-Policy the origin is
// written into.
func PlainHost(host string) bool { return plainHost.MatchString(host) }

// ContentSecurityPolicy is the policy SecurityHeaders sets, with more
// sources where a page needs them: formAction are origins a form of the page
// may lead to, and imgSrc origins its images may come from. Chromium checks
// form-action against every redirect that follows a form's post too, so a
// page whose form ends in a redirect to another site must name that site
// here (CSP Level 3, "form-action"). The origins are written as they are:
// their hosts must be PlainHost.
func ContentSecurityPolicy(formAction, imgSrc []string) string {
	var b strings.Builder
	b.WriteString("default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	for _, o := range formAction {
		b.WriteString(" " + o)
	}
	b.WriteString("; object-src 'none'")
	if len(imgSrc) > 0 {
		b.WriteString("; img-src 'self'")
		for _, o := range imgSrc {
			b.WriteString(" " + o)
		}
	}
	return b.String()
}

// SecurityHeaders sets headers every response should carry.
func SecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Assigned rather than Set: the keys are canonical already, and no
		// value is allocated per request.
		h := w.Header()
		h["X-Content-Type-Options"] = nosniff
		h["X-Frame-Options"] = frameDeny
		h["Referrer-Policy"] = referrerPolicy
		if h.Get("Content-Security-Policy") == "" {
			h["Content-Security-Policy"] = defaultCSP
		}
		if r.TLS != nil {
			h["Strict-Transport-Security"] = hsts
		}
		next.ServeHTTP(w, r)
	})
}

// LimitBody caps request bodies; reading past the cap fails, and Decode turns
// that into a 400 naming the limit. uploads gives the paths that take files
// (user imports) a cap of their own.
func LimitBody(max int64, uploads map[string]int64) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := max
			if u, ok := uploads[r.URL.Path]; ok {
				n = u
			}
			if r.ContentLength > n {
				JSON(w, http.StatusRequestEntityTooLarge, ErrorBody{Status: 413, Message: "The request body is too large: the limit is " + ByteSize(n) + "."})
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				// A request without a body (most GETs) has nothing to cap.
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CrossOrigin refuses state-changing browser requests from other origins
// (Go's CrossOriginProtection: Sec-Fetch-Site / Origin checks), answering in
// the negotiated format: a page for a browser's form, JSON otherwise.
func CrossOrigin(trustedOrigins ...string) (Middleware, error) {
	cop := http.NewCrossOriginProtection()
	for _, o := range trustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	// An identity provider answering with a form post (Apple's
	// response_mode=form_post) posts from its own site. The callback is
	// protected by its state, which must match the browser's cookie and is
	// used once (internal/service/upstream.go), not by the origin.
	cop.AddInsecureBypassPattern("POST /upstream/{id}/callback")
	cop.SetDenyHandler(http.HandlerFunc(denyCrossOrigin))
	return cop.Handler, nil
}

func denyCrossOrigin(w http.ResponseWriter, r *http.Request) {
	if WantsHTML(r) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusForbidden)
		w.Write(crossOriginPage)
		return
	}
	JSON(w, http.StatusForbidden, ErrorBody{Status: 403, Message: "Cross-origin request refused."})
}

// SameOriginGET guards a GET that changes state, kept for the original
// library's clients (GET /logout, GET /forgot): a link or image on another
// site must not sign the visitor out or send reset emails. Browsers say
// where a request comes from (Sec-Fetch-Site, else Origin); a request
// saying neither is not a browser's cross-site one and goes through.
func SameOriginGET(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if crossSite(r) {
			denyCrossOrigin(w, r)
			return
		}
		h(w, r)
	}
}

func crossSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "cross-site", "same-site":
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	return err != nil || u.Host != r.Host
}

// crossOriginPage answers a form another site posted. It stands alone (no
// stylesheet, no script), so it holds under the strict policy and this
// package needs nothing of the pages'.
var crossOriginPage = []byte(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Request refused</title>
</head>
<body>
<main>
<h1>Request refused</h1>
<p>Cross-origin request refused.</p>
<p>This form was sent from another site, so it was not accepted and nothing has changed.
If you meant to send it, go back to the page of this site that has the form and send it from there.</p>
</main>
</body>
</html>
`)
