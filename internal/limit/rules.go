package limit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/userdb/userdb"
)

// Rule names: what is limited, and by which key. The callers name the rule
// and pass the key; the rates come from the configuration.
const (
	LoginIP             = "login_ip"              // every sign-in attempt, by client IP
	LoginName           = "login_name"            // every sign-in attempt, by the name typed (known or not)
	LoginFailuresIP     = "login_failures_ip"     // failed sign-ins, by client IP across names
	KnownDeviceFailures = "known_device_failures" // failed sign-ins from a known device, by user and device
	RegisterIP          = "register_ip"           // registrations, by client IP
	ForgotIP            = "forgot_ip"             // reset requests, by client IP
	VerifyIP            = "verify_ip"             // verification email requests, by client IP
	EmailAddress        = "email_address"         // reset and verification emails, by address typed
	PasswordUser        = "password_user"         // wrong current passwords, by user
	AdminKey            = "admin_key"             // admin API requests, by API key
	TokenClient         = "token_client"          // OAuth token requests, by client
)

// what each rule counts, in the sentence a person reads when refused.
var what = map[string]string{
	LoginIP: "sign-in attempts", LoginName: "sign-in attempts", LoginFailuresIP: "failed sign-ins",
	KnownDeviceFailures: "failed sign-ins", RegisterIP: "registrations", ForgotIP: "password reset requests",
	VerifyIP: "verification requests", EmailAddress: "emails", PasswordUser: "wrong passwords",
	AdminKey: "requests", TokenClient: "token requests",
}

// Exceeded is the cause of a rate-limited error: the rule and when to retry.
type Exceeded struct {
	Rule  string
	After time.Duration
}

func (e *Exceeded) Error() string {
	return fmt.Sprintf("rate limit %s: retry after %s", e.Rule, e.After)
}

// RetryAfter is read by the HTTP layer for the Retry-After header.
func (e *Exceeded) RetryAfter() time.Duration { return e.After }

// Hit is what the rules report when they refuse a request: to the audit log
// (once per key and period) and to the metrics (every time).
type Hit struct {
	Rule string
	Key  string // the key as given: an IP, a name, an id
	// First is true for the first refusal of this key in the rule's
	// period: the one worth an event.
	First bool
}

// Rules applies the configured rate of each rule through a Limiter.
type Rules struct {
	lim   Limiter
	rates map[string]Rate
	onHit func(ctx context.Context, h Hit)
	now   func() time.Time
	log   *slog.Logger

	mu       sync.Mutex
	reported map[string]time.Time // rule+key -> last event
}

// NewRules returns the rules with their rates; rules missing from rates are
// off. onHit may be nil.
func NewRules(lim Limiter, rates map[string]Rate, now func() time.Time, log *slog.Logger, onHit func(context.Context, Hit)) *Rules {
	if onHit == nil {
		onHit = func(context.Context, Hit) {}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Rules{lim: lim, rates: rates, onHit: onHit, now: now, log: log, reported: make(map[string]time.Time)}
}

// Rate returns the rate of a rule (off when it has none).
func (g *Rules) Rate(rule string) Rate {
	if g == nil {
		return Rate{}
	}
	return g.rates[rule]
}

// Take counts one request against rule for key. It returns an ERATELIMITED
// error, whose cause is an *Exceeded, when the request does not fit.
func (g *Rules) Take(ctx context.Context, rule, key string) error {
	return g.apply(ctx, rule, key, 1)
}

// Check returns the error Take would, without counting anything: for
// limits counted after the fact (failures), checked before the work.
func (g *Rules) Check(ctx context.Context, rule, key string) error {
	return g.apply(ctx, rule, key, 0)
}

// Charge counts one event against rule for key, whatever the verdict: a
// failure found out after the work.
func (g *Rules) Charge(ctx context.Context, rule, key string) {
	if g == nil || key == "" || g.rates[rule].Off() {
		return
	}
	if _, err := g.lim.Allow(ctx, rule+":"+hashKey(key), g.rates[rule], 1); err != nil {
		g.log.Warn("rate limiter unavailable", "rule", rule, "err", err)
	}
}

func (g *Rules) apply(ctx context.Context, rule, key string, n int) error {
	if g == nil || key == "" {
		return nil
	}
	r := g.rates[rule]
	if r.Off() {
		return nil
	}
	res, err := g.lim.Allow(ctx, rule+":"+hashKey(key), r, n)
	if err != nil {
		// A limiter that cannot be reached must not take sign-in down with
		// it: the request goes on, and the operator sees why in the log.
		g.log.Warn("rate limiter unavailable", "rule", rule, "err", err)
		return nil
	}
	if res.Allowed {
		return nil
	}
	g.onHit(ctx, Hit{Rule: rule, Key: key, First: g.first(rule+":"+key, r.Per)})
	return &userdb.Error{Code: userdb.ERATELIMITED, Message: message(rule, res.RetryAfter),
		Err: &Exceeded{Rule: rule, After: res.RetryAfter}}
}

// maxReported bounds the memory of which keys were reported.
const maxReported = 10_000

// first reports whether k has had no event within per, and remembers it.
func (g *Rules) first(k string, per time.Duration) bool {
	now := g.now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if t, ok := g.reported[k]; ok && now.Sub(t) < per {
		return false
	}
	if len(g.reported) >= maxReported {
		clear(g.reported)
	}
	g.reported[k] = now
	return true
}

// message says what was limited and when to try again, in whole units
// rounded up, for a person.
func message(rule string, after time.Duration) string {
	w := what[rule]
	if w == "" {
		w = "requests"
	}
	return fmt.Sprintf("Too many %s. Please try again in %s.", w, Humanize(after))
}

// Humanize writes d rounded up to whole seconds, minutes or hours.
func Humanize(d time.Duration) string {
	unit := func(n int64, name string) string {
		if n == 1 {
			return "1 " + name
		}
		return fmt.Sprintf("%d %ss", n, name)
	}
	switch {
	case d <= time.Minute:
		return unit(max(int64((d+time.Second-1)/time.Second), 1), "second")
	case d <= time.Hour:
		return unit(int64((d+time.Minute-1)/time.Minute), "minute")
	}
	return unit(int64((d+time.Hour-1)/time.Hour), "hour")
}

// Seconds is the Retry-After value for d: whole seconds, rounded up, at least 1.
func Seconds(d time.Duration) int64 {
	return max(int64((d+time.Second-1)/time.Second), 1)
}

// hashKey keeps names and addresses out of the limiter's keys (Redis holds
// them for a while): a SHA-256 prefix, case and space folded, as sign-in
// compares names.
func hashKey(key string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(key))))
	return hex.EncodeToString(sum[:16])
}
