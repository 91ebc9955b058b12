package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
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

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", to create the cluster's database
)

// tool returns the path of a program the cluster tests need: the
// environment variable's value, else the first of paths found. Without it
// the test is skipped, or fails when USERDB_TEST_E2E is 1.
func tool(t *testing.T, env, install string, paths ...string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		paths = []string{p}
	}
	for _, p := range paths {
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
	}
	msg := fmt.Sprintf("%s not found (or set %s): %s", paths[0], env, install)
	if os.Getenv("USERDB_TEST_E2E") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// clusterDatabase creates a PostgreSQL database of the test's own on the
// server of USERDB_TEST_POSTGRES_DSN and drops it afterwards. It returns
// the new database's DSN and a handle on it.
func clusterDatabase(t *testing.T) (string, *sql.DB) {
	t.Helper()
	base := os.Getenv("USERDB_TEST_POSTGRES_DSN")
	if base == "" {
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal("USERDB_TEST_POSTGRES_DSN is not set: the cluster test runs on PostgreSQL")
		}
		t.Skip("USERDB_TEST_POSTGRES_DSN is not set: the cluster test runs on PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	var b [6]byte
	rand.Read(b[:])
	name := "userdb_cluster_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating the cluster's database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	dsn := u.String()
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("dropping %s: %v", name, err)
		}
	})
	return dsn, db
}

// instanceKey returns a random 32-byte key in base64, as the instance keys
// of a PostgreSQL deployment are given.
func instanceKey() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// node is one `userdb serve` process of a cluster, on a port it keeps
// across restarts.
type node struct {
	t    *testing.T
	name string
	addr string
	env  []string
	logs *lockedBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

func newNode(t *testing.T, name string, env []string) *node {
	n := &node{t: t, name: name, addr: "127.0.0.1:" + strconv.Itoa(restartablePort(t)), env: env, logs: &lockedBuffer{}}
	t.Cleanup(n.stop)
	return n
}

func (n *node) url() string { return "http://" + n.addr }

// start runs the node and waits until its /readyz answers 200 (and, with
// Redis configured, says Redis is up).
func (n *node) start() {
	n.t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Dir = n.t.TempDir()
	cmd.Env = append(append(os.Environ(), n.env...), "USERDB_SERVER_ADDR="+n.addr)
	fmt.Fprintf(n.logs, "--- %s starts\n", n.name)
	cmd.Stdout, cmd.Stderr = n.logs, n.logs
	if err := cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	n.mu.Lock()
	n.cmd, n.done = cmd, done
	n.mu.Unlock()
	wantRedis := false
	for _, e := range n.env {
		wantRedis = wantRedis || strings.HasPrefix(e, "USERDB_REDIS_ADDR=") && e != "USERDB_REDIS_ADDR="
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, redis := n.readyz()
		if status == 200 && (!wantRedis || redis == "ok") {
			return
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s did not become ready (%d, redis %q)\n%s", n.name, status, redis, n.logs)
		}
		select {
		case <-done:
			n.t.Fatalf("%s exited\n%s", n.name, n.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// readyz returns the status of the node's /readyz and what it says of Redis.
func (n *node) readyz() (int, string) {
	res, err := (&http.Client{Timeout: 5 * time.Second}).Get(n.url() + "/readyz")
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	var body struct{ Checks map[string]string }
	json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body.Checks["redis"]
}

// memory returns the node's resident and peak resident memory in MiB, read
// from /proc ("" where there is none).
func (n *node) memory() string {
	n.mu.Lock()
	cmd := n.cmd
	n.mu.Unlock()
	if cmd == nil {
		return ""
	}
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return ""
	}
	var rss, hwm string
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rss = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			hwm = strings.TrimSpace(v)
		}
	}
	return fmt.Sprintf("%s RSS (peak %s)", rss, hwm)
}

// kill ends the node with SIGKILL, as a crash would, and waits for it.
func (n *node) kill() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Kill()
	<-done
	fmt.Fprintf(n.logs, "--- %s killed\n", n.name)
}

// stop ends the node with SIGTERM (a rolling restart's way) and waits.
func (n *node) stop() {
	n.mu.Lock()
	cmd, done := n.cmd, n.done
	n.cmd = nil
	n.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		n.t.Errorf("%s did not stop within 30s of SIGTERM\n%s", n.name, n.logs)
	}
}

