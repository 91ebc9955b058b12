package service

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/userdb/userdb"
)

// Hasher hashes and verifies passwords in a bounded pool (internal/password).
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
	Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error)
	// DummyVerify costs what a real verification costs, for unknown users.
	DummyVerify(ctx context.Context, password string)
	// Check reports whether encoded is a hash Verify understands (imports);
	// its error says why not.
	Check(encoded string) error
	// WrapWeak returns an imported hash as it is to be stored: wrapped in
	// argon2id (wrapped true) when it is below the minimum cost for its
	// algorithm (ASVS 2.4.3, 2.4.4). An unusable hash is EINVALID.
	WrapWeak(ctx context.Context, encoded string) (stored string, wrapped bool, err error)
}

// Policy checks a new password; identifiers are the user's email and username.
type Policy interface {
	Check(password string, identifiers ...string) error
}

// Email kinds, as the original library named its workflow emails.
const (
	EmailVerification          = "account-verification"
	EmailVerificationSucceeded = "account-verification-successful"
	EmailWelcome               = "account-welcome"
	EmailForgotPassword        = "forgot-password"
	EmailPasswordResetDone     = "password-reset-successful"
	EmailInvitation            = "invitation"
)

// ProfileSchema validates custom data against the declared attributes.
// changed lists the keys being set or removed; byUser says the user edits
// their own profile.
type ProfileSchema interface {
	Check(data map[string]any, changed []string, byUser bool) error
	// Declared lists the names of the declared attributes.
	Declared() []string
	// FromText converts a cell or form field to the attribute's type.
	FromText(name, text string) any
}

// ProfileSource builds the profile schema from the attributes of the
// configuration and those defined at run time (profileattrs.go).
type ProfileSource interface {
	// Configured lists the attributes of the configuration.
	Configured() []userdb.ProfileAttribute
	// CheckDefined validates an attribute about to be defined (EINVALID)
	// and fills in its defaults.
	CheckDefined(a *userdb.ProfileAttribute) error
	// With returns the schema of the configured and the defined attributes;
	// where both declare a name, the configuration wins.
	With(defined []*userdb.ProfileAttribute) ProfileSchema
}

// Composer renders a workflow email for a user. It returns nil, nil when that
// email is switched off in the configuration.
type Composer interface {
	Compose(kind string, u *userdb.User, link string) (*userdb.OutboxEmail, error)
}

