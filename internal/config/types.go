package config

import (
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written like 90s, 15m, 1h30m or 30d (days). A
// bare integer is a number of seconds, as the original library's options were.
type Duration time.Duration

const day = 24 * time.Hour

// ParseDuration parses a Duration. Negative values parse; Validate rejects them.
func ParseDuration(s string) (Duration, error) {
	invalid := fmt.Errorf("invalid duration %q: use seconds or a value like 90s, 15m, 1h30m, 30d", s)
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, invalid
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		if n > math.MaxInt64/int64(time.Second) || n < math.MinInt64/int64(time.Second) {
			return 0, invalid
		}
		return Duration(time.Duration(n) * time.Second), nil
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
	return Duration(d), nil
}

// String formats d the way ParseDuration reads it, in whole days where it can:
// 30d, 1d12h, 1h30m, 15m, 0s.
func (d Duration) String() string {
	if d < 0 && d != math.MinInt64 {
		return "-" + (-d).String()
	}
	days, rest := time.Duration(d)/day, time.Duration(d)%day
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

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseDuration.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ByteSize is a number of bytes written like 512KiB, 1MiB, 25MB or 1048576
// (a bare integer is bytes). Unit names are case-insensitive; KiB, MiB, GiB
// and TiB are powers of 1024, kB, MB, GB and TB powers of 1000.
type ByteSize int64

// Byte sizes.
const (
	KiB ByteSize = 1 << 10
	MiB ByteSize = 1 << 20
	GiB ByteSize = 1 << 30
	TiB ByteSize = 1 << 40
)

// byteUnits are in the order String prefers them.
var byteUnits = []struct {
	name string
	size ByteSize
}{
	{"TiB", TiB}, {"GiB", GiB}, {"MiB", MiB}, {"KiB", KiB},
	{"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}, {"kB", 1e3}, {"B", 1},
}

// ParseByteSize parses a ByteSize. Negative values parse; Validate rejects them.
func ParseByteSize(s string) (ByteSize, error) {
	invalid := fmt.Errorf("invalid size %q: use bytes or a value like 512KiB, 1MiB, 25MB", s)
	t := strings.TrimSpace(s)
	num := strings.TrimRightFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	unit := strings.TrimSpace(t[len(num):])
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil {
		return 0, invalid
	}
	size := ByteSize(1)
	if unit != "" {
		size = 0
		for _, u := range byteUnits {
			if strings.EqualFold(unit, u.name) {
				size = u.size
				break
			}
		}
	}
	if size == 0 || n > int64(math.MaxInt64/size) || n < int64(math.MinInt64/size) {
		return 0, invalid
	}
	return ByteSize(n) * size, nil
}

// String formats b in the largest unit that divides it exactly: 1MiB, 25MB,
// 1234.
func (b ByteSize) String() string {
	if b != 0 {
		for _, u := range byteUnits[:len(byteUnits)-1] {
			if b%u.size == 0 {
				return strconv.FormatInt(int64(b/u.size), 10) + u.name
			}
		}
	}
	return strconv.FormatInt(int64(b), 10)
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler with ParseByteSize.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

const redacted = "[redacted]"

// Secret is a configuration value that is never printed: formatted with fmt,
// logged with slog or marshalled, it reads "[redacted]" when set. Use
// string(s) where the value itself is needed. Every Secret key also accepts
// <key>_file naming a file that holds the value.
type Secret string

// String returns "[redacted]", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString keeps the secret out of %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps the secret out of JSON and YAML output.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// DSN is a database address such as sqlite:userdb.db or
// postgres://user:password@host/db. Formatted, logged or marshalled, its
// password is masked (or the whole DSN, if it is not a URL). Like a Secret,
// it also accepts dsn_file.
type DSN string

// String returns the DSN with its password masked.
func (d DSN) String() string {
	u, err := url.Parse(string(d))
	if err != nil {
		return redacted
	}
	q := u.Query()
	if !q.Has("password") {
		return u.Redacted()
	}
	q.Set("password", "xxxxx")
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// GoString keeps the password out of %#v.
func (d DSN) GoString() string { return strconv.Quote(d.String()) }

// LogValue implements slog.LogValuer.
func (d DSN) LogValue() slog.Value { return slog.StringValue(d.String()) }

// MarshalText keeps the password out of JSON and YAML output.
func (d DSN) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
