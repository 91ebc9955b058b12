// Package redistest runs a Redis server of a test's own on a loopback port,
// which the test may stop and start again: the machine's shared Redis must
// never be stopped.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Install is how to get redis-server, for skip and failure messages.
const Install = "apt-get install redis-server, or set USERDB_TEST_REDIS_SERVER to the redis-server binary"

// Server is a redis-server child process without persistence.
type Server struct {
	tb   testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a Redis server for the test and stops it when the test ends.
// Without redis-server the test is skipped, or fails when USERDB_TEST_E2E
// is 1.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin := os.Getenv("USERDB_TEST_REDIS_SERVER")
	if bin == "" {
		bin, _ = exec.LookPath("redis-server")
	}
	if bin == "" {
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			tb.Fatal("redis-server not found: " + Install)
		}
		tb.Skip("redis-server not found: " + Install)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{tb: tb, bin: bin, port: port}
	s.Restart()
	tb.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Restart starts the server again on its port after Stop (or the first time)
// and waits until it answers PING.
func (s *Server) Restart() {
	s.tb.Helper()
	if s.cmd != nil {
		s.tb.Fatal("redistest: Restart while running")
	}
	cmd := exec.Command(s.bin, "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.tb.TempDir(), "--logfile", "")
	if err := cmd.Start(); err != nil {
		s.tb.Fatalf("starting redis-server: %v", err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func(done chan struct{}) { cmd.Wait(); close(done) }(s.done)
	deadline := time.Now().Add(10 * time.Second)
	for !s.ping() {
		if time.Now().After(deadline) {
			s.tb.Fatalf("redis-server on %s did not answer PING", s.Addr())
		}
		select {
		case <-s.done:
			s.tb.Fatalf("redis-server on %s exited", s.Addr())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop ends the server (SIGKILL: like a crash, clients see their
// connections drop) and waits for it to exit.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

func (s *Server) ping() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	fmt.Fprint(c, "PING\r\n")
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "+PONG")
}
