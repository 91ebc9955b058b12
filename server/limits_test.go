package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/mail/mailtest"
	"github.com/userdb/userdb/internal/oauth"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// limitsOnly switches every rate limit off but those given (rule key of
// protection.rate_limits -> rate), and believes X-Forwarded-For from the
// loopback test client, so that a test can speak from many addresses.
func limitsOnly(rates map[string]string) func(*server.Config) {
	return func(c *server.Config) {
		c.Server.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
		rl := &c.Protection.RateLimits
		for key, field := range map[string]*config.Rate{
			"login_per_ip": &rl.LoginPerIP, "login_per_name": &rl.LoginPerName,
			"login_failures_per_ip": &rl.LoginFailuresPerIP, "known_device_failures": &rl.KnownDeviceFailures,
			"register_per_ip": &rl.RegisterPerIP, "forgot_per_ip": &rl.ForgotPerIP, "verify_per_ip": &rl.VerifyPerIP,
			"emails_per_address": &rl.EmailsPerAddress, "password_per_user": &rl.PasswordPerUser,
			"admin_api_per_key": &rl.AdminAPIPerKey, "token_per_client": &rl.TokenPerClient,
		} {
			*field = config.Rate(rates[key])
			if *field == "" {
				*field = "off"
			}
		}
	}
}

// from is the header of a request from ip, through the trusted proxy.
func from(ip string) []string { return []string{"X-Forwarded-For", ip} }

// wantLimited checks a 429 with Retry-After and a message a person reads.
func wantLimited(t *testing.T, r response, what string) {
	t.Helper()
	if r.status != 429 {
		t.Fatalf("%s: status %d, want 429: %s", what, r.status, r.body)
	}
	ra, err := strconv.Atoi(r.header.Get("Retry-After"))
	if err != nil || ra < 1 {
		t.Errorf("%s: Retry-After %q", what, r.header.Get("Retry-After"))
	}
	msg, _ := r.json(t)["message"].(string)
	if !strings.HasPrefix(msg, "Too many ") || !strings.Contains(msg, "try again in ") {
		t.Errorf("%s: message %q", what, msg)
	}
}

