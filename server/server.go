package server

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
	"github.com/userdb/userdb/internal/config"
	"github.com/userdb/userdb/internal/console"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/profile"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
	"github.com/userdb/userdb/internal/web"
	"github.com/userdb/userdb/sqlstore"
)

// Config is the server's configuration; see DefaultConfig and LoadConfig.
type Config = config.Config

// DefaultConfig returns the documented defaults.
func DefaultConfig() *Config { return config.Default() }

// LoadConfig reads a YAML file ("" for none) over the defaults and applies
// USERDB_* environment variables from getenv.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	return config.Load(path, getenv)
}

// Server is a running userdb: its store, workflows and HTTP surfaces.
type Server struct {
	cfg     *Config
	log     *slog.Logger
	store   userdb.Store
	owns    bool // the store was opened here and is closed by Close
	hasher  *password.Hasher
	svc     *service.Service
	edge    *edge.Edge
	api     *api.API
	sender  *mail.Sender
	metrics *metrics
	handler http.Handler

	strategies map[string]Strategy

	stopOnce sync.Once
	stop     context.CancelFunc
	done     chan struct{}
}

// Option changes how Open builds the server.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	store       userdb.Store
	clock       userdb.Clock
	transformer api.Transformer
	mailDriver  mail.Driver
	strategies  map[string]Strategy
}

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithStore uses a store of the caller's instead of opening database.dsn;
// it must pass storetest.Run. Its schema is the caller's business.
func WithStore(s userdb.Store) Option { return func(o *options) { o.store = s } }

// WithClock sets the clock (tests).
func WithClock(c userdb.Clock) Option { return func(o *options) { o.clock = c } }

// WithTransformer shapes user JSON with a Go function instead of the
// configured transformer.
func WithTransformer(t func(*UserView) any) Option {
	return func(o *options) { o.transformer = t }
}

// WithMailDriver sends email through d instead of the configured SMTP server.
func WithMailDriver(d mail.Driver) Option { return func(o *options) { o.mailDriver = d } }

// UserView is the JSON of a user that transformers receive.
type UserView = api.UserView

// Open builds a server from cfg: it opens and (unless switched off) migrates
// the database, resolves the instance secrets, and prepares every surface.
// Call Run or ListenAndServe to start its background work, and Close to end it.
func Open(ctx context.Context, cfg *Config, opts ...Option) (*Server, error) {
	o := options{logger: slog.Default(), clock: userdb.SystemClock{}}
	for _, f := range opts {
		f(&o)
	}
	s := &Server{cfg: cfg, log: o.logger, store: o.store, done: make(chan struct{})}

	if _, err := cfg.ResolveKeys(); err != nil {
		return nil, err
	}
	if s.store == nil {
		st, err := sqlstore.Open(ctx, string(cfg.Database.DSN), sqlstore.Options{MaxOpenConns: cfg.Database.MaxOpenConns, Logger: o.logger})
		if err != nil {
			return nil, err
		}
		if cfg.Database.MigrateOnStart {
			if err := st.Migrate(ctx); err != nil {
				st.Close()
				return nil, err
			}
		}
		s.store, s.owns = st, true
	}
	if err := s.build(o); err != nil {
		s.closeStore()
		return nil, err
	}
	return s, nil
}

