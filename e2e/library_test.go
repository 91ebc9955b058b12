package e2e

import (
	"bytes"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// libappDir is a Go module of its own that imports userdb through a replace
// directive, as a program of another team would.
const libappDir = "testdata/libapp"

// buildLibApp builds the module in libappDir as an outsider would: in a copy
// of it (so that the go command may update its go.mod and go.sum there, not
// here), with the replace directive pointing at this checkout, through the
// module cache and the Go proxy.
func buildLibApp(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "main.go"} {
		data, err := os.ReadFile(filepath.Join(libappDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "go.mod" {
			data = bytes.Replace(data, []byte("=> ../../.."), []byte("=> "+root), 1)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "libapp")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod "+os.Getenv("GOFLAGS"), "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the separate module: %v\n%s", err, out)
	}
	return bin
}

// startLibApp runs the program on addr with its database in dir, and the
// first administrator given by its environment.
func startLibApp(t *testing.T, bin, dir, addr, adminEmail, adminPassword string) *server {
	t.Helper()
	cmd := exec.Command(bin, "-addr", addr, "-db", "sqlite:"+filepath.Join(dir, "app.db"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "APP_ADMIN_EMAIL="+adminEmail, "APP_ADMIN_PASSWORD="+adminPassword)
	return launch(t, cmd, addr) // its /readyz is userdb's, mounted in the program's mux
}

// TestLibraryFromAnotherModule builds a program of its own module that
// embeds userdb, and drives it over HTTP: userdb's sign-in guards the
// program's own routes, with the program's roles.
func TestLibraryFromAnotherModule(t *testing.T) {
	bin := buildLibApp(t)
	const adminEmail, password = "boss@example.com", "a long pass phrase"
	dir, addr := t.TempDir(), "127.0.0.1:"+strconv.Itoa(freePort(t))
	app := startLibApp(t, bin, dir, addr, adminEmail, password)

	type result struct {
		status int
		body   string
	}
	newClient := func() *http.Client {
		jar, _ := cookiejar.New(nil)
		return &http.Client{Jar: jar, Timeout: 30 * time.Second}
	}
	do := func(c *http.Client, method, path, contentType, body string) result {
		t.Helper()
		req, err := http.NewRequest(method, app.url+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Accept", "application/json")
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return result{res.StatusCode, strings.TrimSpace(string(b))}
	}
	login := func(c *http.Client, email string) {
		t.Helper()
		if r := do(c, "POST", "/login", "application/json", `{"login": "`+email+`", "password": "`+password+`"}`); r.status != 200 {
			t.Fatalf("sign-in of %s: %d %s", email, r.status, r.body)
		}
	}

	// Anonymous: userdb's middleware answers 401 on the program's routes.
	anon := newClient()
	for _, path := range []string{"/reports", "/hello"} {
		if r := do(anon, "GET", path, "", ""); r.status != 401 {
			t.Fatalf("anonymous GET %s: %d %s", path, r.status, r.body)
		}
	}

	// The administrator the program created at start-up has the role.
	boss := newClient()
	login(boss, adminEmail)
	if r := do(boss, "GET", "/reports", "", ""); r.status != 200 || r.body != "reports for boss@example.com: 1 users" {
		t.Fatalf("GET /reports with the role: %d %q", r.status, r.body)
	}

	// A user the program creates through the programmatic API signs in
	// with userdb, but lacks the role.
	form := url.Values{"email": {"pat@example.com"}, "password": {password}}.Encode()
	if r := do(anon, "POST", "/signup", "application/x-www-form-urlencoded", form); r.status != 200 || !regexp.MustCompile(`^usr_`).MatchString(r.body) {
		t.Fatalf("POST /signup: %d %q", r.status, r.body)
	}
	if r := do(anon, "POST", "/signup", "application/x-www-form-urlencoded", form); r.status != 409 {
		t.Fatalf("POST /signup of a taken email: %d %q", r.status, r.body)
	}
	pat := newClient()
	login(pat, "pat@example.com")
	if r := do(pat, "GET", "/hello", "", ""); r.status != 200 || r.body != "hello pat@example.com" {
		t.Fatalf("GET /hello signed in: %d %q", r.status, r.body)
	}
	if r := do(pat, "GET", "/reports", "", ""); r.status != 403 {
		t.Fatalf("GET /reports without the role: %d %q", r.status, r.body)
	}
	if r := do(boss, "GET", "/reports", "", ""); r.body != "reports for boss@example.com: 2 users" {
		t.Fatalf("GET /reports after a sign-up: %d %q", r.status, r.body)
	}

	// userdb's own routes work in the program's mux: /me, then /logout.
	if r := do(pat, "GET", "/me", "", ""); r.status != 200 || !strings.Contains(r.body, `"email":"pat@example.com"`) {
		t.Fatalf("GET /me: %d %s", r.status, r.body)
	}
	do(boss, "POST", "/logout", "", "")
	if r := do(boss, "GET", "/reports", "", ""); r.status != 401 {
		t.Fatalf("GET /reports after signing out: %d %s", r.status, r.body)
	}

	// A restart finds the administrator and role it made, rather than
	// failing or making them again.
	app.stop()
	app = startLibApp(t, bin, dir, addr, adminEmail, password)
	login(boss, adminEmail)
	if r := do(boss, "GET", "/reports", "", ""); r.status != 200 || r.body != "reports for boss@example.com: 2 users" {
		t.Fatalf("GET /reports after a restart: %d %q", r.status, r.body)
	}
}

// TestREADMELibrarySection checks that the Go code of the README's "As a Go
// library" section is a shortened copy of the program built above: its
// lines appear in the program in the same order, with "// ..." standing for
// lines left out.
func TestREADMELibrarySection(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## As a Go library\n")
	if !ok {
		t.Fatal(`the README has no "## As a Go library" section`)
	}
	_, code, ok := strings.Cut(section, "```go\n")
	if code, _, ok = strings.Cut(code, "```"); !ok || strings.TrimSpace(code) == "" {
		t.Fatal("the README's library section has no Go code")
	}
	program, err := os.ReadFile(filepath.Join(libappDir, "main.go"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(program), "\n")
	next := 0
	for _, want := range strings.Split(code, "\n") {
		want = strings.TrimSpace(want)
		if want == "" || want == "// ..." {
			continue
		}
		for next < len(lines) && strings.TrimSpace(lines[next]) != want {
			next++
		}
		if next == len(lines) {
			t.Fatalf("README line %q is not in %s (after the lines before it)", want, filepath.Join(libappDir, "main.go"))
		}
		next++
	}
}
