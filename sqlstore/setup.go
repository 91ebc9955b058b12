package sqlstore

import (
	"context"
	"time"

	"github.com/userdb/userdb"
)

// ClaimSetup takes a one-time set-up step: one INSERT whose primary key
// lets exactly one of concurrent claims through.
func (s *Store) ClaimSetup(ctx context.Context, step string, now time.Time) error {
	if step == "" {
		return userdb.FieldError("step", "a set-up step needs a name")
	}
	_, err := s.exec(ctx, "INSERT INTO setup_steps (step, claimed_at) VALUES (?, ?)", step, s.d.time(now))
	return refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the set-up step %s was taken already", step))
}

// SetupClaimed reports whether the step has been taken.
func (s *Store) SetupClaimed(ctx context.Context, step string) (bool, error) {
	var n int
	if err := s.queryRow(ctx, "SELECT COUNT(*) FROM setup_steps WHERE step = ?", []any{step}, &n); err != nil {
		return false, err
	}
	return n > 0, nil
}
