package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// stormpathAppDir holds a single-page app on the real react-stormpath 2.0.1
// (package.json and package-lock.json pin it, React 15 and react-router 3);
// .ci/run installs it and bundles it with esbuild into dist/.
const stormpathAppDir = "testdata/stormpath-app"

const stormpathAppBuild = "(cd e2e/" + stormpathAppDir + " && npm ci --no-audit --no-fund && npm run build)"

// stormpathBundle returns the path of the app's bundle, rebuilding it when
// its sources are newer and esbuild is installed. Without a bundle the test
// is skipped, or fails when USERDB_TEST_E2E is 1.
func stormpathBundle(t *testing.T) string {
	t.Helper()
	bundle := filepath.Join(stormpathAppDir, "dist", "app.js")
	esbuild := filepath.Join(stormpathAppDir, "node_modules", ".bin", "esbuild")
	if stale(bundle, filepath.Join(stormpathAppDir, "src", "app.jsx"), filepath.Join(stormpathAppDir, "package-lock.json")) {
		if _, err := os.Stat(esbuild); err == nil {
			cmd := exec.Command("npm", "run", "build")
			cmd.Dir = stormpathAppDir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("bundling the react-stormpath app: %v\n%s", err, out)
			}
		}
	}
	if _, err := os.Stat(bundle); err != nil || stale(bundle, filepath.Join(stormpathAppDir, "src", "app.jsx")) {
		msg := "the react-stormpath app is not built (or older than its source); run " + stormpathAppBuild
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bundle
}

// stale reports whether file is missing or older than any of sources.
func stale(file string, sources ...string) bool {
	fi, err := os.Stat(file)
	if err != nil {
		return true
	}
	for _, s := range sources {
		if si, err := os.Stat(s); err == nil && si.ModTime().After(fi.ModTime()) {
			return true
		}
	}
	return false
}

// apiCall is one request the app made to userdb through the front server.
type apiCall struct {
	method, path, accept, agent string
	status                      int
}

func (c apiCall) String() string {
	return fmt.Sprintf("%s %s (Accept %q, X-Stormpath-Agent %q) -> %d", c.method, c.path, c.accept, c.agent, c.status)
}

// frontServer serves the app under /app/ and forwards every other path to
// userdb, so the app and the API share one origin as they did with
// express-stormpath. It records the forwarded calls.
type frontServer struct {
	*httptest.Server
	mu       sync.Mutex
	calls    []apiCall
	inFlight int
}

func newFrontServer(t *testing.T, s *server, bundle string) *frontServer {
	t.Helper()
	return newFrontServerOn(t, nil, s, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /app/{$}", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.Join(stormpathAppDir, "index.html"))
		})
		mux.HandleFunc("GET /app/app.js", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, bundle)
		})
	})
}

// newFrontServerOn starts a front server on ln (a new loopback port if
// nil: a test that must put the front's address in userdb's settings
// listens first) whose app routes are added by app; every other path goes
// to userdb.
func newFrontServerOn(t *testing.T, ln net.Listener, s *server, app func(*http.ServeMux)) *frontServer {
	t.Helper()
	target, err := url.Parse(s.url)
	if err != nil {
		t.Fatal(err)
	}
	f := &frontServer{}
	proxy := &httputil.ReverseProxy{
		// The browser's Host goes through: userdb sees the origin the
		// browser is on, as behind any proxy that keeps Host.
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(target); r.Out.Host = r.In.Host },
		ModifyResponse: func(res *http.Response) error {
			req := res.Request
			f.mu.Lock()
			f.calls = append(f.calls, apiCall{method: req.Method, path: req.URL.Path, accept: req.Header.Get("Accept"),
				agent: req.Header.Get("X-Stormpath-Agent"), status: res.StatusCode})
			f.mu.Unlock()
			return nil
		},
	}
	mux := http.NewServeMux()
	app(mux)
	mux.HandleFunc("GET /favicon.ico", http.NotFound) // the browser's, not the app's
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.inFlight++
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			f.inFlight--
			f.mu.Unlock()
		}()
		proxy.ServeHTTP(w, r)
	})
	f.Server = httptest.NewUnstartedServer(mux)
	if ln != nil {
		f.Listener.Close()
		f.Listener = ln
	}
	f.Start()
	t.Cleanup(f.Close)
	return f
}

