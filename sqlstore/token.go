package sqlstore

import (
	"context"
	"time"

	"github.com/userdb/userdb"
)

const tokenColumns = `token_hash, kind, user_id, email, browser_hash, code_hash, attempts, created_at, expires_at, consumed_at`

func scanToken(sc scanner) (*userdb.OneTimeToken, error) {
	var t userdb.OneTimeToken
	err := sc.Scan(&t.TokenHash, &t.Kind, &t.UserID, &t.Email, &t.Browser, &t.Code, &t.Attempts, timeDest{&t.CreatedAt}, timeDest{&t.ExpiresAt}, nullTimeDest{&t.ConsumedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateToken stores a new one-time token. Its times are kept in UTC to the
// microsecond, and t is updated to match.
func (s *Store) CreateToken(ctx context.Context, t *userdb.OneTimeToken) error {
	if err := requireTimes(namedTime{"createdAt", t.CreatedAt}, namedTime{"expiresAt", t.ExpiresAt}); err != nil {
		return err
	}
	if len(t.TokenHash) == 0 {
		return userdb.FieldError("tokenHash", "a token needs a hash")
	}
	if len(t.Email) > userdb.MaxEmailLen {
		return userdb.FieldError("email", "email must be at most %d characters", userdb.MaxEmailLen)
	}
	_, err := s.exec(ctx, "INSERT INTO tokens ("+tokenColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		t.TokenHash, string(t.Kind), t.UserID, t.Email, nullBytes(t.Browser), nullBytes(t.Code), t.Attempts, s.d.time(t.CreatedAt), s.d.time(t.ExpiresAt), s.d.nullTime(t.ConsumedAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the token exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	t.CreatedAt, t.ExpiresAt, t.ConsumedAt = storedTime(t.CreatedAt), storedTime(t.ExpiresAt), storedTimePtr(t.ConsumedAt)
	return nil
}

// FindToken returns the token of the kind with the hash if it is unused and
// unexpired at now, or ENOTFOUND.
func (s *Store) FindToken(ctx context.Context, kind userdb.TokenKind, hash []byte, now time.Time) (*userdb.OneTimeToken, error) {
	return s.findToken(ctx, "token_hash = ? AND kind = ? AND consumed_at IS NULL AND expires_at > ?",
		hash, string(kind), s.d.time(now))
}

func (s *Store) findToken(ctx context.Context, cond string, args ...any) (*userdb.OneTimeToken, error) {
	rows, err := s.lookup(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	ts, err := collect(rows, scanToken)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ts) == 0 {
		return nil, notFound("token")
	}
	return ts[0], nil
}

// ConsumeToken uses a token up and returns it. The check and the use are
// one UPDATE, so of any number of concurrent calls for one token exactly
// one changes the row; the others, and calls for used, expired or unknown
// tokens, fail with ENOTFOUND.
func (s *Store) ConsumeToken(ctx context.Context, kind userdb.TokenKind, hash []byte, now time.Time) (*userdb.OneTimeToken, error) {
	var t *userdb.OneTimeToken
	err := s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, `UPDATE tokens SET consumed_at = ?
			WHERE token_hash = ? AND kind = ? AND consumed_at IS NULL AND expires_at > ?`,
			tx.d.time(now), hash, string(kind), tx.d.time(now))
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("token")
		}
		t, err = tx.findToken(ctx, "token_hash = ?", hash)
		return err
	})
	return t, err
}

// DeleteUserTokens deletes the user's unused tokens of the kind.
func (s *Store) DeleteUserTokens(ctx context.Context, userID string, kind userdb.TokenKind) error {
	_, err := s.exec(ctx, "DELETE FROM tokens WHERE user_id = ? AND kind = ? AND consumed_at IS NULL", userID, string(kind))
	return err
}

// TakeTokenAttempts charges one attempt to every live token of the kind
// bound to browser with fewer than max attempts, in one UPDATE, and returns
// how many it charged.
func (s *Store) TakeTokenAttempts(ctx context.Context, kind userdb.TokenKind, browser []byte, max int, now time.Time) (int, error) {
	if len(browser) == 0 {
		return 0, nil
	}
	n, err := s.execCount(ctx, `UPDATE tokens SET attempts = attempts + 1
		WHERE browser_hash = ? AND kind = ? AND consumed_at IS NULL AND expires_at > ? AND attempts < ?`,
		browser, string(kind), s.d.time(now), max)
	return int(n), err
}

// FindTokenByCode returns the live token of the kind bound to browser
// whose code hash is code, tried at most max times, or ENOTFOUND.
func (s *Store) FindTokenByCode(ctx context.Context, kind userdb.TokenKind, browser, code []byte, max int, now time.Time) (*userdb.OneTimeToken, error) {
	if len(browser) == 0 || len(code) == 0 {
		return nil, notFound("token")
	}
	// The code hash is unique among a browser's tokens in practice
	// (SHA-256 of a 256-bit nonce and the code).
	return s.findToken(ctx, `browser_hash = ? AND code_hash = ? AND kind = ?
		AND consumed_at IS NULL AND expires_at > ? AND attempts <= ?`,
		browser, code, string(kind), s.d.time(now), max)
}
