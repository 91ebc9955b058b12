package oauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/zitadel/oidc/v3/pkg/op"
	"golang.org/x/text/language"

	"github.com/userdb/userdb"
)

// Paths of the provider. The issuer is the base URL plus IssuerPath; the
// endpoints below it follow Okta's layout, so that Okta's client libraries
// work unchanged.
const (
	IssuerPath     = "/oauth2/default"
	AuthorizePath  = IssuerPath + "/v1/authorize"
	ContinuePath   = AuthorizePath + "/continue" // sign-in and consent come back here
	TokenPath      = IssuerPath + "/v1/token"
	KeysPath       = IssuerPath + "/v1/keys"
	UserinfoPath   = IssuerPath + "/v1/userinfo"
	IntrospectPath = IssuerPath + "/v1/introspect"
	RevokePath     = IssuerPath + "/v1/revoke"
	LogoutPath     = IssuerPath + "/v1/logout"
	DeviceAuthPath = IssuerPath + "/v1/device/authorize"
	DevicePath     = IssuerPath + "/device" // where people enter a device's code
)

// BackChannelPaths are the endpoints that clients call from anywhere, with
// their own credentials or a bearer token and never a cookie: cross-origin
// protection must let them through (single-page apps call them from their
// own origin).
var BackChannelPaths = []string{TokenPath, UserinfoPath, IntrospectPath, RevokePath, DeviceAuthPath, KeysPath}

// Sessions is what the provider needs of userdb's sign-in: who is signed in
// on a request, and signing that browser out.
type Sessions interface {
	Authenticate(r *http.Request) (*userdb.User, *userdb.Session, error)
	SignOut(w http.ResponseWriter, r *http.Request) error
}

// Settings are the provider's configuration (oauth.* with the server's).
type Settings struct {
	BaseURL            string // public URL of the server, no trailing slash
	Audience           string
	SigningAlg         string
	KeyRotation        time.Duration
	AccessTokenTTL     time.Duration
	IDTokenTTL         time.Duration
	RefreshTokenTTL    time.Duration
	CodeTTL            time.Duration
	RefreshGrace       time.Duration
	DeviceCodeTTL      time.Duration
	DevicePollInterval time.Duration
	RevocationPoll     time.Duration
	Scopes             []string          // custom scopes
	AdminScope         string            // lets a token use the admin API
	Claims             map[string]string // claim name -> custom-data attribute
	Registration       bool              // the sign-up page is open (prompt=create)
	Look               Look
}

// Options are the provider's dependencies.
type Options struct {
	Store         userdb.Store
	Clock         userdb.Clock
	Logger        *slog.Logger
	EncryptionKey []byte // the instance key: seals signing keys
	Sessions      Sessions
	// EndSession ends a user's userdb session (RP-initiated logout).
	EndSession func(ctx context.Context, u *userdb.User, s *userdb.Session) error
	// Publish tells the other nodes (the Redis bus) that revocations were
	// committed, with the key RevocationsChanged; nil on a node alone.
	Publish func(key string)
	// LimitToken counts a token request of a client against its rate limit
	// (an error with a Retry-After past it); nil limits nothing.
	LimitToken func(ctx context.Context, clientID string) error
}

// RevocationsChanged is the bus key of revocations made outside a user's
// change (a client revoking a token, a reused refresh token): a node that
// receives it, or any user change (ending a user's sessions revokes the
// user's tokens), calls PollRevocations.
const RevocationsChanged = "oauth:revocations"

// Provider is the OAuth 2.0 authorization server and OpenID provider.
type Provider struct {
	set     Settings
	store   userdb.Store
	clock   userdb.Clock
	log     *slog.Logger
	keys    *keyRing
	clients *clientCache
	revoked *revocations
	events  *eventLog
	pages   *pages
	polls   devicePolls
	sess    Sessions
	endSess func(ctx context.Context, u *userdb.User, s *userdb.Session) error
	publish func(key string)
	limit   func(ctx context.Context, clientID string) error
	pollNow chan struct{} // PollRevocations asks Run to read them now

	issuer string
	op     *op.Provider

	// The op package's router is made at the first request: making it
	// logs every route, which the command line has no use for.
	handlerOnce sync.Once
	handler     http.Handler
}

// opHandler returns the op package's router for the provider.
func (p *Provider) opHandler() http.Handler {
	p.handlerOnce.Do(func() {
		srv := &server{LegacyServer: op.NewLegacyServer(p.op, endpoints(p.op)), p: p}
		p.handler = op.RegisterLegacyServer(srv, op.AuthorizeCallbackHandler(p.op))
	})
	return p.handler
}

