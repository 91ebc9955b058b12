// Package inside hands this module's command line and tests the workflows
// inside a *server.Server, which the server's public API does not expose
// (their types are internal). Package server registers the accessor when it
// is initialised; anything that has a *server.Server to pass has imported
// package server, so the accessor is always there.
package inside

import "github.com/userdb/userdb/internal/service"

var serviceOf func(srv any) *service.Service

// Register sets the accessor; package server calls it from init.
func Register(f func(srv any) *service.Service) { serviceOf = f }

// Service returns the workflows of srv, a *server.Server.
func Service(srv any) *service.Service { return serviceOf(srv) }
