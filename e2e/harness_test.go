package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// binary is the userdb command built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "userdb-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "userdb")
	// The README's build flags, so that TestREADMECommands's build of the
	// README's command reuses the packages compiled here and only links.
	build := exec.Command("go", "build", "-trimpath", "-o", binary, "./cmd/userdb")
	build.Dir = ".."
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building userdb:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is a running userdb process.
type server struct {
	t    *testing.T
	url  string
	cmd  *exec.Cmd
	logs *logBuffer
	done chan error
}

// logBuffer holds a process's output; the test reads it while the process
// writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs `userdb serve` in a temp directory with SMTP pointing at
// md and the given USERDB_* settings.
func startServer(t *testing.T, md *mailtest.MailDev, env ...string) *server {
	t.Helper()
	port := freePort(t)
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"USERDB_SERVER_ADDR="+addr,
		"USERDB_DATABASE_DSN=sqlite:"+filepath.Join(dir, "userdb.db"),
		"USERDB_SMTP_HOST="+md.SMTPHost(),
		"USERDB_SMTP_PORT="+strconv.Itoa(md.SMTPPort()),
		"USERDB_SMTP_TLS=none",
		"USERDB_SMTP_FROM=userdb <no-reply@example.com>",
		"USERDB_OUTBOX_POLL_INTERVAL=200ms",
		"USERDB_OUTBOX_BACKOFF=500ms",
		"USERDB_OUTBOX_MAX_BACKOFF=1s",
		"USERDB_LOG_LEVEL=warn",
		"USERDB_SERVER_MANAGEMENT_ADDR=127.0.0.1:0",
	)
	cmd.Env = append(cmd.Env, env...)
	return launch(t, cmd, addr)
}

// launch starts cmd, a `userdb serve` listening on addr, and waits until it
// is ready. The test ends it.
func launch(t *testing.T, cmd *exec.Cmd, addr string) *server {
	t.Helper()
	s := &server{t: t, url: "http://" + addr, cmd: cmd, logs: &logBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = s.logs, s.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(s.stop)
	// Generous: start-up creates and migrates a database, on a machine
	// that other tests share.
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("userdb did not become ready: %v\n%s", err, s.logs)
		}
		select {
		case err := <-s.done:
			t.Fatalf("userdb exited: %v\n%s", err, s.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitLog waits until the server has logged text n times.
func (s *server) waitLog(text string, n int) {
	s.t.Helper()
	for deadline := time.Now().Add(60 * time.Second); strings.Count(s.logs.String(), text) < n; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("userdb did not log %q %d times:\n%s", text, n, s.logs)
		}
	}
}

// stop ends the server with SIGTERM and expects a clean exit.
func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("userdb exited with %v after SIGTERM\n%s", err, s.logs)
		}
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		s.t.Errorf("userdb did not stop within 15s of SIGTERM\n%s", s.logs)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// client is an API client with a cookie jar, like a browser's XHR.
type client struct {
	t  *testing.T
	s  *server
	hc *http.Client
}

func (s *server) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: s.t, s: s, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// call sends a JSON request (body may be nil) and returns status and decoded body.
func (c *client) call(method, path string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	target := path
	if !strings.HasPrefix(path, "http") {
		target = c.s.url + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatalf("%s %s: %d, not JSON: %q", method, path, res.StatusCode, raw)
		}
	}
	return res.StatusCode, m
}

// expect calls and fails the test unless the status is want.
func (c *client) expect(want int, method, path string, body any) map[string]any {
	c.t.Helper()
	got, m := c.call(method, path, body)
	if got != want {
		c.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, want, m)
	}
	return m
}

var linkRE = regexp.MustCompile(`https?://[^\s"<>]+sptoken=[A-Za-z0-9_-]+`)

// waitEmail waits for an email to addr whose subject contains subject and
// returns it and the sptoken link in it ("" when it has none). The server
// is another process, which sends when its outbox sender gets to it: the
// bound is generous, for a loaded machine.
func waitEmail(t *testing.T, md *mailtest.MailDev, to, subject string) (mailtest.ReceivedMessage, string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		msgs, err := md.Messages()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if strings.Contains(m.Subject, subject) && contains(m.To, to) {
				return m, linkRE.FindString(m.Text)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no email %q to %s; have %d messages", subject, to, len(msgs))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// countEmails counts the emails to addr whose subject contains subject.
func countEmails(t *testing.T, md *mailtest.MailDev, to, subject string) int {
	t.Helper()
	msgs, err := md.Messages()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if strings.Contains(m.Subject, subject) && contains(m.To, to) {
			n++
		}
	}
	return n
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// withTimeout is a bounded context for waits.
func withTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startNodeApp runs `node script` in dir with env added to this process's,
// and waits until it prints the line "ready" (30 s at most); the app stops
// when the test ends. what names it in failures; the app's standard error
// is returned for later ones.
func startNodeApp(t *testing.T, what, node, dir, script string, env ...string) *strings.Builder {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	stdout, _ := cmd.StdoutPipe()
	logs := new(strings.Builder)
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); cmd.Wait() })
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
				io.Copy(io.Discard, stdout)
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("%s did not start:\n%s", what, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start within 30s:\n%s", what, logs.String())
	}
	return logs
}
