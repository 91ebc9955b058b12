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
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/api"
	"github.com/userdb/userdb/internal/cluster"
	"github.com/userdb/userdb/internal/console"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/geo"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/limit"
	"github.com/userdb/userdb/internal/mail"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/password"
	"github.com/userdb/userdb/internal/profile"
	"github.com/userdb/userdb/internal/seal"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
	"github.com/userdb/userdb/internal/web"
	"github.com/userdb/userdb/sqlstore"
)

// Config is the server's configuration, the type of package config: plain
// Go values (string DSN and secrets, time.Duration, sizes in bytes) that a
// program sets in code, or that LoadConfig reads from YAML and the
// environment.
type Config = config.Config

// DefaultConfig returns the documented defaults (what `userdb config
// defaults` prints).
func DefaultConfig() *Config { return config.Default() }

// LoadConfig reads a YAML file ("" for none) over the defaults, applies
// USERDB_* environment variables from getenv (nil for none) and validates
// the result; every problem is reported at once in a *config.Problems.
func LoadConfig(path string, getenv func(string) string) (*Config, error) {
	return config.Load(path, getenv)
}

// Server is a running userdb: its store, workflows and HTTP surfaces.
type Server struct {
	cfg   *Config
	log   *slog.Logger
	store userdb.Store
	owns  bool // the store was opened here and is closed by Close
	// setupToken opens /setup while no super-admin exists ("" = closed;
	// see setup.go).
	setupToken string
	hasher     *password.Hasher
	svc        *service.Service
	edge       *edge.Edge
	api        *api.API
	oauth      *oauth.Provider
	sender     *mail.Sender
	metrics    *metrics
	handler    http.Handler
	keys       config.Keys
	geo        *geo.DB       // nil without protection.geoip_file
	limits     *limit.Rules  // nil: rate limits off
	redis      *redis.Client // nil without redis.addr
	bus        *cluster.Bus  // nil without redis.addr

	draining atomic.Bool // SIGTERM: /readyz fails while requests finish

	strategies map[string]Strategy
	box        *seal.Box // the instance key's AES-GCM, for secrets at rest
	upstreams  *upstreams

	bgMu   sync.Mutex
	bgStop context.CancelFunc // ends the work Start began
	bgDone chan struct{}      // closed when that work has ended
	closed bool               // Close was called: Start starts nothing
}

// Option changes how Open builds the server.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	store       userdb.Store
	clock       userdb.Clock
	transformer api.Transformer
	mailDriver  userdb.MailDriver
	strategies  map[string]Strategy
}

// WithLogger sets the logger (slog.Default otherwise).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithStore uses a store of the caller's instead of opening database.dsn;
// it must pass storetest.Run. Its schema is the caller's business.
func WithStore(s userdb.Store) Option { return func(o *options) { o.store = s } }

// WithClock sets the clock (tests).
func WithClock(c userdb.Clock) Option { return func(o *options) { o.clock = c } }

// WithMailDriver sends email through d instead of the configured SMTP
// server (or the log). Emails still go through the outbox: d is called by
// the sender that Run starts, with retries.
func WithMailDriver(d userdb.MailDriver) Option { return func(o *options) { o.mailDriver = d } }

