package server_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/userdb/userdb/server"
)

// TestDrainOnShutdown: when ListenAndServe's context ends (SIGTERM), the
// node first fails /readyz while still answering requests, for
// server.shutdown_grace, and only then closes its listener.
func TestDrainOnShutdown(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(t.TempDir(), "userdb.db"))
	fastHashing(cfg)
	cfg.Server.ShutdownGrace = 3 * time.Second
	cfg.Server.ManagementAddr = "127.0.0.1:0"
	srv, err := server.Open(context.Background(), cfg, server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(ctx, ln) }()

	readyz := func() (int, string) {
		res, err := (&http.Client{Timeout: 5 * time.Second}).Get(base + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer res.Body.Close()
		var body struct{ Status string }
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body.Status
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if s, _ := readyz(); s == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("never ready")
		}
		time.Sleep(10 * time.Millisecond)
	}

	cancel()
	var status int
	var word string
	for deadline := time.Now().Add(10 * time.Second); ; {
		if status, word = readyz(); status == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz never failed after shutdown began: %d %s", status, word)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if word != "draining" {
		t.Errorf("/readyz while draining says %q", word)
	}
	// Still serving while draining: the load balancer has not noticed yet.
	res, err := http.Get(base + "/healthz")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("/healthz while draining: %v %v", res, err)
	}
	res.Body.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ListenAndServe did not return")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("the listener still answers after ListenAndServe returned")
	}
}