// New builds the provider and loads (or makes) its signing keys.
func New(ctx context.Context, set Settings, o Options) (*Provider, error) {
	if len(o.EncryptionKey) != 32 {
		return nil, errors.New("oauth: the instance encryption key must be 32 bytes")
	}
	if o.Clock == nil {
		o.Clock = userdb.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	p := &Provider{
		set: set, store: o.Store, clock: o.Clock, log: o.Logger, sess: o.Sessions, endSess: o.EndSession,
		publish: o.Publish, limit: o.LimitToken, pollNow: make(chan struct{}, 1),
		issuer: strings.TrimSuffix(set.BaseURL, "/") + IssuerPath,
	}
	p.keys = &keyRing{store: o.Store, sealKey: o.EncryptionKey, alg: set.SigningAlg, clock: o.Clock, keep: p.longestToken()}
	p.clients = newClientCache(o.Store, o.Clock)
	p.revoked = newRevocations(o.Store, o.Clock, o.Logger)
	// A database not migrated yet (database.migrate_on_start off) has no
	// tables for these: the server starts, not ready, and loads them when
	// a request needs keys, or at the next reload.
	if err := p.Sync(ctx); err != nil {
		o.Logger.Warn("oauth: keys and revocations not loaded yet", "err", err)
	}
	p.events = newEventLog(o.Store, o.Logger)
	p.pages = newPages(set.Look)

	// The op package encrypts its codes with this key; the codes are also
	// stored hashed and single-use, so the key only keeps them opaque.
	cryptoKey := sha256.Sum256(append([]byte("userdb oauth codes "), o.EncryptionKey...))
	cfg := &op.Config{
		CryptoKey:               cryptoKey,
		CodeMethodS256:          true,
		AuthMethodPost:          true,
		AuthMethodPrivateKeyJWT: true,
		GrantTypeRefreshToken:   true,
		SupportedUILocales:      []language.Tag{language.English},
		SupportedScopes:         append(append([]string{}, userdb.BuiltinScopes...), set.Scopes...),
		SupportedClaims: []string{"sub", "aud", "exp", "iat", "iss", "auth_time", "nonce", "amr", "at_hash", "c_hash",
			"azp", "name", "given_name", "middle_name", "family_name", "preferred_username", "email", "email_verified", "updated_at"},
		DeviceAuthorization: op.DeviceAuthorizationConfig{
			Lifetime: set.DeviceCodeTTL, PollInterval: set.DevicePollInterval,
			UserFormPath: DevicePath, UserCode: op.UserCodeBase20,
		},
	}
	rel := func(p string) *op.Endpoint { return op.NewEndpoint(strings.TrimPrefix(p, IssuerPath)) }
	opts := []op.Option{
		op.WithCustomAuthEndpoint(rel(AuthorizePath)),
		op.WithCustomTokenEndpoint(rel(TokenPath)),
		op.WithCustomIntrospectionEndpoint(rel(IntrospectPath)),
		op.WithCustomUserinfoEndpoint(rel(UserinfoPath)),
		op.WithCustomRevocationEndpoint(rel(RevokePath)),
		op.WithCustomEndSessionEndpoint(rel(LogoutPath)),
		op.WithCustomKeysEndpoint(rel(KeysPath)),
		op.WithCustomDeviceAuthorizationEndpoint(rel(DeviceAuthPath)),
		op.WithLogger(o.Logger),
	}
	if strings.HasPrefix(p.issuer, "http://") {
		opts = append(opts, op.WithAllowInsecure()) // development on localhost
	}
	var err error
	p.op, err = op.NewProvider(cfg, &storage{p: p}, op.StaticIssuer(p.issuer), opts...)
	if err != nil {
		return nil, err
	}
	return p, nil
}

func endpoints(o *op.Provider) op.Endpoints {
	return op.Endpoints{
		Authorization: o.AuthorizationEndpoint(), Token: o.TokenEndpoint(), Introspection: o.IntrospectionEndpoint(),
		Userinfo: o.UserinfoEndpoint(), Revocation: o.RevocationEndpoint(), EndSession: o.EndSessionEndpoint(),
		JwksURI: o.KeysEndpoint(), DeviceAuthorization: o.DeviceAuthorizationEndpoint(),
	}
}

// Issuer returns the issuer URL.
func (p *Provider) Issuer() string { return p.issuer }

// longestToken is how long a token the provider signs may live: how long a
// replaced key must stay published.
func (p *Provider) longestToken() time.Duration {
	d := max(p.set.AccessTokenTTL, p.set.IDTokenTTL)
	// Clients may set their own lifetimes, up to the maximum.
	return max(d, 24*time.Hour) + time.Minute
}

// Routes registers the provider's routes on mux: everything under the
// issuer, and the discovery documents at the site's root too.
func (p *Provider) Routes(mux *http.ServeMux) {
	h := http.StripPrefix(IssuerPath, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := withRequestMeta(r)
		switch r.URL.Path {
		case strings.TrimPrefix(AuthorizePath, IssuerPath):
			// Auth0's screen_hint=signup, which the op package does not decode.
			if hint := r.URL.Query().Get("screen_hint"); hint != "" {
				ctx = context.WithValue(ctx, screenHintKey{}, hint)
			}
			// Auth0's connection= and Okta's idp=: sign in through that
			// upstream connector instead of the sign-in page.
			if conn := connectionParam(r.URL.Query()); conn != "" {
				ctx = context.WithValue(ctx, connectionKey{}, conn)
			}
		case strings.TrimPrefix(LogoutPath, IssuerPath):
			ctx = context.WithValue(ctx, logoutKey{}, &logoutCall{sessions: p.sess, w: w, r: r})
		case strings.TrimPrefix(TokenPath, IssuerPath):
			if !p.tokenAllowed(ctx, w, r) {
				return
			}
		}
		p.opHandler().ServeHTTP(w, r.WithContext(ctx))
	}))
	mux.Handle(IssuerPath+"/", h)
	mux.HandleFunc("GET "+ContinuePath, p.continueAuth)
	mux.HandleFunc("POST "+ContinuePath, p.consentPost)
	mux.HandleFunc("GET "+DevicePath, p.devicePage)
	mux.HandleFunc("POST "+DevicePath, p.devicePost)
	discovery := func(w http.ResponseWriter, r *http.Request) {
		r2 := r.Clone(r.Context())
		r2.URL.Path = "/.well-known/openid-configuration"
		r2.RequestURI = r2.URL.RequestURI()
		p.opHandler().ServeHTTP(w, r2)
	}
	mux.HandleFunc("GET "+IssuerPath+"/.well-known/oauth-authorization-server", discovery)
	mux.HandleFunc("GET /.well-known/openid-configuration", discovery)
	mux.HandleFunc("GET /.well-known/oauth-authorization-server", discovery)
}

