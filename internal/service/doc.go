// Package service holds userdb's workflows — sign-in, lockout, sessions,
// registration, verification, password reset and change, accounts and roles —
// on top of the root package's interfaces only. Handlers call one service
// method per request; the service never writes a response.
//
// Administrative work has one authorized entry point per action, the Admin*
// methods, which check the Actor in the context; the command line and the
// library act through them as SystemActor. Events are recorded in the same
// transaction as the change they describe; an event that cannot be written
// fails the change, or, for a refusal recorded outside a transaction, is
// logged.
package service
