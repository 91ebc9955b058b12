package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

// API keys expire (ASVS 2.10.1): at their ExpiresAt, and after
// Options.APIKeyInactivity without use, counted from the last use the store
// records (or the creation). A node writes a key's use at most once per
// apiKeyTouchEvery, so the stored time is at most that much behind; a node
// that finds a key idle reads it again before refusing it, since another
// node may have used it since this one cached it. The first node to find a
// key expired records ExpiredAt and the apikey.expired event, once; from
// then on the key stays expired.

// Reasons of an expiry, in events and messages.
const (
	keyExpiryAbsolute   = "expires_at"
	keyExpiryInactivity = "inactivity"
)

// keyExpiry returns when k stops working, and why, given its last use
// (zero: unknown beyond k.LastUsedAt); a zero time means never.
func (s *Service) keyExpiry(k *userdb.APIKey, lastUsed time.Time) (time.Time, string) {
	var at time.Time
	why := ""
	if k.ExpiresAt != nil {
		at, why = *k.ExpiresAt, keyExpiryAbsolute
	}
	if idle := s.keyInactiveAt(k, lastUsed); !idle.IsZero() && (at.IsZero() || idle.Before(at)) {
		at, why = idle, keyExpiryInactivity
	}
	return at, why
}

// keyInactiveAt returns when k expires for want of use (zero: never).
func (s *Service) keyInactiveAt(k *userdb.APIKey, lastUsed time.Time) time.Time {
	if s.opts.APIKeyInactivity <= 0 {
		return time.Time{}
	}
	from := k.CreatedAt
	if k.LastUsedAt != nil && k.LastUsedAt.After(from) {
		from = *k.LastUsedAt
	}
	if lastUsed.After(from) {
		from = lastUsed
	}
	return from.Add(s.opts.APIKeyInactivity)
}

// APIKeyState returns k's state at the service's now, as stored —
// "active", "expired" or "revoked" — and for an active key when it stops
// working unless it is used before (nil: never), for lists of keys.
func (s *Service) APIKeyState(k *userdb.APIKey) (string, *time.Time) {
	now := s.clock.Now()
	switch {
	case k.RevokedAt != nil:
		return "revoked", nil
	case !s.keyLive(k, now):
		return "expired", nil
	}
	if at := s.keyInactiveAt(k, time.Time{}); !at.IsZero() {
		return "active", &at
	}
	return "active", nil
}

// errKeyExpired is the 401 of an expired key: unlike an unknown or revoked
// one, its holder learns why, so that a service's operator knows to make a
// new key (the caller holds the secret: nothing is revealed to a guesser).
func (s *Service) errKeyExpired(why string, at time.Time) error {
	if why == keyExpiryInactivity {
		return userdb.Errorf(userdb.EUNAUTHORIZED, "This API key expired: it was not used for %s (api_keys.inactivity_expiry). Create a new key.", days(s.opts.APIKeyInactivity))
	}
	return userdb.Errorf(userdb.EUNAUTHORIZED, "This API key expired on %s. Create a new key.", at.UTC().Format("2006-01-02 15:04 UTC"))
}

// recordedExpiry returns the reason and time of k's recorded expiry.
func recordedExpiry(k *userdb.APIKey) (string, time.Time) {
	if k.ExpiresAt != nil && !k.ExpiredAt.Before(*k.ExpiresAt) {
		return keyExpiryAbsolute, *k.ExpiresAt
	}
	return keyExpiryInactivity, *k.ExpiredAt
}

// checkKeyExpiry returns the error of an expired key, recording its expiry
// once, or nil for a key still good at now.
func (s *Service) checkKeyExpiry(ctx context.Context, e *cachedKey, now time.Time) error {
	if err := e.expired.Load(); err != nil {
		return *err
	}
	k := e.key
	if k.ExpiredAt != nil {
		return s.keyExpired(e, s.errKeyExpired(recordedExpiry(k)))
	}
	at, why := s.keyExpiry(k, e.lastUse())
	if at.IsZero() || now.Before(at) {
		return nil
	}
	if why == keyExpiryInactivity {
		// The stored last use decides: another node may have used the key.
		stored, err := s.store.FindAPIKeyByID(ctx, k.ID)
		if err != nil {
			return err
		}
		switch {
		case stored.RevokedAt != nil:
			return errBadAPIKey
		case stored.ExpiredAt != nil:
			return s.keyExpired(e, s.errKeyExpired(recordedExpiry(stored)))
		case stored.LastUsedAt != nil:
			e.noteUse(*stored.LastUsedAt)
		}
		if at, why = s.keyExpiry(k, e.lastUse()); now.Before(at) {
			return nil
		}
	}
	if err := s.expireKey(ctx, k, why, at); err != nil {
		return err
	}
	return s.keyExpired(e, s.errKeyExpired(why, at))
}

// keyExpired remembers err as the answer to every later use of the cached
// key, which needs no further look at the store.
func (s *Service) keyExpired(e *cachedKey, err error) error {
	e.expired.Store(&err)
	return err
}

