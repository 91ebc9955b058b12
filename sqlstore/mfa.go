package sqlstore

import (
	"context"
	"strings"
	"time"

	"github.com/userdb/userdb"
)

const factorColumns = `id, user_id, kind, name, secret, data, key_hash, counter, confirmed_at, created_at, last_used_at`

func scanFactor(sc scanner) (*userdb.Factor, error) {
	var f userdb.Factor
	var kind string
	if err := sc.Scan(&f.ID, &f.UserID, &kind, &f.Name, &f.Secret, &f.Data, &f.KeyHash, &f.Counter,
		nullTimeDest{&f.ConfirmedAt}, timeDest{&f.CreatedAt}, nullTimeDest{&f.LastUsedAt}); err != nil {
		return nil, err
	}
	f.Kind = userdb.FactorKind(kind)
	return &f, nil
}

// CreateFactor stores f, its times kept in UTC to the microsecond.
func (s *Store) CreateFactor(ctx context.Context, f *userdb.Factor) error {
	if err := requireTimes(namedTime{"createdAt", f.CreatedAt}); err != nil {
		return err
	}
	if f.Kind == "" {
		return userdb.FieldError("kind", "a factor needs a kind")
	}
	_, err := s.exec(ctx, "INSERT INTO factors ("+factorColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		f.ID, f.UserID, string(f.Kind), f.Name, nullBytes(f.Secret), f.Data, nullBytes(f.KeyHash), f.Counter,
		s.d.nullTime(f.ConfirmedAt), s.d.time(f.CreatedAt), s.d.nullTime(f.LastUsedAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the factor exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	f.CreatedAt = storedTime(f.CreatedAt)
	return nil
}

func (s *Store) findFactors(ctx context.Context, cond string, args ...any) ([]*userdb.Factor, error) {
	rows, err := s.lookup(ctx, "SELECT "+factorColumns+" FROM factors WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, scanFactor)
	if err != nil {
		return nil, s.wrap(err)
	}
	return list, nil
}

func (s *Store) findFactor(ctx context.Context, cond string, arg any) (*userdb.Factor, error) {
	list, err := s.findFactors(ctx, cond, arg)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, notFound("factor")
	}
	return list[0], nil
}

// FindFactor returns the factor with the id, or ENOTFOUND.
func (s *Store) FindFactor(ctx context.Context, id string) (*userdb.Factor, error) {
	return s.findFactor(ctx, "id = ?", id)
}

// FindFactorByKey returns the factor with the key hash, or ENOTFOUND.
func (s *Store) FindFactorByKey(ctx context.Context, hash []byte) (*userdb.Factor, error) {
	if len(hash) == 0 {
		return nil, notFound("factor")
	}
	return s.findFactor(ctx, "key_hash = ?", hash)
}

// FindUserFactors lists the user's factors, oldest first.
func (s *Store) FindUserFactors(ctx context.Context, userID string) ([]*userdb.Factor, error) {
	return s.findFactors(ctx, "user_id = ? ORDER BY created_at, id", userID)
}

// ConfirmFactor confirms an unconfirmed factor: one UPDATE.
func (s *Store) ConfirmFactor(ctx context.Context, id string, counter int64, now time.Time) error {
	n, err := s.execCount(ctx, "UPDATE factors SET confirmed_at = ?, counter = ?, last_used_at = ? WHERE id = ? AND confirmed_at IS NULL",
		s.d.time(now), counter, s.d.time(now), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("unconfirmed factor")
	}
	return nil
}

// UseFactor moves a confirmed factor's counter forward in one UPDATE whose
// condition is that it grows: two uses of one TOTP step cannot both pass.
// A counter that stays 0 (synced passkeys) only records the time.
func (s *Store) UseFactor(ctx context.Context, id string, counter int64, now time.Time) error {
	n, err := s.execCount(ctx, "UPDATE factors SET counter = ?, last_used_at = ? WHERE id = ? AND confirmed_at IS NOT NULL AND (counter < ? OR (? = 0 AND counter = 0))",
		counter, s.d.time(now), id, counter, counter)
	if err != nil || n > 0 {
		return err
	}
	f, err := s.FindFactor(ctx, id)
	if err != nil {
		return err
	}
	if f.ConfirmedAt == nil {
		return notFound("confirmed factor")
	}
	return userdb.Errorf(userdb.ECONFLICT, "the factor was used with this counter already")
}

// RenameFactor changes a factor's name.
func (s *Store) RenameFactor(ctx context.Context, id, name string) error {
	return s.execOne(ctx, "factor", "UPDATE factors SET name = ? WHERE id = ?", name, id)
}

// DeleteFactor removes a factor.
func (s *Store) DeleteFactor(ctx context.Context, id string) error {
	return s.execOne(ctx, "factor", "DELETE FROM factors WHERE id = ?", id)
}

// DeleteUserFactors removes every factor of the user.
func (s *Store) DeleteUserFactors(ctx context.Context, userID string) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM factors WHERE user_id = ?", userID)
	return int(n), err
}

// execOne runs a statement that must change one row (ENOTFOUND naming what
// otherwise). MySQL counts rows changed, not found: a rename to the same
// name is looked up before it is called not found.
func (s *Store) execOne(ctx context.Context, what, q string, args ...any) error {
	n, err := s.execCount(ctx, q, args...)
	if err != nil || n > 0 {
		return err
	}
	if strings.HasPrefix(q, "UPDATE factors") {
		if _, err := s.FindFactor(ctx, args[len(args)-1].(string)); err == nil {
			return nil
		}
	}
	return notFound(what)
}

// ReplaceRecoveryCodes replaces the user's codes, in one transaction.
func (s *Store) ReplaceRecoveryCodes(ctx context.Context, userID string, hashes [][]byte, now time.Time) error {
	return s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, "DELETE FROM recovery_codes WHERE user_id = ?", userID); err != nil {
			return err
		}
		for _, h := range hashes {
			if _, err := tx.exec(ctx, "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES (?, ?, ?)", userID, h, tx.d.time(now)); err != nil {
				return refine(err, userdb.ENOTFOUND, notFound("user"))
			}
		}
		return nil
	})
}