// mark returns the number of calls recorded so far, for await.
func (f *frontServer) mark() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls)
}

// await waits until the calls recorded after mark include those of want
// ("POST /login 200"; as many of each as it lists) and none is under way.
// react-stormpath 2.0.1 calls every request's callback twice (its
// makeHttpRequest does), so one registration signs in twice; a click that
// does not wait for the second sign-in would race it.
func (f *frontServer) await(t *testing.T, mark int, want ...string) {
	t.Helper()
	done := func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.inFlight > 0 {
			return false
		}
		missing := map[string]int{}
		for _, w := range want {
			missing[w]++
		}
		for _, c := range f.calls[mark:] {
			missing[fmt.Sprintf("%s %s %d", c.method, c.path, c.status)]--
		}
		for _, n := range missing {
			if n > 0 {
				return false
			}
		}
		return true
	}
	// The browser is another process: the bound is generous, for a
	// loaded machine.
	for deadline := time.Now().Add(60 * time.Second); !done(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %q after calls:\n%s", want, f.log())
		}
	}
}

// called returns the recorded calls of method and path.
func (f *frontServer) called(method, path string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if c.method == method && c.path == path {
			out = append(out, c)
		}
	}
	return out
}

// log lists every recorded call, for failure messages.
func (f *frontServer) log() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	for _, c := range f.calls {
		b.WriteString(c.String() + "\n")
	}
	return b.String()
}

