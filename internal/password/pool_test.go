package password

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var testParams = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestPoolBoundsConcurrency(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			t.Parallel()
			h := NewHasher(testParams, workers, 0)
			var now, peak atomic.Int64
			var wg sync.WaitGroup
			for range 100 {
				wg.Go(func() {
					err := h.run(t.Context(), func() {
						n := now.Add(1)
						for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
						}
						time.Sleep(time.Millisecond)
						now.Add(-1)
					})
					if err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if got := peak.Load(); got != int64(workers) {
				t.Errorf("at most %d jobs ran at once, want exactly %d", got, workers)
			}
		})
	}
}

// blockWorker occupies h's only worker until the returned func is called.
func blockWorker(t *testing.T, h *Hasher) (release func()) {
	t.Helper()
	started, done := make(chan struct{}), make(chan struct{})
	go h.run(context.Background(), func() {
		close(started)
		<-done
	})
	<-started
	return func() { close(done) }
}

// waitFor polls cond until it holds, failing the test after five seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func TestPoolQueueFull(t *testing.T) {
	t.Parallel()
	h := NewHasher(testParams, 1, 2)
	release := blockWorker(t, h)
	queued := make(chan error, 2)
	for range 2 {
		go func() { queued <- h.run(t.Context(), func() {}) }()
	}
	waitFor(t, "two requests wait", func() bool { return h.Queued() == 2 })

	// A timeout, so that a pool which queues instead of refusing fails the
	// test rather than hanging it.
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := h.Hash(ctx, "password"); !userdb.IsCode(err, userdb.ERATELIMITED) {
		t.Errorf("Hash with a full queue: error %v, want %s", err, userdb.ERATELIMITED)
	}
	if _, _, err := h.Verify(ctx, "password", "$2a$04$y9XT9rixZtCbYe3H4U3EJOEOi8trXL4O0K9vd6jnzYU/eiXJo5XaG"); !userdb.IsCode(err, userdb.ERATELIMITED) {
		t.Errorf("Verify with a full queue: error %v, want %s", err, userdb.ERATELIMITED)
	}
	start := time.Now()
	h.DummyVerify(ctx, "password")
	if d := time.Since(start); d > time.Second {
		t.Errorf("DummyVerify with a full queue waited %v instead of returning", d)
	}
	if h.Queued() != 2 || h.Running() != 1 {
		t.Errorf("rejected requests changed the counts: Queued = %d, Running = %d; want 2, 1", h.Queued(), h.Running())
	}

	release()
	for range 2 {
		if err := <-queued; err != nil {
			t.Errorf("queued request: %v", err)
		}
	}
	waitFor(t, "the pool is idle", func() bool { return h.Queued() == 0 && h.Running() == 0 })
}

func TestPoolContextEndsWhileQueued(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		ctx  func(context.Context) (context.Context, context.CancelFunc)
		end  func(context.CancelFunc)
		want error
	}{
		{"cancelled", context.WithCancel, func(cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"deadline", func(ctx context.Context) (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 20*time.Millisecond)
		}, func(context.CancelFunc) {}, context.DeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := NewHasher(testParams, 1, 0)
			release := blockWorker(t, h)
			defer release()
			ctx, cancel := tt.ctx(t.Context())
			defer cancel()
			errc := make(chan error)
			go func() {
				_, err := h.Hash(ctx, "password")
				errc <- err
			}()
			waitFor(t, "the request waits", func() bool { return h.Queued() == 1 })
			tt.end(cancel)
			if err := <-errc; !errors.Is(err, tt.want) {
				t.Errorf("Hash error = %v, want %v", err, tt.want)
			}
			if h.Queued() != 0 || h.Running() != 1 {
				t.Errorf("after the request left: Queued = %d, Running = %d; want 0, 1", h.Queued(), h.Running())
			}
		})
	}
}
