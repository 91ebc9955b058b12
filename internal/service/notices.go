package service

import (
	"context"
	"fmt"

	"github.com/userdb/userdb"
)

// Security notices: a user hears of every change to how the account is
// reached that the user did not make (ASVS 2.2.3, 2.5.5), by email, queued
// with the change in its transaction.
const (
	// EmailEmailChanged goes to the old address when an administrator
	// changes it, saying how to react (a silent change would let a
	// same-account administrator take the account over).
	EmailEmailChanged = "email-changed"
	// EmailPasswordSet tells of a password set by an administrator or the
	// command line.
	EmailPasswordSet = "password-set"
	// EmailAPIKeyChanged tells a key's creator the key was created or
	// revoked; EmailAPIKeyExpiring that it expires soon.
	EmailAPIKeyChanged  = "api-key-changed"
	EmailAPIKeyExpiring = "api-key-expiring"
)

// NoticeComposer renders a security notice saying detail; a Composer
// without it sends none.
type NoticeComposer interface {
	ComposeNotice(kind string, u *userdb.User, detail string) (*userdb.OutboxEmail, error)
}

// queueNotice queues the notice of a kind to u (at u.Email) through st, and
// reports whether it did.
func (s *Service) queueNotice(ctx context.Context, st userdb.Store, kind string, u *userdb.User, detail string) (bool, error) {
	c, ok := s.emails.(NoticeComposer)
	if !ok || u == nil || u.Email == "" {
		return false, nil
	}
	m, err := c.ComposeNotice(kind, u, detail)
	if err != nil || m == nil {
		return false, err
	}
	m.UserID, m.Kind = u.ID, kind
	now := s.clock.Now()
	m.CreatedAt, m.NextAttemptAt = now, now
	return true, st.EnqueueEmail(ctx, m)
}

// notifyEmailChanged tells old's address that an administrator changed it,
// and records email.changed. old is the user before the change.
func (s *Service) notifyEmailChanged(ctx context.Context, st userdb.Store, old, now *userdb.User) error {
	sent, err := s.queueNotice(ctx, st, EmailEmailChanged, old, "")
	if err != nil {
		return err
	}
	return s.record(ctx, st, "email.changed", now, map[string]any{"from": old.Email, "to": now.Email, "by": "admin", "notified": sent})
}

// notifyPasswordSet tells u that someone else set its password; the
// details of its password.set event get "notified".
func (s *Service) notifyPasswordSet(ctx context.Context, st userdb.Store, u *userdb.User, details map[string]any) error {
	who := "An administrator set a new password for your account."
	if a, ok := ActorFrom(ctx); ok && a.IsSystem() {
		who = "An operator set a new password for your account on the server's command line."
	}
	sent, err := s.queueNotice(ctx, st, EmailPasswordSet, u, who)
	details["notified"] = sent
	return err
}

// notifyKeyChange tells the creator of k (a user; keys made on the command
// line have none) what happened to it; details get "notified".
func (s *Service) notifyKeyChange(ctx context.Context, st userdb.Store, k *userdb.APIKey, what string, details map[string]any) error {
	details["notified"] = false
	if k.CreatedBy == "" {
		return nil
	}
	u, err := st.FindUserByID(ctx, k.CreatedBy)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil
	} else if err != nil {
		return err
	}
	sent, err := s.queueNotice(ctx, st, EmailAPIKeyChanged, u, fmt.Sprintf("The API key %q (%s) that you created was %s.", k.Name, k.ID, what))
	details["notified"] = sent
	return err
}
