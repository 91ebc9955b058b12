package mailtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// Install is how to get MailDev, for skip and failure messages.
const Install = "npm install --no-save maildev@3 in the repository root, or set USERDB_TEST_MAILDEV to the maildev binary"

// Options configure a MailDev server.
type Options struct {
	// MaxMessageSize, if set, makes MailDev refuse larger messages with a
	// permanent 552 error.
	MaxMessageSize int
	// TLS, if set, makes MailDev speak TLS from the first byte (implicit
	// TLS, as on port 465) with this certificate. MailDev 3 cannot offer
	// STARTTLS; NewStartTLS puts a front before it that does.
	TLS *Cert
	// Username and Password, if set, make MailDev require SMTP AUTH with
	// them; it offers PLAIN and LOGIN.
	Username, Password string
}

// MailDev is a MailDev child process listening on loopback ports. Start and
// Stop must not be called concurrently; the other methods may.
type MailDev struct {
	bin      string
	args     []string
	smtpPort int
	webURL   string
	logPath  string
	client   *http.Client

	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// ReceivedMessage is an email as MailDev received it.
type ReceivedMessage struct {
	ID      string
	Subject string
	From    []string // addresses
	To      []string // addresses
	Text    string
	HTML    string
}

// New starts MailDev for the test and stops it when the test ends. When
// MailDev is not installed the test is skipped, or fails if USERDB_TEST_E2E
// is 1 (so CI cannot pass by skipping).
func New(tb testing.TB, opts Options) *MailDev {
	tb.Helper()
	bin := findBinary()
	if bin == "" {
		msg := "maildev not installed: run " + Install
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	ports, err := freePorts(2)
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	md := &MailDev{
		bin:      bin,
		smtpPort: ports[0],
		webURL:   "http://127.0.0.1:" + strconv.Itoa(ports[1]),
		logPath:  filepath.Join(dir, "maildev.log"),
		client:   &http.Client{Timeout: 5 * time.Second},
		args: []string{
			"--ip", "127.0.0.1", "--smtp", strconv.Itoa(ports[0]),
			"--web-ip", "127.0.0.1", "--web", strconv.Itoa(ports[1]),
			// A directory of its own: MailDev's default is shared by every
			// instance, and DeleteAll would empty it for all of them. Mail
			// kept there also survives a Stop and Start.
			"--mail-directory", filepath.Join(dir, "mail"),
			"--silent",
		},
	}
	if opts.MaxMessageSize > 0 {
		md.args = append(md.args, "--max-message-size", strconv.Itoa(opts.MaxMessageSize))
	}
	if opts.TLS != nil {
		md.args = append(md.args, "--incoming-secure", "--incoming-cert", opts.TLS.CertFile, "--incoming-key", opts.TLS.KeyFile)
	}
	if opts.Username != "" {
		md.args = append(md.args, "--incoming-user", opts.Username, "--incoming-pass", opts.Password)
	}
	tb.Cleanup(func() {
		if err := md.Stop(); err != nil {
			tb.Error(err)
		}
	})
	if err := md.Start(); err != nil {
		tb.Fatal(err)
	}
	return md
}

// findBinary returns the maildev binary: $USERDB_TEST_MAILDEV, else
// node_modules/.bin/maildev in the working directory or a parent up to the
// module root, else maildev on the PATH; "" if there is none.
func findBinary() string {
	if bin := os.Getenv("USERDB_TEST_MAILDEV"); bin != "" {
		return bin
	}
	if dir, err := os.Getwd(); err == nil {
		for {
			bin := filepath.Join(dir, "node_modules", ".bin", "maildev")
			if _, err := os.Stat(bin); err == nil {
				return bin
			}
			_, err := os.Stat(filepath.Join(dir, "go.mod"))
			parent := filepath.Dir(dir)
			if err == nil || parent == dir {
				break
			}
			dir = parent
		}
	}
	bin, _ := exec.LookPath("maildev")
	return bin
}

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close() // held until all are chosen, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// SMTPHost returns the host the SMTP server listens on.
func (md *MailDev) SMTPHost() string { return "127.0.0.1" }

// SMTPPort returns the port the SMTP server listens on; it stays the same
// across Stop and Start.
func (md *MailDev) SMTPPort() int { return md.smtpPort }

// WebURL returns the base URL of MailDev's web interface and API.
func (md *MailDev) WebURL() string { return md.webURL }

// Start starts MailDev (again, after Stop) on its ports and waits until it
// answers. It is a no-op while MailDev runs.
func (md *MailDev) Start() error {
	if md.cmd != nil {
		return nil
	}
	logFile, err := os.OpenFile(md.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(md.bin, md.args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mailtest: starting %s: %w", md.bin, err)
	}
	md.cmd, md.done = cmd, make(chan struct{})
	go func(done chan struct{}) {
		cmd.Wait()
		close(done)
	}(md.done)

	// Node starts MailDev in about a second on an idle machine; on a loaded
	// 2-core one (a full test run beside other builds) it took over 20 s.
	// The bound only stops a MailDev that never comes up.
	const startTimeout = 90 * time.Second
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-md.done:
			md.cmd = nil
			return fmt.Errorf("mailtest: maildev exited at start: %s", md.log())
		default:
		}
		if md.ready() {
			return nil
		}
		if time.Now().After(deadline) {
			err := fmt.Errorf("mailtest: maildev did not answer within %v: %s", startTimeout, md.log())
			md.Stop()
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ready reports whether both the API and the SMTP port answer.
func (md *MailDev) ready() bool {
	resp, err := md.client.Get(md.webURL + "/api/healthz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort(md.SMTPHost(), strconv.Itoa(md.smtpPort)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// log returns MailDev's output so far.
func (md *MailDev) log() string {
	b, _ := os.ReadFile(md.logPath)
	return string(b)
}

// Stop stops MailDev and waits for it to exit; the emails it received are
// kept for the next Start. It is a no-op when MailDev is not running.
func (md *MailDev) Stop() error {
	if md.cmd == nil {
		return nil
	}
	cmd, done := md.cmd, md.done
	md.cmd = nil
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		cmd.Process.Kill()
	}
	select {
	case <-done:
		return nil
	case <-time.After(5 * time.Second):
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("mailtest: killing maildev: %w", err)
	}
	<-done
	return nil
}

// Messages returns every email MailDev holds, oldest first.
func (md *MailDev) Messages() ([]ReceivedMessage, error) {
	resp, err := md.client.Get(md.webURL + "/api/email")
	if err != nil {
		return nil, fmt.Errorf("mailtest: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("mailtest: GET /api/email: %s", resp.Status)
	}
	type address struct {
		Address string `json:"address"`
	}
	var raw []struct {
		ID      string    `json:"id"`
		Subject string    `json:"subject"`
		From    []address `json:"from"`
		To      []address `json:"to"`
		Text    string    `json:"text"`
		HTML    string    `json:"html"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil {
		return nil, fmt.Errorf("mailtest: decoding /api/email: %w", err)
	}
	addrs := func(as []address) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Address)
		}
		return out
	}
	msgs := make([]ReceivedMessage, len(raw))
	for i, r := range raw {
		msgs[i] = ReceivedMessage{
			ID: r.ID, Subject: r.Subject, From: addrs(r.From), To: addrs(r.To), Text: r.Text, HTML: r.HTML,
		}
	}
	return msgs, nil
}

// WaitMessages polls until MailDev holds at least n emails or ctx is done,
// and returns them.
func (md *MailDev) WaitMessages(ctx context.Context, n int) ([]ReceivedMessage, error) {
	for {
		msgs, err := md.Messages()
		if err == nil && len(msgs) >= n {
			return msgs, nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("mailtest: %d emails received, want %d: %w", len(msgs), n, ctx.Err())
			}
			return msgs, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DeleteAll deletes every email MailDev holds.
func (md *MailDev) DeleteAll() error {
	req, err := http.NewRequest(http.MethodDelete, md.webURL+"/api/email/all", nil)
	if err != nil {
		return err
	}
	resp, err := md.client.Do(req)
	if err != nil {
		return fmt.Errorf("mailtest: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("mailtest: DELETE /api/email/all: %s", resp.Status)
	}
	return nil
}
