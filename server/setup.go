package server

import (
	"context"
	"net/url"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/web"
)

// openSetup makes the one-time token of /setup when setup.enabled is on and
// no super-admin exists yet. The token lives in this process only: it is
// shown in this node's log (SetupURL) and nowhere else, and the database
// claim of the step (service.CreateFirstAdmin) keeps any number of nodes
// to one first administrator.
func (s *Server) openSetup(ctx context.Context) error {
	if !s.cfg.Setup.Enabled {
		return nil
	}
	open, err := s.svc.SetupOpen(ctx)
	if err != nil {
		// A database not migrated yet (database.migrate_on_start off) has
		// no set-up table: the server still opens (/readyz says why), and
		// the command line can make the first administrator.
		s.log.WarnContext(ctx, "the set-up page is off: cannot tell whether an administrator exists", "err", err)
		return nil
	}
	if !open {
		return nil
	}
	secret, _ := userdb.NewSecret()
	s.setupToken = secret
	return nil
}

// SetupURL returns the one-time address of the page that creates the first
// administrator, or "" when there is none (setup.enabled is off, or a
// super-admin existed when the server opened). `userdb serve` logs it; a
// program embedding the server may log or show it likewise. Once the first
// administrator exists, the address answers 404.
func (s *Server) SetupURL() string {
	if s.setupToken == "" {
		return ""
	}
	return s.cfg.BaseURL() + web.SetupPath + "?token=" + url.QueryEscape(s.setupToken)
}
