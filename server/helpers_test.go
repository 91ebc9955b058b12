package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/testclock"
	"github.com/userdb/userdb/server"
)

// env is a server on a fresh SQLite database behind an httptest server.
type env struct {
	cfg   *server.Config
	t     testing.TB
	srv   *server.Server
	http  *httptest.Server
	clock *testclock.Clock
}

// fastHashing keeps tests quick; the hashing itself is tested in internal/password.
func fastHashing(c *server.Config) {
	c.Hashing.Memory = 64 * 1024
	c.Hashing.Iterations = 1
}

func newEnv(t *testing.T, configure ...func(*server.Config)) *env {
	t.Helper()
	return openEnv(t, configure...)
}

// newEnvB is newEnv for benchmarks.
func newEnvB(b *testing.B, configure ...func(*server.Config)) *env {
	b.Helper()
	return openEnv(b, configure...)
}

func openEnv(t testing.TB, configure ...func(*server.Config)) *env {
	cfg := server.DefaultConfig()
	dir := t.TempDir()
	cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(dir, "userdb.db"))
	cfg.Password.Policy.Mode = "nist"
	cfg.Lockout.AfterFailures = 5
	cfg.Lockout.UnlockAfter = 15 * 60 * 1e9
	fastHashing(cfg)
	for _, f := range configure {
		f(cfg)
	}
	clk := testclock.New(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	srv, err := server.Open(context.Background(), cfg,
		server.WithClock(clk), server.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	e := &env{t: t, srv: srv, clock: clk, cfg: cfg}
	e.http = httptest.NewServer(srv)
	t.Cleanup(func() {
		e.http.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Close(ctx)
	})
	return e
}

// addUser creates an enabled user with a password through the service.
func (e *env) addUser(email, password string, roles ...string) *userdb.User {
	e.t.Helper()
	u, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), service.NewUser{Email: email, Password: password, Roles: roles, Verified: true})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	return u
}

// ctxCLI acts as the system, as the command line does, recording "test" as
// the actor of events.
func ctxCLI() context.Context {
	return service.WithActor(service.WithMeta(context.Background(), service.Meta{ActorID: "test"}), service.SystemActor())
}

// client is a browser-less API client with its own cookie jar.
type client struct {
	e   *env
	jar *cookiejar.Jar
	hc  *http.Client
}

func (e *env) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, jar: jar, hc: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	body   []byte
	header http.Header
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response %d is not JSON: %q", r.status, r.body)
	}
	return m
}

func (c *client) do(method, path string, body any, header ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd, ct = strings.NewReader(b), "application/json"
	case []byte:
		rd, ct = bytes.NewReader(b), "application/json"
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case upload:
		var buf bytes.Buffer
		ct = b.write(c.e.t, &buf)
		rd = &buf
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.e.http.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, body: b, header: res.Header}
}

func (c *client) login(login, password string) response {
	c.e.t.Helper()
	return c.do("POST", "/login", map[string]string{"login": login, "password": password})
}

func (c *client) mustLogin(login, password string) map[string]any {
	c.e.t.Helper()
	r := c.login(login, password)
	if r.status != 200 {
		c.e.t.Fatalf("login %s: %d %s", login, r.status, r.body)
	}
	return r.json(c.e.t)["account"].(map[string]any)
}

// mustChangeAtLogin signs in with a password that must change and checks
// the answer: the password-change stage and its pending cookie, no
// session. It returns the answer.
func (c *client) mustChangeAtLogin(login, password string) map[string]any {
	c.e.t.Helper()
	r := c.login(login, password)
	m := r.json(c.e.t)
	if r.status != 200 || m["password_change_required"] != true || m["stage"] != "password_change" || m["account"] != nil {
		c.e.t.Fatalf("login %s with a password to change: %d %s", login, r.status, r.body)
	}
	for _, ck := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, "userdb=") && !strings.HasPrefix(ck, "userdb=;") {
			c.e.t.Fatalf("login %s with a password to change set a session: %s", login, ck)
		}
	}
	return m
}

var tokenInLink = regexp.MustCompile(`sptoken=([A-Za-z0-9_-]+)`)

// flush finishes the server's background work due now (Server.Flush): the
// tasks that answers left behind (forgot and resend queue their email after
// answering), batched writes, and the emails due.
func (e *env) flush() {
	e.t.Helper()
	if err := e.srv.Flush(context.Background()); err != nil {
		e.t.Fatalf("flush: %v", err)
	}
}

// lastEmail returns the newest queued email to addr of a kind, once the
// background work is done.
func (e *env) lastEmail(to, kind string) *userdb.OutboxEmail {
	e.t.Helper()
	e.flush()
	list, err := inside.Service(e.srv).Store().FindEmails(context.Background(), 100)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range list {
		if m.To == to && m.Kind == kind {
			return m
		}
	}
	e.t.Fatalf("no %s email to %s", kind, to)
	return nil
}

// countEmails counts the queued emails to addr of a kind, once the
// background work is done.
func (e *env) countEmails(to, kind string) int {
	e.t.Helper()
	e.flush()
	list, err := inside.Service(e.srv).Store().FindEmails(context.Background(), 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, m := range list {
		if m.To == to && m.Kind == kind {
			n++
		}
	}
	return n
}

func tokenOf(t testing.TB, m *userdb.OutboxEmail) string {
	t.Helper()
	match := tokenInLink.FindStringSubmatch(m.Text + m.HTML)
	if match == nil {
		t.Fatalf("no sptoken link in %q email", m.Kind)
	}
	return match[1]
}

func (e *env) events(typ string) []*userdb.Event {
	e.t.Helper()
	list, err := inside.Service(e.srv).Store().FindEvents(context.Background(), userdb.EventFilter{Type: typ, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return list
}

// openWith opens a second server on e's database with more options.
func openWith(t *testing.T, e *env, opts ...server.Option) *server.Server {
	t.Helper()
	opts = append([]server.Option{server.WithClock(e.clock), server.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	srv, err := server.Open(context.Background(), e.cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	return srv
}

// upload is a multipart/form-data body holding one file and form fields.
type upload struct {
	name, contentType string
	data              []byte
	fields            map[string]string
}

// csvUpload is an upload of CSV text.
func csvUpload(text string, fields ...string) upload {
	u := upload{name: "users.csv", contentType: "text/csv", data: []byte(text), fields: map[string]string{}}
	for i := 0; i+1 < len(fields); i += 2 {
		u.fields[fields[i]] = fields[i+1]
	}
	return u
}

// write encodes the upload into w and returns its content type.
func (u upload) write(t testing.TB, w io.Writer) string {
	t.Helper()
	mw := multipart.NewWriter(w)
	for k, v := range u.fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+u.name+`"`)
	h.Set("Content-Type", u.contentType)
	part, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(u.data)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType()
}
