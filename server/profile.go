package server

import (
	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/profile"
	"github.com/userdb/userdb/internal/service"
)

// profileSource gives the service the configured schema and extends it with
// the attributes defined at run time (service.ProfileSource).
type profileSource struct{ configured *profile.Schema }

func (p profileSource) Configured() []userdb.ProfileAttribute { return p.configured.Configured() }

func (p profileSource) CheckDefined(a *userdb.ProfileAttribute) error { return profile.CheckDefined(a) }

func (p profileSource) With(defined []*userdb.ProfileAttribute) service.ProfileSchema {
	return p.configured.With(defined)
}
