package timingtest

import (
	"math"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	tests := []struct {
		n, k int
		want float64
	}{
		{1, 0, 1}, {1, 1, 0.5}, {4, 4, 1.0 / 16}, {4, 3, 5.0 / 16},
		{15, 14, 16.0 / 32768}, {31, 25, 942649.0 / (1 << 31)},
	}
	for _, tt := range tests {
		if got := Tail(tt.n, tt.k); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("Tail(%d, %d) = %g, want %g", tt.n, tt.k, got, tt.want)
		}
	}
	for _, tt := range []struct {
		n    int
		want int
	}{{15, 14}, {31, 25}, {5, 6}} {
		if got := Critical(tt.n, 0.001); got != tt.want {
			t.Errorf("Critical(%d, 0.001) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

// TestDiffer: a path twice as slow in most pairs differs at a ratio of 1.1;
// the same times with noise that falls on either member at random do not.
func TestDiffer(t *testing.T) {
	const n = 101
	i := 0
	slow := Compare(n, func() time.Duration { i++; return 200 * time.Microsecond }, func() time.Duration { return 100 * time.Microsecond })
	if !slow.Differ(1.1, 0.001) {
		t.Errorf("a twice as slow: %s", slow.String(1.1, 0.001))
	}
	if s, f := slow.Count(1.1); s != n || f != 0 || i != n {
		t.Errorf("counts %d, %d after %d samples", s, f, i)
	}
	// A load that makes one member of every pair ten times slower, a in
	// half the pairs and b in the other half.
	j := 0
	noisy := Compare(n, func() time.Duration {
		j++
		if j%4 < 2 {
			return time.Millisecond
		}
		return 100 * time.Microsecond
	}, func() time.Duration {
		if j%4 >= 2 {
			return time.Millisecond
		}
		return 100 * time.Microsecond
	})
	if noisy.Differ(1.1, 0.001) {
		t.Errorf("equal paths under symmetric load: %s", noisy.String(1.1, 0.001))
	}
}
