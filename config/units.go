package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

const day = 24 * time.Hour

// ParseDuration reads a duration written like 90s, 15m, 1h30m or 30d (days).
// A bare integer is a number of seconds, as the original library's options
// were. Negative values parse; Validate rejects them.
func ParseDuration(s string) (time.Duration, error) {
	invalid := fmt.Errorf("invalid duration %q: use seconds or a value like 90s, 15m, 1h30m, 30d", s)
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, invalid
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, invalid
		}
		return time.Duration(n) * time.Second, nil
	}
	neg := strings.HasPrefix(t, "-")
	if neg || strings.HasPrefix(t, "+") {
		t = t[1:]
	}
	var d time.Duration
	if days, rest, ok := strings.Cut(t, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/int64(day) {
			return 0, invalid
		}
		d, t = time.Duration(n)*day, rest
	}
	if t != "" {
		if t[0] == '-' || t[0] == '+' {
			return 0, invalid
		}
		r, err := time.ParseDuration(t)
		if err != nil || r > math.MaxInt64-d {
			return 0, invalid
		}
		d += r
	}
	if neg {
		d = -d
	}
	return d, nil
}

// FormatDuration writes d the way ParseDuration reads it, in whole days where
// it can: 30d, 1d12h, 1h30m, 15m, 0s.
func FormatDuration(d time.Duration) string {
	if d < 0 && d != math.MinInt64 {
		return "-" + FormatDuration(-d)
	}
	days, rest := d/day, d%day
	var s string
	if days > 0 {
		s = strconv.FormatInt(int64(days), 10) + "d"
		if rest == 0 {
			return s
		}
	}
	r := rest.String()
	if strings.HasSuffix(r, "m0s") {
		r = r[:len(r)-2]
	}
	if strings.HasSuffix(r, "h0m") {
		r = r[:len(r)-2]
	}
	return s + r
}

// Sizes in bytes, for fields such as Server.MaxBody and Hashing.Memory.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

// sizeUnits are in the order FormatSize prefers them.
var sizeUnits = []struct {
	name string
	size int64
}{
	{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"B", 1},
}

// ParseSize reads a number of bytes written like 512KiB, 1MiB, 25MB or
// 1048576 (a bare integer is bytes). Unit names are case-insensitive; KiB,
// MiB, GiB and TiB are powers of 1024, kB, MB, GB and TB powers of 1000.
// Negative values parse; Validate rejects them.
func ParseSize(s string) (int64, error) {
	invalid := fmt.Errorf("invalid size %q: use bytes or a value like 512KiB, 1MiB, 25MB", s)
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(t[len(num):])
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil {
		return 0, invalid
	}
	size := int64(1)
	if unit != "" {
		size = 0
		for _, u := range sizeUnits {
			if strings.EqualFold(unit, u.name) {
				size = u.size
				break
			}
		}
	}
	if size == 0 || n > math.MaxInt64/size || n < math.MinInt64/size {
		return 0, invalid
	}
	return n * size, nil
}

// FormatSize writes n bytes in the largest unit that divides it exactly:
// 1MiB, 25MB, 1234.
func FormatSize(n int64) string {
	if n != 0 {
		for _, u := range sizeUnits[:len(sizeUnits)-1] {
			if n%u.size == 0 {
				return strconv.FormatInt(n/u.size, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(n, 10)
}