// Run does the provider's background work until ctx ends: reloading keys
// (and rotating them on schedule), reading revocations made on other
// nodes, writing events, and removing what has expired.
func (p *Provider) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.events.run(ctx) }()
	go func() {
		defer wg.Done()
		keys := time.NewTicker(keyReload)
		revs := time.NewTicker(p.set.RevocationPoll)
		sweep := time.NewTicker(10 * time.Minute)
		defer keys.Stop()
		defer revs.Stop()
		defer sweep.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-keys.C:
				// Reloads the keys, and rotates them when due.
				err := p.keys.load(ctx)
				if err == nil {
					err = p.keys.maybeRotate(ctx, p.set.KeyRotation)
				}
				if err != nil {
					p.log.Warn("oauth: loading or rotating signing keys", "err", err)
				}
			case <-p.pollNow:
				if err := p.revoked.poll(ctx); err != nil {
					p.log.Warn("oauth: reading revocations", "err", err)
				}
			case <-revs.C:
				if err := p.revoked.poll(ctx); err != nil {
					p.log.Warn("oauth: reading revocations", "err", err)
				}
				p.clients.expire()
			case <-sweep.C:
				if n, err := p.store.DeleteExpiredOAuth(ctx, p.clock.Now()); err != nil {
					p.log.Warn("oauth: removing expired grants", "err", err)
				} else if n > 0 {
					p.log.Info("oauth: removed expired grants", "count", n)
				}
			}
		}
	}()
	wg.Wait()
}

// PollRevocations has Run read the revocations made on other nodes now
// rather than at the next oauth.revocation_poll: the Redis bus calls it
// when another node announces a change. It does not wait; calls while a
// read is pending make one read.
func (p *Provider) PollRevocations() {
	select {
	case p.pollNow <- struct{}{}:
	default:
	}
}

// Flush writes the events still waiting (the server calls it on close).
func (p *Provider) Flush(ctx context.Context) { p.events.flush(ctx) }

// RotateKeys publishes a new signing key now (`userdb keys rotate`); it
// signs after a short delay, so every node publishes it first.
func (p *Provider) RotateKeys(ctx context.Context) (*userdb.OAuthSigningKey, error) {
	return p.keys.rotate(ctx)
}

// ReloadKeys reads the signing keys again (tests, and after a rotation
// made elsewhere).
func (p *Provider) ReloadKeys(ctx context.Context) error { return p.keys.load(ctx) }

// RevokeGrants revokes a user's refresh tokens and marks every access
// token issued to the user until now inactive, through st (the caller's
// transaction). The service calls it wherever it ends all of a user's
// sessions.
func (p *Provider) RevokeGrants(ctx context.Context, st userdb.Store, userID string) error {
	now := p.clock.Now()
	jtis, err := st.RevokeUserOAuth(ctx, userID, "", now)
	if err != nil {
		return err
	}
	r := &userdb.OAuthRevocation{Kind: userdb.RevokeUser, Key: userID, RevokedAt: now, ExpiresAt: now.Add(p.longestToken())}
	if err := st.AddOAuthRevocation(ctx, r); err != nil {
		return err
	}
	// At once on this node (before the commit: a rollback only makes the
	// user's current tokens look revoked here, never the reverse).
	p.revoked.add(r)
	p.events.add(&userdb.Event{Type: "oauth.token_revoked", Time: now, UserID: userID,
		Details: map[string]any{"kind": "user", "refresh_tokens": len(jtis)}})
	return nil
}

// Sync reads the signing keys and the revocations made on other nodes
// now, as Run does on its schedule.
func (p *Provider) Sync(ctx context.Context) error {
	if err := p.keys.load(ctx); err != nil {
		return err
	}
	return p.revoked.poll(ctx)
}
