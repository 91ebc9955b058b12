package server_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userdb/userdb/server"
)

func TestHealthReadyMetrics(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := c.do("GET", p, nil); r.status != 200 || r.json(t)["status"] != "ok" {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	c.do("GET", "/me", nil)
	// Operators' data is not for everyone: on the public listener only
	// with the management token.
	if r := c.do("GET", "/metrics", nil); r.status != 404 {
		t.Fatalf("/metrics on the public listener without a token: %d", r.status)
	}
	mgmt := httptest.NewServer(e.srv.ManagementHandler())
	defer mgmt.Close()
	res, err := http.Get(mgmt.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("/metrics on the management handler: %d", res.StatusCode)
	}
	r := response{status: res.StatusCode, body: body, header: res.Header}
	for _, want := range []string{
		`userdb_http_requests_total{code="401",route="GET /me"} 1`,
		`userdb_http_request_duration_seconds_bucket{route="GET /me"`,
		"userdb_hash_queue_length 0",
		`go_sql_max_open_connections{db_name="userdb"} 1`, // SQLite's single writer
		`go_sql_max_open_connections{db_name="userdb_read"}`,
	} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	r = c.do("GET", "/healthz", nil)
	if id := r.header.Get("X-Request-Id"); len(id) < 8 {
		t.Errorf("X-Request-Id = %q", id)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q", h, got)
		}
	}
}

// TestMetricsToken serves /metrics on the public listener to the bearer of
// server.management_token, and to nobody else.
func TestMetricsToken(t *testing.T) {
	e := newEnv(t, func(cfg *server.Config) { cfg.Server.ManagementToken = "s3cret-token-of-the-operators" })
	for _, c := range []struct {
		auth string
		want int
	}{
		{"", 404}, {"Bearer wrong", 404}, {"Basic s3cret-token-of-the-operators", 404},
		{"Bearer s3cret-token-of-the-operators", 200}, {"bearer  s3cret-token-of-the-operators", 200},
	} {
		req, _ := http.NewRequest("GET", e.http.URL+"/metrics", nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.want || (c.want == 200 && !strings.Contains(string(body), "userdb_http_requests_total")) {
			t.Errorf("Authorization %q: %d, want %d", c.auth, res.StatusCode, c.want)
		}
	}
}

// TestNotReadyUntilMigrated opens a server on an empty database with
// migrations at start-up switched off: it is alive but not ready, and says
// why, until the database is migrated.
func TestNotReadyUntilMigrated(t *testing.T) {
	e := newEnv(t, func(cfg *server.Config) { cfg.Database.MigrateOnStart = false })
	c := e.client()
	if r := c.do("GET", "/healthz", nil); r.status != 200 {
		t.Fatalf("/healthz: %d %s", r.status, r.body)
	}
	r := c.do("GET", "/readyz", nil)
	if r.status != 503 || !strings.Contains(string(r.body), "migrations are pending") {
		t.Fatalf("/readyz before migrating: %d %s", r.status, r.body)
	}
}
