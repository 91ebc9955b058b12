package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// EmailMagicLink is the passwordless sign-in email: a link and a six-digit
// code, both good once, for the browser that asked.
const EmailMagicLink = "magic-link"

// MagicLinkComposer renders the sign-in email with its link, its code and
// how long they work; a Composer without it sends no sign-in emails.
type MagicLinkComposer interface {
	ComposeMagicLink(u *userdb.User, link, code string, ttl time.Duration) (*userdb.OutboxEmail, error)
}

// ErrOtherBrowser is the cause of the error SignInWithMagicLink returns for a
// link opened in another browser than the one that asked for it: the page
// asks the person to confirm (a forwarded or scanned link must not sign
// anyone in silently), then calls again with confirmed set.
var ErrOtherBrowser = errors.New("the sign-in link was opened in another browser than the one that asked for it")

// errBadEmailCode is the one answer for a wrong, used, expired or worn-out code,
// and for a browser that asked for none.
var errBadEmailCode = &userdb.Error{Code: userdb.EINVALID, Field: "code", Message: "This code is wrong or has expired."}

// errMagicOff answers when passwordless sign-in by email is switched off.
var errMagicOff = userdb.Errorf(userdb.EFORBIDDEN, "Sign-in by email is not enabled.")

// magicCodeLen is the number of digits of an email code.
const magicCodeLen = 6

// MagicLinkStats count what passwordless sign-in by email did, for the
// metrics: emails queued, sign-ins by link and by code, refused codes.
type MagicLinkStats struct {
	Sent, ByLink, ByCode, BadCodes atomic.Int64
}

// MagicLinkStats returns the service's counters.
func (s *Service) MagicLinkStats() *MagicLinkStats { return &s.magicStats }

// browserHash is the stored form of the nonce a browser keeps in its cookie.
func browserHash(nonce string) []byte { return userdb.HashSecret("browser:" + nonce) }

// codeHash is the stored form of a code: bound to the browser's nonce, so
// the table alone does not give the code away (a million codes are quickly
// hashed; a 256-bit nonce is not guessed).
func codeHash(nonce, code string) []byte {
	h := sha256.Sum256([]byte("code:" + nonce + ":" + code))
	return h[:]
}

// validNonce reports whether a nonce read from a cookie has the form
// userdb.NewSecret gives (43 URL-safe characters).
func validNonce(nonce string) bool {
	if len(nonce) != 43 {
		return false
	}
	for _, c := range []byte(nonce) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// newCode returns six random decimal digits.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// MagicLinkTTL is how long a sign-in link and its code work.
func (s *Service) MagicLinkTTL() time.Duration { return s.opts.MagicLinkTTL }

// RequestMagicLink emails a sign-in link and code to the user whose email
// (or username) is login, bound to the browser that asked: nonce is the
// value of that browser's cookie ("" or malformed for none). It returns the
// nonce the browser is to keep, new or the one it had. The answer is the
// same, in the same time, whether or not the user exists, may sign in, or
// is past the email limit: the lookup and the email happen after it.
func (s *Service) RequestMagicLink(ctx context.Context, login, nonce string) (string, error) {
	if !s.opts.MagicLinkEnabled {
		return "", errMagicOff
	}
	login = strings.TrimSpace(login)
	if login == "" {
		return "", userdb.FieldError("email", "Email is required.")
	}
	if len(login) > userdb.MaxEmailLen {
		// No user has such a login: saying so reveals nothing about users.
		return "", userdb.FieldError("email", "Email must be at most %d characters.", userdb.MaxEmailLen)
	}
	if err := s.limits.Take(ctx, limit.LoginIP, MetaFrom(ctx).IP); err != nil {
		return "", err
	}
	if !validNonce(nonce) {
		nonce, _ = userdb.NewSecret()
	}
	browser := browserHash(nonce)
	code := newCode()
	err := s.async(ctx, "magic-link", func(ctx context.Context) error {
		u, err := s.store.FindUserByLogin(ctx, login)
		if userdb.IsCode(err, userdb.ENOTFOUND) || (err == nil && u.Status != userdb.StatusEnabled) {
			return nil
		} else if err != nil {
			return err
		}
		if !s.emailAllowed(ctx, u.Email) {
			return nil
		}
		return s.sendMagicLink(ctx, u, browser, codeHash(nonce, code), code)
	})
	return nonce, err
}

// sendMagicLink stores the token and queues the email in one transaction.
// Other links of the user stay good: each works in its own browser only.
func (s *Service) sendMagicLink(ctx context.Context, u *userdb.User, browser, code []byte, plainCode string) error {
	c, ok := s.emails.(MagicLinkComposer)
	if !ok {
		return nil
	}
	secret, hash := userdb.NewSecret()
	now := s.clock.Now()
	t := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenMagic, UserID: u.ID, Email: u.Email,
		Browser: browser, Code: code, CreatedAt: now, ExpiresAt: now.Add(s.opts.MagicLinkTTL)}
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateToken(ctx, t); err != nil {
			return err
		}
		m, err := c.ComposeMagicLink(u, link(s.opts.MagicLinkURL, secret), plainCode, s.opts.MagicLinkTTL)
		if err != nil || m == nil {
			return err
		}
		m.UserID, m.Kind = u.ID, EmailMagicLink
		m.CreatedAt, m.NextAttemptAt = now, now
		if err := tx.EnqueueEmail(ctx, m); err != nil {
			return err
		}
		return s.record(ctx, tx, "login.email_sent", u, nil)
	})
	if err == nil {
		s.magicStats.Sent.Add(1)
		s.kick()
	}
	return err
}

