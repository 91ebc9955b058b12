package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/userdb/userdb"
)

const apiKeyColumns = `id, name, key_hash, account_id, roles, created_by, created_at, expires_at, last_used_at, revoked_at, manage_keys, warned_at, expired_at`

func scanAPIKey(sc scanner) (*userdb.APIKey, error) {
	var k userdb.APIKey
	var account sql.NullString
	err := sc.Scan(&k.ID, &k.Name, &k.KeyHash, &account, jsonDest{&k.Roles}, &k.CreatedBy, timeDest{&k.CreatedAt},
		nullTimeDest{&k.ExpiresAt}, nullTimeDest{&k.LastUsedAt}, nullTimeDest{&k.RevokedAt}, &k.ManageKeys,
		nullTimeDest{&k.WarnedAt}, nullTimeDest{&k.ExpiredAt})
	if err != nil {
		return nil, err
	}
	k.AccountID = account.String
	return &k, nil
}

// CreateAPIKey stores a new API key; an empty AccountID makes a global key.
// It fails with ENOTFOUND when the account does not exist. Its times are
// kept in UTC to the microsecond, and k is updated to match.
func (s *Store) CreateAPIKey(ctx context.Context, k *userdb.APIKey) error {
	if err := requireTimes(namedTime{"createdAt", k.CreatedAt}); err != nil {
		return err
	}
	if len(k.KeyHash) == 0 {
		return userdb.FieldError("keyHash", "an API key needs a hash")
	}
	roles, err := json.Marshal(k.Roles)
	if err != nil {
		return userdb.Internal(err)
	}
	var account any
	if k.AccountID != "" {
		account = k.AccountID
	}
	_, err = s.exec(ctx, "INSERT INTO api_keys ("+apiKeyColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		k.ID, k.Name, k.KeyHash, account, string(roles), k.CreatedBy, s.d.time(k.CreatedAt),
		s.d.nullTime(k.ExpiresAt), s.d.nullTime(k.LastUsedAt), s.d.nullTime(k.RevokedAt), k.ManageKeys,
		s.d.nullTime(k.WarnedAt), s.d.nullTime(k.ExpiredAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the API key exists already"))
		return refine(err, userdb.ENOTFOUND, &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "account not found"})
	}
	k.CreatedAt = storedTime(k.CreatedAt)
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt = storedTimePtr(k.ExpiresAt), storedTimePtr(k.LastUsedAt), storedTimePtr(k.RevokedAt)
	k.WarnedAt, k.ExpiredAt = storedTimePtr(k.WarnedAt), storedTimePtr(k.ExpiredAt)
	return nil
}

// FindAPIKeyByID returns the key with the id, or ENOTFOUND.
func (s *Store) FindAPIKeyByID(ctx context.Context, id string) (*userdb.APIKey, error) {
	return s.findAPIKey(ctx, "id = ?", id)
}

// FindAPIKeyByHash returns the key with the hash, revoked and expired keys
// included, or ENOTFOUND.
func (s *Store) FindAPIKeyByHash(ctx context.Context, hash []byte) (*userdb.APIKey, error) {
	return s.findAPIKey(ctx, "key_hash = ?", hash)
}

func (s *Store) findAPIKey(ctx context.Context, cond string, arg any) (*userdb.APIKey, error) {
	rows, err := s.lookup(ctx, "SELECT "+apiKeyColumns+" FROM api_keys WHERE "+cond, arg)
	if err != nil {
		return nil, err
	}
	ks, err := collect(rows, scanAPIKey)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ks) == 0 {
		return nil, notFound("API key")
	}
	return ks[0], nil
}

// FindAPIKeys lists the keys of an account ("" for every key), newest first.
func (s *Store) FindAPIKeys(ctx context.Context, accountID string) ([]*userdb.APIKey, error) {
	var w where
	if accountID != "" {
		w.add("account_id = ?", accountID)
	}
	rows, err := s.query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys"+w.sql()+" ORDER BY created_at DESC, id DESC", w.args...)
	if err != nil {
		return nil, err
	}
	ks, err := collect(rows, scanAPIKey)
	return ks, s.wrap(err)
}

// RevokeAPIKey revokes a key at now. Revoking a revoked key keeps the
// first revocation time and is not an error.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, now time.Time) error {
	n, err := s.execCount(ctx, "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?", s.d.time(now), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("API key")
	}
	return nil
}

// TouchAPIKey records that the key was used at now.
func (s *Store) TouchAPIKey(ctx context.Context, id string, now time.Time) error {
	n, err := s.execCount(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ?", s.d.time(now), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("API key")
	}
	return nil
}

// FindAPIKeysDue lists the live keys that expire by absBefore, or were
// idle since idleBefore (unless it is zero), by id after afterID.
func (s *Store) FindAPIKeysDue(ctx context.Context, absBefore, idleBefore time.Time, afterID string, limit int) ([]*userdb.APIKey, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("revoked_at IS NULL AND expired_at IS NULL AND id > ?", afterID)
	if idleBefore.IsZero() {
		w.add("expires_at <= ?", s.d.time(absBefore))
	} else {
		w.add("(expires_at <= ? OR COALESCE(last_used_at, created_at) <= ?)", s.d.time(absBefore), s.d.time(idleBefore))
	}
	rows, err := s.query(ctx, "SELECT "+apiKeyColumns+" FROM api_keys"+w.sql()+" ORDER BY id LIMIT ?", append(w.args, limit)...)
	if err != nil {
		return nil, err
	}
	ks, err := collect(rows, scanAPIKey)
	return ks, s.wrap(err)
}

// ClaimAPIKeyWarning sets warned_at in one conditional UPDATE: of two
// nodes warning at once, the second finds the condition false.
func (s *Store) ClaimAPIKeyWarning(ctx context.Context, id string, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, `UPDATE api_keys SET warned_at = ?
		WHERE id = ? AND (warned_at IS NULL OR warned_at < COALESCE(last_used_at, created_at))`, s.d.time(now), id)
	return n == 1, err
}

// ExpireAPIKey sets expired_at in one conditional UPDATE.
func (s *Store) ExpireAPIKey(ctx context.Context, id string, now time.Time) (bool, error) {
	n, err := s.execCount(ctx, "UPDATE api_keys SET expired_at = ? WHERE id = ? AND expired_at IS NULL AND revoked_at IS NULL", s.d.time(now), id)
	return n == 1, err
}