// Options are the rules the workflows follow; the server fills them from the
// configuration.
type Options struct {
	LockAfter      int           // consecutive failures that lock a user; 0 = never
	UnlockAfter    time.Duration // automatic unlock at the next attempt; 0 = only by an admin
	PasswordMaxAge time.Duration // 0 = passwords never expire
	// TemporaryPasswordTTL is how long a password an administrator set to
	// be changed signs in (ASVS 2.3.1); 0 = until it is changed.
	TemporaryPasswordTTL time.Duration
	History              int // former passwords that cannot be reused; 0 = off

	VerifyTTL, ResetTTL, InviteTTL time.Duration

	SessionIdle     time.Duration // 0 = no idle timeout
	SessionLifetime time.Duration // absolute
	// RememberLifetime is the absolute lifetime, and the idle timeout, of
	// a session whose user asked to be kept signed in (Meta.Remember); 0
	// does not offer the choice.
	RememberLifetime time.Duration
	SessionCacheTTL  time.Duration // how long a session may be served from memory
	TouchInterval    time.Duration // how often last-seen times are written

	RegistrationEnabled bool
	RequireVerification bool
	RegistrationAccount string // account name new self-registered users join

	SuperAdminRole string

	// Links in emails: the token is appended as ?sptoken=.
	VerifyURL, ResetURL, InviteURL string
	// EmailChangeURL is the page that confirms a new email address; its
	// links last VerifyTTL.
	EmailChangeURL string
	// BreachMode is BreachOff, BreachWarn or BreachBlock; a password seen
	// BreachMinCount times counts as breached; BreachFailOpen accepts
	// passwords while the list cannot be reached.
	BreachMode     string
	BreachMinCount int
	BreachFailOpen bool
	// NotMeURL is the "This wasn't me" page of new-device notices.
	NotMeURL string
	// CustomData bounds users' custom data wherever it enters.
	CustomData userdb.CustomDataLimits
	// CustomDataUserWritable lets users write custom data that no
	// attribute declares (ASVS 4.1.2: off, so that without a schema a user
	// cannot give themselves {"isAdmin": true}).
	CustomDataUserWritable bool
	// ExpiryWarnings are how long before PasswordMaxAge runs out a user is
	// warned, each once; ChangePasswordURL is the warning's link.
	ExpiryWarnings    []time.Duration
	ChangePasswordURL string
	// NotifyNewDevice sends a notice at a sign-in from a device not seen
	// before (the device cookie, internal/device).
	NotifyNewDevice bool

	// BaseURL is the server's public URL; connectors' callbacks are
	// {BaseURL}/upstream/{id}/callback.
	BaseURL string
	// UpstreamFlowTTL is how long an upstream sign-in may take, and how
	// long an identity waits for its user's proof.
	UpstreamFlowTTL time.Duration
	// EmailsLogged says the mail driver writes emails to the log (no SMTP
	// server): a delivered email is recorded as email.logged, not email.sent.
	EmailsLogged bool
	// PendingTTL is how long a pending sign-in (pending.go) waits for its
	// stage to be completed; 5 minutes when 0.
	PendingTTL time.Duration
	// MFA is the policy of second factors (mfa.go).
	MFA MFAOptions

	// Passwordless sign-in by email (magiclink.go): the page a link opens
	// (the token appended as ?sptoken=), how long links and codes work,
	// how many codes may be tried against one.
	MagicLinkEnabled  bool
	MagicLinkURL      string
	MagicLinkTTL      time.Duration
	MagicCodeAttempts int

	// API keys (apikeyexpiry.go): a key unused for APIKeyInactivity stops
	// working (0 = never); a new key's expiry is at most APIKeyMaxLifetime
	// away (0 = unbounded); creators are warned APIKeyWarning before
	// either expiry (0 = no warning).
	APIKeyInactivity  time.Duration
	APIKeyMaxLifetime time.Duration
	APIKeyWarning     time.Duration
}

// Deps are the pieces the service talks to.
type Deps struct {
	Store  userdb.Store
	Hasher Hasher
	Policy Policy
	Emails Composer // nil: no emails
	// Profile gives the schema that checks custom data; nil accepts any,
	// and then no attribute can be defined.
	Profile ProfileSource
	Clock   userdb.Clock
	Logger  *slog.Logger
	// Kick wakes the outbox sender after an email was committed; may be nil.
	Kick func()
	// Limits throttles requests by rule and key (internal/limit); nil
	// limits nothing.
	Limits Limits
	// Breaches checks new passwords against breach lists; nil checks none.
	Breaches Breaches
	// Upstream signs users in at identity providers; nil: no connectors.
	Upstream Upstream
	// Sealer encrypts connector secrets, upstream tokens and flows.
	Sealer Sealer
	// Connectors are those of the configuration file (read only), their
	// secrets sealed.
	Connectors []*userdb.Connector
	// RevokeGrants, when set, revokes a user's OAuth refresh tokens and
	// access tokens through st, in the transaction that ends the user's
	// sessions (sign out everywhere, password set or reset, disabling the
	// user or the account, an administrator's end-sessions).
	RevokeGrants func(ctx context.Context, st userdb.Store, userID string) error
	// Peers are the other nodes of a cluster (peers.go); nil for none.
	Peers Peers
	// WebAuthn runs passkey ceremonies (passkeys.go); nil: no passkeys.
	WebAuthn WebAuthn
}

// Limits throttles requests: internal/limit.Rules. Each method names a rule
// of internal/limit and a key (an IP, a name, an id); an empty key is not
// limited.
type Limits interface {
	// Take counts one request; ERATELIMITED when it does not fit.
	Take(ctx context.Context, rule, key string) error
	// Check is Take without counting: for failures counted afterwards.
	Check(ctx context.Context, rule, key string) error
	// Charge counts a failure found out after the work.
	Charge(ctx context.Context, rule, key string)
}

