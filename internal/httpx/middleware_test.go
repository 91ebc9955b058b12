package httpx_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/httpx"
)

// TestAccessLogLine checks the access line: the request id first, as a
// logger made With it would write it, then the request's details.
func TestAccessLogLine(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	var seen struct{ id, ip string }
	h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.id, seen.ip = httpx.RequestID(r), httpx.ClientIP(r)
		httpx.Logger(r).Info("inside")
		w.WriteHeader(http.StatusTeapot)
	}), httpx.RequestIDs(log), httpx.TrustedProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}),
		httpx.AccessLog(nil))

	req := httptest.NewRequest(http.MethodGet, "/me?token=secret", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	req.Header.Set("X-Request-Id", "abc-123")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	if seen.id != "abc-123" || seen.ip != "203.0.113.9" {
		t.Errorf("handler saw id %q, ip %q", seen.id, seen.ip)
	}
	if got := rec.Header().Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("X-Request-Id = %q", got)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines:\n%s", buf.String())
	}
	if !strings.Contains(lines[0], `"msg":"inside","request_id":"abc-123"`) {
		t.Errorf("handler's line has no request id: %s", lines[0])
	}
	access := lines[1]
	if !strings.Contains(access, `"msg":"http request","request_id":"abc-123","method":"GET","path":"/me","status":418,"bytes":0,"duration":`) ||
		!strings.HasSuffix(access, `"ip":"203.0.113.9"}`) {
		t.Errorf("access line: %s", access)
	}
	if strings.Contains(access, "secret") {
		t.Errorf("access line logs the query: %s", access)
	}
}

// TestRequestIDGenerated checks a new id replaces a malformed one.
func TestRequestIDGenerated(t *testing.T) {
	var id string
	h := httpx.RequestIDs(slog.New(slog.DiscardHandler))(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id = httpx.RequestID(r)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.Header.Set("X-Request-Id", "no spaces allowed")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if len(id) != 16 || rec.Header().Get("X-Request-Id") != id {
		t.Errorf("id %q, header %q", id, rec.Header().Get("X-Request-Id"))
	}
}

// TestClientIPWithoutRequestIDs checks TrustedProxies on its own.
func TestClientIPWithoutRequestIDs(t *testing.T) {
	var ip string
	h := httpx.TrustedProxies(nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ip = httpx.ClientIP(r)
	}))
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "192.0.2.7:1234"
	req.Header.Set("X-Forwarded-For", "203.0.113.9") // not from a trusted proxy
	h.ServeHTTP(httptest.NewRecorder(), req)
	if ip != "192.0.2.7" {
		t.Errorf("ClientIP = %q", ip)
	}
}

// TestSecurityHeadersNotShared checks that the header values shared by all
// responses cannot be changed through one of them.
func TestSecurityHeadersNotShared(t *testing.T) {
	h := httpx.SecurityHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			w.Header().Add("X-Frame-Options", "SAMEORIGIN")
			w.Header().Set("Referrer-Policy", "no-referrer")
		}
	}))
	first := httptest.NewRecorder()
	h.ServeHTTP(first, httptest.NewRequest(http.MethodGet, "/first", nil))
	second := httptest.NewRecorder()
	h.ServeHTTP(second, httptest.NewRequest(http.MethodGet, "/second", nil))
	if got := first.Header().Values("X-Frame-Options"); len(got) != 2 {
		t.Errorf("first X-Frame-Options = %q", got)
	}
	if got := second.Header().Values("X-Frame-Options"); len(got) != 1 || got[0] != "DENY" {
		t.Errorf("second X-Frame-Options = %q", got)
	}
	if got := second.Header().Get("Referrer-Policy"); got != "same-origin" {
		t.Errorf("second Referrer-Policy = %q", got)
	}
	if got := second.Header().Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'self'") {
		t.Errorf("Content-Security-Policy = %q", got)
	}
}