// CheckMagicLink reports whether a sign-in link is good, and whether the
// browser whose cookie holds nonce is the one that asked for it, without
// using the link up. Errors: EINVALID (field sptoken) for an unknown, used
// or expired link.
func (s *Service) CheckMagicLink(ctx context.Context, token, nonce string) (sameBrowser bool, err error) {
	if !s.opts.MagicLinkEnabled {
		return false, errMagicOff
	}
	t, err := s.findToken(ctx, userdb.TokenMagic, token)
	if err != nil {
		return false, err
	}
	return sameBrowserAs(t, nonce), nil
}

func sameBrowserAs(t *userdb.OneTimeToken, nonce string) bool {
	return validNonce(nonce) && subtle.ConstantTimeCompare(t.Browser, browserHash(nonce)) == 1
}

// SignInWithMagicLink uses a sign-in link up and signs its user in (amr
// "email"). In another browser than the one that asked (nonce), it signs in
// only when confirmed: otherwise it returns an ECONFLICT error whose cause
// is ErrOtherBrowser and uses nothing up. Errors: EINVALID (field sptoken)
// for an unknown, used or expired link, or a user who may not sign in.
func (s *Service) SignInWithMagicLink(ctx context.Context, token, nonce string, confirmed bool) (*Login, error) {
	if !s.opts.MagicLinkEnabled {
		return nil, errMagicOff
	}
	t, err := s.findToken(ctx, userdb.TokenMagic, token)
	if err != nil {
		return nil, err
	}
	same := sameBrowserAs(t, nonce)
	if !same && !confirmed {
		return nil, &userdb.Error{Code: userdb.ECONFLICT, Message: "Confirm to sign in on this browser.", Err: ErrOtherBrowser}
	}
	browser := "same"
	if !same {
		browser = "other"
	}
	l, err := s.magicSignIn(ctx, t, map[string]any{"via": "link", "browser": browser}, errBadToken)
	if err == nil {
		s.magicStats.ByLink.Add(1)
	}
	return l, err
}

// SignInWithEmailCode signs in with the six-digit code of a sign-in email,
// typed in the browser that asked for it (nonce). Each try uses up one of
// the code's attempts (CodeAttempts) before the code is compared, so
// concurrent guesses get no more tries than sequential ones. Errors:
// EINVALID (field code) for a wrong, used or expired code.
func (s *Service) SignInWithEmailCode(ctx context.Context, nonce, code string) (*Login, error) {
	if !s.opts.MagicLinkEnabled {
		return nil, errMagicOff
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, userdb.FieldError("code", "Code is required.")
	}
	if len(code) != magicCodeLen || strings.Trim(code, "0123456789") != "" {
		return nil, userdb.FieldError("code", "The code is %d digits.", magicCodeLen)
	}
	ip := MetaFrom(ctx).IP
	if err := s.limits.Take(ctx, limit.LoginIP, ip); err != nil {
		return nil, err
	}
	if err := s.limits.Check(ctx, limit.LoginFailuresIP, ip); err != nil {
		return nil, err
	}
	bad := func() error {
		s.loginFailed(ctx)
		s.magicStats.BadCodes.Add(1)
		s.recordRefusal(ctx, "login.failed", nil, map[string]any{"method": "email", "reason": "bad_code"})
		return errBadEmailCode
	}
	if !validNonce(nonce) {
		return nil, bad()
	}
	browser, now := browserHash(nonce), s.clock.Now()
	n, err := s.store.TakeTokenAttempts(ctx, userdb.TokenMagic, browser, s.opts.MagicCodeAttempts, now)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, bad()
	}
	t, err := s.store.FindTokenByCode(ctx, userdb.TokenMagic, browser, codeHash(nonce, code), s.opts.MagicCodeAttempts, now)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, bad()
	} else if err != nil {
		return nil, err
	}
	l, err := s.magicSignIn(ctx, t, map[string]any{"via": "code"}, errBadEmailCode)
	if err == nil {
		s.magicStats.ByCode.Add(1)
	}
	return l, err
}