// noLimits is the Limits of a service without any.
type noLimits struct{}

func (noLimits) Take(context.Context, string, string) error  { return nil }
func (noLimits) Check(context.Context, string, string) error { return nil }
func (noLimits) Charge(context.Context, string, string)      {}

// Service runs the workflows. It is safe for concurrent use.
type Service struct {
	store    userdb.Store
	hasher   Hasher
	policy   Policy
	emails   Composer
	profile  ProfileSource
	clock    userdb.Clock
	log      *slog.Logger
	kick     func()
	limits   Limits
	breaches Breaches
	opts     Options
	// stageForTest, set by tests only (export_test.go), names the stage
	// a sign-in stops at.
	stageForTest func(*userdb.User) userdb.PendingStage

	upstream   Upstream
	sealer     Sealer
	configured []*userdb.Connector
	revoke     func(ctx context.Context, st userdb.Store, userID string) error

	sessions *sessionCache
	roles    roleCache
	schema   schemaCache
	keys     keyCache
	peers    Peers

	// background work that must not show in response times (see forgot).
	bg        tasks
	bgSlot    chan struct{}
	bgWaiting atomic.Int64

	magicStats   MagicLinkStats
	webauthn     WebAuthn
	passkeyStats PasskeyStats

	// loops are the goroutines Start began.
	loops sync.WaitGroup
}

// tasks counts background tasks and lets callers wait until none is left.
// Unlike a sync.WaitGroup, waiting may end with a context, and tasks may be
// added while someone waits. The zero value has no task.
type tasks struct {
	mu      sync.Mutex
	pending int
	idle    chan struct{} // closed when pending drops to 0; nil before the first task
}

func (t *tasks) add() {
	t.mu.Lock()
	if t.pending == 0 {
		t.idle = make(chan struct{})
	}
	t.pending++
	t.mu.Unlock()
}

func (t *tasks) done() {
	t.mu.Lock()
	t.pending--
	if t.pending == 0 {
		close(t.idle)
	}
	t.mu.Unlock()
}

