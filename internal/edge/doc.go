// Package edge is what every HTTP surface of userdb (the JSON API, the
// hosted pages, the admin console, the server's Authenticated middleware)
// shares about the caller of a request: the session cookie and its
// Secure and SameSite rules, the Principal, authentication by cookie or API
// key through the service, the request's metadata for the audit log, and
// the answer to a caller who is not signed in. The surfaces import it and
// never each other.
package edge
