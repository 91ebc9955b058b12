package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"time"
)

// importBroken is how many rows of the import file are broken on purpose.
const importBroken = 10

// importUsers times `userdb import` of a generated CSV file of --import-rows
// rows in the original library's columns, without passwords and with
// invitations off, ten of them with a malformed email, and checks the
// report: every good row created, exactly the broken ones failed, named by
// their row numbers. The import runs as a process of its own (--bin), so
// its time and peak memory are its own; a file that sat in memory would
// show as a peak that grows with --import-rows (Linux: read from /proc).
func (h *harness) importUsers(ctx context.Context, r *Result) error {
	if h.o.bin == "" {
		return skipError("needs --bin: the import runs as a process of its own, so that its peak memory is measured apart")
	}
	if h.o.url != "" {
		return skipError("needs a database the harness seeded, not --url")
	}
	n := h.o.importRows
	path := filepath.Join(h.tempDir(), "import.csv")
	broken, size, err := writeImportFile(path, n, h.tag)
	if err != nil {
		return err
	}
	defer os.Remove(path)
	h.logf("importing %d rows (%.1f MB) with %s import", n, float64(size)/(1<<20), h.o.bin)

	args := []string{"import", path, "--json", "--db", string(h.cfg.Database.DSN)}
	if h.o.configFile != "" {
		args = append(args, "--config", h.o.configFile)
	}
	cmd := exec.CommandContext(ctx, h.o.bin, args...)
	cmd.Env = append(os.Environ(), h.childEnv()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	setDeathSignal(cmd)
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return err
	}
	// The peak is the process's own VmHWM, read until it ends: the rusage
	// of a child Go started counts the parent's memory, which the child
	// shared until it ran the binary.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peak float64
	tick := time.NewTicker(50 * time.Millisecond)
	for waiting := true; waiting; {
		select {
		case err = <-done:
			waiting = false
		case <-tick.C:
			if m, rerr := readMemory(cmd.Process.Pid); rerr == nil {
				peak = max(peak, m.Peak)
			}
		}
	}
	tick.Stop()
	took := time.Since(t0)
	// The broken rows make the command exit 1 after its report.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return fmt.Errorf("%s import: %v: %s", h.o.bin, err, tailString(stderr.String(), 512))
	}
	var rep struct {
		Rows, Created, Updated, Skipped, Failed int
		Problems                                []struct {
			Row     int
			Outcome string
		}
	}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		return fmt.Errorf("import report: %v: %s", err, tailString(stdout.String()+stderr.String(), 512))
	}
	var failedRows []int
	for _, p := range rep.Problems {
		if p.Outcome == "failed" {
			failedRows = append(failedRows, p.Row)
		}
	}
	if rep.Rows != n || rep.Created != n-importBroken || rep.Failed != importBroken || !slices.Equal(failedRows, broken) {
		return fmt.Errorf("wrong report: %d rows, %d created, %d failed (rows %v), want %d, %d, %d (rows %v)",
			rep.Rows, rep.Created, rep.Failed, failedRows, n, n-importBroken, importBroken, broken)
	}
	r.Seconds = round(took.Seconds(), 2)
	r.Requests = int64(n)
	r.PerSecond = round(float64(n)/took.Seconds(), 1)
	r.PeakRSSMB = round(peak, 1)
	r.Notes = append(r.Notes, fmt.Sprintf("%d rows (%.1f MB of CSV) in %.1f s, %.0f rows/s; report correct: %d created, exactly the %d broken rows failed (rows %v)",
		n, float64(size)/(1<<20), took.Seconds(), r.PerSecond, rep.Created, importBroken, broken))
	return nil
}

// writeImportFile writes n rows of the original's columns (a header row,
// then First Name, Last Name, Email, Role, Password) with importBroken rows
// whose email is malformed, spread through the file. It returns the row
// numbers of the broken rows as the report counts them (the header is row
// 1) and the file's size.
func writeImportFile(path string, n int, tag string) (broken []int, size int64, err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, 0, err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fmt.Fprintln(w, "First Name,Last Name,Email,Role,Password")
	next := 0 // index of the next broken row
	for i := range n {
		email := fmt.Sprintf("imp%07d-%s@example.com", i, tag)
		if next < importBroken && i == (next+1)*n/(importBroken+1) {
			email = fmt.Sprintf("imp%07d-%s at example.com", i, tag)
			broken = append(broken, i+2)
			next++
		}
		fmt.Fprintf(w, "Import,User %d,%s,,\n", i, email)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return broken, st.Size(), f.Close()
}

// tailString returns the last n bytes of s.
func tailString(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