// Open builds a server from cfg: it validates cfg (every problem at once, in
// a *config.Problems), opens and (unless switched off) migrates the
// database, resolves the instance secrets, and prepares every surface. Call
// Start (or Run, or ListenAndServe) to begin its background work, and Close
// to end it.
func Open(ctx context.Context, cfg *Config, opts ...Option) (*Server, error) {
	o := options{logger: slog.Default(), clock: userdb.SystemClock{}}
	for _, f := range opts {
		f(&o)
	}
	s := &Server{cfg: cfg, log: o.logger, store: o.store}

	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	keys, err := cfg.ResolveKeys()
	if err != nil {
		return nil, err
	}
	s.keys = keys
	if s.box, err = seal.New(keys.EncryptionKey); err != nil {
		return nil, err
	}
	if s.store == nil {
		st, err := sqlstore.Open(ctx, cfg.Database.DSN, sqlstore.Options{MaxOpenConns: cfg.Database.MaxOpenConns, Logger: o.logger})
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
	if err := s.openOAuth(ctx, o); err != nil {
		s.closeStore()
		return nil, err
	}
	if err := s.build(ctx, o); err != nil {
		s.closeStore()
		return nil, err
	}
	return s, nil
}

func (s *Server) build(ctx context.Context, o options) error {
	cfg := s.cfg
	var err error
	if s.hasher, err = newHasher(cfg); err != nil {
		return err
	}
	p := cfg.Password.Policy
	policy := password.Policy{Mode: p.Mode, MinLength: p.MinLength, MaxLength: p.MaxLength,
		Uppers: p.Uppers, Lowers: p.Lowers, Numbers: p.Numbers, Specials: p.Specials}

	var uses []mail.Use
	for _, u := range cfg.Email.TemplateUses() {
		uses = append(uses, mail.Use(u))
	}
	templates, err := mail.LoadTemplates(cfg.Email.TemplatesDir, uses...)
	if err != nil {
		return err
	}
	driver := o.mailDriver
	if driver == nil {
		if cfg.SMTP.Host == "" {
			driver = mail.NewLog(s.log)
		} else if driver, err = mail.NewSMTP(mail.SMTPConfig{
			Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username, Password: cfg.SMTP.Password,
			From: cfg.SMTP.From, TLS: cfg.SMTP.TLS, Timeout: cfg.SMTP.Timeout, CAFile: cfg.SMTP.CAFile,
		}); err != nil {
			return err
		}
	}

	s.metrics = newMetrics(storePools(s.store), s.hasher.Queued, s.hasher.Running, s.hasher.Computed)
	s.openRedis()
	if s.limits, err = s.newLimits(o.clock); err != nil {
		return err
	}
	breaches, err := s.newBreaches(o.clock)
	if err != nil {
		return err
	}
	if f := cfg.Protection.GeoIPFile; f != "" {
		if s.geo, err = geo.Open(f); err != nil {
			return &userdb.Error{Code: userdb.EINVALID, Message: "protection.geoip_file: " + err.Error()}
		}
	}
	configured, err := configuredConnectors(ctx, s.store, s.box, cfg.Upstream.Connectors)
	if err != nil {
		return err
	}
	s.upstreams = newUpstreams(cfg.Upstream.Timeout, nil)

	webAuthn, err := newWebAuthn(cfg, s.log)
	if err != nil {
		return err
	}
	var svc *service.Service
	s.sender = mail.NewSender(s.store, driver, mail.SenderOptions{
		From: cfg.SMTP.From, PollInterval: cfg.Outbox.PollInterval, Batch: cfg.Outbox.Batch,
		MaxAttempts: cfg.Outbox.MaxAttempts, Backoff: cfg.Outbox.Backoff,
		MaxBackoff: cfg.Outbox.MaxBackoff, Clock: o.clock, Logger: s.log,
		OnResult: s.recordEmail, Lease: cfg.Outbox.Lease,
	})
	svc = service.New(service.Deps{
		Store: s.store, Hasher: s.hasher, Policy: policy, Clock: o.clock, Logger: s.log,
		Emails:  &composer{t: templates, cfg: cfg, productName: cfg.Branding.ProductName, geo: s.geo},
		Profile: profileSource{profileSchema(cfg.CustomData)},
		Kick:    s.sender.Kick,
		Limits:  serviceLimits(s.limits), Breaches: breaches,
		Upstream: s.upstreams, Sealer: s.box, Connectors: configured,
		RevokeGrants: s.revokeGrants,
		Peers:        s.peers(),
		WebAuthn:     webAuthn,
	}, service.Options{
		LockAfter: cfg.Lockout.AfterFailures, UnlockAfter: cfg.Lockout.UnlockAfter,
		PasswordMaxAge: cfg.Password.MaxAge, History: cfg.Password.History,
		TemporaryPasswordTTL: cfg.Password.TemporaryTTL,
		VerifyTTL:            cfg.Tokens.VerificationTTL, ResetTTL: cfg.Tokens.ResetTTL,
		InviteTTL:   cfg.Tokens.InviteTTL,
		SessionIdle: cfg.Sessions.IdleTimeout, SessionLifetime: cfg.Sessions.Lifetime,
		RememberLifetime: cfg.Sessions.RememberLifetime,
		SessionCacheTTL:  cfg.Sessions.CacheTTL, TouchInterval: cfg.Sessions.TouchInterval,
		RegistrationEnabled: cfg.Registration.Enabled, RequireVerification: cfg.Registration.RequireVerification,
		RegistrationAccount: cfg.Registration.Account, SuperAdminRole: cfg.SuperAdminRole,
		VerifyURL: cfg.VerifyURL(), ResetURL: cfg.ResetURL(), InviteURL: inviteURL(cfg),
		EmailChangeURL: cfg.BaseURL() + web.EmailChangePath,
		NotMeURL:       cfg.BaseURL() + web.NotMePath, NotifyNewDevice: cfg.Protection.Devices.Notify,
		ExpiryWarnings: cfg.Password.ExpiryWarning, ChangePasswordURL: cfg.BaseURL() + web.ProfilePath,
		BreachMode: cfg.Password.BreachCheck, BreachMinCount: cfg.Password.Breach.MinCount, BreachFailOpen: cfg.Password.Breach.FailOpen,
		BaseURL: cfg.BaseURL(), UpstreamFlowTTL: cfg.Upstream.FlowTTL,
		EmailsLogged: o.mailDriver == nil && cfg.SMTP.Host == "",
		CustomData: userdb.CustomDataLimits{MaxDepth: cfg.CustomData.MaxDepth, MaxKeys: cfg.CustomData.MaxKeys,
			MaxSize: int(cfg.CustomData.MaxSize)},
		CustomDataUserWritable: cfg.CustomData.UserWritable,
		MFA:                    mfaOptions(cfg),
		MagicLinkEnabled:       cfg.MagicLink.Enabled, MagicLinkURL: cfg.BaseURL() + web.MagicLinkPath,
		MagicLinkTTL: cfg.MagicLink.TTL, MagicCodeAttempts: cfg.MagicLink.CodeAttempts,
		APIKeyInactivity: cfg.APIKeys.InactivityExpiry, APIKeyMaxLifetime: cfg.APIKeys.MaxLifetime,
		APIKeyWarning: cfg.APIKeys.ExpiryWarning,
	})
	s.svc = svc
	s.passwordlessMetrics()
	if err := s.openSetup(ctx); err != nil {
		return err
	}

	transformer := o.transformer
	if transformer == nil && cfg.Transformer == "stormpath" {
		transformer = api.Stormpath(cfg.AccountsHref, cfg.GroupsHref)
	}
	eo := edge.Options{
		CookieName: cfg.Sessions.CookieName, SameSite: sameSite(cfg.Sessions.SameSite), Secure: cfg.Sessions.Secure,
		SignInPage: web.SignInPath, ExpiredPage: web.ExpiredPath, ProfilePage: web.ProfilePath,
	}
	if s.oauth != nil {
		eo.AccessToken = s.oauth.AdminBearer
	}
	s.edge = edge.New(svc, eo)
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
		RegisterPage: web.SignUpPath, ProfilePage: web.ProfilePath, MaxUpload: cfg.Server.MaxUpload, OAuth: s.oauth,
		Strategy: s.realmStrategy,
	})
	s.strategies = map[string]Strategy{"local": StrategyFunc(s.localStrategy)}
	for name, st := range o.strategies {
		s.strategies[name] = st
	}

	return s.buildHandler()
}

