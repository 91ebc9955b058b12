package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

const upstreamOPDir = "testdata/upstream-op"

// opAccounts are the test provider's users (login -> claims; sub is the login).
var opAccounts = map[string]map[string]any{
	"alice": {"email": "alice@acme.test", "email_verified": true, "given_name": "Alice", "family_name": "Liddell",
		"name": "Alice Liddell", "groups": []string{"editors", "no-such-role", "super-admin"}, "department": "Research"},
	"bob":              {"email": "bob@elsewhere.test", "email_verified": true, "name": "Bob"},
	"carol":            {"email": "carol@acme.test", "email_verified": true, "name": "Carol"},
	"dave":             {"email": "dave@acme.test", "email_verified": true, "name": "Dave"},
	"taker-unverified": {"email": "victim@example.com", "email_verified": false},
	"taker-verified":   {"email": "victim@example.com", "email_verified": true},
}

// op is a running npm oidc-provider.
type op struct {
	issuer string
}

// startOP runs the certified Node OpenID Provider on loopback for the test.
func startOP(t *testing.T) *op {
	t.Helper()
	if _, err := os.Stat(filepath.Join(upstreamOPDir, "node_modules", "oidc-provider")); err != nil {
		msg := "oidc-provider is not installed; run (cd e2e/" + upstreamOPDir + " && npm ci)"
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	accounts, _ := json.Marshal(opAccounts)
	cmd := exec.Command("node", "op.mjs")
	cmd.Dir = upstreamOPDir
	cmd.Env = append(os.Environ(), "OP_ACCOUNTS="+string(accounts))
	cmd.Stderr = io.Discard // version and quick-start warnings
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	first := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			first <- sc.Text()
		}
		close(first)
		io.Copy(io.Discard, out)
	}()
	select {
	case line := <-first:
		var hello struct{ Issuer string }
		if err := json.Unmarshal([]byte(line), &hello); err != nil || hello.Issuer == "" {
			t.Fatalf("oidc-provider said %q", line)
		}
		return &op{issuer: hello.Issuer}
	case <-time.After(30 * time.Second):
		t.Fatal("oidc-provider did not start within 30s")
	}
	return nil
}

// register registers a client with the callback of a userdb connector
// (OpenID Connect dynamic client registration) and returns its id and secret.
func (o *op) register(t *testing.T, callback string) (id, secret string) {
	t.Helper()
	body := `{"redirect_uris":["` + callback + `"],"token_endpoint_auth_method":"client_secret_basic"}`
	res, err := http.Post(o.issuer+"/reg", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || res.StatusCode != 201 {
		t.Fatalf("registering a client: %d %v", res.StatusCode, err)
	}
	return c.ClientID, c.ClientSecret
}

// upstreamClient is a browser without a browser: a cookie jar that follows
// redirects across userdb and the provider and remembers the callback.
type upstreamClient struct {
	t        *testing.T
	s        *server
	hc       *http.Client
	callback string // the last callback URL the provider sent it to
}

func newUpstreamClient(t *testing.T, s *server) *upstreamClient {
	jar, _ := cookiejar.New(nil)
	c := &upstreamClient{t: t, s: s}
	c.hc = &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/callback") {
			c.callback = req.URL.String()
		}
		if len(via) > 20 {
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return c
}

// get fetches a page as a browser would and returns where it ended, its
// status and body.
func (c *upstreamClient) get(target string) (string, int, string) {
	c.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = c.s.url + target
	}
	req, _ := http.NewRequest("GET", target, nil)
	req.Header.Set("Accept", "text/html")
	return c.do(req)
}