// TestBrowserReactStormpath runs a single-page app built on the real
// react-stormpath 2.0.1 against the userdb binary with the stormpath
// transformer, in Chromium: the RegistrationForm and the LoginForm draw the
// fields of userdb's view models, register and sign in; the page shows the
// user from GET /me (also after a reload, when only the session cookie and
// /me can know it); the ResetPasswordForm asks for a reset email, which
// arrives in MailDev; the LogoutLink signs out; the ChangePasswordForm sets
// a new password from the email's sptoken, which then signs in. Every call the library made
// carries its X-Stormpath-Agent header, and userdb answered each as the
// library expects.
func TestBrowserReactStormpath(t *testing.T) {
	chromium(t)
	bundle := stormpathBundle(t)
	md := mailtest.New(t, mailtest.Options{})
	const accountsHref = "https://api.example.com/v1/accounts"
	s := startServer(t, md,
		"USERDB_TRANSFORMER=stormpath",
		"USERDB_ACCOUNTS_HREF="+accountsHref,
		"USERDB_GROUPS_HREF=https://api.example.com/v1/groups",
		"USERDB_REGISTRATION_ENABLED=true", "USERDB_REGISTRATION_REQUIRE_VERIFICATION=false")
	const email = "ripley@example.com"

	front := newFrontServer(t, s, bundle)
	b := newTab(t, s, true)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("calls through the front server:\n%s", front.log())
		}
	})
	// Not signed in: GET /me answers 401 and the app says so.
	b.open(front.URL + "/app/#/")
	b.see("p", "Signed out.")

	// The RegistrationForm draws the fields of userdb's view model (its
	// own fallback says "First Name"), registers, and signs the new user in.
	b.do(clickLink("Register"))
	b.see("label", "First name")
	b.fill(map[string]string{"givenName": "Ellen", "surname": "Ripley", "email": email, "password": "nostromo pass phrase"})
	mark := front.mark()
	b.press("Register")
	b.see("h1", "Ellen Ripley")
	front.await(t, mark, "POST /register 201", "POST /login 200", "POST /login 200", "GET /me 200")
	b.do(clickLink("Log out"))
	b.see("p", "Signed out.")
	b.do(clickLink("Log in"))

	// The LoginForm draws the fields userdb's view model gives (react-
	// stormpath's own fallback says "Username or Email"), then signs in.
	b.see("label", "Email or username")
	b.fill(map[string]string{"login": email, "password": "wrong pass phrase"})
	b.press("Login")
	b.see("span", "Invalid username or password.")
	retype(b, "password", "nostromo pass phrase")
	mes := len(front.called("GET", "/me"))
	mark = front.mark()
	b.press("Login")

	// The authenticated home route shows the user react-stormpath read from
	// GET /me, in the stormpath transformer's shape.
	b.see("h1", "Ellen Ripley")
	b.see("dd", email)
	b.see("dd", accountsHref+"/usr_")
	b.see("p", "Signed in.")
	if got := front.called("GET", "/me"); len(got) <= mes || got[len(got)-1].status != 200 {
		t.Fatal("no successful GET /me after signing in")
	}

	// A new load of the app knows the user only from the cookie and /me.
	front.await(t, mark, "POST /login 200", "GET /me 200")
	mes = len(front.called("GET", "/me"))
	b.do(chromedp.Reload())
	b.see("h1", "Ellen Ripley")
	if got := front.called("GET", "/me"); len(got) <= mes || got[len(got)-1].status != 200 {
		t.Fatal("the reloaded app did not get the user from GET /me")
	}

	// The ResetPasswordForm posts to /forgot; the email arrives.
	b.do(clickLink("Reset my password"))
	b.see("h1", "Forgot your password?")
	b.fill(map[string]string{"email": email})
	mark = front.mark()
	b.press("Request Password Reset")
	b.see("p", "We have sent a password reset link")
	_, link := waitEmail(t, md, email, "Reset your password")
	if !strings.Contains(link, "sptoken=") {
		t.Fatal("the reset email has no link with an sptoken")
	}

	// The LogoutLink ends the session and the app shows the signed-out state.
	b.do(clickLink("Profile"))
	b.see("h1", "Ellen Ripley")
	front.await(t, mark, "POST /forgot 200")
	b.do(clickLink("Log out"))
	b.see("p", "Signed out.")

	// The ChangePasswordForm sets a new password with the email's sptoken
	// (an app links its own page from the email with email.forgot_password.
	// endpoint); the new password signs in, and the LogoutLink signs out.
	token := link[strings.Index(link, "sptoken=")+len("sptoken="):]
	b.do(chromedp.Navigate("about:blank")) // a new document, not a hash change
	b.open(front.URL + "/app/#/change?sptoken=" + url.QueryEscape(token))
	b.see("h1", "Choose a new password")
	b.fill(map[string]string{"password": "sulaco pass phrase", "confirmPassword": "sulaco pass phrase"})
	b.press("Set New Password")
	b.see("p", "Your new password has been set.")
	b.do(clickLink("Log in"))
	b.see("label", "Email or username")
	b.fill(map[string]string{"login": email, "password": "sulaco pass phrase"})
	mark = front.mark()
	b.press("Login")
	b.see("h1", "Ellen Ripley")
	front.await(t, mark, "POST /login 200", "GET /me 200")
	b.do(clickLink("Log out"))
	b.see("p", "Signed out.")

	// What react-stormpath asked of userdb, and how userdb answered: every
	// call carried its agent header, none failed on the server, and the
	// view model, sign-in, /me, forgot and logout calls succeeded.
	front.mu.Lock()
	calls := append([]apiCall(nil), front.calls...)
	front.mu.Unlock()
	for _, c := range calls {
		if c.agent == "" || !strings.HasPrefix(c.agent, "stormpath-sdk-react/2.") {
			t.Fatalf("a call without react-stormpath's X-Stormpath-Agent: %s", c)
		}
		if c.status >= 500 {
			t.Fatalf("userdb answered %s", c)
		}
	}
	for _, w := range []struct {
		method, path string
		status       int
	}{
		{"GET", "/register", 200}, // the view model
		{"POST", "/register", 201},
		{"GET", "/login", 200}, // the view model
		{"POST", "/login", 401},
		{"POST", "/login", 200},
		{"GET", "/me", 200},
		{"POST", "/forgot", 200},
		{"POST", "/change", 200},
		{"POST", "/logout", 200},
	} {
		ok := false
		for _, c := range front.called(w.method, w.path) {
			ok = ok || c.status == w.status
		}
		if !ok {
			t.Fatalf("react-stormpath's %s %s never got %d", w.method, w.path, w.status)
		}
	}

	// The session is over on the server too.
	status, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](
		`fetch("/me", {headers: {Accept: "application/json"}}).then(r => r.status)`, chromedp.EvalAwaitPromise))
	if err != nil || status != 401 {
		t.Fatalf("GET /me after signing out: %d, %v; want 401", status, err)
	}
}
