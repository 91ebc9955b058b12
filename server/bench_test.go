package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/bulk"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// BenchmarkMe measures GET /me with valid session cookies over loopback HTTP
// and, in the same run, a trivial net/http handler that returns JSON of the
// same size; it reports /me's throughput as a ratio of the trivial one's
// (the target: at least 0.5).
func BenchmarkMe(b *testing.B) {
	e := newEnvB(b)
	const sessions = 64
	cookies := make([]string, sessions)
	for i := range cookies {
		email := fmt.Sprintf("user%d@example.com", i)
		if _, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), service.NewUser{Email: email, Password: "correct horse battery", Verified: true}); err != nil {
			b.Fatal(err)
		}
		l, err := inside.Service(e.srv).Login(context.Background(), email, "correct horse battery")
		if err != nil {
			b.Fatal(err)
		}
		cookies[i] = "userdb=" + l.Secret
	}
	// The same body as /me, from a handler that does nothing else.
	body := get(b, e.http.URL+"/me", cookies[0])
	trivial := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	defer trivial.Close()

	run := func(url string) time.Duration {
		var next atomic.Int64
		b.SetParallelism(32) // 64 concurrent clients on 2 cores
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			cookie := cookies[int(next.Add(1))%sessions]
			for pb.Next() {
				get(b, url, cookie)
			}
		})
		return time.Since(start)
	}
	b.ResetTimer()
	tMe := run(e.http.URL + "/me")
	tTrivial := run(trivial.URL + "/")
	b.StopTimer()
	b.ReportMetric(float64(b.N)/tMe.Seconds(), "me-req/s")
	b.ReportMetric(float64(b.N)/tTrivial.Seconds(), "trivial-req/s")
	b.ReportMetric(tTrivial.Seconds()/tMe.Seconds(), "ratio")
}

var benchClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}

func get(b *testing.B, url, cookie string) []byte {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Accept", "application/json")
	res, err := benchClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 {
		b.Fatalf("GET %s: %d %s", url, res.StatusCode, data)
	}
	return data
}

// BenchmarkAuthenticate measures the session lookup behind every
// authenticated request, over 1,000 sessions on SQLite: served from the
// session cache (the steady state), and with the cache off (sessions.cache_ttl
// 0), which is the database round trips a cache miss costs.
func BenchmarkAuthenticate(b *testing.B) {
	for _, c := range []struct {
		name string
		ttl  time.Duration
	}{{"cache-hit", time.Minute}, {"cache-off", 0}} {
		b.Run(c.name, func(b *testing.B) {
			e := newEnvB(b, func(cfg *server.Config) { cfg.Sessions.CacheTTL = c.ttl })
			svc := inside.Service(e.srv)
			secrets := make([]string, 1000)
			for i := range secrets {
				email := fmt.Sprintf("auth%d@example.com", i)
				if _, err := svc.AdminCreateUser(ctxCLI(), service.NewUser{Email: email, Password: "correct horse battery", Verified: true}); err != nil {
					b.Fatal(err)
				}
				l, err := svc.Login(context.Background(), email, "correct horse battery")
				if err != nil {
					b.Fatal(err)
				}
				secrets[i] = l.Secret
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, _, err := svc.Authenticate(ctx, secrets[i%len(secrets)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkImportCSV imports a 10,000-row CSV (no passwords, invitations
// off) through the service, as `userdb import` does, on a fresh SQLite
// database per iteration. It reports rows/s; the 100,000-row figure with
// the binary's peak memory is measured as docs/performance.md shows.
func BenchmarkImportCSV(b *testing.B) {
	const rows = 10_000
	var csv strings.Builder
	csv.WriteString("First Name,Last Name,Email,Role,Password\n")
	for i := range rows {
		fmt.Fprintf(&csv, "Given%d,Surname%d,user%d@example.com,,\n", i, i%997, i)
	}
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		e := newEnvB(b)
		ctx := service.WithActor(ctxCLI(), service.SystemActor())
		b.StartTimer()
		start := time.Now()
		rep, err := bulk.Import(ctx, inside.Service(e.srv), strings.NewReader(csv.String()), bulk.CSV, service.ImportOptions{})
		elapsed += time.Since(start)
		if err != nil || rep.Created != rows {
			b.Fatalf("import: %v %+v", err, rep)
		}
	}
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
}
