package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// nginx runs Debian's nginx on 127.0.0.1:port in front of app, asking
// userdb's /authz/auth-request before every request (auth_request) and
// passing the caller on in Remote-* headers; a browser that is not signed
// in is sent to where userdb's 401 says (its Location), an API client gets
// the 401. This is the configuration docs/operations.md shows.
func nginx(t *testing.T, port int, userdb, app string) {
	t.Helper()
	bin := tool(t, "USERDB_TEST_NGINX", "apt-get install nginx (.ci/run does)", "nginx", "/usr/sbin/nginx")
	dir := t.TempDir()
	cfg := fmt.Sprintf(`daemon off;
worker_processes 1;
pid %[1]s/nginx.pid;
error_log stderr warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d;
    location / {
      auth_request /authz;
      auth_request_set $remote_user_ $upstream_http_remote_user;
      auth_request_set $remote_email_ $upstream_http_remote_email;
      auth_request_set $remote_name_ $upstream_http_remote_name;
      auth_request_set $remote_groups_ $upstream_http_remote_groups;
      auth_request_set $remote_account_ $upstream_http_remote_account;
      auth_request_set $signin $upstream_http_location;
      error_page 401 = @signin;
      # Set, never passed through: a client cannot send its own.
      proxy_set_header Remote-User $remote_user_;
      proxy_set_header Remote-Email $remote_email_;
      proxy_set_header Remote-Name $remote_name_;
      proxy_set_header Remote-Groups $remote_groups_;
      proxy_set_header Remote-Account $remote_account_;
      proxy_pass %[4]s;
    }
    location = /authz {
      internal;
      proxy_pass %[3]s/authz/auth-request;
      proxy_method GET;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
      proxy_set_header X-Original-Method $request_method;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
    location @signin {
      if ($signin = "") { return 401; }
      return 302 $signin;
    }
  }
}
`, dir, port, userdb, app)
	path := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	cmd := exec.Command(bin, "-p", dir, "-c", path, "-e", "stderr")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		<-done
		if t.Failed() {
			t.Logf("nginx:\n%s", logs)
		}
	})
	for deadline := time.Now().Add(15 * time.Second); ; {
		res, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/", port))
		if err == nil {
			res.Body.Close()
			return // any answer: nginx is up
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not start: %v\n%s", err, logs)
		}
		select {
		case <-done:
			t.Fatalf("nginx exited\n%s", logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// TestForwardAuthNginx protects a small app behind nginx with userdb's
// forward authentication: a browser that is not signed in is sent to the
// sign-in page and, signed in, back to the page it asked for, which shows
// the Remote-* headers; a user without the role a rule asks for gets 403;
// an API client's bearer token works the same way.
func TestForwardAuthNginx(t *testing.T) {
	chromium(t)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><title>app</title><h1>App page %s</h1><dl>", html.EscapeString(r.URL.Path))
		for _, h := range []string{"Remote-User", "Remote-Email", "Remote-Name", "Remote-Groups", "Remote-Account"} {
			fmt.Fprintf(w, `<dt>%s</dt><dd id="%s">%s</dd>`, h, strings.ToLower(h), html.EscapeString(r.Header.Get(h)))
		}
	}))
	t.Cleanup(app.Close)

	md := mailtest.New(t, mailtest.Options{})
	port := freePort(t)
	front := "http://127.0.0.1:" + strconv.Itoa(port)
	s := startServerWithConfig(t, md, fmt.Sprintf(`
server:
  trusted_proxies: [127.0.0.1/32]
  allowed_return_urls: [%s]
forward_auth:
  enabled: true
  rules:
    - hosts: ["127.0.0.1:%d"]
      paths: ["/admin", "/admin/*"]
      roles: [admin]
`, front, port), "USERDB_PROTECTION_DEVICES_NOTIFY=false", "USERDB_OAUTH_SCOPES=customScope",
		// Plain HTTP, pages reached directly and the app through nginx: one
		// cookie name for both (behind HTTPS it is __Host-userdb everywhere).
		"USERDB_SESSIONS_SECURE=never")
	nginx(t, port, s.url, app.URL)

	s.addUser("ada@example.com", "correct horse battery", "--role", "admin", "--given-name", "Ada", "--surname", "Lovelace")
	s.addUser("sam@example.com", "correct horse battery")
	out := s.cli("", "apikey", "create", "nginx-client", "--account", "default", "--role", "admin")
	key := ""
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "secret"); ok {
			key = strings.TrimSpace(v)
		}
	}

	// A browser: sent to sign in, and back.
	b := newTab(t, s, false)
	b.open(front + "/reports/q3?year=2026")
	if loc := b.location(); !strings.HasPrefix(loc, s.url+"/signin?next=") {
		t.Fatalf("an anonymous browser is at %s, not the sign-in page", loc)
	}
	b.fill(map[string]string{"login": "ada@example.com", "password": "correct horse battery"})
	b.press("Sign in")
	b.see("h1", "App page /reports/q3")
	if loc := b.location(); loc != front+"/reports/q3?year=2026" {
		t.Errorf("after signing in the browser is at %s", loc)
	}
	for id, want := range map[string]string{
		"remote-user": "ada@example.com", "remote-email": "ada@example.com", "remote-name": "Ada Lovelace",
		"remote-groups": "admin", "remote-account": "default",
	} {
		got, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#"+id)))
		if err != nil || got != want {
			t.Errorf("the app saw %s = %q (%v), want %q", id, got, err, want)
		}
	}
	b.open(front + "/admin/users")
	b.see("h1", "App page /admin/users")
	b.screenshot("forward-auth-app", 1280)

	// A signed-in user without the role: 403 on /admin, the rest open.
	sam := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	_, samSession := mustCall(t, sam, 200, "POST", s.url+"/login", map[string]string{"login": "sam@example.com", "password": "correct horse battery"})
	for path, want := range map[string]int{"/admin/users": 403, "/admin": 403, "/reports": 200, "/public/../admin/x": 403} {
		req, _ := http.NewRequest("GET", front+path, nil)
		req.URL.Opaque = path // sent as written: nginx, not Go, cleans the path
		req.Header.Set("Cookie", "userdb="+samSession)
		res, err := sam.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("sam, %s: %d, want %d", path, res.StatusCode, want)
		}
	}

	// An API client: its bearer token works like a session; none is 401,
	// not a redirect.
	for _, c := range []struct {
		auth string
		want int
	}{{"Bearer " + key, 200}, {"Bearer not-a-key", 401}, {"", 401}} {
		req, _ := http.NewRequest("GET", front+"/admin/api", nil)
		req.Header.Set("Accept", "application/json")
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := sam.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.want {
			t.Errorf("API client with %.16q: %d, want %d", c.auth, res.StatusCode, c.want)
		}
	}

	// An OAuth access token of userdb (client credentials, as a service
	// gets one) works the same: through to the app as the client, which
	// has no roles, so not to /admin.
	var cc struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(s.cli("", "client", "add", "--json", "--name", "nginx service", "--grant", "client_credentials",
		"--scope", "customScope")), &cc); err != nil || cc.ID == "" {
		t.Fatalf("client add: %v", err)
	}
	req, _ := http.NewRequest("POST", s.url+"/oauth2/default/v1/token", strings.NewReader("grant_type=client_credentials&scope=customScope"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(cc.ID, cc.Secret)
	res, err := sam.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if tok.AccessToken == "" {
		t.Fatalf("client credentials: %d", res.StatusCode)
	}
	for path, want := range map[string]int{"/reports/api": 200, "/admin/api": 403} {
		req, _ := http.NewRequest("GET", front+path, nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		res, err := sam.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("OAuth access token, %s: %d, want %d", path, res.StatusCode, want)
		}
		if want == 200 && !strings.Contains(string(body), cc.ID) {
			t.Errorf("OAuth access token, %s: the app did not see the client %s as Remote-User:\n%.400s", path, cc.ID, body)
		}
	}
}
