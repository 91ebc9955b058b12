package httpx_test

import (
	"crypto/tls"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/userdb/userdb/internal/httpx"
)

// TestTrustedProxies checks what a request's client address, scheme and
// host are taken to be, from trusted proxies and from anyone else.
func TestTrustedProxies(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	type want struct {
		ip, scheme, host string
		trusted          bool
	}
	cases := []struct {
		name    string
		peer    string
		tls     bool
		headers map[string]string
		want    want
	}{
		{"direct", "192.0.2.7:1234", false, nil, want{"192.0.2.7", "http", "app.test", false}},
		{"direct over TLS", "192.0.2.7:1234", true, nil, want{"192.0.2.7", "https", "app.test", false}},
		{"headers from an untrusted peer are ignored", "192.0.2.7:1234", false, map[string]string{
			"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.test",
			"Forwarded": "for=203.0.113.9;proto=https;host=evil.test",
		}, want{"192.0.2.7", "http", "app.test", false}},
		{"X-Forwarded-* from a trusted proxy", "10.1.2.3:5555", false, map[string]string{
			"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "id.example.com",
		}, want{"203.0.113.9", "https", "id.example.com", true}},
		{"a chain of trusted proxies", "10.1.2.3:5555", false, map[string]string{
			"X-Forwarded-For": "203.0.113.9, 10.9.9.9",
		}, want{"203.0.113.9", "http", "app.test", true}},
		{"the right-most forwarded scheme and host", "10.1.2.3:5555", false, map[string]string{
			"X-Forwarded-Proto": "http, https", "X-Forwarded-Host": "client.test, id.example.com",
		}, want{"10.1.2.3", "https", "id.example.com", true}},
		{"a bad host or scheme is ignored", "10.1.2.3:5555", false, map[string]string{
			"X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "a;b",
		}, want{"10.1.2.3", "http", "app.test", true}},
		{"Forwarded", "10.1.2.3:5555", false, map[string]string{
			"Forwarded": `for=198.51.100.1, for=203.0.113.9;proto=https;host=id.example.com, for=10.9.9.9;proto=http;host=inner`,
			// Forwarded wins over the X- headers when both are present.
			"X-Forwarded-For": "192.0.2.200",
		}, want{"203.0.113.9", "https", "id.example.com", true}},
		{"Forwarded with IPv6 and a port", "[::1]:5555", false, map[string]string{
			"Forwarded": `for="[2001:db8:cafe::17]:4711";proto=HTTPS;host="id.example.com:8443"`,
		}, want{"2001:db8:cafe::17", "https", "id.example.com:8443", true}},
		{"Forwarded for=unknown stops the walk", "10.1.2.3:5555", false, map[string]string{
			"Forwarded": `for=203.0.113.9, for=unknown;proto=https`,
		}, want{"10.1.2.3", "https", "app.test", true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got want
			h := httpx.Chain(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got = want{httpx.ClientIP(r), httpx.Scheme(r), r.Host, httpx.FromTrustedProxy(r)}
			}), httpx.RequestIDs(slog.New(slog.DiscardHandler)), httpx.TrustedProxies(trusted))
			req := httptest.NewRequest(http.MethodGet, "http://app.test/", nil)
			req.RemoteAddr = c.peer
			if c.tls {
				req.TLS = &tls.ConnectionState{}
			}
			for k, v := range c.headers {
				req.Header.Set(k, v)
			}
			h.ServeHTTP(httptest.NewRecorder(), req)
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}
