package password

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/userdb/userdb"
)

var testParams = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// The pool tests run in synctest bubbles: synctest.Wait returns once every
// request is running or waiting for a slot, so the counts are read when
// nothing moves, and time passes only when every goroutine waits.

// TestPoolBoundsConcurrency starts 100 jobs that hold their slot until
// released: exactly workers of them run, the rest wait.
func TestPoolBoundsConcurrency(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 2, 5} {
		t.Run(fmt.Sprintf("%d workers", workers), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				h := NewHasher(testParams, workers, 0)
				release := make(chan struct{})
				var inside atomic.Int64
				var wg sync.WaitGroup
				for range 100 {
					wg.Go(func() {
						err := h.run(context.Background(), func() {
							inside.Add(1)
							<-release
							inside.Add(-1)
						})
						if err != nil {
							t.Error(err)
						}
					})
				}
				synctest.Wait()
				if n := inside.Load(); n != int64(workers) || h.Running() != workers || h.Queued() != 100-workers {
					t.Errorf("%d jobs ran at once (Running %d, Queued %d); want exactly %d, and %d waiting",
						n, h.Running(), h.Queued(), workers, 100-workers)
				}
				close(release)
				wg.Wait()
			})
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

func TestPoolQueueFull(t *testing.T) {
	t.Parallel()
	synctest.Test(t, testPoolQueueFull)
}

func testPoolQueueFull(t *testing.T) {
	h := NewHasher(testParams, 1, 2)
	release := blockWorker(t, h)
	queued := make(chan error, 2)
	for range 2 {
		go func() { queued <- h.run(t.Context(), func() {}) }()
	}
	synctest.Wait()
	if h.Queued() != 2 {
		t.Fatalf("%d requests wait; want 2", h.Queued())
	}

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
	// The bubble's clock moves only when every goroutine waits: a
	// DummyVerify that waited for a slot would return when ctx expires.
	start := time.Now()
	h.DummyVerify(ctx, "password")
	if d := time.Since(start); d != 0 {
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
	synctest.Wait()
	if h.Queued() != 0 || h.Running() != 0 {
		t.Errorf("after the requests: Queued = %d, Running = %d; want 0, 0", h.Queued(), h.Running())
	}
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
			synctest.Test(t, func(t *testing.T) {
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
				synctest.Wait()
				if h.Queued() != 1 {
					t.Fatalf("%d requests wait; want 1", h.Queued())
				}
				tt.end(cancel)
				if err := <-errc; !errors.Is(err, tt.want) {
					t.Errorf("Hash error = %v, want %v", err, tt.want)
				}
				if h.Queued() != 0 || h.Running() != 1 {
					t.Errorf("after the request left: Queued = %d, Running = %d; want 0, 1", h.Queued(), h.Running())
				}
			})
		})
	}
}