// expireKey records ExpiredAt and the apikey.expired event of k, unless
// another caller (or node) did first.
func (s *Service) expireKey(ctx context.Context, k *userdb.APIKey, why string, at time.Time) error {
	won := false
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		var err error
		if won, err = tx.ExpireAPIKey(ctx, k.ID, s.clock.Now()); err != nil || !won {
			return err
		}
		details := map[string]any{"name": k.Name, "reason": why, "expired": at}
		if why == keyExpiryInactivity {
			details["inactivity_expiry"] = s.opts.APIKeyInactivity.String()
		}
		return s.recordKey(ctx, tx, "apikey.expired", k, details)
	})
	if won {
		s.changed(changedAPIKeys) // other nodes' caches learn ExpiredAt
	}
	return err
}

// apiKeyBatch is how many keys one page of the expiry job reads.
const apiKeyBatch = 200

// SweepAPIKeys records the expiry of the API keys past it (apikey.expired)
// and warns the creators of those that expire within APIKeyWarning
// (apikey.expiry_warned, the api-key-expiring email), and returns how many
// warnings it queued. Every node may run it at once: each expiry and each
// warning is claimed in the database, so it happens once.
func (s *Service) SweepAPIKeys(ctx context.Context) (int, error) {
	now, warn := s.clock.Now(), s.opts.APIKeyWarning
	var idleBefore time.Time
	if s.opts.APIKeyInactivity > 0 {
		idleBefore = now.Add(warn - s.opts.APIKeyInactivity)
	}
	sent, after := 0, ""
	for {
		keys, err := s.store.FindAPIKeysDue(ctx, now.Add(warn), idleBefore, after, apiKeyBatch)
		if err != nil {
			return sent, err
		}
		for _, k := range keys {
			at, why := s.keyExpiry(k, time.Time{})
			switch {
			case at.IsZero():
			case !now.Before(at):
				err = s.expireKey(ctx, k, why, at)
			case warn > 0 && !now.Before(at.Add(-warn)):
				var ok bool
				if ok, err = s.warnKeyExpiry(ctx, k, why, at); ok {
					sent++
				}
			}
			if err != nil {
				return sent, err
			}
		}
		if len(keys) < apiKeyBatch {
			break
		}
		after = keys[len(keys)-1].ID
	}
	if sent > 0 {
		s.kick()
	}
	return sent, nil
}

// warnKeyExpiry emails k's creator that k expires at at, once: once per
// ExpiresAt, and once per stretch of inactivity (a key used after its
// warning is warned again when it is idle again). It reports whether this
// call sent the warning.
func (s *Service) warnKeyExpiry(ctx context.Context, k *userdb.APIKey, why string, at time.Time) (bool, error) {
	if k.WarnedAt != nil && !k.WarnedAt.Before(at.Add(-s.opts.APIKeyWarning)) {
		return false, nil // warned of this expiry already (the claim settles races)
	}
	won := false
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		var err error
		if won, err = tx.ClaimAPIKeyWarning(ctx, k.ID, s.clock.Now()); err != nil || !won {
			return err
		}
		creator, err := s.keyOwner(ctx, tx, k)
		if err != nil {
			return err
		}
		sent, err := s.queueNotice(ctx, tx, EmailAPIKeyExpiring, creator, keyExpiryDetail(k, why, at, s.opts.APIKeyInactivity))
		if err != nil {
			return err
		}
		details := map[string]any{"name": k.Name, "reason": why, "expires": at, "notified": sent}
		if creator != nil {
			details["creator"] = creator.ID
		}
		return s.recordKey(ctx, tx, "apikey.expiry_warned", k, details)
	})
	return won, err
}

// keyOwner returns the user answerable for k: its creator, or the creator
// of the key that created it; nil for keys of the command line or the
// library, and for creators deleted since.
func (s *Service) keyOwner(ctx context.Context, st userdb.Store, k *userdb.APIKey) (*userdb.User, error) {
	by := k.CreatedBy
	if strings.HasPrefix(by, "key_") {
		parent, err := st.FindAPIKeyByID(ctx, by)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, nil
		} else if err != nil {
			return nil, err
		}
		by = parent.CreatedBy
	}
	if !strings.HasPrefix(by, "usr_") {
		return nil, nil
	}
	u, err := st.FindUserByID(ctx, by)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil, nil
	}
	return u, err
}

// keyExpiryDetail is the sentence of the warning email.
func keyExpiryDetail(k *userdb.APIKey, why string, at time.Time, inactivity time.Duration) string {
	when := at.UTC().Format("2 January 2006 at 15:04 UTC")
	if why == keyExpiryInactivity {
		last := "since it was created"
		if k.LastUsedAt != nil {
			last = "since " + k.LastUsedAt.UTC().Format("2 January 2006")
		}
		return fmt.Sprintf("The API key %q (%s) that you created has not been used %s. Keys unused for %s stop working: this one stops on %s unless it is used before.", k.Name, k.ID, last, days(inactivity), when)
	}
	return fmt.Sprintf("The API key %q (%s) that you created expires on %s.", k.Name, k.ID, when)
}

// days writes a duration in days (or hours, below a day).
func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		if n := int(d / (24 * time.Hour)); n != 1 {
			return fmt.Sprintf("%d days", n)
		}
		return "1 day"
	}
	return d.String()
}
