package service

import (
	"context"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// EmailNewDevice is the notice of a sign-in from a device not seen before.
const EmailNewDevice = "new-device"

// SignIn describes a sign-in for the new-device notice.
type SignIn struct {
	Time      time.Time
	IP        string
	UserAgent string
}

// SignInComposer renders the new-device notice with what is known of the
// sign-in; a Composer without it sends no notices.
type SignInComposer interface {
	ComposeSignIn(u *userdb.User, link string, in SignIn) (*userdb.OutboxEmail, error)
}

// notMeTTL is how long a notice's "This wasn't me" link works.
const notMeTTL = 7 * 24 * time.Hour

// deviceHash is the stored form of the request's device id (nil without).
func deviceHash(ctx context.Context) []byte {
	id := DeviceFrom(ctx)
	if id == "" {
		return nil
	}
	return userdb.HashSecret(id)
}

// knownDevice reports whether u signed in from the request's device before.
func (s *Service) knownDevice(ctx context.Context, u *userdb.User) bool {
	h := deviceHash(ctx)
	if h == nil {
		return false
	}
	_, err := s.store.FindDevice(ctx, u.ID, h)
	return err == nil
}

// deviceKey is the key of the known-device failure limit.
func deviceKey(ctx context.Context, u *userdb.User) string {
	return u.ID + "/" + DeviceFrom(ctx)
}

// knownDeviceFailure counts a wrong password from a known device apart from
// the lockout: the owner's own browser never locks the owner out.
func (s *Service) knownDeviceFailure(ctx context.Context, u *userdb.User) error {
	s.limits.Charge(ctx, limit.KnownDeviceFailures, deviceKey(ctx, u))
	_ = s.record(ctx, s.store, "login.failed", u, map[string]any{"reason": "bad_password", "device": "known"})
	return errBadLogin
}

// rememberDevice records the device of a successful sign-in through st and,
// for a device new to a user who has signed in before, queues the notice
// with a "This wasn't me" link.
func (s *Service) rememberDevice(ctx context.Context, st userdb.Store, u *userdb.User, signedInBefore bool) error {
	h := deviceHash(ctx)
	if h == nil {
		return nil
	}
	m := MetaFrom(ctx)
	now := s.clock.Now()
	created, err := st.TouchDevice(ctx, &userdb.Device{UserID: u.ID, DeviceHash: h, CreatedAt: now, LastSeenAt: now, IP: m.IP, UserAgent: m.UserAgent})
	if err != nil || !created || !signedInBefore || !s.opts.NotifyNewDevice {
		return err
	}
	c, ok := s.emails.(SignInComposer)
	if !ok {
		return nil
	}
	tok, err := s.newToken(ctx, st, userdb.TokenNotMe, u, notMeTTL)
	if err != nil {
		return err
	}
	mail, err := c.ComposeSignIn(u, link(s.opts.NotMeURL, tok), SignIn{Time: now, IP: m.IP, UserAgent: m.UserAgent})
	if err != nil || mail == nil {
		return err
	}
	mail.UserID, mail.Kind = u.ID, EmailNewDevice
	mail.CreatedAt, mail.NextAttemptAt = now, now
	if err := st.EnqueueEmail(ctx, mail); err != nil {
		return err
	}
	return s.record(ctx, st, "device.new", u, map[string]any{"notified": true})
}

// CheckNotMe reports whether a "This wasn't me" link still works.
func (s *Service) CheckNotMe(ctx context.Context, token string) error {
	_, err := s.findToken(ctx, userdb.TokenNotMe, token)
	return err
}

// NotMe uses a "This wasn't me" link: the user reports a sign-in as someone
// else's, and the account is secured as for a stolen password.
func (s *Service) NotMe(ctx context.Context, token string) error {
	_, u, err := s.findTokenUser(ctx, userdb.TokenNotMe, token)
	if err != nil {
		return err
	}
	return s.secure(ctx, u, "not_me", func(tx userdb.Store) error {
		if _, err := tx.ConsumeToken(ctx, userdb.TokenNotMe, userdb.HashSecret(token), s.clock.Now()); userdb.IsCode(err, userdb.ENOTFOUND) {
			return errBadToken
		} else {
			return err
		}
	})
}

// ReportCompromised is the signed-in user's own "my account was stolen".
func (s *Service) ReportCompromised(ctx context.Context, u *userdb.User) error {
	return s.secure(ctx, u, "reported_by_user", nil)
}

// AdminMarkCompromised is an administrator's "Compromised" action on a user.
func (s *Service) AdminMarkCompromised(ctx context.Context, id, reason string) error {
	const action = "users.compromised"
	sc, u, err := s.adminUser(ctx, action, id, true)
	if err != nil {
		return err
	}
	if err := s.notSelf(ctx, sc, u, action); err != nil {
		return err
	}
	if len(reason) > 500 {
		return userdb.FieldError("reason", "Reason must be at most 500 characters.")
	}
	if reason == "" {
		reason = "marked_by_admin"
	}
	return s.secure(ctx, u, reason, nil)
}

// secure treats u's credentials as stolen, in one transaction with first:
// every session ends, every outstanding link dies, remembered devices are
// forgotten, the password stops working and a reset link goes to the
// user's address — only the mailbox's owner can set the next password.
func (s *Service) secure(ctx context.Context, u *userdb.User, reason string, first func(tx userdb.Store) error) error {
	var fresh *userdb.User
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if first != nil {
			if err := first(tx); err != nil {
				return err
			}
		}
		var err error
		if fresh, err = tx.UpdateUser(ctx, u.ID, userdb.UserUpdate{PasswordHash: ptr(""), PasswordMustChange: ptr(true)}, s.clock.Now()); err != nil {
			return err
		}
		if _, err := s.endSessions(ctx, tx, fresh, "", "compromised"); err != nil {
			return err
		}
		if err := s.killTokens(ctx, tx, fresh.ID); err != nil {
			return err
		}
		n, err := tx.DeleteUserDevices(ctx, fresh.ID)
		if err != nil {
			return err
		}
		if err := s.record(ctx, tx, "user.compromised", fresh, map[string]any{"reason": reason, "devices_forgotten": n}); err != nil {
			return err
		}
		if fresh.Status == userdb.StatusDisabled {
			return nil
		}
		tok, err := s.newToken(ctx, tx, userdb.TokenReset, fresh, s.opts.ResetTTL)
		if err != nil {
			return err
		}
		return s.queueEmail(ctx, tx, EmailForgotPassword, fresh, link(s.opts.ResetURL, tok))
	})
	if err != nil {
		return err
	}
	s.sessions.forgetUser(u.ID)
	s.kick()
	return nil
}

// linkKinds are the one-time links that act on a user's account: all die
// when its email or password changes, or when it is secured.
var linkKinds = []userdb.TokenKind{userdb.TokenReset, userdb.TokenVerify, userdb.TokenMagic, userdb.TokenEmailChange, userdb.TokenNotMe}

// killTokens deletes every outstanding link of the user through st.
func (s *Service) killTokens(ctx context.Context, st userdb.Store, userID string) error {
	for _, k := range linkKinds {
		if err := st.DeleteUserTokens(ctx, userID, k); err != nil {
			return err
		}
	}
	return nil
}

type deviceCtxKey struct{}

// WithDevice returns ctx carrying the id of the device (browser) a request
// came from: the device cookie's (internal/device).
func WithDevice(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, deviceCtxKey{}, id)
}

// DeviceFrom returns the device id ctx carries ("" for none).
func DeviceFrom(ctx context.Context) string {
	id, _ := ctx.Value(deviceCtxKey{}).(string)
	return id
}
