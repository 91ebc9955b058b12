package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/userdb/userdb/server"
)

// target is the userdb server being measured.
type target struct {
	base string // http://127.0.0.1:PORT
	pid  int    // the process whose memory is read; 0 if unknown
	// stop ends the server and waits for it; nil for a server the harness
	// did not start.
	stop func() error
}

// startInProcess opens a server on cfg in this process and serves it on a
// loopback port. It returns the time server.Open took.
func startInProcess(ctx context.Context, cfg *server.Config, log *slog.Logger) (*target, time.Duration, error) {
	t0 := time.Now()
	srv, err := server.Open(ctx, cfg, server.WithLogger(log))
	if err != nil {
		return nil, 0, err
	}
	open := time.Since(t0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		srv.Close(context.WithoutCancel(ctx))
		return nil, 0, err
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.ListenAndServe(sctx, ln) }()
	t := &target{base: "http://" + ln.Addr().String(), pid: os.Getpid()}
	t.stop = func() error {
		cancel()
		return <-done
	}
	return t, open, nil
}

// child is userdb serve running as a child process.
type child struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // Wait's result, once exited is closed
}

// startChild runs `bin serve` on dsn with the extra environment env, its
// output appended to logPath, and waits until GET /healthz answers 200. It
// returns the target and the time from starting the process to that answer.
func startChild(ctx context.Context, bin, config, dsn string, env []string, logPath string) (*target, time.Duration, error) {
	addr, err := freePort()
	if err != nil {
		return nil, 0, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, 0, err
	}
	defer logf.Close() // the child holds its own descriptor
	args := []string{"serve", "--db", dsn, "--addr", addr}
	if config != "" {
		args = append(args, "--config", config)
	}
	cmd := exec.Command(bin, args...)
	// A management listener of its own: several children may run at once.
	cmd.Env = append(append(os.Environ(), "USERDB_SERVER_MANAGEMENT_ADDR=127.0.0.1:0"), env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	setDeathSignal(cmd)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	c := &child{cmd: cmd, exited: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.exited) }()
	t := &target{base: "http://" + addr, pid: cmd.Process.Pid, stop: c.stop}

	// Poll often: the start-up time is what this measures.
	probe := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	deadline := t0.Add(30 * time.Second)
	for {
		res, err := probe.Get(t.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return t, time.Since(t0), nil
			}
		}
		select {
		case <-c.exited:
			return nil, 0, fmt.Errorf("%s serve exited before answering (%v); its log ends:\n%s", bin, c.err, tail(logPath, 2048))
		case <-ctx.Done():
			c.stop()
			return nil, 0, ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			c.stop()
			return nil, 0, fmt.Errorf("%s serve did not answer /healthz within 30s; its log ends:\n%s", bin, tail(logPath, 2048))
		}
	}
}

// stop asks the child to shut down (SIGTERM), kills it if it has not
// within 30 seconds, and waits for it.
func (c *child) stop() error {
	select {
	case <-c.exited:
		return nil
	default:
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.cmd.Process.Kill()
		<-c.exited
		return errors.New("userdb serve did not stop within 30s of SIGTERM; killed")
	}
	var ee *exec.ExitError
	if errors.As(c.err, &ee) {
		return fmt.Errorf("userdb serve: %v", c.err)
	}
	return nil
}

// freePort returns a loopback address nothing listens on at the moment.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// tail returns the last n bytes of a file, or what went wrong reading it.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(-n, io.SeekEnd)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}
