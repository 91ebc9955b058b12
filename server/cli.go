package server

import (
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
)

// The command line and the tests of this module reach the workflows through
// package inside; programs use Users and the HTTP surfaces.
func init() {
	inside.Register(
		func(srv any) *service.Service { return srv.(*Server).svc },
		func(srv any) *oauth.Provider { return srv.(*Server).oauth },
	)
	inside.RegisterHasher(newHasher)
}
