package httpx

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies decides who the client is and how it reached us. From a
// peer within trusted (a load balancer or reverse proxy), it believes the
// forwarding headers: the client address, the scheme and the host from the
// RFC 7239 Forwarded header when there is one, from X-Forwarded-For,
// X-Forwarded-Proto and X-Forwarded-Host otherwise. The host replaces
// r.Host, so that cross-origin checks and redirects see the host the
// client asked for. From any other peer, those headers are ignored: anyone
// can write them.
//
// The client address is the right-most address that is not a trusted
// proxy (entries further left are whatever the client wrote). The scheme
// and host are those the outermost trusted proxy recorded: the Forwarded
// element of that hop, or the right-most X-Forwarded-Proto and
// X-Forwarded-Host value.
func TrustedProxies(trusted []netip.Prefix) Middleware {
	isTrusted := func(a netip.Addr) bool {
		for _, p := range trusted {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			i := infoOf(r)
			if i == nil {
				i = &requestInfo{base: slog.Default()}
				r = r.WithContext(context.WithValue(r.Context(), infoKey, i))
			}
			i.ip, i.trusted, i.https = ClientIP(r), false, r.TLS != nil
			if peer, err := netip.ParseAddr(i.ip); err == nil && len(trusted) > 0 && isTrusted(peer) {
				i.trusted = true
				var f forwarded
				if h := r.Header.Values("Forwarded"); len(h) > 0 {
					f = parseForwarded(h, isTrusted)
				} else {
					f = parseXForwarded(r.Header, isTrusted)
				}
				if f.ip != "" {
					i.ip = f.ip
				}
				if f.proto != "" {
					i.https = f.proto == "https"
				}
				if f.host != "" {
					r.Host = f.host
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// FromTrustedProxy reports whether r came from a trusted proxy, so that
// forwarded headers about the original request may be believed.
func FromTrustedProxy(r *http.Request) bool {
	i := infoOf(r)
	return i != nil && i.trusted
}

// IsHTTPS reports whether the client reached us over HTTPS: directly, or
// through a trusted proxy that says so.
func IsHTTPS(r *http.Request) bool {
	if i := infoOf(r); i != nil && i.ip != "" {
		return i.https
	}
	return r.TLS != nil
}

// Scheme is "https" or "http", as IsHTTPS decides.
func Scheme(r *http.Request) string {
	if IsHTTPS(r) {
		return "https"
	}
	return "http"
}

// forwarded is what the forwarding headers of a trusted peer say; empty
// fields were not said (or not well-formed).
type forwarded struct{ ip, proto, host string }

// parseXForwarded reads X-Forwarded-For, -Proto and -Host.
func parseXForwarded(h http.Header, isTrusted func(netip.Addr) bool) forwarded {
	var f forwarded
	hops := splitList(h.Values("X-Forwarded-For"))
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil {
			break
		}
		f.ip = a.Unmap().String()
		if !isTrusted(a) {
			break
		}
	}
	if p := splitList(h.Values("X-Forwarded-Proto")); len(p) > 0 {
		f.proto = proto(p[len(p)-1])
	}
	if hs := splitList(h.Values("X-Forwarded-Host")); len(hs) > 0 && PlainHost(hs[len(hs)-1]) {
		f.host = hs[len(hs)-1]
	}
	return f
}

// parseForwarded reads RFC 7239 Forwarded elements from right to left,
// skipping those whose for= is a trusted proxy: the first other element was
// written by the outermost trusted proxy, about the client.
func parseForwarded(values []string, isTrusted func(netip.Addr) bool) forwarded {
	elems := splitList(values)
	var f forwarded
	for i := len(elems) - 1; i >= 0; i-- {
		params := forwardedParams(elems[i])
		a, ok := forwardedFor(params["for"])
		f = forwarded{proto: proto(params["proto"])}
		if h := params["host"]; PlainHost(h) {
			f.host = h
		}
		if !ok {
			// "unknown", an obfuscated name or garbage: no address
			// further left can be believed.
			break
		}
		f.ip = a.Unmap().String()
		if !isTrusted(a) {
			break
		}
	}
	return f
}

// forwardedParams splits one element ("for=192.0.2.1;proto=https") into
// its parameters, names lower-cased and quotes removed.
func forwardedParams(elem string) map[string]string {
	m := map[string]string{}
	for _, pair := range strings.Split(elem, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(pair), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
			v = strings.ReplaceAll(v[1:len(v)-1], `\`, "")
		}
		m[strings.ToLower(strings.TrimSpace(k))] = v
	}
	return m
}

// forwardedFor parses a for= value: an IPv4 address, or "[IPv6]", either
// with an optional port.
func forwardedFor(v string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(v); err == nil {
		return ap.Addr(), true
	}
	v = strings.TrimSuffix(strings.TrimPrefix(v, "["), "]")
	a, err := netip.ParseAddr(v)
	return a, err == nil
}

func proto(p string) string {
	switch p = strings.ToLower(strings.TrimSpace(p)); p {
	case "http", "https":
		return p
	}
	return ""
}

// splitList splits comma-separated header values, trimming spaces; a
// Forwarded element's quoted string may not hold a comma here (RFC 7239
// allows it, for obfuscated identifiers no proxy of ours writes).
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}
