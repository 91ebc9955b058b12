package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// client is the load generator's HTTP client: an http.Transport used
// directly, without http.Client's redirects and per-request timers. Each
// scenario bounds its requests with its context instead.
type client struct{ tr *http.Transport }

// newClient returns a client that keeps HTTP/1.1 connections to loopback
// alive, at least conns of them idle per host, so that no request of a
// closed loop pays for a new connection.
func newClient(conns int) *client {
	return &client{tr: &http.Transport{
		Proxy:               nil, // loopback only, whatever HTTP_PROXY says
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        0, // no overall limit
		MaxIdleConnsPerHost: conns + 16,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}}
}

// send makes one request, reads the whole answer and returns its status.
func (c *client) send(req *http.Request) (int, error) {
	res, err := c.tr.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}

// do makes one request and returns the response, whose body the caller
// must close.
func (c *client) do(req *http.Request) (*http.Response, error) { return c.tr.RoundTrip(req) }

// close closes the idle connections.
func (c *client) close() { c.tr.CloseIdleConnections() }

// call is one request of a load run, made by worker w as its n-th request
// (n counts from 0 per worker). It returns the HTTP status (0 when there
// was none) and a transport error, if any.
type call func(ctx context.Context, w, n int) (status int, err error)

// sample is what one load run measured.
type sample struct {
	elapsed   time.Duration
	latencies []time.Duration // sorted
	statuses  map[int]int64   // status 0: the request failed without an answer
	errors    int64           // transport errors and statuses other than the expected one
	messages  []string        // a few distinct error messages
	// cpuTicks is the CPU time the harness and the server spent, in
	// USER_HZ ticks; -1 if unknown.
	cpuTicks int64
	// serverTicks is the part of cpuTicks the server spent when it runs in
	// a process of its own; -1 otherwise.
	serverTicks int64
}

// cpu records the CPU time spent between two snapshots; separate says the
// last process snapshotted is the server's own.
func (s *sample) cpu(a, b cpuSnapshot, separate bool) {
	s.cpuTicks, s.serverTicks = -1, -1
	if a.ok && b.ok {
		s.cpuTicks = int64(b.procs - a.procs)
		if separate {
			s.serverTicks = int64(b.last - a.last)
		}
	}
}

// perRequest returns ticks of CPU time per request, or 0 if unknown.
func (s *sample) perRequest(ticks int64) time.Duration {
	if ticks < 0 || len(s.latencies) == 0 {
		return 0
	}
	return time.Duration(ticks) * (time.Second / 100) / time.Duration(len(s.latencies))
}

// requests returns the number of requests made.
func (s *sample) requests() int64 { return int64(len(s.latencies)) }

// rate returns the requests completed per second.
func (s *sample) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(len(s.latencies)) / s.elapsed.Seconds()
}

// quantile returns the q-quantile (0 to 1) of the latencies.
func (s *sample) quantile(q float64) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	i := int(q * float64(len(s.latencies)-1))
	return s.latencies[i]
}

// worker is one client's share of a sample, merged at the end.
type worker struct {
	latencies []time.Duration
	statuses  map[int]int64
	errors    int64
	messages  []string
}

func (w *worker) record(d time.Duration, status, expect int, err error) {
	w.latencies = append(w.latencies, d)
	w.statuses[status]++
	if err == nil && status == expect {
		return
	}
	w.errors++
	if len(w.messages) < 3 {
		msg := fmt.Sprintf("status %d", status)
		if err != nil {
			msg = err.Error()
		}
		w.messages = append(w.messages, msg)
	}
}

// closedLoop runs conc clients, each calling fn again as soon as its last
// call answered, until d has passed, max calls were started or ctx ended —
// whichever comes first. Calls answering anything but expect count as
// errors. The elapsed time runs until the last call answered.
func closedLoop(ctx context.Context, conc int, d time.Duration, max int64, expect int, fn call) *sample {
	ws := make([]worker, conc)
	var started atomic.Int64
	var wg sync.WaitGroup
	begin := time.Now()
	deadline := begin.Add(d)
	for i := range ws {
		w := &ws[i]
		w.statuses = map[int]int64{}
		w.latencies = make([]time.Duration, 0, 1024)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				if ctx.Err() != nil || started.Add(1) > max {
					return
				}
				t0 := time.Now()
				if !t0.Before(deadline) {
					return
				}
				status, err := fn(ctx, i, n)
				w.record(time.Since(t0), status, expect, err)
			}
		}()
	}
	wg.Wait()
	return merge(ws, time.Since(begin))
}

// burst starts n calls at the same moment, each on a client of its own, and
// waits for all of them to answer.
func burst(ctx context.Context, n, expect int, fn call) *sample {
	ws := make([]worker, n)
	release := make(chan struct{})
	var ready, wg sync.WaitGroup
	for i := range ws {
		w := &ws[i]
		w.statuses = map[int]int64{}
		ready.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			ready.Done()
			<-release
			t0 := time.Now()
			status, err := fn(ctx, i, 0)
			w.record(time.Since(t0), status, expect, err)
		}()
	}
	ready.Wait()
	begin := time.Now()
	close(release)
	wg.Wait()
	return merge(ws, time.Since(begin))
}

func merge(ws []worker, elapsed time.Duration) *sample {
	s := &sample{elapsed: elapsed, statuses: map[int]int64{}}
	total := 0
	for i := range ws {
		total += len(ws[i].latencies)
	}
	s.latencies = make([]time.Duration, 0, total)
	for i := range ws {
		w := &ws[i]
		s.latencies = append(s.latencies, w.latencies...)
		for k, v := range w.statuses {
			s.statuses[k] += v
		}
		s.errors += w.errors
		for _, m := range w.messages {
			if len(s.messages) < 5 && !slices.Contains(s.messages, m) {
				s.messages = append(s.messages, m)
			}
		}
	}
	slices.Sort(s.latencies)
	return s
}