// TestLimitBody checks that bodies are capped and body-less requests pass.
func TestLimitBody(t *testing.T) {
	var readErr error
	h := httpx.LimitBody(8, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v any
		readErr = httpx.Decode(r, &v)
	}))
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"a":"0123456789"}`))
	req.ContentLength = -1 // unknown: the cap must still hold
	h.ServeHTTP(httptest.NewRecorder(), req)
	if readErr == nil || !strings.Contains(readErr.Error(), "too large") {
		t.Errorf("oversized body: %v", readErr)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"a":"0123456789"}`)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("declared oversized body: %d", rec.Code)
	}
	req = httptest.NewRequest(http.MethodGet, "/", nil)
	req.Body = http.NoBody
	h.ServeHTTP(httptest.NewRecorder(), req)
	if readErr == nil || !strings.Contains(readErr.Error(), "empty") {
		t.Errorf("no body: %v", readErr)
	}
}

// TestAccessLogObserve checks the observer gets the status and a duration.
func TestAccessLogObserve(t *testing.T) {
	var status int
	var took time.Duration
	h := httpx.AccessLog(func(r *http.Request, s int, d time.Duration) { status, took = s, d })(
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
	if status != http.StatusOK || took <= 0 {
		t.Errorf("observed %d, %v", status, took)
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	for _, tc := range []struct {
		form, img []string
		want      string
	}{
		{nil, nil, "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"},
		{[]string{"https://app.example.com"}, nil,
			"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self' https://app.example.com; object-src 'none'"},
		{nil, []string{"https://cdn.example"},
			"default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'; img-src 'self' https://cdn.example"},
	} {
		if got := httpx.ContentSecurityPolicy(tc.form, tc.img); got != tc.want {
			t.Errorf("ContentSecurityPolicy(%v, %v) = %q, want %q", tc.form, tc.img, got, tc.want)
		}
	}
}

// TestCrossOriginRefusal: a post from another origin is refused with a page
// for a browser's form and with JSON for other clients; posts from the site
// itself and from a trusted origin go through.
func TestCrossOriginRefusal(t *testing.T) {
	mw, err := httpx.CrossOrigin("https://app.example.com")
	if err != nil {
		t.Fatal(err)
	}
	reached := 0
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { reached++ }))
	post := func(origin, site, accept string, extra ...string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "https://id.example.com/profile", strings.NewReader("intent=names"))
		r.Header.Set("Origin", origin)
		if site != "" {
			r.Header.Set("Sec-Fetch-Site", site)
		}
		r.Header.Set("Accept", accept)
		for i := 0; i+1 < len(extra); i += 2 {
			r.Header.Set(extra[i], extra[i+1])
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

	for _, tc := range []struct {
		name, site, accept string
		extra              []string
		html               bool
	}{
		{"browser form", "cross-site", browser, nil, true},
		{"older browser without Sec-Fetch-Site", "", browser, nil, true},
		{"JSON client", "cross-site", "application/json", nil, false},
		{"XHR asking for anything", "cross-site", "*/*", []string{"X-Requested-With", "XMLHttpRequest"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := post("https://evil.example", tc.site, tc.accept, tc.extra...)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d", w.Code)
			}
			ct, body := w.Header().Get("Content-Type"), w.Body.String()
			if tc.html {
				if ct != "text/html; charset=utf-8" || !strings.Contains(body, "<h1>Request refused</h1>") ||
					!strings.Contains(body, "Cross-origin request refused.") || strings.Contains(body, "<script") || strings.Contains(body, "style") {
					t.Fatalf("Content-Type %q, body:\n%s", ct, body)
				}
			} else if ct != "application/json; charset=utf-8" || strings.TrimSpace(body) != `{"status":403,"message":"Cross-origin request refused."}` {
				t.Fatalf("Content-Type %q, body %s", ct, body)
			}
		})
	}
	if reached != 0 {
		t.Fatalf("%d refused requests reached the handler", reached)
	}
	if w := post("https://id.example.com", "same-origin", browser); w.Code != http.StatusOK {
		t.Fatalf("same-origin post: %d", w.Code)
	}
	if w := post("https://app.example.com", "same-site", browser); w.Code != http.StatusOK {
		t.Fatalf("post from the trusted origin: %d", w.Code)
	}
	if reached != 2 {
		t.Fatalf("allowed posts reached the handler %d times", reached)
	}
}