func (c *upstreamClient) post(target string, form url.Values) (string, int, string) {
	c.t.Helper()
	if !strings.HasPrefix(target, "http") {
		target = c.s.url + target
	}
	req, _ := http.NewRequest("POST", target, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Origin", origin(target))
	return c.do(req)
}

func origin(target string) string {
	u, _ := url.Parse(target)
	return u.Scheme + "://" + u.Host
}

func (c *upstreamClient) do(req *http.Request) (string, int, string) {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.Request.URL.String(), res.StatusCode, string(b)
}

var interactionForm = regexp.MustCompile(`action="(/interaction/[^"]+/login)"`)

// signIn starts a sign-in through a connector and signs in at the provider
// as login; it returns where the browser ended, its status and page.
func (c *upstreamClient) signIn(connector, login string) (string, int, string) {
	c.t.Helper()
	at, status, body := c.get("/upstream/" + connector + "/start")
	m := interactionForm.FindStringSubmatch(body)
	if m == nil {
		return at, status, body // the provider asked nothing (signed in there already)
	}
	return c.post(origin(at)+m[1], url.Values{"login": {login}})
}

// TestUpstream signs users in through the npm oidc-provider (the certified
// Node OpenID Provider) on loopback, with one provider and one browser for
// every case.
func TestUpstream(t *testing.T) {
	o := startOP(t)
	md := mailtest.New(t, mailtest.Options{})
	// A bounded wait for a provider that hangs: 5s instead of 10s (shorter
	// would risk the real provider's answers on a loaded machine).
	s := startServer(t, md, "USERDB_UPSTREAM_TIMEOUT=5s")
	s.cli("", "account", "add", "acme")
	s.cli("", "role", "add", "acme", "editors")
	s.cli("", "role", "add", "acme", "member")

	id, secret := o.register(t, s.url+"/upstream/op/callback")
	s.cli(secret+"\n", "connector", "add", "op", "--type", "oidc", "--name", "Test OP", "--client-id", id,
		"--client-secret-stdin", "--account", "acme", "--issuer", o.issuer,
		"--scope", "openid", "--scope", "email", "--scope", "profile", "--scope", "groups",
		"--claim", "attr.department=department", "--create-users", "true", "--default-role", "member",
		"--domain", "acme.test")
	// A second provider through the generic OAuth 2.0 connector: the same
	// server's endpoints, the user from its userinfo answer.
	id2, secret2 := o.register(t, s.url+"/upstream/op-oauth/callback")
	s.cli(secret2+"\n", "connector", "add", "op-oauth", "--type", "oauth2", "--name", "Test OAuth", "--client-id", id2,
		"--client-secret-stdin", "--account", "acme", "--auth-url", o.issuer+"/auth", "--token-url", o.issuer+"/token",
		"--userinfo-url", o.issuer+"/me", "--scope", "openid", "--scope", "email", "--scope", "profile",
		// The issuer is only the first half of an identity's key here; its
		// own keeps alice's two identities apart.
		"--issuer", o.issuer+"/oauth2")

	t.Run("Browser", func(t *testing.T) { upstreamBrowser(t, s) })
	t.Run("AccountTakeover", func(t *testing.T) { upstreamTakeover(t, s) })
	t.Run("BadCallbacks", func(t *testing.T) { upstreamBadCallbacks(t, s) })
	t.Run("ProviderTrouble", func(t *testing.T) { upstreamTrouble(t, s, o) })
	t.Run("JSONAndHomeRealm", func(t *testing.T) { upstreamJSON(t, s) })
	t.Run("SecondFactor", func(t *testing.T) { upstreamSecondFactor(t, s) })
}

// upstreamSecondFactor: a provider's sign-in is one factor. When alice's
// account requires two and she has none, the provider's answer sends her
// to enrol one, with no session, as a password would — the stage pages
// (and the administrators' rule) apply to every way in.
func upstreamSecondFactor(t *testing.T, s *server) {
	key := apiKey(t, s, "mfa-policy", "--role", "super-admin")
	acc, _ := userJSON(t, s, "alice@acme.test")["account"].(string)
	put := func(policy string) {
		t.Helper()
		if st, body := call(t, s.url+"/api/v1/accounts/"+acc+"/mfa-policy", "PUT", "Bearer "+key, map[string]any{"policy": policy}); st != 204 {
			t.Fatalf("PUT acme's MFA policy %s: %d %v", policy, st, body)
		}
	}
	put("required")
	defer put("optional")
	uc := newUpstreamClient(t, s)
	at, status, body := uc.signIn("op", "alice")
	if status != 200 || !strings.Contains(at, "/signin/mfa/enrol") {
		t.Fatalf("alice through the provider with a required second factor: at %s, %d\n%s", at, status, body)
	}
	if at, _, page := uc.get("/profile"); !strings.Contains(at, "/signin") || strings.Contains(page, "alice@acme.test") {
		t.Fatalf("alice's profile before enrolling a second factor: at %s; want the sign-in page", at)
	}
}

// userJSON returns `userdb user show --json` of a user.
func userJSON(t *testing.T, s *server, ref string) map[string]any {
	t.Helper()
	var u map[string]any
	if err := json.Unmarshal([]byte(s.cli("", "user", "show", ref, "--json")), &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// countUsers counts the users with the email.
func countUsers(t *testing.T, s *server, email string) int {
	t.Helper()
	var list struct {
		Users []struct{ Email string }
	}
	out := s.cli("", "user", "list", "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("user list --json: %v\n%s", err, out)
	}
	n := 0
	for _, u := range list.Users {
		if u.Email == email {
			n++
		}
	}
	return n
}

// userExists reports whether a user with the email exists.
func userExists(t *testing.T, s *server, email string) bool {
	t.Helper()
	return countUsers(t, s, email) > 0
}

func upstreamBrowser(t *testing.T, s *server) {
	b := newTab(t, s, false)
	b.open("/signin")
	b.see("a", "Continue with Test OP")
	b.screenshot("upstream-signin", 1280)
	b.do(clickLink("Continue with Test OP"))
	b.see("h1", "Sign in at the test provider")
	b.do(chromedp.SendKeys(`#login`, "alice"), chromedp.Click(`#signin`))
	b.see("h1", "Alice Liddell")

	u := userJSON(t, s, "alice@acme.test")
	if inAcme := s.cli("", "user", "list", "--account", "acme", "--json"); !strings.Contains(inAcme, `"alice@acme.test"`) {
		t.Errorf("alice did not join the account acme (she is in %v)", u["account"])
	}
	roles, _ := json.Marshal(u["roles"])
	if !strings.Contains(string(roles), `"member"`) || !strings.Contains(string(roles), `"editors"`) || strings.Contains(string(roles), "super-admin") {
		t.Errorf("alice's roles = %s, want member (default) and editors (groups), never super-admin", roles)
	}
	if cd, _ := u["customData"].(map[string]any); cd["department"] != "Research" {
		t.Errorf("alice's custom data = %v, want department Research", u["customData"])
	}
	if u["emailVerified"] != true {
		t.Errorf("alice's email is not verified: %v", u["emailVerified"])
	}

	// Signed out and in again: the same user, not a second one.
	b.do(chromedp.Click(`//button[normalize-space()="Sign out"]`))
	b.see("h1", "Sign in")
	b.do(clickLink("Continue with Test OP"))
	b.see("h1", "Alice Liddell")
	if again := userJSON(t, s, "alice@acme.test"); again["id"] != u["id"] {
		t.Fatalf("second sign-in gave user %v, want %v", again["id"], u["id"])
	}
	if n := countUsers(t, s, "alice@acme.test"); n != 1 {
		t.Errorf("%d users with alice@acme.test", n)
	}
	events := s.cli("", "events", "--user", u["id"].(string), "--type", "login.succeeded", "--json")
	if strings.Count(events, `"fed"`) < 2 {
		t.Errorf("sign-ins not recorded with amr fed:\n%s", events)
	}

	// Link the second provider from the profile.
	b.do(clickLink("Linked accounts"))
	b.see("h1", "Linked accounts")
	b.do(clickLink("Link Test OAuth"))
	b.see("h1", "Sign in at the test provider")
	b.do(chromedp.SendKeys(`#login`, "alice"), chromedp.Click(`#signin`))
	b.see("div.alert", "The account has been linked")
	b.see("span", "Test OAuth")
	b.screenshot("upstream-linked", 1280)

	// Unlink it; the last way in cannot be unlinked (alice has no password).
	b.do(chromedp.Click(`//li[.//span[normalize-space()="Test OAuth"]]//button[normalize-space()="Unlink"]`))
	b.see("div.alert", "The account has been unlinked")
	b.do(chromedp.Click(`//li[.//span[normalize-space()="Test OP"]]//button[normalize-space()="Unlink"]`))
	b.see("div.alert", "This is your only way to sign in")
}

func upstreamTakeover(t *testing.T, s *server) {
	victim := s.addUser("victim@example.com", "correct horse battery staple")

	// An unverified claim to the victim's address is not looked at.
	c := newUpstreamClient(t, s)
	_, status, body := c.signIn("op", "taker-unverified")
	if status != 403 || !strings.Contains(body, "no verified email address") {
		t.Fatalf("unverified email: %d\n%s", status, body)
	}
	// A verified one only leads to the password of the existing account.
	c = newUpstreamClient(t, s)
	at, status, body := c.signIn("op", "taker-verified")
	if !strings.HasSuffix(at, "/upstream/link") || status != 200 || !strings.Contains(body, "Enter its password") {
		t.Fatalf("verified email of an existing user: %s %d\n%s", at, status, body)
	}
	if at, _, _ := c.get("/profile"); !strings.Contains(at, "/signin") {
		t.Fatalf("signed in without the user's proof: %s", at)
	}
	_, status, body = c.post("/upstream/link", url.Values{"password": {"not the password"}})
	if status != 400 || !strings.Contains(body, "not the password of this account") {
		t.Fatalf("wrong password on the link page: %d\n%s", status, body)
	}
	if ev := s.cli("", "events", "--user", victim, "--type", "identity.linked", "--json"); strings.Contains(ev, "identity.linked") {
		t.Fatalf("linked without the user's proof:\n%s", ev)
	}
	// The owner proves it: linked, signed in, and the provider now signs in
	// as the victim's own user.
	at, status, _ = c.post("/upstream/link", url.Values{"password": {"correct horse battery staple"}})
	if status != 200 || !strings.HasSuffix(at, "/profile") {
		t.Fatalf("right password on the link page: %s %d", at, status)
	}
	c = newUpstreamClient(t, s)
	at, _, _ = c.signIn("op", "taker-verified")
	if !strings.HasSuffix(at, "/profile") {
		t.Fatalf("linked identity did not sign in: %s", at)
	}
}

func upstreamBadCallbacks(t *testing.T, s *server) {
	// A tampered state: refused, nothing created.
	c := newUpstreamClient(t, s)
	c.hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if strings.Contains(req.URL.Path, "/callback") {
			c.callback = req.URL.String()
			return http.ErrUseLastResponse // stop before userdb sees it
		}
		return nil
	}
	c.signIn("op", "carol")
	if c.callback == "" {
		t.Fatal("the provider did not send the browser back")
	}
	u, _ := url.Parse(c.callback)
	q := u.Query()
	q.Set("state", q.Get("state")+"x")
	u.RawQuery = q.Encode()
	_, status, body := c.get(u.String())
	if status != 400 || !strings.Contains(body, "Please start again") {
		t.Fatalf("tampered state: %d\n%s", status, body)
	}
	if userExists(t, s, "carol@acme.test") {
		t.Fatal("a tampered callback created a user")
	}

	// The right callback signs carol in; the same callback again is refused.
	c.hc.CheckRedirect = nil
	at, status, _ := c.get(c.callback)
	if status != 200 || !strings.HasSuffix(at, "/profile") {
		t.Fatalf("callback: %s %d", at, status)
	}
	_, status, body = c.get(c.callback)
	if status != 400 || !strings.Contains(body, "already used") {
		t.Fatalf("replayed callback: %d\n%s", status, body)
	}
	if n := countUsers(t, s, "carol@acme.test"); n != 1 {
		t.Errorf("%d users with carol@acme.test", n)
	}

	// A callback from another browser (no state cookie) is refused too.
	other := newUpstreamClient(t, s)
	_, status, _ = other.get(c.callback)
	if status != 400 {
		t.Errorf("callback in another browser: %d, want 400", status)
	}

	// The user cancels at the provider.
	c = newUpstreamClient(t, s)
	at, _, body = c.get("/upstream/op/start")
	m := regexp.MustCompile(`action="(/interaction/[^"]+/abort)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no cancel button at %s", at)
	}
	_, status, body = c.post(origin(at)+m[1], url.Values{})
	if status != 401 && status != 400 || !strings.Contains(body, "cancelled or refused") {
		t.Fatalf("cancelled at the provider: %d\n%s", status, body)
	}
}

func upstreamTrouble(t *testing.T, s *server, o *op) {
	// A wrong client secret: the provider refuses the code exchange.
	id, _ := o.register(t, s.url+"/upstream/badsecret/callback")
	s.cli("wrong secret\n", "connector", "add", "badsecret", "--type", "oidc", "--name", "Misconfigured", "--client-id", id,
		"--client-secret-stdin", "--account", "acme", "--issuer", o.issuer, "--create-users", "true")
	c := newUpstreamClient(t, s)
	_, status, body := c.signIn("badsecret", "dave")
	if status != 502 || !strings.Contains(body, "not set up correctly") {
		t.Fatalf("wrong secret: %d\n%s", status, body)
	}
	if userExists(t, s, "dave@acme.test") {
		t.Fatal("a failed exchange created a user")
	}
	if ev := s.cli("", "events", "--type", "login.upstream_failed", "--json"); !strings.Contains(ev, "invalid_client") {
		t.Errorf("the provider's error is not in the event:\n%s", ev)
	}

	// A provider that is down.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	s.cli("x\n", "connector", "add", "down", "--type", "oidc", "--name", "Down", "--client-id", "x",
		"--client-secret-stdin", "--issuer", down)
	_, status, body = newUpstreamClient(t, s).get("/upstream/down/start")
	if status != 502 || !strings.Contains(body, "could not be reached") {
		t.Fatalf("provider down: %d\n%s", status, body)
	}

	// A provider that accepts and never answers: the bounded timeout (5s
	// here) ends the wait with the same clear page.
	release := make(chan struct{})
	hang := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hang.Serve(hl)
	t.Cleanup(func() { close(release); hang.Close() })
	s.cli("x\n", "connector", "add", "slow", "--type", "oidc", "--name", "Slow", "--client-id", "x",
		"--client-secret-stdin", "--issuer", "http://"+hl.Addr().String())
	_, status, body = newUpstreamClient(t, s).get("/upstream/slow/start")
	if status != 502 || !strings.Contains(body, "could not be reached") {
		t.Fatalf("slow provider: %d\n%s", status, body)
	}
	// An unknown connector.
	_, status, body = newUpstreamClient(t, s).get("/upstream/nope/start")
	if status != 404 || !strings.Contains(body, "no sign-in with") {
		t.Fatalf("unknown connector: %d\n%s", status, body)
	}
}

func upstreamJSON(t *testing.T, s *server) {
	// GET /login?connection=op sends the browser to the connector.
	c := s.client()
	c.hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, _ := http.NewRequest("GET", s.url+"/login?connection=op&next=/profile", nil)
	req.Header.Set("Accept", "text/html")
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode != 302 || loc != "/upstream/op/start?next=%2Fprofile" {
		t.Errorf("GET /login?connection=op: %d %q", res.StatusCode, loc)
	}
	m := c.expect(200, "POST", "/login", map[string]any{"connection": "op"})
	if m["redirect"] != "/upstream/op/start" {
		t.Errorf("POST /login {connection}: %v", m)
	}

	// Home-realm discovery: an address of acme.test is sent to its provider.
	uc := newUpstreamClient(t, s)
	_, status, body := uc.post("/signin", url.Values{"login": {"someone@acme.test"}})
	if status != 200 || !strings.Contains(body, "someone@acme.test signs in with Test OP") ||
		!strings.Contains(body, "login_hint=someone%40acme.test") {
		t.Fatalf("home-realm discovery: %d\n%s", status, body)
	}
	// With a password typed, a connector that is not required leaves the
	// password sign-in alone.
	_, status, body = uc.post("/signin", url.Values{"login": {"someone@acme.test"}, "password": {"a password"}})
	if status != 400 || !strings.Contains(body, "Invalid username or password") {
		t.Fatalf("password sign-in of a discovered domain: %d\n%s", status, body)
	}

	// A required connector: the account's users may not use a password.
	s.addUser("pat@acme.test", "correct horse battery staple", "--account", "acme")
	s.client().expect(200, "POST", "/login", map[string]any{"login": "pat@acme.test", "password": "correct horse battery staple"})
	s.cli("", "connector", "update", "op", "--required", "true")
	m = s.client().expect(403, "POST", "/login", map[string]any{"login": "pat@acme.test", "password": "correct horse battery staple"})
	if msg, _ := m["message"].(string); !strings.Contains(msg, "signs in with Test OP") {
		t.Errorf("required connector: %v", m)
	}
}