// metric reads one sample of the server's /metrics (on its management
// handler).
func (e *env) metric(t *testing.T, name string) float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	e.srv.ManagementHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// TestRateLimitsOverHTTP drives each limit over HTTP: N requests pass, the
// N+1st is a 429 with Retry-After and a clear message, an event and a
// metric record it, and after the period (on the test clock) requests pass
// again.
func TestRateLimitsOverHTTP(t *testing.T) {
	const pw = "a long enough secret"
	cases := []struct {
		name, key string
		rule      string // rule label of the metric and event
		// do makes request i from c.
		do func(e *env, c *client, i int) response
		// passStatus is the answer of a request within the limit.
		passStatus int
	}{
		{"login per IP", "login_per_ip", "login_ip", func(e *env, c *client, i int) response {
			return c.do("POST", "/login", map[string]string{"login": fmt.Sprintf("nobody%d@example.com", i), "password": "x"}, from("192.0.2.1")...)
		}, 401},
		{"login per name", "login_per_name", "login_name", func(e *env, c *client, i int) response {
			// a new address each time: the name alone is counted
			return c.do("POST", "/login", map[string]string{"login": "Somebody@Example.com", "password": "x"}, from(fmt.Sprintf("192.0.2.%d", i+1))...)
		}, 401},
		{"register per IP", "register_per_ip", "register_ip", func(e *env, c *client, i int) response {
			return c.do("POST", "/register", map[string]string{"email": fmt.Sprintf("new%d@example.com", i), "password": pw}, from("192.0.2.2")...)
		}, 201},
		{"forgot per IP", "forgot_per_ip", "forgot_ip", func(e *env, c *client, i int) response {
			return c.do("POST", "/forgot", map[string]string{"email": fmt.Sprintf("who%d@example.com", i)}, from("192.0.2.3")...)
		}, 200},
		{"verify per IP", "verify_per_ip", "verify_ip", func(e *env, c *client, i int) response {
			return c.do("POST", "/verify", map[string]string{"login": fmt.Sprintf("who%d@example.com", i)}, from("192.0.2.4")...)
		}, 200},
		{"sign-in link per IP", "login_per_ip", "login_ip", func(e *env, c *client, i int) response {
			// a sign-in by email counts as a sign-in attempt of its address
			return c.do("POST", "/login/email", map[string]string{"email": fmt.Sprintf("link%d@example.com", i)}, from("192.0.2.5")...)
		}, 200},
		{"wrong current password per user", "password_per_user", "password_user", func(e *env, c *client, i int) response {
			return c.do("POST", "/me/password", map[string]string{"currentPassword": "wrong guess", "password": "another long secret"}, from(fmt.Sprintf("192.0.2.%d", i+1))...)
		}, 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			const n = 3
			e := newEnv(t, limitsOnly(map[string]string{tc.key: fmt.Sprintf("%d/1m", n)}), func(c *server.Config) {
				c.Registration.Enabled = true
				c.Lockout.AfterFailures = 0
			})
			c := e.client()
			if tc.key == "password_per_user" {
				e.addUser("me@example.com", pw)
				// Through the proxy, as the guesses come: the session
				// cookie's name is __Host-userdb there.
				if r := c.do("POST", "/login", map[string]string{"login": "me@example.com", "password": pw}, from("192.0.2.1")...); r.status != 200 {
					t.Fatalf("sign-in: %d %s", r.status, r.body)
				}
			}
			for i := range n {
				if r := tc.do(e, c, i); r.status != tc.passStatus {
					t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
				}
			}
			wantLimited(t, tc.do(e, c, n), "request N+1")
			if got := e.metric(t, `userdb_rate_limited_total{rule="`+tc.rule+`"}`); got != 1 {
				t.Errorf("metric = %v, want 1", got)
			}
			wantLimited(t, tc.do(e, c, n+1), "request N+2")
			if evs := e.events("rate_limited"); len(evs) != 1 || evs[0].Details["rule"] != tc.rule {
				t.Errorf("events: %d (one per key and period expected)", len(evs))
			}
			e.clock.Add(time.Minute)
			if r := tc.do(e, c, n+2); r.status != tc.passStatus {
				t.Errorf("after the period: %d %s", r.status, r.body)
			}
		})
	}
}

// TestRateLimitKnownAndUnknownNamesAlike: a user's name and a name nobody
// has get the same answers, byte for byte, up to and past the limit.
func TestRateLimitKnownAndUnknownNamesAlike(t *testing.T) {
	e := newEnv(t, limitsOnly(map[string]string{"login_per_name": "3/10m"}), func(c *server.Config) { c.Lockout.AfterFailures = 0 })
	e.addUser("known@example.com", "a long enough secret")
	run := func(name string) (out []string) {
		c := e.client()
		for i := range 5 {
			r := c.do("POST", "/login", map[string]string{"login": name, "password": "wrong password"}, from(fmt.Sprintf("198.51.100.%d", i+1))...)
			out = append(out, fmt.Sprintf("%d %s %s", r.status, r.header.Get("Retry-After"), r.body))
		}
		return out
	}
	known, unknown := run("known@example.com"), run("unknown@example.com")
	for i := range known {
		if known[i] != unknown[i] {
			t.Errorf("answer %d: known %q, unknown %q", i+1, known[i], unknown[i])
		}
	}
	if !strings.HasPrefix(known[3], "429 ") {
		t.Errorf("4th answer %q, want a 429", known[3])
	}
}

