package server_test

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"github.com/userdb/userdb/internal/inside"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/breach"
	"github.com/userdb/userdb/server"
)

const breachedPassword = "Tr0ub4dor&3" // in no common list: only the breach check refuses it

func sha1Upper(s string) string {
	sum := sha1.Sum([]byte(s))
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// rangeAPI serves the range API as the real service answers: every suffix
// of the prefix with its count, CRLF line ends, and with Add-Padding zero-
// count suffixes in between. It records the paths asked for.
type rangeAPI struct {
	srv  *httptest.Server
	mu   sync.Mutex
	seen []string
	down bool
}

func newRangeAPI(t *testing.T, breached ...string) *rangeAPI {
	a := &rangeAPI{}
	byPrefix := map[string][]string{}
	for _, pw := range breached {
		h := sha1Upper(pw)
		byPrefix[h[:5]] = append(byPrefix[h[:5]], h[5:]+":52579")
	}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.mu.Lock()
		a.seen = append(a.seen, r.URL.RequestURI()+" padding="+r.Header.Get("Add-Padding"))
		down := a.down
		a.mu.Unlock()
		if down {
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		prefix := strings.TrimPrefix(r.URL.Path, "/range/")
		var b bytes.Buffer
		lines := append([]string{"0018A45C4D1DEF81644B54AB7F969B88D65:1", "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:2"}, byPrefix[prefix]...)
		for i, l := range lines {
			fmt.Fprintf(&b, "%s\r\n", l)
			if r.Header.Get("Add-Padding") == "true" {
				fmt.Fprintf(&b, "%035X:0\r\n", i+1)
			}
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write(b.Bytes())
	}))
	t.Cleanup(a.srv.Close)
	return a
}

// wantBreachRefused checks the four places a new password is chosen.
func wantBreachRefused(t *testing.T, e *env) {
	t.Helper()
	const good = "a long enough secret"
	wantMsg := func(what string, r response) {
		t.Helper()
		if r.status != 400 || !strings.Contains(string(r.body), "appeared in a data breach") {
			t.Errorf("%s: %d %s", what, r.status, r.body)
		}
	}
	c := e.client()
	wantMsg("registration", c.do("POST", "/register", map[string]string{"email": "new@example.com", "password": breachedPassword}))

	e.addUser("ann@example.com", good)
	c.mustLogin("ann@example.com", good)
	wantMsg("change", c.do("POST", "/me/password", map[string]string{"currentPassword": good, "password": breachedPassword}))

	c.do("POST", "/forgot", map[string]string{"email": "ann@example.com"})
	token := tokenOf(t, e.lastEmail("ann@example.com", "forgot-password"))
	wantMsg("reset", c.do("POST", "/change", map[string]string{"sptoken": token, "password": breachedPassword}))

	_, secret, err := inside.Service(e.srv).AdminCreateAPIKey(ctxCLI(), serviceKey())
	if err != nil {
		t.Fatal(err)
	}
	wantMsg("admin set", c.do("POST", "/api/v1/users", map[string]any{"email": "other@example.com", "password": breachedPassword}, "Authorization", "Bearer "+secret))
	// A password in no list goes through.
	if r := c.do("POST", "/me/password", map[string]string{"currentPassword": good, "password": "a second long secret"}); r.status != 200 {
		t.Errorf("unbreached password: %d %s", r.status, r.body)
	}
}

func breachOn(c *server.Config) {
	c.Registration.Enabled = true
	c.Password.BreachCheck = "block"
	c.Password.Policy.Mode = "off" // no length rule to refuse it first
}

// TestBreachRangeAPI checks passwords against a local server speaking the
// range API, and that only five hex characters of a hash ever leave.
func TestBreachRangeAPI(t *testing.T) {
	api := newRangeAPI(t, breachedPassword)
	e := newEnv(t, breachOn, func(c *server.Config) { c.Password.Breach.APIURL = api.srv.URL })
	wantBreachRefused(t, e)
	api.mu.Lock()
	defer api.mu.Unlock()
	if len(api.seen) == 0 {
		t.Fatal("the range API was never asked")
	}
	for _, s := range api.seen {
		path, padding, _ := strings.Cut(s, " ")
		prefix, ok := strings.CutPrefix(path, "/range/")
		if !ok || len(prefix) != 5 || strings.Trim(prefix, "0123456789ABCDEF") != "" || padding != "padding=true" {
			t.Errorf("the range API was asked %q", s)
		}
	}
}

// TestBreachServiceDown: the range API unreachable, the configured
// behaviour applies and an event says so.
func TestBreachServiceDown(t *testing.T) {
	for _, failOpen := range []bool{true, false} {
		t.Run(fmt.Sprintf("fail_open=%v", failOpen), func(t *testing.T) {
			api := newRangeAPI(t)
			api.down = true
			e := newEnv(t, breachOn, func(c *server.Config) {
				c.Password.Breach.APIURL = api.srv.URL
				c.Password.Breach.FailOpen = failOpen
				c.Password.Breach.Timeout = time.Second
			})
			r := e.client().do("POST", "/register", map[string]string{"email": "new@example.com", "password": "a long enough secret"})
			if failOpen && r.status != 201 || !failOpen && (r.status != 400 || !strings.Contains(string(r.body), "could not be checked")) {
				t.Errorf("register: %d %s", r.status, r.body)
			}
			evs := e.events("password.breach_check_failed")
			want := map[bool]string{true: "accepted", false: "refused"}[failOpen]
			if len(evs) != 1 || evs[0].Details["password"] != want {
				t.Errorf("events: %v", evs)
			}
		})
	}
}

// TestBreachOfflineFile checks against a file made by breach.Import.
func TestBreachOfflineFile(t *testing.T) {
	var list bytes.Buffer
	for i := range 1000 {
		fmt.Fprintf(&list, "%s:%d\n", sha1Upper(fmt.Sprint("filler", i)), i+1)
	}
	fmt.Fprintf(&list, "%s:52579\n", sha1Upper(breachedPassword))
	file := filepath.Join(t.TempDir(), "breached.bin")
	var out bytes.Buffer
	if n, err := breach.Import(&list, &out, 1); err != nil || n != 1001 {
		t.Fatalf("import: %d %v", n, err)
	}
	writeFile(t, file, out.Bytes())
	e := newEnv(t, breachOn, func(c *server.Config) {
		c.Password.Breach.File = file
		c.Password.Breach.APIURL = "http://127.0.0.1:1" // never asked
	})
	wantBreachRefused(t, e)
}

func writeFile(t *testing.T, name string, data []byte) {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
