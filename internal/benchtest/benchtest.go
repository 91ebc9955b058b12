// Package benchtest measures benchmarks that compare a cost with a baseline
// in the same run (tests only): functions taken in turn, CPU time per
// operation beside wall-clock throughput.
package benchtest

import (
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// Measured is one function's share of Alternate.
type Measured struct {
	Rate float64       // operations per second of wall-clock time
	CPU  time.Duration // the process's CPU time per operation
}

// Alternate runs each function b.N times on GOMAXPROCS goroutines, in ten
// rounds that take the functions in turn, and measures each. On a machine
// shared with other work, CPU time per operation is steadier than
// wall-clock throughput, and alternating spreads the disturbance over all
// the functions instead of loading whichever ran while it was worst.
func Alternate(b *testing.B, fs ...func()) []Measured {
	return AlternateSettled(b, nil, fs...)
}

// AlternateSettled is Alternate for operations that leave work behind
// (an answer given before the work it promises): settle, unless nil, runs
// after each function's share of a round, inside its measurement, and
// returns once that work is done.
func AlternateSettled(b *testing.B, settle func(), fs ...func()) []Measured {
	wall := make([]time.Duration, len(fs))
	cpu := make([]time.Duration, len(fs))
	rounds := min(10, b.N)
	for r := range rounds {
		n := b.N / rounds
		if r < b.N%rounds {
			n++
		}
		for i, f := range fs {
			c0, t0 := CPUTime(), time.Now()
			var left atomic.Int64
			left.Store(int64(n))
			var wg sync.WaitGroup
			for range runtime.GOMAXPROCS(0) {
				wg.Go(func() {
					for left.Add(-1) >= 0 {
						f()
					}
				})
			}
			wg.Wait()
			if settle != nil {
				settle()
			}
			wall[i] += time.Since(t0)
			cpu[i] += CPUTime() - c0
		}
	}
	out := make([]Measured, len(fs))
	for i := range fs {
		out[i] = Measured{Rate: float64(b.N) / wall[i].Seconds(), CPU: cpu[i] / time.Duration(b.N)}
	}
	return out
}

// CPUTime is the CPU time the process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// StatusWriter is a ResponseWriter that keeps the status only.
type StatusWriter struct {
	Code int
	h    http.Header
}

func (w *StatusWriter) Header() http.Header {
	if w.h == nil {
		w.h = http.Header{}
	}
	return w.h
}
func (w *StatusWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *StatusWriter) WriteHeader(code int)        { w.Code = code }
