// Package api serves userdb's JSON API: the routes of the original Node
// library and react-stormpath (/login, /me, /register, /verify, /forgot,
// /change, /expired, /logout, /users/check_password) and the caller's
// session list; the original's admin RPC routes (/users/*, /accounts/*,
// /roles/*); and the REST admin API under /api/v1 with its OpenAPI
// document. Callers are authenticated by internal/edge; each handler
// decodes, calls the service, and encodes.
package api
