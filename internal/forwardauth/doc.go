// Package forwardauth answers reverse proxies that ask, before passing a
// request on to an application not written in Go, whether its caller may
// go through and who it is: nginx's auth_request, Traefik's forwardAuth and
// Caddy's forward_auth, as Authelia does. The answer is 200 with the
// caller in Remote-* headers, 401 (or, for a browser, the way to the
// sign-in page) or 403, by per-route rules of the configuration.
package forwardauth
