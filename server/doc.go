// Package server is the embeddable userdb server. Open builds it from a
// configuration (package config) and options — WithStore, WithMailDriver,
// WithStrategy, WithTransformer, WithClock, WithLogger — and it serves every
// HTTP surface as one http.Handler. Its Authenticated and Authorized
// middleware protect a Go program's own routes, the Go shape of the
// original app.use(userdb.initialize(app, options)), and Users is the
// original's programmatic user API (find, save, search, roles, the new-user
// workflow, passwords, unlocking), run through the same authorized workflows
// as the admin API. Run does the background work: sending the outbox,
// writing batched session times, removing expired sessions.
//
// Everything a program needs is exported here or in the root package userdb
// and package config; nothing of internal/ appears in this package's API.
package server
