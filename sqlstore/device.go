package sqlstore

import (
	"context"
	"time"

	"github.com/userdb/userdb"
)

const deviceColumns = `user_id, device_hash, created_at, last_seen_at, ip, user_agent`

func scanDevice(sc scanner) (*userdb.Device, error) {
	var d userdb.Device
	if err := sc.Scan(&d.UserID, &d.DeviceHash, timeDest{&d.CreatedAt}, timeDest{&d.LastSeenAt}, &d.IP, &d.UserAgent); err != nil {
		return nil, err
	}
	return &d, nil
}

// TouchDevice adds the device or, when the user has it already, moves its
// last-seen time. The insert that skips an existing row decides created, so
// of concurrent first sign-ins exactly one sees it new.
func (s *Store) TouchDevice(ctx context.Context, d *userdb.Device) (bool, error) {
	if err := requireTimes(namedTime{"lastSeenAt", d.LastSeenAt}); err != nil {
		return false, err
	}
	if len(d.DeviceHash) == 0 {
		return false, userdb.FieldError("deviceHash", "a device needs a hash")
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = d.LastSeenAt
	}
	ua := d.UserAgent
	if len(ua) > 512 {
		ua = ua[:512]
	}
	n, err := s.execCount(ctx, "UPDATE devices SET last_seen_at = ?, ip = ?, user_agent = ? WHERE user_id = ? AND device_hash = ?",
		s.d.time(d.LastSeenAt), d.IP, ua, d.UserID, d.DeviceHash)
	if err != nil || n > 0 {
		return false, err
	}
	// Not there a moment ago: of concurrent inserts one adds the row.
	return s.insertOnce(ctx, "INSERT INTO devices ("+deviceColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		d.UserID, d.DeviceHash, s.d.time(d.CreatedAt), s.d.time(d.LastSeenAt), d.IP, ua)
}

// insertOnce runs an INSERT and reports whether it added the row: false when
// a row with its key exists (ENOTFOUND for a missing user). MySQL's only
// duplicate-skipping insert reports a found row as changed, so there the
// duplicate's error says it; the others skip it with ON CONFLICT, which
// leaves a PostgreSQL transaction usable.
func (s *Store) insertOnce(ctx context.Context, q string, args ...any) (bool, error) {
	if s.d.name != MySQL {
		q += s.d.ignoreDuplicate("")
	}
	n, err := s.execCount(ctx, q, args...)
	if userdb.IsCode(err, userdb.ECONFLICT) {
		return false, nil
	}
	if err != nil {
		return false, refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	return n > 0, nil
}

// FindDevice returns the user's device with the hash, or ENOTFOUND.
func (s *Store) FindDevice(ctx context.Context, userID string, hash []byte) (*userdb.Device, error) {
	rows, err := s.lookup(ctx, "SELECT "+deviceColumns+" FROM devices WHERE user_id = ? AND device_hash = ?", userID, hash)
	if err != nil {
		return nil, err
	}
	ds, err := collect(rows, scanDevice)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ds) == 0 {
		return nil, notFound("device")
	}
	return ds[0], nil
}

// DeleteUserDevices forgets the user's devices.
func (s *Store) DeleteUserDevices(ctx context.Context, userID string) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM devices WHERE user_id = ?", userID)
	return int(n), err
}

// FindPasswordsSetBetween lists users whose password was set within [from, to].
func (s *Store) FindPasswordsSetBetween(ctx context.Context, from, to time.Time, limit int) ([]*userdb.User, error) {
	if limit <= 0 {
		return nil, userdb.Errorf(userdb.EINVALID, "limit must be positive")
	}
	rows, err := s.lookup(ctx, "SELECT "+userColumns+` FROM users
		WHERE password_hash <> '' AND COALESCE(password_changed_at, created_at) >= ? AND COALESCE(password_changed_at, created_at) <= ?
		ORDER BY COALESCE(password_changed_at, created_at), id LIMIT ?`, s.d.time(from), s.d.time(to), limit)
	if err != nil {
		return nil, err
	}
	us, err := collect(rows, scanUser)
	if err != nil {
		return nil, s.wrap(err)
	}
	return us, nil
}

// ClaimPasswordWarning inserts the warning's row; the primary key lets one
// insert of concurrent ones through.
func (s *Store) ClaimPasswordWarning(ctx context.Context, userID string, changedAt time.Time, before time.Duration, now time.Time) (bool, error) {
	if err := requireTimes(namedTime{"changedAt", changedAt}, namedTime{"now", now}); err != nil {
		return false, err
	}
	return s.insertOnce(ctx, "INSERT INTO password_warnings (user_id, changed_at, before_s, sent_at) VALUES (?, ?, ?, ?)",
		userID, s.d.time(changedAt), int64(before/time.Second), s.d.time(now))
}