// wait returns when no task is pending, or with ctx's error when ctx ends first.
func (t *tasks) wait(ctx context.Context) error {
	t.mu.Lock()
	idle, pending := t.idle, t.pending
	t.mu.Unlock()
	if pending == 0 {
		return nil
	}
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// New returns a Service. Start begins its background work; Close flushes
// batched writes.
func New(d Deps, o Options) *Service {
	if d.Clock == nil {
		d.Clock = userdb.SystemClock{}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Kick == nil {
		d.Kick = func() {}
	}
	if d.Limits == nil {
		d.Limits = noLimits{}
	}
	if d.Peers == nil {
		d.Peers = noPeers{}
	}
	if o.SuperAdminRole == "" {
		o.SuperAdminRole = userdb.RoleSuperAdmin
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 12 * time.Hour // ASVS 3.3.2 (L2)
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = time.Minute
	}
	if !o.MFA.Default.Valid() {
		o.MFA.Default = userdb.MFAOptional
	}
	if o.MFA.Issuer == "" {
		o.MFA.Issuer = "userdb"
	}
	if o.PendingTTL <= 0 {
		o.PendingTTL = 5 * time.Minute
	}
	if o.UpstreamFlowTTL <= 0 {
		o.UpstreamFlowTTL = 10 * time.Minute
	}
	if o.MagicLinkTTL <= 0 {
		o.MagicLinkTTL = 15 * time.Minute
	}
	if o.MagicCodeAttempts <= 0 {
		o.MagicCodeAttempts = 5
	}
	if o.RegistrationAccount == "" {
		o.RegistrationAccount = userdb.DefaultAccountName
	}
	s := &Service{
		store: d.Store, hasher: d.Hasher, policy: d.Policy, emails: d.Emails, profile: d.Profile,
		clock: d.Clock, log: d.Logger, kick: d.Kick, limits: d.Limits, breaches: d.Breaches, opts: o,
		upstream: d.Upstream, sealer: d.Sealer, configured: d.Connectors,
		revoke: d.RevokeGrants,
		peers:  d.Peers, webauthn: d.WebAuthn,
		bgSlot: make(chan struct{}, 64),
	}
	s.sessions = newSessionCache(s)
	return s
}

// ProfileSchema returns the custom-data schema: the configured attributes
// and those defined at run time (nil when there is none).
func (s *Service) ProfileSchema(ctx context.Context) (ProfileSchema, error) {
	return s.profileSchema(ctx)
}

// Store returns the service's store, for tests that look at what a workflow
// wrote.
func (s *Service) Store() userdb.Store { return s.store }

// Options returns the rules the service follows.
func (s *Service) Options() Options { return s.opts }

// Start begins the service's background work: writing the batched session
// last-seen times every TouchInterval, until ctx ends (Close writes what is
// left). Wait waits for it to end; Flush does a round of it at once.
func (s *Service) Start(ctx context.Context) {
	s.loops.Go(func() { s.sessions.run(ctx) })
}

// Wait returns once the work Start began has ended, after its ctx ended.
func (s *Service) Wait() { s.loops.Wait() }

// Flush does now what background work would do soon, and returns when it is
// done: the tasks that answers left behind (forgot and resend look users up
// after answering) finish, so their tokens and emails are stored, and the
// batched session last-seen times are written. Tests call it instead of
// waiting a while. It returns ctx's error if ctx ends first, or the error of
// the write.
func (s *Service) Flush(ctx context.Context) error {
	if err := s.bg.wait(ctx); err != nil {
		return err
	}
	return s.sessions.flush(ctx)
}

// Close waits for the tasks that answers left behind (within ctx) and
// writes the batched session last-seen times.
func (s *Service) Close(ctx context.Context) {
	_ = s.bg.wait(ctx) // past ctx, what is left is written anyway
	_ = s.sessions.flush(ctx)
}

// bgDelay is the least time between an answer and the work behind it.
const bgDelay = 20 * time.Millisecond

// maxBackground bounds the tasks waiting to run after their answer.
const maxBackground = 10_000

// async runs fn a moment after the caller has answered, so neither the
// caller's response time nor the CPU it shares with the work depends on what
// fn finds (no user enumeration through timing). At most bgSlot tasks run at
// once; past maxBackground waiting, callers are told to slow down.
func (s *Service) async(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if s.bgWaiting.Add(1) > maxBackground {
		s.bgWaiting.Add(-1)
		return userdb.Errorf(userdb.ERATELIMITED, "Too many requests, try again later.")
	}
	ctx = context.WithoutCancel(ctx)
	s.bg.add()
	go func() {
		defer s.bg.done()
		time.Sleep(bgDelay + time.Duration(rand.Int64N(int64(bgDelay))))
		s.bgSlot <- struct{}{}
		s.bgWaiting.Add(-1)
		defer func() { <-s.bgSlot }()
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := fn(ctx); err != nil {
			s.log.Error("background task failed", "task", name, "err", err)
		}
	}()
	return nil
}

// Meta describes who is asking: it goes into every event.
type Meta struct {
	ActorID   string
	IP        string
	UserAgent string
	// Session is the secret of the session cookie the request carried, if
	// any. It is never recorded: a sign-in ends that session, so that a
	// session planted in a browser before it does not survive it.
	Session string
	// Pending is the secret of the pending sign-in cookie the request
	// carried, if any (pending.go); never recorded either.
	Pending string
	// MFADevice is the secret of the remembered-device cookie (mfa.go).
	MFADevice string
	// Remember: the sign-in asks to keep the user signed in ("Keep me
	// signed in"), for Options.RememberLifetime. A pending sign-in keeps
	// the choice for the session it becomes.
	Remember bool
}

type metaKey struct{}

// WithMeta returns ctx carrying the request's metadata.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// KeepSignedIn returns ctx with Meta.Remember set: a session started in it
// is kept for Options.RememberLifetime ("Keep me signed in").
func KeepSignedIn(ctx context.Context) context.Context {
	m := MetaFrom(ctx)
	m.Remember = true
	return WithMeta(ctx, m)
}

// MetaFrom returns the metadata carried by ctx.
func MetaFrom(ctx context.Context) Meta {
	m, _ := ctx.Value(metaKey{}).(Meta)
	return m
}

// record writes an audit event through st (the caller's transaction).
func (s *Service) record(ctx context.Context, st userdb.Store, typ string, u *userdb.User, details map[string]any) error {
	m := MetaFrom(ctx)
	e := &userdb.Event{
		Type: typ, Time: s.clock.Now(), ActorID: m.ActorID,
		IP: m.IP, UserAgent: m.UserAgent, Details: details,
	}
	if u != nil {
		e.UserID, e.AccountID = u.ID, u.AccountID
	}
	return st.CreateEvent(ctx, e)
}

// recordRefusal records the event of a refused request (a failed sign-in, a
// wrong current password) outside any transaction. The caller answers with
// the refusal either way, so a failure to write the event is logged, not
// returned.
func (s *Service) recordRefusal(ctx context.Context, typ string, u *userdb.User, details map[string]any) {
	if err := s.record(ctx, s.store, typ, u, details); err != nil {
		s.log.ErrorContext(ctx, "recording an event", "type", typ, "err", err)
	}
}

// queueEmail renders an email for u and writes it to the outbox through st.
func (s *Service) queueEmail(ctx context.Context, st userdb.Store, kind string, u *userdb.User, link string) error {
	if s.emails == nil {
		return nil
	}
	m, err := s.emails.Compose(kind, u, link)
	if err != nil || m == nil {
		return err
	}
	m.UserID = u.ID
	m.Kind = kind
	now := s.clock.Now()
	m.CreatedAt, m.NextAttemptAt = now, now
	return st.EnqueueEmail(ctx, m)
}

// newToken creates a one-time token for u through st and returns the secret.
func (s *Service) newToken(ctx context.Context, st userdb.Store, kind userdb.TokenKind, u *userdb.User, ttl time.Duration) (string, error) {
	secret, hash := userdb.NewSecret()
	now := s.clock.Now()
	t := &userdb.OneTimeToken{TokenHash: hash, Kind: kind, UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := st.CreateToken(ctx, t); err != nil {
		return "", err
	}
	return secret, nil
}

func link(base, token string) string {
	if base == "" {
		return ""
	}
	sep := "?"
	for i := 0; i < len(base); i++ {
		if base[i] == '?' {
			sep = "&"
			break
		}
	}
	return base + sep + "sptoken=" + token
}

func ptr[T any](v T) *T { return &v }

// checkProfile validates custom data about to be stored: its bounds,
// then the schema.
func (s *Service) checkProfile(ctx context.Context, data, changes map[string]any, byUser bool) error {
	if err := s.opts.CustomData.Check(data); err != nil {
		return err
	}
	schema, err := s.profileSchema(ctx)
	if err != nil {
		return err
	}
	return s.checkSchema(schema, data, changes, byUser)
}

// checkSchema checks custom data against schema (nil: no attributes).
func (s *Service) checkSchema(schema ProfileSchema, data, changes map[string]any, byUser bool) error {
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	if schema != nil {
		if err := schema.Check(data, keys, byUser); err != nil {
			return err
		}
	}
	// What the schema lets through undeclared (it has no attributes, or is
	// free-form) only administrators write, unless the configuration says
	// users may.
	if byUser && !s.opts.CustomDataUserWritable {
		declared := map[string]bool{}
		if schema != nil {
			for _, k := range schema.Declared() {
				declared[k] = true
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !declared[k] {
				return &userdb.Error{Code: userdb.EFORBIDDEN, Field: "customData." + k,
					Message: k + " can only be changed by an administrator."}
			}
		}
	}
	return nil
}