// UseRecoveryCode uses a code up in one UPDATE.
func (s *Store) UseRecoveryCode(ctx context.Context, userID string, hash []byte, now time.Time) error {
	n, err := s.execCount(ctx, "UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL",
		s.d.time(now), userID, hash)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("recovery code")
	}
	return nil
}

// CountRecoveryCodes counts the user's unused codes.
func (s *Store) CountRecoveryCodes(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL", []any{userID}, &n)
	return n, err
}

// CreateMFADevice stores a remembered device.
func (s *Store) CreateMFADevice(ctx context.Context, d *userdb.MFADevice) error {
	if err := requireTimes(namedTime{"createdAt", d.CreatedAt}, namedTime{"expiresAt", d.ExpiresAt}); err != nil {
		return err
	}
	_, err := s.exec(ctx, "INSERT INTO mfa_devices (token_hash, user_id, created_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?)",
		d.TokenHash, d.UserID, s.d.time(d.CreatedAt), s.d.time(d.ExpiresAt), d.IP, truncateUA(d.UserAgent))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the device exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	return nil
}

func truncateUA(ua string) string {
	if len(ua) > 512 {
		return ua[:512]
	}
	return ua
}

// FindMFADevice returns the user's unexpired remembered device.
func (s *Store) FindMFADevice(ctx context.Context, userID string, hash []byte, now time.Time) (*userdb.MFADevice, error) {
	rows, err := s.lookup(ctx, "SELECT token_hash, user_id, created_at, expires_at, ip, user_agent FROM mfa_devices WHERE token_hash = ? AND user_id = ? AND expires_at > ?",
		hash, userID, s.d.time(now))
	if err != nil {
		return nil, err
	}
	list, err := collect(rows, func(sc scanner) (*userdb.MFADevice, error) {
		var d userdb.MFADevice
		err := sc.Scan(&d.TokenHash, &d.UserID, timeDest{&d.CreatedAt}, timeDest{&d.ExpiresAt}, &d.IP, &d.UserAgent)
		return &d, err
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(list) == 0 {
		return nil, notFound("device")
	}
	return list[0], nil
}

// DeleteUserMFADevices forgets the user's remembered devices.
func (s *Store) DeleteUserMFADevices(ctx context.Context, userID string) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM mfa_devices WHERE user_id = ?", userID)
	return int(n), err
}

// DeleteExpiredMFADevices removes remembered devices expired before now.
func (s *Store) DeleteExpiredMFADevices(ctx context.Context, now time.Time) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM mfa_devices WHERE expires_at < ?", s.d.time(now))
	return int(n), err
}

// SetMFAPolicy sets or removes the policy of an account or role.
func (s *Store) SetMFAPolicy(ctx context.Context, subjectID string, p userdb.MFAPolicy, now time.Time) error {
	if p != "" && !p.Valid() {
		return userdb.FieldError("policy", "policy must be off, optional or required")
	}
	return s.inTx(ctx, func(tx *Store) error {
		if _, err := tx.exec(ctx, "DELETE FROM mfa_policies WHERE subject_id = ?", subjectID); err != nil || p == "" {
			return err
		}
		_, err := tx.exec(ctx, "INSERT INTO mfa_policies (subject_id, policy, updated_at) VALUES (?, ?, ?)", subjectID, string(p), tx.d.time(now))
		return err
	})
}

// FindMFAPolicies returns the policies set on the ids.
func (s *Store) FindMFAPolicies(ctx context.Context, subjectIDs []string) (map[string]userdb.MFAPolicy, error) {
	out := map[string]userdb.MFAPolicy{}
	if len(subjectIDs) == 0 {
		return out, nil
	}
	q := "SELECT subject_id, policy FROM mfa_policies WHERE subject_id IN (?" + strings.Repeat(", ?", len(subjectIDs)-1) + ")"
	args := make([]any, len(subjectIDs))
	for i, id := range subjectIDs {
		args[i] = id
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	type pair struct{ id, p string }
	list, err := collect(rows, func(sc scanner) (pair, error) {
		var x pair
		err := sc.Scan(&x.id, &x.p)
		return x, err
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	for _, x := range list {
		out[x.id] = userdb.MFAPolicy(x.p)
	}
	return out, nil
}

// StartMFAGrace records the start of the user's grace period once.
//
// It reads first and writes only when there is no row: the pages and the
// console ask at every view of an administrator in its grace, and only the
// first ask may start it. Two first asks at once both insert; one insert
// is ignored and both read the one start.
func (s *Store) StartMFAGrace(ctx context.Context, userID string, now time.Time) (time.Time, error) {
	var t time.Time
	read := func() error {
		return s.queryRow(ctx, "SELECT started_at FROM mfa_grace WHERE user_id = ?", []any{userID}, timeDest{&t})
	}
	if err := read(); !userdb.IsCode(err, userdb.ENOTFOUND) {
		return t, err
	}
	if _, err := s.insertOnce(ctx, "INSERT INTO mfa_grace (user_id, started_at) VALUES (?, ?)", userID, s.d.time(now)); err != nil {
		return time.Time{}, err
	}
	return t, read()
}

// EndMFAGrace forgets the user's grace period.
func (s *Store) EndMFAGrace(ctx context.Context, userID string) error {
	_, err := s.exec(ctx, "DELETE FROM mfa_grace WHERE user_id = ?", userID)
	return err
}
