package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// cli runs a userdb command against the server's database (the server's
// own environment and directory), with stdin, and returns its standard
// output; what it logs on standard error is shown only when it fails.
func (s *server) cli(stdin string, args ...string) string {
	s.t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = s.cmd.Dir, s.cmd.Env
	cmd.Stdin = strings.NewReader(stdin)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		s.t.Fatalf("userdb %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

var idLine = regexp.MustCompile(`(?m)^id\s+(usr_[A-Za-z0-9_-]+)`)

// addUser creates a user from the command line and returns its id.
func (s *server) addUser(email, password string, flags ...string) string {
	s.t.Helper()
	out := s.cli(password+"\n", append([]string{"user", "add", "--email", email, "--password-stdin", "--verified"}, flags...)...)
	m := idLine.FindStringSubmatch(out)
	if m == nil {
		s.t.Fatalf("no user id in:\n%s", out)
	}
	return m[1]
}

// signedIn returns an API client signed in as login.
func (s *server) signedIn(login, password string) *client {
	s.t.Helper()
	c := s.client()
	c.expect(200, "POST", "/login", map[string]any{"login": login, "password": password})
	return c
}

// page gets a path as a browser would (asking for HTML) with the client's
// cookies, and returns the status and body.
func (c *client) page(path string) (int, string) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.s.url+path, nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// userStatus is a user's status as the admin API reports it.
func userStatus(c *client, id string) string {
	c.t.Helper()
	m := c.expect(200, "GET", "/api/v1/users/"+id, nil)
	st, _ := m["status"].(string)
	return st
}

// clickContaining clicks the link whose text contains text.
func clickContaining(text string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(fmt.Sprintf(`//a[contains(normalize-space(), %q)]`, text))
}

// TestBrowserAdminConsole drives the admin console in Chromium with scripts
// switched off, against the real binary and MailDev: a plain user is
// refused; the super-admin searches for a user locked by failed sign-ins,
// unlocks, disables and re-enables it; a form posted from another site is
// refused; the admin invites a user, who completes the welcome flow from
// the email: checks the names the admin entered, fills the profile (a date
// typed key by key, a plan), chooses a password and is signed in with all
// of it saved. Screenshots of the users table and a user's page at 1280
// and 360 pixels go to the artifacts directory.
func TestBrowserAdminConsole(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServerWithConfig(t, md, profileConfig, "USERDB_LOCKOUT_AFTER_FAILURES=3")
	const rootPW, userPW = "root pass phrase", "user pass phrase"
	s.addUser("root@example.com", rootPW, "--role", "super-admin", "--given-name", "Rita", "--surname", "Root")
	s.addUser("plain@example.com", userPW, "--given-name", "Paul", "--surname", "Plain")
	lockID := s.addUser("lou@example.com", userPW, "--given-name", "Lou", "--surname", "Locke")
	for _, n := range []string{"Ada Byron", "Grace Hopper", "Alan Turing", "Edsger Dijkstra"} {
		first, last, _ := strings.Cut(n, " ")
		s.addUser(strings.ToLower(first)+"@example.com", userPW, "--given-name", first, "--surname", last)
	}
	// Lock Lou through the API: three wrong passwords.
	for range 3 {
		s.client().call("POST", "/login", map[string]any{"login": "lou@example.com", "password": "wrong guess"})
	}
	api := s.signedIn("root@example.com", rootPW)
	if st := userStatus(api, lockID); st != "LOCKED" {
		t.Fatalf("Lou is %s after three failed sign-ins", st)
	}

	// A plain user gets 403 on /admin/.
	if status, body := s.signedIn("plain@example.com", userPW).page("/admin/"); status != http.StatusForbidden ||
		!strings.Contains(body, "You do not have access") {
		t.Fatalf("plain user on /admin/: %d\n%s", status, body)
	}
	b := newTab(t, s, false)
	b.open("/signin")
	b.fill(map[string]string{"login": "plain@example.com", "password": userPW})
	b.press("Sign in")
	b.see("h1", "Paul Plain")
	b.open("/admin/")
	b.see("h1", "You do not have access")
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")

	// The console sends a visitor to sign in, and back.
	b.open("/admin/")
	b.see("h1", "Sign in")
	b.fill(map[string]string{"login": "root@example.com", "password": rootPW})
	b.press("Sign in")
	b.see("h1", "Users")
	if loc := b.location(); loc != s.url+"/admin/users" {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	b.see("p", "7 users")
	b.screenshot("users-table-desktop", 1280)
	b.screenshot("users-table-360", 360)

	// Search, then unlock, disable and re-enable the locked user.
	b.fill(map[string]string{"q": "lou"})
	b.press("Search")
	b.see("p", "1 user match")
	b.see("span.status", "LOCKED")
	b.see("a", "lou@example.com")
	b.do(clickContaining("lou@example.com"))
	b.see("h1", "Lou Locke")
	b.press("Unlock")
	b.see("div.alert-success", "The user has been unlocked.")
	if st := userStatus(api, lockID); st != "ENABLED" {
		t.Fatalf("Lou is %s after unlocking", st)
	}
	b.press("Disable")
	b.see("div.alert-success", "The user has been disabled")
	b.see("span.status", "DISABLED")
	if st := userStatus(api, lockID); st != "DISABLED" {
		t.Fatalf("Lou is %s after disabling", st)
	}
	b.press("Enable")
	b.see("div.alert-success", "The user has been enabled.")
	s.signedIn("lou@example.com", userPW) // can sign in again

	// A form on another site (another port: same site, so the lax session
	// cookie goes along) cannot disable the user.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><form method="post" action="` + s.url + `/admin/users/` + lockID + `">` +
			`<input type="hidden" name="intent" value="disable"><button type="submit">Claim your prize</button></form>`))
	}))
	defer evil.Close()
	b.open(evil.URL)
	b.press("Claim your prize")
	b.see("h1", "Request refused") // a page, not JSON, for a browser's form
	b.see("p", "Cross-origin request refused.")
	if st := userStatus(api, lockID); st != "ENABLED" {
		t.Fatalf("a cross-origin post changed Lou to %s", st)
	}

	// Invite a user; the form comes back with a message first.
	b.open("/admin/users/new")
	b.see("h1", "Add a user")
	b.fill(map[string]string{"email": "ada@example.com", "givenName": "Nina", "surname": "New"})
	b.press("Add user")
	b.see("p.field-error", "Another user already has this email address")
	b.fill(map[string]string{"email": "nina@example.com"})
	b.press("Add user")
	b.see("div.alert-success", "an invitation email is on its way")
	b.see("h1", "Nina New")
	b.see("span.status", "PENDING")
	b.screenshot("user-detail-desktop", 1280)
	b.screenshot("user-detail-360", 360)

	// Nina completes the welcome flow from the email and is signed in.
	_, link := waitEmail(t, md, "nina@example.com", "You are invited")
	if link == "" {
		t.Fatal("no link in the invitation email")
	}
	b.open(link)
	b.see("h1", "Welcome to")
	b.see("strong", "nina@example.com")
	// She checks what the administrator entered, fills her profile and
	// chooses a password.
	if got := b.value("givenName") + " " + b.value("surname"); got != "Nina New" {
		t.Fatalf("the welcome page shows the names %q", got)
	}
	b.fill(map[string]string{"surname": "Newton", "password": "nina pass phrase", "confirmPassword": "nina pass phrase"})
	b.typeDate("customData.birthdate", 1985, 2, 14)
	b.do(chromedp.SetValue(chromedp.CSS(`select[name="customData.plan"]`), "pro"))
	b.press("Save and continue")
	b.see("div.alert-success", "Welcome! Your account is ready.")
	b.see("h1", "Nina Newton")
	if got := b.value("customData.birthdate"); got != "1985-02-14" {
		t.Fatalf("birthdate shows %q after the welcome page", got)
	}
	nina := api.expect(200, "GET", "/api/v1/users?q=nina", nil)
	items, _ := nina["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("searching for nina: %v", nina)
	}
	saved, _ := items[0].(map[string]any)
	custom, _ := saved["customData"].(map[string]any)
	if saved["surname"] != "Newton" || saved["status"] != "ENABLED" || custom["birthdate"] != "1985-02-14" || custom["plan"] != "pro" {
		t.Fatalf("Nina after the welcome page: %v", saved)
	}
	// She is signed in as herself now, not an administrator.
	b.open("/admin/users")
	b.see("h1", "You do not have access")
	if u, _ := url.Parse(b.location()); u.Path != "/admin/users" {
		t.Fatalf("at %s", b.location())
	}
}