func (s *Server) buildHandler() error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", healthz)
	mux.HandleFunc("GET /readyz", s.ready)
	mux.Handle("GET /metrics", s.publicMetrics())
	s.api.Routes(mux)
	s.api.AdminRoutes(mux)
	var apps web.Apps
	if s.oauth != nil {
		apps = s.oauth
	}
	pages := web.New(s.svc, s.edge, web.Options{Branding: ui.Branding(s.cfg.Branding), AllowedReturnURLs: s.cfg.Server.AllowedReturnURLs, Apps: apps,
		SetupToken: s.setupToken, InvitationJSON: s.api.Invitation})
	pages.Routes(mux)
	console.New(s.svc, s.edge, console.Options{Branding: ui.Branding(s.cfg.Branding), MaxUpload: s.cfg.Server.MaxUpload, OAuth: s.oauth}).Routes(mux)
	s.oktaRoutes(mux)
	s.oauthRoutes(mux)
	s.forwardAuthRoutes(mux)
	mux.Handle("/", notFound(mux, pages))

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
	uploads := map[string]int64{console.ImportPath: s.cfg.Server.MaxUpload}
	for _, p := range api.ImportPaths {
		uploads[p] = s.cfg.Server.MaxUpload
	}
	s.handler = httpx.Chain(mux,
		httpx.RequestIDs(s.log),
		httpx.Recover,
		httpx.TrustedProxies(trusted),
		s.deviceCookies().Middleware,
		httpx.AccessLog(s.metrics.observe),
		httpx.SecurityHeaders,
		oauthBypass(cross),
		httpx.LimitBody(s.cfg.Server.MaxBody, uploads),
	)
	return nil
}

