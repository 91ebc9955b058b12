package server

import "github.com/userdb/userdb/internal/service"

// Service returns the server's workflows, for the command line and tests in
// this module (the package is internal, so other modules cannot use it).
func (s *Server) Service() *service.Service { return s.svc }