// TestCredentialStuffing: one IP tries 1,000 names with one password. After
// the configured number of failures every answer is 429 and no further
// password hash is computed.
func TestCredentialStuffing(t *testing.T) {
	const allowed = 20
	e := newEnv(t, limitsOnly(map[string]string{"login_failures_per_ip": fmt.Sprintf("%d/1h", allowed), "login_per_name": "5/10m"}))
	e.addUser("victim@example.com", "a long enough secret")
	before := e.metric(t, "userdb_password_hashes_total")
	c := e.client()
	statuses := map[int]int{}
	deadline := time.Now().Add(2 * time.Minute)
	for i := range 1000 {
		if time.Now().After(deadline) {
			t.Fatalf("stuffing run still going after 2 minutes, at request %d", i)
		}
		name := fmt.Sprintf("user%04d@example.com", i)
		if i == 500 {
			name = "victim@example.com"
		}
		r := c.do("POST", "/login", map[string]string{"login": name, "password": "Summer2026!"}, from("203.0.113.7")...)
		if i >= allowed && r.status != 429 {
			t.Fatalf("request %d: %d, want 429", i+1, r.status)
		}
		statuses[r.status]++
	}
	if statuses[401] != allowed || statuses[429] != 1000-allowed {
		t.Errorf("answers %v, want %d × 401 and the rest 429", statuses, allowed)
	}
	if hashes := e.metric(t, "userdb_password_hashes_total") - before; hashes != allowed {
		t.Errorf("%v hashes computed, want %d", hashes, allowed)
	}
	// Another address is not held up by this one.
	if r := c.login("victim@example.com", "a long enough secret"); r.status != 200 {
		t.Errorf("the user from elsewhere: %d %s", r.status, r.body)
	}
}

// TestRateLimitAdminAPIPerKey limits the admin API per API key.
func TestRateLimitAdminAPIPerKey(t *testing.T) {
	e := newEnv(t, limitsOnly(map[string]string{"admin_api_per_key": "3/1m"}))
	_, secret, err := inside.Service(e.srv).AdminCreateAPIKey(ctxCLI(), serviceKey())
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()
	auth := []string{"Authorization", "Bearer " + secret}
	for i := range 3 {
		if r := c.do("GET", "/api/v1/users", nil, auth...); r.status != 200 {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
		}
	}
	wantLimited(t, c.do("GET", "/api/v1/users", nil, auth...), "4th request")
	e.clock.Add(time.Minute)
	if r := c.do("GET", "/api/v1/users", nil, auth...); r.status != 200 {
		t.Errorf("after the period: %d", r.status)
	}
}

// TestRateLimitPages: the hosted sign-in page answers a limit with 429,
// Retry-After and the message in the page.
func TestRateLimitPages(t *testing.T) {
	e := newEnv(t, limitsOnly(map[string]string{"login_per_ip": "2/1m"}))
	c := e.client()
	form := url.Values{"login": {"someone@example.com"}, "password": {"wrong password"}}
	var r response
	for range 3 {
		r = c.do("POST", "/login", form, "Accept", "text/html", "Origin", e.http.URL)
	}
	if r.status != 429 || r.header.Get("Retry-After") == "" || !strings.Contains(string(r.body), "Too many sign-in attempts. Please try again in") {
		t.Errorf("page: %d Retry-After %q\n%s", r.status, r.header.Get("Retry-After"), r.body)
	}
}

// TestRateLimitsSharedInRedis: two servers on one Redis count against the
// same limits.
func TestRateLimitsSharedInRedis(t *testing.T) {
	addr := os.Getenv("USERDB_TEST_REDIS_ADDR")
	if addr == "" {
		t.Skip("USERDB_TEST_REDIS_ADDR not set")
	}
	withRedis := func(c *server.Config) { c.Redis.Addr = addr }
	e := newEnv(t, limitsOnly(map[string]string{"login_per_ip": "4/1h"}), withRedis)
	other := newEnv(t, limitsOnly(map[string]string{"login_per_ip": "4/1h"}), withRedis)
	// An address of this run only: Redis outlives test runs.
	n := time.Now().UnixNano()
	ip := fmt.Sprintf("2001:db8::%x:%x", (n>>16)&0xffff, n&0xffff)
	for i, srv := range []*env{e, other, e, other} {
		if r := srv.client().do("POST", "/login", map[string]string{"login": "x@example.com", "password": "x"}, from(ip)...); r.status != 401 {
			t.Fatalf("request %d: %d %s", i+1, r.status, r.body)
		}
	}
	wantLimited(t, other.client().do("POST", "/login", map[string]string{"login": "x@example.com", "password": "x"}, from(ip)...), "5th request, second server")
	wantLimited(t, e.client().do("POST", "/login", map[string]string{"login": "x@example.com", "password": "x"}, from(ip)...), "6th request, first server")
}

