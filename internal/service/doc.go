// Package service holds userdb's workflows — sign-in, lockout, sessions,
// registration, verification, password reset and change, accounts and roles —
// on top of the root package's interfaces only. Handlers call one service
// method per request; the service never writes a response.
package service
