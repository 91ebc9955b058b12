package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// readiness is the answer of /readyz.
type readiness struct {
	Status  string            `json:"status"` // ok | unavailable | draining
	Message string            `json:"message,omitempty"`
	Checks  map[string]string `json:"checks"`
}

// ready answers /readyz: 503 while the database is not ready or the node is
// draining (SIGTERM, see ListenAndServe), 200 otherwise. Redis is reported
// but does not make the node unready: without it the node serves from the
// database, slower and still right.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	res := readiness{Status: "ok", Checks: map[string]string{"database": "ok"}}
	if s.bus != nil {
		res.Checks["redis"] = "ok"
		if !s.bus.Connected() {
			res.Checks["redis"] = "down: caches off, lookups read the database"
		}
	}
	if err := s.store.Ping(ctx); err != nil {
		httpx.Logger(r).Warn("not ready", "err", err)
		// An operator's probe: say what is wrong ("cannot connect to the
		// postgres database", "3 database migrations are pending"). Messages
		// of *userdb.Error are caller-safe; their causes stay in the log.
		msg := "the database is not ready"
		if e := (*userdb.Error)(nil); errors.As(err, &e) && e.Message != "" {
			msg = e.Message
		}
		res.Status, res.Message, res.Checks["database"] = "unavailable", msg, "unavailable"
	}
	if s.draining.Load() {
		res.Status, res.Message = "draining", "shutting down: finishing the requests in flight"
	}
	status := http.StatusOK
	if res.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	httpx.JSON(w, status, res)
}

// ManagementHandler serves what operators look at: /metrics, /healthz and
// /readyz. ListenAndServe serves it on server.management_addr; a program
// that mounts the server itself can mount this where only operators reach.
func (s *Server) ManagementHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", s.metrics.handler())
	return httpx.Chain(mux, httpx.Recover)
}

func healthz(w http.ResponseWriter, r *http.Request) {
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// publicMetrics serves /metrics on the public listener only to requests
// carrying server.management_token as a bearer token; without a token
// configured, or with a wrong one, there is nothing there (404).
func (s *Server) publicMetrics() http.Handler {
	token := s.cfg.Server.ManagementToken
	metrics := s.metrics.handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scheme, got, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if token == "" || !strings.EqualFold(scheme, "Bearer") ||
			subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) != 1 {
			http.NotFound(w, r)
			return
		}
		metrics.ServeHTTP(w, r)
	})
}

// listenManagement opens server.management_addr; nil when it is "".
func (s *Server) listenManagement() (net.Listener, error) {
	addr := s.cfg.Server.ManagementAddr
	if addr == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, &userdb.Error{Code: userdb.EINVALID, Message: "server.management_addr: " + err.Error()}
	}
	s.log.Info("management listening", "addr", ln.Addr().String())
	return ln, nil
}

// drain makes /readyz fail and closes connections after their next answer,
// then waits server.shutdown_grace, so that load balancers take the node out
// before its listener closes and nothing is sent to it in vain.
func (s *Server) drain(hs *http.Server) {
	s.draining.Store(true)
	hs.SetKeepAlivesEnabled(false)
	if g := s.cfg.Server.ShutdownGrace; g > 0 {
		s.log.Info("draining: readiness fails, requests are still served", "grace", g.String())
		time.Sleep(g)
	}
}
