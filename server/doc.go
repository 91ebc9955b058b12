// Package server is the embeddable userdb server: Open builds it from a
// configuration, it serves every HTTP surface as one http.Handler, and its
// Authenticated and Authorized middleware protect a Go application's own
// routes — the Go shape of the original app.use(userdb.initialize(app, options)).
package server