// haproxy runs HAProxy on addr in front of nodes: round robin, health checks on
// /readyz every 300 ms, X-Forwarded-For, and a failed connection retried on
// another node (a request is never retried once sent: a POST must not run
// twice).
func haproxy(t *testing.T, addr string, nodes []*node) (logs *lockedBuffer) {
	t.Helper()
	bin := tool(t, "USERDB_TEST_HAPROXY", "apt-get install haproxy (.ci/run does)", "haproxy", "/usr/sbin/haproxy")
	var servers strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&servers, "  server %s %s check\n", n.name, n.addr)
	}
	cfg := fmt.Sprintf(`global
  maxconn 512
defaults
  mode http
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch 1
  retry-on conn-failure
  option http-server-close
  option forwardfor
frontend public
  bind %s
  default_backend nodes
backend nodes
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter 300ms fall 2 rise 2
%s`, addr, servers.String())
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs = &lockedBuffer{}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { cmd.Process.Signal(syscall.SIGTERM); <-done })
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return logs
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("HAProxy did not pass requests on: %v\n%s", err, logs)
		}
		select {
		case <-done:
			t.Fatalf("HAProxy exited\n%s", logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// httpCall sends a JSON request (body may be nil) with extra headers and
// returns the status, the body and the session cookie it set, if any.
func httpCall(hc *http.Client, method, target string, body any, header ...string) (int, []byte, string, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := hc.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	session := ""
	for _, c := range res.Cookies() {
		if c.Name == "userdb" && c.Value != "" {
			session = c.Value
		}
	}
	return res.StatusCode, raw, session, err
}

// mustCall is call that fails the test unless the status is want, and
// decodes a JSON object answer.
func mustCall(t *testing.T, hc *http.Client, want int, method, target string, body any, header ...string) (map[string]any, string) {
	t.Helper()
	status, raw, session, err := httpCall(hc, method, target, body, header...)
	if err != nil || status != want {
		t.Fatalf("%s %s: %d %v %s, want %d", method, target, status, err, raw, want)
	}
	var m map[string]any
	if len(raw) > 0 {
		json.Unmarshal(raw, &m)
	}
	return m, session
}

// waitContext is a context for the test's bounded waits.
func waitContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// smtpHold relays SMTP to a real server (MailDev) and holds the end of each
// message (the "." that ends DATA) back for a while before passing it on,
// so that the test can kill a node while it is in the middle of sending an
// email. When the sending side dies during the hold, the relay drops the
// connection to the server without the end of the message, which the
// server therefore never accepts: the email is not sent, as when a node
// dies on a real network mid-transfer.
type smtpHold struct {
	t      *testing.T
	ln     net.Listener
	target string
	hold   time.Duration

	mu      sync.Mutex
	holding string // the recipient of the message held now, "" when none
}

func newSMTPHold(t *testing.T, target string, hold time.Duration) *smtpHold {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &smtpHold{t: t, ln: ln, target: target, hold: hold}
	t.Cleanup(func() { ln.Close() })
	go h.serve()
	return h
}

func (h *smtpHold) port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// heldTo returns the recipient of the message being held, or "".
func (h *smtpHold) heldTo() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.holding
}

func (h *smtpHold) serve() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		go h.relay(c)
	}
}

var rcptTo = regexp.MustCompile(`(?i)RCPT TO:\s*<([^>]*)>`)

func (h *smtpHold) relay(client net.Conn) {
	defer client.Close()
	server, err := net.Dial("tcp", h.target)
	if err != nil {
		return
	}
	defer server.Close()
	go io.Copy(client, server)
	const end = "\r\n.\r\n"
	var pending []byte // read from the client, not yet passed on
	to, inData := "", false
	buf := make([]byte, 32<<10)
	for {
		n, err := client.Read(buf)
		if err != nil {
			return // the client is gone: the server gets nothing more
		}
		pending = append(pending, buf[:n]...)
		if !inData {
			// Commands pass at once; the message follows DATA (net/smtp
			// waits for the 354 before sending it).
			if m := rcptTo.FindSubmatch(pending); m != nil {
				to = string(m[1])
			}
			if _, err := server.Write(pending); err != nil {
				return
			}
			inData = bytes.HasSuffix(bytes.ToUpper(pending), []byte("DATA\r\n"))
			pending = nil
			continue
		}
		i := bytes.Index(pending, []byte(end))
		if i < 0 {
			// Pass on all but what could be the start of the end marker.
			keep := 0
			for k := min(len(pending), len(end)-1); k > 0; k-- {
				if bytes.HasSuffix(pending, []byte(end[:k])) {
					keep = k
					break
				}
			}
			if _, err := server.Write(pending[:len(pending)-keep]); err != nil {
				return
			}
			pending = append([]byte(nil), pending[len(pending)-keep:]...)
			continue
		}
		if _, err := server.Write(pending[:i]); err != nil {
			return
		}
		h.mu.Lock()
		h.holding = to
		h.mu.Unlock()
		client.SetReadDeadline(time.Now().Add(h.hold))
		_, err = client.Read(buf[:1]) // the client waits for the reply: nothing comes but its death
		client.SetReadDeadline(time.Time{})
		h.mu.Lock()
		h.holding = ""
		h.mu.Unlock()
		if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
			return // died (or broke protocol) while waiting: drop the message
		}
		if _, err := server.Write(pending[i:]); err != nil {
			return
		}
		pending, inData = nil, false
	}
}

// restartablePort returns a free port below Linux's ephemeral range (32768
// and up), for a node that is killed and started again on it: no outgoing
// connection or ":0" listener of another process is given such a port by
// the kernel while the node is down.
func restartablePort(t *testing.T) int {
	t.Helper()
	for range 200 {
		p := 20000 + mrand.IntN(12000)
		if l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			l.Close()
			return p
		}
	}
	t.Fatal("no free port between 20000 and 32000")
	return 0
}
