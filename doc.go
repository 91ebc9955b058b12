// Package userdb holds the domain of the userdb user-management server: its
// types (Account, User, Role, Session, OneTimeToken, Event, OutboxEmail,
// APIKey), the Error type with its closed set of codes, and the small
// interfaces the workflows need and a program may implement: Store (see
// storetest for its conformance suite), MailDriver and Clock. It imports
// only the standard library, so every other package of the module may
// import it.
//
// The embeddable server lives in package server, its configuration in
// package config, the SQL store in sqlstore.
package userdb
