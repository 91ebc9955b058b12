package sqlstore

import (
	"context"
	"time"

	"github.com/userdb/userdb"
)

const pendingColumns = `id, token_hash, user_id, stage, amr, device_hash, created_at, expires_at, remember`

func scanPending(sc scanner) (*userdb.PendingLogin, error) {
	var p userdb.PendingLogin
	var stage string
	if err := sc.Scan(&p.ID, &p.TokenHash, &p.UserID, &stage, jsonDest{&p.AMR}, &p.DeviceHash,
		timeDest{&p.CreatedAt}, timeDest{&p.ExpiresAt}, &p.Remember); err != nil {
		return nil, err
	}
	p.Stage = userdb.PendingStage(stage)
	return &p, nil
}

// CreatePendingLogin stores p, its times kept in UTC to the microsecond.
func (s *Store) CreatePendingLogin(ctx context.Context, p *userdb.PendingLogin) error {
	if err := requireTimes(namedTime{"createdAt", p.CreatedAt}, namedTime{"expiresAt", p.ExpiresAt}); err != nil {
		return err
	}
	if len(p.TokenHash) == 0 {
		return userdb.FieldError("tokenHash", "a pending sign-in needs a token hash")
	}
	if p.Stage == "" {
		return userdb.FieldError("stage", "a pending sign-in needs a stage")
	}
	var device any
	if len(p.DeviceHash) > 0 {
		device = p.DeviceHash
	}
	_, err := s.exec(ctx, "INSERT INTO pending_logins ("+pendingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
		p.ID, p.TokenHash, p.UserID, string(p.Stage), jsonList(p.AMR), device, s.d.time(p.CreatedAt), s.d.time(p.ExpiresAt), p.Remember)
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the pending sign-in exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	p.CreatedAt, p.ExpiresAt = storedTime(p.CreatedAt), storedTime(p.ExpiresAt)
	return nil
}

// FindPendingLogin returns the unexpired pending sign-in with the token
// hash, or ENOTFOUND.
func (s *Store) FindPendingLogin(ctx context.Context, hash []byte, now time.Time) (*userdb.PendingLogin, error) {
	rows, err := s.lookup(ctx, "SELECT "+pendingColumns+" FROM pending_logins WHERE token_hash = ? AND expires_at > ?", hash, s.d.time(now))
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, scanPending)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(list) == 0 {
		return nil, notFound("pending sign-in")
	}
	return list[0], nil
}

// UsePendingLogin removes the unexpired pending sign-in with the id: one
// DELETE, so of concurrent uses exactly one removes the row.
func (s *Store) UsePendingLogin(ctx context.Context, id string, now time.Time) error {
	n, err := s.execCount(ctx, "DELETE FROM pending_logins WHERE id = ? AND expires_at > ?", id, s.d.time(now))
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("pending sign-in")
	}
	return nil
}

// DeleteUserPendingLogins removes every pending sign-in of the user.
func (s *Store) DeleteUserPendingLogins(ctx context.Context, userID string) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM pending_logins WHERE user_id = ?", userID)
	return int(n), err
}

// DeleteExpiredPendingLogins removes pending sign-ins that expired before now.
func (s *Store) DeleteExpiredPendingLogins(ctx context.Context, now time.Time) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM pending_logins WHERE expires_at < ?", s.d.time(now))
	return int(n), err
}