func (s *Server) build(o options) error {
	cfg := s.cfg
	h := cfg.Hashing
	s.hasher = password.NewHasher(password.Params{
		Memory: uint32(h.Memory / 1024), Iterations: uint32(h.Iterations), Parallelism: uint8(h.Parallelism),
		SaltLen: 16, KeyLen: 32,
	}, h.Workers, h.Queue)
	p := cfg.Password.Policy
	policy := password.Policy{Mode: p.Mode, MinLength: p.MinLength, MaxLength: p.MaxLength,
		Uppers: p.Uppers, Lowers: p.Lowers, Numbers: p.Numbers, Specials: p.Specials}

	templates, err := mail.LoadTemplates(cfg.Email.TemplatesDir)
	if err != nil {
		return err
	}
	driver := o.mailDriver
	if driver == nil {
		if cfg.SMTP.Host == "" {
			driver = mail.NewLog(s.log)
		} else if driver, err = mail.NewSMTP(mail.SMTPConfig{
			Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: string(cfg.SMTP.Password),
			From: cfg.SMTP.From, TLS: cfg.SMTP.TLS, Timeout: time.Duration(cfg.SMTP.Timeout), CAFile: cfg.SMTP.CAFile,
		}); err != nil {
			return err
		}
	}

	var svc *service.Service
	s.sender = mail.NewSender(s.store, driver, mail.SenderOptions{
		From: cfg.SMTP.From, PollInterval: time.Duration(cfg.Outbox.PollInterval), Batch: cfg.Outbox.Batch,
		MaxAttempts: cfg.Outbox.MaxAttempts, Backoff: time.Duration(cfg.Outbox.Backoff),
		MaxBackoff: time.Duration(cfg.Outbox.MaxBackoff), Clock: o.clock, Logger: s.log,
		OnResult: func(m *userdb.OutboxEmail, err error) { s.recordEmail(m, err) },
	})
	svc = service.New(service.Deps{
		Store: s.store, Hasher: s.hasher, Policy: policy, Clock: o.clock, Logger: s.log,
		Emails:  &composer{t: templates, cfg: cfg, productName: cfg.Branding.ProductName},
		Profile: profileSchema(cfg.CustomData),
		Kick:    s.sender.Kick,
	}, service.Options{
		LockAfter: cfg.Lockout.AfterFailures, UnlockAfter: time.Duration(cfg.Lockout.UnlockAfter),
		PasswordMaxAge: time.Duration(cfg.Password.MaxAge), History: cfg.Password.History,
		VerifyTTL: time.Duration(cfg.Tokens.VerificationTTL), ResetTTL: time.Duration(cfg.Tokens.ResetTTL),
		InviteTTL:   time.Duration(cfg.Tokens.InviteTTL),
		SessionIdle: time.Duration(cfg.Sessions.IdleTimeout), SessionLifetime: time.Duration(cfg.Sessions.Lifetime),
		SessionCacheTTL: time.Duration(cfg.Sessions.CacheTTL), TouchInterval: time.Duration(cfg.Sessions.TouchInterval),
		RegistrationEnabled: cfg.Registration.Enabled, RequireVerification: cfg.Registration.RequireVerification,
		RegistrationAccount: cfg.Registration.Account, SuperAdminRole: cfg.SuperAdminRole,
		VerifyURL: cfg.VerifyURL(), ResetURL: cfg.ResetURL(), InviteURL: cfg.BaseURL() + web.InvitationPath,
		EmailChangeURL: cfg.BaseURL() + web.EmailChangePath,
	})
	s.svc = svc

	transformer := o.transformer
	if transformer == nil && cfg.Transformer == "stormpath" {
		transformer = api.Stormpath(cfg.AccountsHref, cfg.GroupsHref)
	}
	s.edge = edge.New(svc, edge.Options{
		CookieName: cfg.Sessions.CookieName, SameSite: sameSite(cfg.Sessions.SameSite), Secure: cfg.Sessions.Secure,
		SignInPage: web.SignInPath, ExpiredPage: web.ExpiredPath, ProfilePage: web.ProfilePath,
	})
	e := cfg.Endpoints
	s.api = api.New(svc, s.edge, api.Options{
		Endpoints: map[string]api.Endpoint{
			api.EpLogin: api.Endpoint(e.Login), api.EpLogout: api.Endpoint(e.Logout), api.EpMe: api.Endpoint(e.Me),
			api.EpRegister: api.Endpoint(e.Register), api.EpVerify: api.Endpoint(e.Verify),
			api.EpForgot: api.Endpoint(e.Forgot), api.EpChange: api.Endpoint(e.Change),
			api.EpExpired: api.Endpoint(e.Expired), api.EpCheckPassword: api.Endpoint(e.CheckPassword),
		},
		Transformer: transformer,
		LoginPage:   web.SignInPath, VerifyPage: web.VerifyPath, ResetPage: web.ResetPath,
		RegisterPage: web.SignUpPath, MaxUpload: int64(cfg.Server.MaxUpload),
	})
	s.strategies = map[string]Strategy{"local": StrategyFunc(s.localStrategy)}
	for name, st := range o.strategies {
		s.strategies[name] = st
	}

	s.metrics = newMetrics(storePools(s.store), s.hasher.Queued, s.hasher.Running)
	return s.buildHandler()
}

func (s *Server) buildHandler() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", s.metrics.handler())
	s.api.Routes(mux)
	s.api.AdminRoutes(mux)
	web.New(s.svc, s.edge, web.Options{Branding: ui.Branding(s.cfg.Branding), AllowedReturnURLs: s.cfg.Server.AllowedReturnURLs}).Routes(mux)
	console.New(s.svc, s.edge, console.Options{Branding: ui.Branding(s.cfg.Branding), MaxUpload: int64(s.cfg.Server.MaxUpload)}).Routes(mux)

	var trusted []netip.Prefix
	for _, c := range s.cfg.Server.TrustedProxies {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			a, aerr := netip.ParseAddr(c)
			if aerr != nil {
				return &userdb.Error{Code: userdb.EINVALID, Message: fmt.Sprintf("server.trusted_proxies: %q is not a CIDR or address", c)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		trusted = append(trusted, p)
	}
	cross, err := httpx.CrossOrigin(s.cfg.Server.AllowedReturnURLs...)
	if err != nil {
		return &userdb.Error{Code: userdb.EINVALID, Message: "server.allowed_return_urls: " + err.Error()}
	}
	uploads := map[string]int64{console.ImportPath: int64(s.cfg.Server.MaxUpload)}
	for _, p := range api.ImportPaths {
		uploads[p] = int64(s.cfg.Server.MaxUpload)
	}
	s.handler = httpx.Chain(mux,
		httpx.RequestIDs(s.log),
		httpx.Recover,
		httpx.TrustedClientIP(trusted),
		httpx.AccessLog(s.metrics.observe),
		httpx.SecurityHeaders,
		cross,
		httpx.LimitBody(int64(s.cfg.Server.MaxBody), uploads),
	)
	return nil
}

// ServeHTTP serves every surface of the server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		httpx.Logger(r).Warn("not ready", "err", err)
		// An operator's probe: say what is wrong ("cannot connect to the
		// postgres database", "3 database migrations are pending"). Messages
		// of *userdb.Error are caller-safe; their causes stay in the log.
		msg := "the database is not ready"
		if e := (*userdb.Error)(nil); errors.As(err, &e) && e.Message != "" {
			msg = e.Message
		}
		httpx.JSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "message": msg})
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// Run does the server's background work — sending email, writing batched
// session times, removing expired sessions — until ctx ends or Close is called.
func (s *Server) Run(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	s.stopOnce.Do(func() { s.stop = cancel })
	defer close(s.done)
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); s.sender.Run(ctx) }()
	go func() { defer wg.Done(); s.svc.Run(ctx) }()
	go func() { defer wg.Done(); s.sweepSessions(ctx) }()
	wg.Wait()
}

