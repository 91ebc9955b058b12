// Package inside hands this module's command line and tests the workflows
// inside a *server.Server, which the server's public API does not expose
// (their types are internal). Package server registers the accessor when it
// is initialised; anything that has a *server.Server to pass has imported
// package server, so the accessor is always there.
package inside

import (
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/service"
)

var (
	serviceOf func(srv any) *service.Service
	oauthOf   func(srv any) *oauth.Provider
	hasherOf  func(cfg *config.Config) (*password.Hasher, error)
)

// RegisterHasher sets the constructor of Hasher; package server calls it
// from init.
func RegisterHasher(f func(cfg *config.Config) (*password.Hasher, error)) { hasherOf = f }

// Hasher returns the password hasher a server opened with cfg would use
// (hashing parameters, pool, peppers), for commands that hash without a
// server: migrate-from wraps weak hashes with it.
func Hasher(cfg *config.Config) (*password.Hasher, error) { return hasherOf(cfg) }

// Register sets the accessors; package server calls it from init.
func Register(svc func(srv any) *service.Service, provider func(srv any) *oauth.Provider) {
	serviceOf, oauthOf = svc, provider
}

// Service returns the workflows of srv, a *server.Server.
func Service(srv any) *service.Service { return serviceOf(srv) }

// OAuth returns the OAuth provider of srv, a *server.Server (nil when
// oauth.enabled is off).
func OAuth(srv any) *oauth.Provider { return oauthOf(srv) }
