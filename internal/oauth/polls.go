package oauth

import (
	"sync"
	"time"
)

// devicePolls remembers when each pending device code last polled, so
// that a device polling faster than the interval is told to slow down
// (RFC 8628 section 3.5). It is per node: a device behind a load balancer
// that spreads its polls is slowed down less, never wrongly.
type devicePolls struct {
	mu   sync.Mutex
	last map[string]time.Time
	ends map[string]time.Time // when each entry can be forgotten
}

// tooSoon records a poll of the device code at now and reports whether it
// came within interval of the previous one.
func (d *devicePolls) tooSoon(code string, now time.Time, interval time.Duration, expires time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last, d.ends = map[string]time.Time{}, map[string]time.Time{}
	}
	for c, end := range d.ends {
		if !end.After(now) {
			delete(d.last, c)
			delete(d.ends, c)
		}
	}
	prev, seen := d.last[code]
	d.last[code], d.ends[code] = now, expires
	// A poll a little early still counts as on time: the device's clock
	// and the network are not exact.
	return seen && now.Sub(prev) < interval*4/5
}
