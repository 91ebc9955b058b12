package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/userdb/userdb"
)

const sessionColumns = `id, token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent, amr, remembered`

func scanSession(sc scanner) (*userdb.Session, error) {
	var ss userdb.Session
	err := sc.Scan(&ss.ID, &ss.TokenHash, &ss.UserID, timeDest{&ss.CreatedAt}, timeDest{&ss.LastSeenAt},
		timeDest{&ss.ExpiresAt}, &ss.IP, &ss.UserAgent, jsonDest{&ss.AMR}, &ss.Remembered)
	if err != nil {
		return nil, err
	}
	return &ss, nil
}

// CreateSession stores a new session. A zero LastSeenAt is taken to be
// CreatedAt. Its times are kept in UTC to the microsecond, and ss is
// updated to match.
func (s *Store) CreateSession(ctx context.Context, ss *userdb.Session) error {
	if ss.LastSeenAt.IsZero() {
		ss.LastSeenAt = ss.CreatedAt
	}
	if err := requireTimes(namedTime{"createdAt", ss.CreatedAt}, namedTime{"expiresAt", ss.ExpiresAt}); err != nil {
		return err
	}
	if len(ss.TokenHash) == 0 {
		return userdb.FieldError("tokenHash", "a session needs a token hash")
	}
	_, err := s.exec(ctx, "INSERT INTO sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		ss.ID, ss.TokenHash, ss.UserID, s.d.time(ss.CreatedAt), s.d.time(ss.LastSeenAt), s.d.time(ss.ExpiresAt),
		ss.IP, ss.UserAgent, jsonList(ss.AMR), ss.Remembered)
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the session exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = storedTime(ss.CreatedAt), storedTime(ss.LastSeenAt), storedTime(ss.ExpiresAt)
	return nil
}

// FindSessionByTokenHash returns the session whose token has the hash, or
// ENOTFOUND. It does not look at expiry.
func (s *Store) FindSessionByTokenHash(ctx context.Context, hash []byte) (*userdb.Session, error) {
	return s.findSession(ctx, "token_hash = ?", hash)
}

// FindSessionByID returns the session with the id, or ENOTFOUND.
func (s *Store) FindSessionByID(ctx context.Context, id string) (*userdb.Session, error) {
	return s.findSession(ctx, "id = ?", id)
}

func (s *Store) findSession(ctx context.Context, cond string, arg any) (*userdb.Session, error) {
	rows, err := s.lookup(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE "+cond, arg)
	if err != nil {
		return nil, err
	}
	ss, err := collect(rows, scanSession)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ss) == 0 {
		return nil, notFound("session")
	}
	return ss[0], nil
}

// FindSessionsByUser lists a user's sessions, newest first.
func (s *Store) FindSessionsByUser(ctx context.Context, userID string) ([]*userdb.Session, error) {
	rows, err := s.lookup(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE user_id = ? ORDER BY created_at DESC, id DESC", userID)
	if err != nil {
		return nil, err
	}
	ss, err := collect(rows, scanSession)
	return ss, s.wrap(err)
}

// TouchSessions records last-seen times in one transaction. A time never
// moves backwards and unknown ids are ignored.
func (s *Store) TouchSessions(ctx context.Context, seen map[string]time.Time) error {
	if len(seen) == 0 {
		return nil
	}
	// In id order, so that two concurrent batches lock rows in the same
	// order and cannot deadlock.
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return s.inTx(ctx, func(tx *Store) error {
		for _, id := range ids {
			t := tx.d.time(seen[id])
			if _, err := tx.exec(ctx, "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?", t, id, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// DeleteSession ends a session; ENOTFOUND when there is none with the id.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	n, err := s.execCount(ctx, "DELETE FROM sessions WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("session")
	}
	return nil
}

// DeleteUserSessions ends every session of the user except exceptID ("" for
// none) and returns the sessions it ended, newest first.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, exceptID string) ([]*userdb.Session, error) {
	var ended []*userdb.Session
	err := s.inTx(ctx, func(tx *Store) error {
		// The rows stay locked until the DELETE, so the sessions returned
		// are exactly the sessions deleted.
		rows, err := tx.writer().QueryContext(ctx, tx.d.rebind("SELECT "+sessionColumns+
			" FROM sessions WHERE user_id = ? AND id <> ? ORDER BY created_at DESC, id DESC"+tx.d.forUpdate), userID, exceptID)
		if err != nil {
			return tx.wrap(err)
		}
		if ended, err = collect(rows, scanSession); err != nil || len(ended) == 0 {
			return tx.wrap(err)
		}
		ids := make([]any, len(ended))
		for i, ss := range ended {
			ids[i] = ss.ID
		}
		_, err = tx.exec(ctx, "DELETE FROM sessions WHERE id IN ("+placeholders(len(ids))+")", ids...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ended, nil
}

// DeleteExpiredSessions removes sessions whose absolute expiry is at or
// before now and, when idleBefore is not zero, those not remembered and
// last seen before it. It returns how many it removed.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now, idleBefore time.Time) (int, error) {
	where, args := "expires_at <= ?", []any{s.d.time(now)}
	if !idleBefore.IsZero() {
		where += " OR (last_seen_at < ? AND remembered = ?)"
		args = append(args, s.d.time(idleBefore), false)
	}
	return s.sweep(ctx, "sessions", "id", where, args...)
}
