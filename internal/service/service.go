package service

import (
	"context"
	"log/slog"
	"math/rand/v2"
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
	// Check reports whether encoded is a hash Verify understands (imports).
	Check(encoded string) error
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
	// FromText converts a cell or form field to the attribute's type.
	FromText(name, text string) any
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
	History        int           // former passwords that cannot be reused; 0 = off

	VerifyTTL, ResetTTL, InviteTTL time.Duration

	SessionIdle     time.Duration // 0 = no idle timeout
	SessionLifetime time.Duration // absolute
	SessionCacheTTL time.Duration // how long a session may be served from memory
	TouchInterval   time.Duration // how often last-seen times are written

	RegistrationEnabled bool
	RequireVerification bool
	RegistrationAccount string // account name new self-registered users join

	SuperAdminRole string

	// Links in emails: the token is appended as ?sptoken=.
	VerifyURL, ResetURL, InviteURL string
	// EmailChangeURL is the page that confirms a new email address; its
	// links last VerifyTTL.
	EmailChangeURL string
}

// Deps are the pieces the service talks to.
type Deps struct {
	Store  userdb.Store
	Hasher Hasher
	Policy Policy
	Emails Composer // nil: no emails
	// Profile checks custom data; nil accepts any.
	Profile ProfileSchema
	Clock   userdb.Clock
	Logger  *slog.Logger
	// Kick wakes the outbox sender after an email was committed; may be nil.
	Kick func()
}

// Service runs the workflows. It is safe for concurrent use.
type Service struct {
	store   userdb.Store
	hasher  Hasher
	policy  Policy
	emails  Composer
	profile ProfileSchema
	clock   userdb.Clock
	log     *slog.Logger
	kick    func()
	opts    Options

	sessions *sessionCache
	roles    roleCache

	// background work that must not show in response times (see forgot).
	bg        sync.WaitGroup
	bgSlot    chan struct{}
	bgWaiting atomic.Int64
}

// New returns a Service. Call Close to flush batched writes.
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
	if o.SuperAdminRole == "" {
		o.SuperAdminRole = userdb.RoleSuperAdmin
	}
	if o.SessionLifetime <= 0 {
		o.SessionLifetime = 30 * 24 * time.Hour
	}
	if o.TouchInterval <= 0 {
		o.TouchInterval = time.Minute
	}
	if o.RegistrationAccount == "" {
		o.RegistrationAccount = userdb.DefaultAccountName
	}
	s := &Service{
		store: d.Store, hasher: d.Hasher, policy: d.Policy, emails: d.Emails, profile: d.Profile,
		clock: d.Clock, log: d.Logger, kick: d.Kick, opts: o,
		bgSlot: make(chan struct{}, 64),
	}
	s.sessions = newSessionCache(s)
	return s
}

// ProfileSchema returns the custom-data schema (nil when there is none).
func (s *Service) ProfileSchema() ProfileSchema { return s.profile }

// Store returns the service's store, for read-only callers such as the CLI.
func (s *Service) Store() userdb.Store { return s.store }

// Options returns the rules the service follows.
func (s *Service) Options() Options { return s.opts }

// Run writes batched session last-seen times until ctx ends, then flushes.
func (s *Service) Run(ctx context.Context) {
	s.sessions.run(ctx)
}

// Close waits for background work and flushes batched writes.
func (s *Service) Close(ctx context.Context) {
	done := make(chan struct{})
	go func() { s.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
	s.sessions.flush(ctx)
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
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
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
}

type metaKey struct{}

// WithMeta returns ctx carrying the request's metadata.
func WithMeta(ctx context.Context, m Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
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

// checkProfile validates custom data about to be stored.
func (s *Service) checkProfile(data, changes map[string]any, byUser bool) error {
	if s.profile == nil {
		return nil
	}
	keys := make([]string, 0, len(changes))
	for k := range changes {
		keys = append(keys, k)
	}
	return s.profile.Check(data, keys, byUser)
}
