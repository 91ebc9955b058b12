package oauth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/userdb/userdb"
)

// eventLog writes the provider's events in batches: one transaction for
// many tokens, so that issuing a token costs no write of its own. Events
// still waiting when the process dies are lost; every other record of a
// grant (refresh tokens, codes, revocations) is written at once.
type eventLog struct {
	store userdb.Store
	log   *slog.Logger

	mu      sync.Mutex
	pending []*userdb.Event
	wake    chan struct{}
}

// maxPending bounds the events waiting; past it, add writes the batch
// itself, so a flood slows down rather than growing memory.
const maxPending = 10_000

func newEventLog(st userdb.Store, log *slog.Logger) *eventLog {
	return &eventLog{store: st, log: log, wake: make(chan struct{}, 1)}
}

func (l *eventLog) add(e *userdb.Event) {
	l.mu.Lock()
	l.pending = append(l.pending, e)
	full := len(l.pending) >= maxPending
	l.mu.Unlock()
	if full {
		l.flush(context.Background())
		return
	}
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// run writes batches until ctx ends, at most every 200 ms.
func (l *eventLog) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			l.flush(context.WithoutCancel(ctx))
			return
		case <-l.wake:
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
		l.flush(context.WithoutCancel(ctx))
	}
}

// flush writes the events waiting, in one transaction.
func (l *eventLog) flush(ctx context.Context) {
	l.mu.Lock()
	batch := l.pending
	l.pending = nil
	l.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	err := l.store.Tx(ctx, func(tx userdb.Store) error {
		for _, e := range batch {
			if err := tx.CreateEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		l.log.Error("oauth: writing events", "err", err, "count", len(batch))
	}
}