// ServeHTTP serves every surface of the server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Start begins the server's background work — sending email, writing
// batched session times, removing expired sessions, warning of expiring
// passwords, and the OAuth provider's (signing keys, revocations, its
// batched events) — and returns at once. The work goes on until ctx ends or
// Close is called; Wait waits for it to end. Start does nothing when the
// work was started before or the server is closed.
func (s *Server) Start(ctx context.Context) {
	s.bgMu.Lock()
	defer s.bgMu.Unlock()
	if s.bgDone != nil || s.closed {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	s.bgStop, s.bgDone = cancel, done
	var wg sync.WaitGroup
	wg.Go(func() { s.runBus(ctx) })
	wg.Go(func() { s.warnExpiries(ctx) })
	wg.Go(func() { s.sweepAPIKeys(ctx) })
	if s.oauth != nil {
		wg.Go(func() { s.oauth.Run(ctx) })
	}
	wg.Go(func() { s.sender.Run(ctx) })
	wg.Go(func() { s.sweepSessions(ctx) })
	s.svc.Start(ctx)
	go func() {
		wg.Wait()
		s.svc.Wait()
		close(done)
	}()
}

// Wait returns once the background work Start began has ended (at once if
// it was never started).
func (s *Server) Wait() {
	s.bgMu.Lock()
	done := s.bgDone
	s.bgMu.Unlock()
	if done != nil {
		<-done
	}
}

// Run does the server's background work until ctx ends or Close is called:
// Start, then Wait.
func (s *Server) Run(ctx context.Context) {
	s.Start(ctx)
	s.Wait()
}

// Flush does now what the background work would do soon, and returns when
// it is done: the tasks that answers left behind (forgot, resend) finish,
// batched session times and OAuth events are written, expired sessions
// removed, password and API key expiry warnings queued, expired API keys
// recorded, and the emails due are sent
// (each attempted once).
// It needs no Start, and takes turns with the work Start began. Tests call
// it instead of waiting a while.
func (s *Server) Flush(ctx context.Context) error {
	if err := s.svc.Flush(ctx); err != nil {
		return err
	}
	if _, err := s.svc.SweepSessions(ctx); err != nil {
		return err
	}
	if _, err := s.svc.SweepTokens(ctx); err != nil {
		return err
	}
	if _, err := s.svc.SendExpiryWarnings(ctx); err != nil {
		return err
	}
	if _, err := s.svc.SweepAPIKeys(ctx); err != nil {
		return err
	}
	if s.oauth != nil {
		s.oauth.Flush(ctx)
	}
	s.sender.SendDue(ctx)
	return ctx.Err()
}

func (s *Server) sweepSessions(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.svc.SweepSessions(ctx); err != nil {
				s.log.WarnContext(ctx, "removing expired sessions", "err", err)
			} else if n > 0 {
				s.log.InfoContext(ctx, "removed expired sessions", "count", n)
			}
			if n, err := s.svc.SweepTokens(ctx); err != nil {
				s.log.WarnContext(ctx, "removing expired one-time tokens", "err", err)
			} else if n > 0 {
				s.log.InfoContext(ctx, "removed expired one-time tokens", "count", n)
			}
		}
	}
}

