package sqlstore

import (
	"context"
	"database/sql"
	"time"
)

// sweepBatch is how many rows one transaction of a sweep deletes.
const sweepBatch = 100

// sweep deletes the rows of table that match where, sweepBatch at a time,
// and returns how many it deleted. Each batch's keys are selected FOR
// UPDATE SKIP LOCKED where the database can (PostgreSQL, MySQL 8, MariaDB
// 10.6), so that nodes sweeping at once delete different rows instead of
// waiting on each other's locks, and no transaction holds many locks.
// table, key and where are constants of this package, never input.
//
// On MySQL and MariaDB the batches run at READ COMMITTED (at InnoDB's
// default REPEATABLE READ, the locking read also locks the gaps of the
// index range), and the selected rows are deleted one by one by key:
// MariaDB 10.11 executes "DELETE ... WHERE key IN (100 keys)" by reading
// rows beyond those keys, which waits on the rows another sweep selected,
// and the two deadlock (the conformance suite's concurrent sweep shows it).
func (s *Store) sweep(ctx context.Context, table, key, where string, args ...any) (int, error) {
	var opts *sql.TxOptions
	if s.d.name == MySQL {
		opts = &sql.TxOptions{Isolation: sql.LevelReadCommitted}
	}
	total := 0
	for {
		n := 0
		err := s.inTxWith(ctx, opts, func(tx *Store) error {
			rows, err := tx.writer().QueryContext(ctx, tx.d.rebind("SELECT "+key+" FROM "+table+" WHERE "+where+
				" LIMIT ?"+tx.d.skipLocked), append(args[:len(args):len(args)], sweepBatch)...)
			if err != nil {
				return tx.wrap(err)
			}
			keys, err := collect(rows, func(sc scanner) (any, error) {
				var k any
				err := sc.Scan(&k)
				return k, err
			})
			if err != nil || len(keys) == 0 {
				return tx.wrap(err)
			}
			n = len(keys)
			if tx.d.name == MySQL {
				for _, k := range keys {
					if _, err := tx.exec(ctx, "DELETE FROM "+table+" WHERE "+key+" = ?", k); err != nil {
						return err
					}
				}
				return nil
			}
			_, err = tx.exec(ctx, "DELETE FROM "+table+" WHERE "+key+" IN ("+placeholders(n)+")", keys...)
			return err
		})
		total += n
		if err != nil || n < sweepBatch {
			return total, err
		}
	}
}

// DeleteExpiredTokens deletes the one-time tokens expired at now, used or
// not (a used token is no use either way, and the expiry is indexed), and
// returns how many it deleted. Concurrent callers delete different tokens
// (see sweep).
func (s *Store) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	return s.sweep(ctx, "tokens", "token_hash", "expires_at <= ?", s.d.time(now))
}