func (s *Server) sweepSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			now := time.Now().UTC()
			var idle time.Time
			if d := time.Duration(s.cfg.Sessions.IdleTimeout); d > 0 {
				idle = now.Add(-d)
			}
			if n, err := s.store.DeleteExpiredSessions(ctx, now, idle); err != nil {
				s.log.Warn("removing expired sessions", "err", err)
			} else if n > 0 {
				s.log.Info("removed expired sessions", "count", n)
			}
		}
	}
}

// Close stops the background work, waits for it (within ctx), flushes
// batched writes and closes the store if Open opened it.
func (s *Server) Close(ctx context.Context) error {
	started := true
	s.stopOnce.Do(func() { started = false })
	if started && s.stop != nil {
		s.stop()
		select {
		case <-s.done:
		case <-ctx.Done():
		}
	}
	s.svc.Close(ctx)
	return s.closeStore()
}

func (s *Server) closeStore() error {
	if s.owns {
		return s.store.Close()
	}
	return nil
}

// ListenAndServe serves on server.addr (TLS when configured) and runs the
// background work until ctx ends; then in-flight requests finish (within
// server.shutdown_timeout) and the server closes.
func (s *Server) ListenAndServe(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	go s.Run(bg)

	errc := make(chan error, 1)
	go func() {
		if s.cfg.Server.TLS.CertFile != "" {
			errc <- hs.ServeTLS(ln, s.cfg.Server.TLS.CertFile, s.cfg.Server.TLS.KeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.cfg.Server.ShutdownTimeout))
		defer cancel()
		err = hs.Shutdown(sctx)
	}
	cancelBG()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if cerr := s.Close(cctx); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// recordEmail writes the outcome of a delivery attempt to the audit log.
func (s *Server) recordEmail(m *userdb.OutboxEmail, err error) {
	e := &userdb.Event{Type: "email.sent", Time: time.Now().UTC(), UserID: m.UserID,
		Details: map[string]any{"kind": m.Kind, "email_id": m.ID, "attempt": m.Attempts}}
	if err != nil {
		e.Type = "email.failed"
		e.Details["error"] = truncateErr(err)
		e.Details["final"] = mail.IsPermanent(err) // no further attempt
	}
	// The account too, so that an account's administrators see its emails
	// among its events.
	if m.UserID != "" {
		if u, uerr := s.store.FindUserByID(context.Background(), m.UserID); uerr == nil {
			e.AccountID = u.AccountID
		}
	}
	if uerr := s.store.CreateEvent(context.Background(), e); uerr != nil {
		s.log.Warn("recording email event", "err", uerr)
	}
}

func truncateErr(err error) string {
	msg := err.Error()
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}

// profileSchema turns the declared custom-data attributes into a schema.
func profileSchema(c config.CustomData) *profile.Schema {
	s := &profile.Schema{FreeForm: c.FreeForm}
	for _, a := range c.Schema {
		s.Attributes = append(s.Attributes, profile.Attribute{
			Name: a.Name, Type: a.Type, Required: a.Required, MaxLength: a.MaxLength,
			Values: a.Values, EditableBy: a.EditableBy,
		})
	}
	return s
}

// storeDB returns the database handle of a SQL store, for pool metrics.
func storeDB(st userdb.Store) *sql.DB {
	if x, ok := st.(interface{ DB() *sql.DB }); ok {
		return x.DB()
	}
	return nil
}

// storePools names the store's connection pools for the metrics: "userdb",
// and "userdb_read" where plain reads have a pool of their own (SQLite).
func storePools(st userdb.Store) map[string]*sql.DB {
	pools := map[string]*sql.DB{}
	if db := storeDB(st); db != nil {
		pools["userdb"] = db
	}
	if x, ok := st.(interface{ ReadDB() *sql.DB }); ok && x.ReadDB() != pools["userdb"] {
		pools["userdb_read"] = x.ReadDB()
	}
	return pools
}

func sameSite(s string) http.SameSite {
	if strings.EqualFold(s, "strict") {
		return http.SameSiteStrictMode
	}
	return http.SameSiteLaxMode
}
