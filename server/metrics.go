package server

import (
	"database/sql"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the server's Prometheus metrics, on a registry of its own so
// that several servers in one process (tests, libraries) do not collide.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec

	// The children of the vectors, by label values: finding one in a
	// vector hashes its labels on every request, and formats the code.
	mu        sync.RWMutex
	counters  map[routeCode]prometheus.Counter
	latencies map[string]prometheus.Observer
}

type routeCode struct {
	route string
	code  int
}

func newMetrics(pools map[string]*sql.DB, queued, running func() int, computed func() int64) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "userdb_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "userdb_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		counters:  map[routeCode]prometheus.Counter{},
		latencies: map[string]prometheus.Observer{},
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "userdb_hash_queue_length", Help: "Password hash requests waiting for a worker.",
		}, func() float64 { return float64(queued()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "userdb_hash_running", Help: "Password hashes being computed now.",
		}, func() float64 { return float64(running()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "userdb_password_hashes_total", Help: "Password hashes computed (hashes and verifications).",
		}, func() float64 { return float64(computed()) }),
	)
	for name, db := range pools {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	return m
}

// observe records one request. The route is the matched pattern, never the
// raw path, so the label set stays small.
func (m *metrics) observe(r *http.Request, status int, d time.Duration) {
	route := r.Pattern
	if route == "" {
		route = "unmatched"
	}
	key := routeCode{route, status}
	m.mu.RLock()
	c, cok := m.counters[key]
	o, ook := m.latencies[route]
	m.mu.RUnlock()
	if !cok || !ook {
		m.mu.Lock()
		if c, cok = m.counters[key]; !cok {
			c = m.requests.WithLabelValues(route, strconv.Itoa(status))
			m.counters[key] = c
		}
		if o, ook = m.latencies[route]; !ook {
			o = m.latency.WithLabelValues(route)
			m.latencies[route] = o
		}
		m.mu.Unlock()
	}
	c.Inc()
	o.Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}