// magicSignIn signs in the user of the magic token t, which it uses up:
// in one transaction, the use of the token and the session, or the pending
// sign-in when the user must still give a second factor (amr "email"
// so far). A user who may no longer sign in leaves the token unused. used
// is the answer when the token was used meanwhile.
func (s *Service) magicSignIn(ctx context.Context, t *userdb.OneTimeToken, details map[string]any, used error) (*Login, error) {
	u, err := s.store.FindUserByID(ctx, t.UserID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, used
	} else if err != nil {
		return nil, err
	}
	if t.Email != "" && userdb.Fold(t.Email) != userdb.Fold(u.Email) {
		return nil, used // sent to an address the user no longer has
	}
	details["method"] = "email"
	consume := func(tx userdb.Store) error {
		_, err := tx.ConsumeToken(ctx, userdb.TokenMagic, t.TokenHash, s.clock.Now())
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return used
		}
		return err
	}
	return s.passwordlessSignIn(ctx, u, amrEmail, details, consume)
}

// passwordlessSignIn signs u in without a password, having authenticated by
// amr: first (the use of a link or a challenge) runs in the transaction
// that starts the session, or begins the pending sign-in when the user must
// still complete a stage (a second factor). Refusals are recorded.
func (s *Service) passwordlessSignIn(ctx context.Context, u *userdb.User, amr []string, details map[string]any, first func(tx userdb.Store) error) (*Login, error) {
	u, err := s.autoUnlock(ctx, u)
	if err != nil {
		return nil, err
	}
	if r, err := s.passwordlessRefusal(ctx, s.store, u); err != nil {
		return nil, err
	} else if r != nil {
		return nil, s.refuse(ctx, r, details["method"].(string))
	}
	stage := userdb.PendingStage("")
	if !slices.Contains(amr, "mfa") {
		if stage, err = s.loginStage(ctx, u); err != nil {
			return nil, err
		}
		if stage == userdb.PendingMFA && (slices.Contains(amr, "hwk") || slices.Contains(amr, "swk")) {
			if stage, err = s.afterPasskey(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	if stage != "" {
		var p *Pending
		err := s.store.Tx(ctx, func(tx userdb.Store) error {
			if err := first(tx); err != nil {
				return err
			}
			var err error
			p, err = s.beginPending(ctx, tx, u, stage, amr, nil)
			return err
		})
		if err != nil {
			return nil, err
		}
		return &Login{User: p.User, AMR: p.AMR, Pending: p}, nil
	}
	now := s.clock.Now()
	up := userdb.UserUpdate{LastLoginAt: &now, ResetFailedLogins: true, KeepVersion: true}
	return s.finishLogin(ctx, u, up, amr, details, first)
}

// errCannotSignIn answers a passwordless sign-in of a user who may not sign
// in: proof of the mailbox or of the authenticator does not open a
// disabled, locked or pending user, nor one of a disabled account.
var errCannotSignIn = userdb.Errorf(userdb.EFORBIDDEN, "This account cannot sign in: it is disabled, locked or not yet active.")

// refusal is why a user may not sign in without a password.
type refusal struct {
	u         *userdb.User
	reason    string
	connector *userdb.Connector // the provider the user's organisation requires
}

// passwordlessRefusal says why u may not sign in (nil when it may), read
// through st: not enabled, of a disabled account, or of an organisation
// that signs in through its own provider only. It writes nothing, so that
// it can run inside the sign-in's transaction.
func (s *Service) passwordlessRefusal(ctx context.Context, st userdb.Store, u *userdb.User) (*refusal, error) {
	if u.Status != userdb.StatusEnabled {
		return &refusal{u: u, reason: strings.ToLower(string(u.Status))}, nil
	}
	acc, err := st.FindAccountByID(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	if acc.Status != userdb.StatusEnabled {
		return &refusal{u: u, reason: "account_disabled"}, nil
	}
	c, err := s.requiredConnector(ctx, u.AccountID)
	if err != nil || c == nil {
		return nil, err
	}
	return &refusal{u: u, reason: "connector_required", connector: c}, nil
}

// refuse records a refused passwordless sign-in and returns its answer.
func (s *Service) refuse(ctx context.Context, r *refusal, method string) error {
	details := map[string]any{"reason": r.reason, "method": method}
	if r.connector != nil {
		details["connector"] = r.connector.ID
	}
	s.recordRefusal(ctx, "login.failed", r.u, details)
	if c := r.connector; c != nil {
		return &userdb.Error{Code: userdb.EFORBIDDEN, Field: "connector:" + c.ID,
			Message: fmt.Sprintf("Your organisation signs in with %s. Use the %s button.", c.Name, c.Name)}
	}
	return errCannotSignIn
}