// Close stops the background work, waits for it (within ctx), flushes
// batched writes and closes the store if Open opened it.
func (s *Server) Close(ctx context.Context) error {
	s.bgMu.Lock()
	s.closed = true
	stop, done := s.bgStop, s.bgDone
	s.bgMu.Unlock()
	if stop != nil {
		stop()
		select {
		case <-done:
		case <-ctx.Done():
		}
	}
	s.svc.Close(ctx)
	if s.oauth != nil {
		s.oauth.Flush(ctx)
	}
	return s.closeStore()
}

func (s *Server) closeStore() error {
	if s.redis != nil {
		s.redis.Close()
	}
	s.geo.Close()
	if s.owns {
		return s.store.Close()
	}
	return nil
}

// ListenAndServe serves on ln (TLS when configured), and the management
// handler on server.management_addr, and runs the background work until
// ctx ends; then the node drains (/readyz fails for server.shutdown_grace),
// in-flight requests finish (within server.shutdown_timeout) and the
// server closes.
func (s *Server) ListenAndServe(ctx context.Context, ln net.Listener) error {
	mln, err := s.listenManagement()
	if err != nil {
		ln.Close()
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		s.Close(cctx)
		return err
	}
	hs := &http.Server{
		Handler: s, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second, MaxHeaderBytes: 64 << 10,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	bg, cancelBG := context.WithCancel(context.WithoutCancel(ctx))
	s.Start(bg)
	var ms *http.Server
	if mln != nil {
		ms = &http.Server{Handler: s.ManagementHandler(), ReadHeaderTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
			ErrorLog: hs.ErrorLog}
		go ms.Serve(mln)
	}

	errc := make(chan error, 1)
	go func() {
		if s.cfg.Server.TLS.CertFile != "" {
			errc <- hs.ServeTLS(ln, s.cfg.Server.TLS.CertFile, s.cfg.Server.TLS.KeyFile)
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.drain(hs)
		s.log.Info("shutting down")
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Server.ShutdownTimeout)
		defer cancel()
		err = hs.Shutdown(sctx)
	}
	if ms != nil {
		ms.Close()
	}
	cancelBG()
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
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
// The sender cannot act on a failure to write it, so it is logged.
func (s *Server) recordEmail(ctx context.Context, m *userdb.OutboxEmail, err error) {
	if werr := s.svc.RecordEmail(ctx, m, err); werr != nil {
		s.log.ErrorContext(ctx, "recording an email event", "err", werr, "email_id", m.ID)
	}
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

// inviteURL is the link of invitations: the hosted welcome page, or, when
// email.account_verification.endpoint is set, that endpoint, as the
// original's newUserWorkflow sent new users its verification email with
// its endpoint (index.js:612-626, email.js:145-154): how an application
// takes invited users to its own welcome page.
func inviteURL(cfg *config.Config) string {
	if ep := cfg.Email.AccountVerification.Endpoint; ep != "" {
		return ep
	}
	return cfg.BaseURL() + web.InvitationPath
}

// newHasher returns the hasher of cfg: hashing's parameters and pool, and
// the peppers of password.pepper (ASVS 2.4.5). A configuration that was
// loaded was validated, so an error here is a Config built in code with a
// bad pepper: start-up fails with it.
func newHasher(cfg *Config) (*password.Hasher, error) {
	hc := cfg.Hashing
	h := password.NewHasher(password.Params{
		Memory: uint32(hc.Memory / 1024), Iterations: uint32(hc.Iterations), Parallelism: uint8(hc.Parallelism),
		SaltLen: 16, KeyLen: 32,
	}, hc.Workers, hc.Queue)
	cur, prev, err := cfg.Peppers()
	if err != nil {
		return nil, err
	}
	var current *password.Pepper
	if cur != nil {
		current = &password.Pepper{ID: cur.ID, Key: cur.Key}
	}
	previous := make([]password.Pepper, len(prev))
	for i, k := range prev {
		previous[i] = password.Pepper{ID: k.ID, Key: k.Key}
	}
	return h, h.SetPeppers(current, previous)
}