func serviceKey() service.NewAPIKey {
	return service.NewAPIKey{Name: "ci", Roles: []string{userdb.RoleSuperAdmin}}
}

// cookie returns the value of the client's cookie name for the server.
func (c *client) cookie(name string) string {
	for _, ck := range c.jar.Cookies(mustURL(c.e.http.URL)) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// TestForgotLoopBoundedInMailDev: /forgot called 200 times in a loop for one
// address sends at most the configured number of emails (counted in a real
// SMTP server, MailDev), and every answer is byte for byte the answer for
// an address nobody has.
func TestForgotLoopBoundedInMailDev(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	e := newEnv(t, withMailDev(md), limitsOnly(map[string]string{"emails_per_address": "3/1h"}))
	e.addUser("known@example.com", "a long enough secret")
	loop := func(email string) (answers []string) {
		c := e.client()
		for range 200 {
			r := c.do("POST", "/forgot", map[string]string{"email": email})
			answers = append(answers, fmt.Sprintf("%d %q %s", r.status, r.header.Get("Retry-After"), r.body))
		}
		return answers
	}
	known, unknown := loop("known@example.com"), loop("unknown@example.com")
	for i := range known {
		if known[i] != unknown[i] {
			t.Fatalf("answer %d: known %s, unknown %s", i+1, known[i], unknown[i])
		}
	}
	if !strings.HasPrefix(known[199], "200 ") {
		t.Errorf("the 200th answer: %s", known[199])
	}
	e.flush()
	msgs, err := md.Messages()
	if err != nil {
		t.Fatal(err)
	}
	sent := map[string]int{}
	for _, m := range msgs {
		for _, to := range m.To {
			sent[to]++
		}
	}
	if sent["known@example.com"] != 3 || len(sent) != 1 {
		t.Errorf("emails in MailDev: %v, want 3 to known@example.com", sent)
	}
}

// TestRateLimitTokenEndpoint: rate_limits.token_per_client limits each
// client's requests to the OAuth token endpoint, authenticated or not, with
// an RFC 6749 error answer and Retry-After; another client is not touched.
func TestRateLimitTokenEndpoint(t *testing.T) {
	e := oauthEnv(t, limitsOnly(map[string]string{"token_per_client": "3/1m"}))
	a, secretA := e.addClient(oauth.ClientInput{Name: ptr("A"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	b, secretB := e.addClient(oauth.ClientInput{Name: ptr("B"), GrantTypes: strs(userdb.GrantClientCredentials), Scopes: strs("customScope")})
	post := func(id, secret string) (int, http.Header, map[string]any) {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "scope": {"customScope"}}
		req, _ := http.NewRequest("POST", e.http.URL+oauth.TokenPath, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, res.Header, body
	}
	if status, _, body := post(a.ID, "a wrong secret"); status != 401 {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
	for i := range 2 {
		if status, _, body := post(a.ID, secretA); status != 200 {
			t.Fatalf("request %d: %d %v", i+2, status, body)
		}
	}
	status, h, body := post(a.ID, secretA)
	ra, _ := strconv.Atoi(h.Get("Retry-After"))
	msg, _ := body["error_description"].(string)
	if status != 429 || body["error"] != "rate_limited" || ra < 1 || !strings.HasPrefix(msg, "Too many ") {
		t.Fatalf("request 4: %d, Retry-After %q, %v", status, h.Get("Retry-After"), body)
	}
	if got := e.metric(t, `userdb_rate_limited_total{rule="token_client"}`); got != 1 {
		t.Errorf("metric = %v, want 1", got)
	}
	if status, _, body := post(b.ID, secretB); status != 200 {
		t.Errorf("another client: %d %v", status, body)
	}
	e.clock.Add(time.Minute)
	if status, _, body := post(a.ID, secretA); status != 200 {
		t.Errorf("after the period: %d %v", status, body)
	}
}
