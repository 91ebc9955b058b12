// Package timingtest decides, from timings taken on a machine that other
// work shares, whether two code paths take about as long as each other. The
// tests that prove no user enumeration through timing (server) and that an
// unusable password hash costs a real verification (internal/password) use
// it.
//
// The rule: the two paths are timed in pairs, back to back, alternating
// which goes first, so that whatever else the machine does at that moment
// falls on both. A pair counts as "a slower" when a took more than ratio
// times b, and as "a faster" when b took more than ratio times a. If the
// paths really are within ratio of each other, each pair lands on either
// side with probability at most one half, however noisy the machine is: a
// load that slows one member of a pair is as likely to slow the other. So
// the count of pairs on one side is at most a fair coin's count of heads,
// and the paths are judged to differ only when that count is one a fair
// coin reaches with probability under alpha (a one-sided sign test in each
// direction). Load makes a real difference harder to see, never a false
// one easier; a real difference (a path that skips the hash, a lookup made
// before answering) shows in nearly every pair and is found.
package timingtest

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Pairs are timings of two paths, a[i] and b[i] taken back to back.
type Pairs struct {
	A, B []time.Duration
}

// Compare times a and b n times each, in pairs: a then b in even pairs,
// b then a in odd ones.
func Compare(n int, a, b func() time.Duration) *Pairs {
	p := &Pairs{A: make([]time.Duration, n), B: make([]time.Duration, n)}
	for i := range n {
		if i%2 == 0 {
			p.A[i] = a()
			p.B[i] = b()
		} else {
			p.B[i] = b()
			p.A[i] = a()
		}
	}
	return p
}

// Count returns the pairs in which a took more than ratio times b, and
// those in which b took more than ratio times a.
func (p *Pairs) Count(ratio float64) (slower, faster int) {
	for i := range p.A {
		a, b := float64(p.A[i]), float64(p.B[i])
		switch {
		case a > ratio*b:
			slower++
		case b > ratio*a:
			faster++
		}
	}
	return slower, faster
}

// Differ reports whether the pairs show, by the package's rule, that a and
// b are not within ratio of each other: that more pairs than a fair coin
// would give at significance alpha have a slower, or have a faster.
func (p *Pairs) Differ(ratio, alpha float64) bool {
	slower, faster := p.Count(ratio)
	k := Critical(len(p.A), alpha)
	return slower >= k || faster >= k
}

// String summarises the pairs: medians and counts on each side of ratio.
func (p *Pairs) String(ratio, alpha float64) string {
	slower, faster := p.Count(ratio)
	return fmt.Sprintf("%d pairs: median %v against %v; a over %.2f times b in %d, b over %.2f times a in %d (a fair coin's count under %g: below %d)",
		len(p.A), median(p.A), median(p.B), ratio, slower, ratio, faster, alpha, Critical(len(p.A), alpha))
}

// Critical returns the least count k of heads in n tosses of a fair coin
// with P(heads >= k) <= alpha (n+1 if no count is that unlikely).
func Critical(n int, alpha float64) int {
	for k := 0; k <= n; k++ {
		if Tail(n, k) <= alpha {
			return k
		}
	}
	return n + 1
}

// Tail returns P(heads >= k) in n tosses of a fair coin.
func Tail(n, k int) float64 {
	sum := 0.0
	lc, _ := math.Lgamma(float64(n + 1))
	for i := max(k, 0); i <= n; i++ {
		li, _ := math.Lgamma(float64(i + 1))
		lr, _ := math.Lgamma(float64(n - i + 1))
		sum += math.Exp(lc - li - lr - float64(n)*math.Ln2)
	}
	return min(sum, 1)
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
