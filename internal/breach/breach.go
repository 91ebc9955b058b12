// Package breach checks passwords against lists of breached passwords: the
// k-anonymity range API of Have I Been Pwned (or a mirror), where only the
// first five hex characters of the password's SHA-1 leave the machine, or an
// offline file made from the published list by Import.
package breach

import (
	"bufio"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Checker says how often a password was seen in breaches (0: never).
type Checker interface {
	Count(ctx context.Context, password string) (int, error)
}

// sha1Hex is the upper-case hex SHA-1 the lists are keyed by. SHA-1 is the
// lists' choice, not a way of storing anything.
func sha1Hex(password string) string {
	sum := sha1.Sum([]byte(password))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// Range asks a range API: GET {BaseURL}/range/{first 5 hex chars} answers
// every suffix with that prefix and its count, padded with zero-count
// suffixes (Add-Padding) so that the answer's size says nothing either.
type Range struct {
	BaseURL  string
	Client   *http.Client // with the configured timeout
	CacheTTL time.Duration
	Now      func() time.Time

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	counts map[string]int // suffix -> count
	at     time.Time
}

// maxCached bounds the ranges kept (each is about 800 suffixes).
const maxCached = 2048

// Count implements Checker.
func (r *Range) Count(ctx context.Context, password string) (int, error) {
	h := sha1Hex(password)
	prefix, suffix := h[:5], h[5:]
	counts, err := r.fetch(ctx, prefix)
	if err != nil {
		return 0, err
	}
	return counts[suffix], nil
}

func (r *Range) fetch(ctx context.Context, prefix string) (map[string]int, error) {
	now := r.Now()
	r.mu.Lock()
	if c, ok := r.cache[prefix]; ok && now.Sub(c.at) < r.CacheTTL {
		r.mu.Unlock()
		return c.counts, nil
	}
	r.mu.Unlock()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(r.BaseURL, "/")+"/range/"+prefix, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Add-Padding", "true")
	req.Header.Set("User-Agent", "userdb")
	res, err := r.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("breach: range API answered %s", res.Status)
	}
	counts, err := parseRange(io.LimitReader(res.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.cache == nil || len(r.cache) >= maxCached {
		r.cache = make(map[string]cached)
	}
	r.cache[prefix] = cached{counts: counts, at: now}
	r.mu.Unlock()
	return counts, nil
}

// parseRange reads "SUFFIX:COUNT" lines; padding lines have count 0.
func parseRange(rd io.Reader) (map[string]int, error) {
	counts := make(map[string]int, 1024)
	sc := bufio.NewScanner(rd)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		suffix, n, ok := strings.Cut(line, ":")
		count, err := strconv.Atoi(n)
		if !ok || err != nil || len(suffix) != 35 {
			return nil, fmt.Errorf("breach: range API answered a line that is not SUFFIX:COUNT")
		}
		if count > 0 {
			counts[strings.ToUpper(suffix)] = count
		}
	}
	return counts, sc.Err()
}
