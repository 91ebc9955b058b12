package server_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

func TestLoginMeLogout(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()

	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("GET /me before login: %d", r.status)
	}
	acc := c.mustLogin("ANN@example.com", "correct horse battery")
	if acc["email"] != "ann@example.com" || acc["status"] != "ENABLED" {
		t.Fatalf("login account = %v", acc)
	}
	for _, k := range []string{"password", "passwordHash", "hash"} {
		if _, ok := acc[k]; ok {
			t.Fatalf("account JSON carries %q", k)
		}
	}
	me := c.do("GET", "/me", nil)
	if me.status != 200 || me.json(t)["account"].(map[string]any)["id"] != acc["id"] {
		t.Fatalf("GET /me: %d %s", me.status, me.body)
	}
	if r := c.do("POST", "/logout", nil); r.status != 200 {
		t.Fatalf("logout: %d", r.status)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("GET /me after logout: %d", r.status)
	}
	if n := len(e.events("logout")); n != 1 {
		t.Fatalf("logout events = %d", n)
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	r := e.client().login("ann@example.com", "correct horse battery")
	var cookie *http.Cookie
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "userdb" {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no userdb cookie")
	}
	if !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("cookie flags: %+v", cookie)
	}
	// Plain HTTP to 127.0.0.1 is development: Secure is relaxed only there.
	if cookie.Secure {
		t.Fatal("Secure set on plain-HTTP loopback")
	}
	if len(cookie.Value) < 40 {
		t.Fatalf("session id too short: %d", len(cookie.Value))
	}
}

func TestBrowserRedirectedToLogin(t *testing.T) {
	e := newEnv(t)
	r := e.client().do("GET", "/me?x=1", nil, "Accept", "text/html,application/xhtml+xml")
	if r.status != http.StatusFound || r.header.Get("Location") != "/signin?next=%2Fme%3Fx%3D1" {
		t.Fatalf("browser GET /me: %d Location=%q", r.status, r.header.Get("Location"))
	}
}

func TestLoginRotatesSession(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	old := c.cookie("userdb")
	c.mustLogin("ann@example.com", "correct horse battery")
	now := c.cookie("userdb")
	if old == now {
		t.Fatal("session id not rotated at sign-in")
	}
	u, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "ann@example.com")
	list, _ := inside.Service(e.srv).Sessions(ctxCLI(), u.ID)
	if len(list) != 1 {
		t.Fatalf("sessions after second sign-in = %d, want the old one ended", len(list))
	}
}

// TestSignInEndsPlantedSession: a session cookie planted in a browser
// (here another user's) is ended by the sign-in that replaces it, through
// the JSON API, the sign-in page and registration alike, and the end is
// recorded as that session's logout; the sign-in's answer carries the
// user's roles, read in its transaction.
func TestSignInEndsPlantedSession(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Registration.Enabled, c.Registration.RequireVerification = true, false // registration signs in
	})
	e.addUser("ann@example.com", "correct horse battery", "admin")
	mallory := e.addUser("mallory@example.com", "battery staple horse")
	base := mustURL(e.http.URL)
	for _, via := range []string{"api", "page", "register"} {
		t.Run(via, func(t *testing.T) {
			m := e.client()
			m.mustLogin("mallory@example.com", "battery staple horse")
			planted := m.jar.Cookies(base)
			victim := e.client()
			victim.jar.SetCookies(base, planted)
			before := len(e.events("logout"))
			switch via {
			case "api":
				account := victim.mustLogin("ann@example.com", "correct horse battery")
				roles, _ := account["roles"].([]any)
				if len(roles) != 1 || roles[0].(map[string]any)["name"] != "admin" {
					t.Fatalf("login answered roles %v, want [admin]", account["roles"])
				}
			case "page":
				r := victim.do("POST", "/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}},
					"Origin", e.http.URL, "Sec-Fetch-Site", "same-origin")
				if r.status != http.StatusSeeOther {
					t.Fatalf("sign-in page: %d %s", r.status, r.body)
				}
			case "register":
				r := victim.do("POST", "/register", map[string]string{"email": "reg@example.com", "password": "a long new pass phrase"})
				if r.status != http.StatusCreated {
					t.Fatalf("register: %d %s", r.status, r.body)
				}
			}
			if r := m.do("GET", "/me", nil); r.status != http.StatusUnauthorized {
				t.Fatalf("the planted session still works after the sign-in: %d", r.status)
			}
			if r := victim.do("GET", "/me", nil); r.status != http.StatusOK {
				t.Fatalf("the new session does not work: %d %s", r.status, r.body)
			}
			ev := e.events("logout")
			if len(ev) != before+1 || ev[0].UserID != mallory.ID {
				t.Fatalf("logout events %d -> %d, newest of %q; want one more, of mallory", before, len(ev), ev[0].UserID)
			}
		})
	}
}

func TestRegisterVerifyFlow(t *testing.T) {
	e := newEnv(t, userWritable, func(c *server.Config) { c.Registration.Enabled = true })
	c := e.client()
	r := c.do("POST", "/register", map[string]any{
		"email": "bob@example.com", "password": "a long enough secret", "givenName": "Bob", "surname": "Stone",
		"customData": map[string]any{"team": "blue"},
	})
	if r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	acc := r.json(t)["account"].(map[string]any)
	if acc["status"] != "PENDING" || acc["fullName"] != "Bob Stone" {
		t.Fatalf("registered account = %v", acc)
	}
	if r := c.login("bob@example.com", "a long enough secret"); r.status != 401 {
		t.Fatalf("pending user signed in: %d", r.status)
	}
	tok := tokenOf(t, e.lastEmail("bob@example.com", "account-verification"))
	if r := c.do("GET", "/verify?sptoken="+tok, nil); r.status != 200 {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/verify?sptoken="+tok, nil); r.status != 400 {
		t.Fatalf("second verify: %d", r.status)
	}
	e.lastEmail("bob@example.com", "account-verification-successful")
	e.lastEmail("bob@example.com", "account-welcome")
	acc = c.mustLogin("bob@example.com", "a long enough secret")
	if acc["emailVerified"] != true || acc["customData"].(map[string]any)["team"] != "blue" {
		t.Fatalf("verified account = %v", acc)
	}
}

func TestRegistrationOffByDefault(t *testing.T) {
	e := newEnv(t)
	r := e.client().do("POST", "/register", map[string]any{"email": "x@example.com", "password": "a long enough secret"})
	if r.status != 403 {
		t.Fatalf("register with registration off: %d", r.status)
	}
}

func TestRegisterWithoutVerificationSignsIn(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Registration.Enabled = true
		c.Registration.RequireVerification = false
	})
	c := e.client()
	if r := c.do("POST", "/register", map[string]any{"email": "c@example.com", "password": "a long enough secret"}); r.status != 201 {
		t.Fatalf("register: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("not signed in after registration: %d", r.status)
	}
}

func TestForgotAndChange(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	other := e.client()
	other.mustLogin("ann@example.com", "correct horse battery")

	c := e.client()
	if r := c.do("POST", "/forgot", map[string]string{"email": "ann@example.com"}); r.status != 200 {
		t.Fatalf("forgot: %d", r.status)
	}
	tok := tokenOf(t, e.lastEmail("ann@example.com", "forgot-password"))
	if r := c.do("GET", "/change?sptoken="+tok, nil); r.status != 200 {
		t.Fatalf("GET /change with a good token: %d", r.status)
	}
	if r := c.do("GET", "/change?sptoken=nonsense", nil); r.status != 400 {
		t.Fatalf("GET /change with a bad token: %d", r.status)
	}
	// A password the policy refuses leaves the link usable.
	if r := c.do("POST", "/change", map[string]string{"sptoken": tok, "password": "short"}); r.status != 400 {
		t.Fatalf("weak password: %d", r.status)
	}
	if r := c.do("POST", "/change", map[string]string{"sptoken": tok, "password": "a brand new secret"}); r.status != 200 {
		t.Fatalf("POST /change: %d %s", r.status, r.body)
	}
	if r := c.do("POST", "/change", map[string]string{"sptoken": tok, "password": "another new secret"}); r.status != 400 {
		t.Fatalf("reused reset link: %d", r.status)
	}
	if r := other.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("session survived a reset: %d", r.status)
	}
	if r := c.login("ann@example.com", "correct horse battery"); r.status != 401 {
		t.Fatal("old password still works")
	}
	c.mustLogin("ann@example.com", "a brand new secret")
	e.lastEmail("ann@example.com", "password-reset-successful")
}

// TestForgotUnknownUserSendsNothing: /forgot for an unknown user answers as
// for a known one, and once the work behind both answers is done, only the
// known user has an email.
func TestForgotUnknownUserSendsNothing(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	for _, login := range []string{"nobody@example.com", "ann@example.com"} {
		if r := e.client().do("POST", "/forgot", map[string]string{"email": login}); r.status != 200 {
			t.Fatalf("forgot %s: %d", login, r.status)
		}
	}
	if n := e.countEmails("nobody@example.com", "forgot-password"); n != 0 {
		t.Fatalf("emails to an unknown user: %d", n)
	}
	if n := e.countEmails("ann@example.com", "forgot-password"); n != 1 {
		t.Fatalf("emails to a known user: %d, want 1", n)
	}
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	a, b := e.client(), e.client()
	a.mustLogin("ann@example.com", "correct horse battery")
	b.mustLogin("ann@example.com", "correct horse battery")

	if r := a.do("POST", "/me/password", map[string]string{"currentPassword": "wrong", "password": "a brand new secret"}); r.status != 400 {
		t.Fatalf("wrong current password: %d", r.status)
	}
	if r := a.do("POST", "/me/password", map[string]string{"currentPassword": "correct horse battery", "password": "a brand new secret"}); r.status != 200 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if r := a.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("own session ended: %d", r.status)
	}
	if r := b.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("other session survived: %d", r.status)
	}
}

func TestSessionsListAndEnd(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	a, b := e.client(), e.client()
	a.mustLogin("ann@example.com", "correct horse battery")
	b.mustLogin("ann@example.com", "correct horse battery")

	r := a.do("GET", "/me/sessions", nil)
	list := r.json(t)["sessions"].([]any)
	if len(list) != 2 {
		t.Fatalf("sessions = %d", len(list))
	}
	var otherID string
	current := 0
	for _, x := range list {
		s := x.(map[string]any)
		if s["current"] == true {
			current++
		} else {
			otherID = s["id"].(string)
		}
	}
	if current != 1 {
		t.Fatalf("current flags = %d", current)
	}
	// Another user cannot end it.
	e.addUser("eve@example.com", "correct horse battery")
	eve := e.client()
	eve.mustLogin("eve@example.com", "correct horse battery")
	if r := eve.do("DELETE", "/me/sessions/"+otherID, nil); r.status != 404 {
		t.Fatalf("eve ended ann's session: %d", r.status)
	}
	if r := a.do("DELETE", "/me/sessions/"+otherID, nil); r.status != 204 {
		t.Fatalf("end session: %d %s", r.status, r.body)
	}
	if r := b.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("ended session still works: %d", r.status)
	}
}

func TestLockoutConcurrent(t *testing.T) {
	// The lock is what is tested: the per-name rate limit (20 in 10
	// minutes) would answer first.
	e := newEnv(t, func(c *server.Config) { c.Protection.RateLimits.Enabled = false })
	ann := e.addUser("ann@example.com", "correct horse battery")
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := e.client().login("ann@example.com", "wrong password"); r.status != 401 {
				t.Errorf("wrong password: %d", r.status)
			}
		}()
	}
	wg.Wait()
	locked := e.events("user.locked")
	if len(locked) != 1 || locked[0].UserID != ann.ID || locked[0].Details["failures"] != float64(5) {
		t.Fatalf("user.locked events = %d (%+v), want exactly 1 at the 5th failure", len(locked), locked)
	}
	// Counted atomically: the 20 failures saw the counts 1 to 20, each once.
	var counts []int
	for _, ev := range e.events("login.failed") {
		if ev.UserID != ann.ID || ev.Details["reason"] != "bad_password" {
			t.Fatalf("login.failed %+v %v", ev, ev.Details)
		}
		counts = append(counts, int(ev.Details["failures"].(float64)))
	}
	slices.Sort(counts)
	if len(counts) != 20 {
		t.Fatalf("%d login.failed events, want 20", len(counts))
	}
	for i, n := range counts {
		if n != i+1 {
			t.Fatalf("failure counts %v, want 1..20", counts)
		}
	}
	if u, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "ann@example.com"); u.Status != userdb.StatusLocked {
		t.Fatalf("status after 20 failures: %s", u.Status)
	}

	// The right password is refused while locked, and that is recorded.
	c := e.client()
	mark := e.lastEventID()
	r := c.login("ann@example.com", "correct horse battery")
	if r.status != 401 || r.json(t)["code"] != "user_locked" || !strings.Contains(string(r.body), "Try again after") {
		t.Fatalf("right password while locked: %d %s", r.status, r.body)
	}
	refused := e.newEvent("login.failed", ann.ID, mark, nil)
	if refused.Details["reason"] != "locked" {
		t.Fatalf("refusal while locked recorded as %v, want reason locked", refused.Details)
	}
	if n := len(e.events("login.succeeded")); n != 0 {
		t.Fatalf("login.succeeded while locked: %d", n)
	}

	// Just before the unlock interval: still locked.
	e.clock.Add(time.Duration(e.cfg.Lockout.UnlockAfter) - time.Second)
	if r := c.login("ann@example.com", "correct horse battery"); r.status != 401 {
		t.Fatalf("right password a second before the unlock: %d", r.status)
	}
	// After it: unlocked at this attempt, and signed in.
	e.clock.Add(2 * time.Second)
	mark = e.lastEventID()
	c.mustLogin("ann@example.com", "correct horse battery")
	if n := len(e.events("user.unlocked")); n != 1 {
		t.Fatalf("user.unlocked events = %d", n)
	}
	if ev := e.newEvent("user.unlocked", ann.ID, mark, nil); ev.Details["by"] != "auto" {
		t.Fatalf("user.unlocked %v", ev.Details)
	}
	ok := e.newEvent("login.succeeded", ann.ID, mark, nil)
	if sess, _ := ok.Details["session"].(string); sess == "" || sess != currentSession(t, c) {
		t.Fatalf("login.succeeded %v, want the new session", ok.Details)
	}
	if u, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "ann@example.com"); u.Status != userdb.StatusEnabled || u.FailedLogins != 0 {
		t.Fatalf("after the unlock: status %s, %d failures", u.Status, u.FailedLogins)
	}
}

func TestSameAnswerForUnknownAndKnownUsers(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Endpoints.Verify.Enabled = true })
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	cases := []struct {
		name, method, path string
		body               func(login string) any
	}{
		{"login", "POST", "/login", func(l string) any { return map[string]string{"login": l, "password": "wrong password"} }},
		{"forgot", "POST", "/forgot", func(l string) any { return map[string]string{"email": l} }},
		{"resend", "POST", "/verify", func(l string) any { return map[string]string{"login": l} }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			known := c.do(tc.method, tc.path, tc.body("ann@example.com"))
			unknown := c.do(tc.method, tc.path, tc.body("nobody@example.com"))
			if known.status != unknown.status || string(known.body) != string(unknown.body) {
				t.Fatalf("known %d %s / unknown %d %s", known.status, known.body, unknown.status, unknown.body)
			}
		})
	}
}

func TestPasswordExpiry(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Password.MaxAge = 24 * 3600 * 1e9; c.Password.History = 0 })
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	if acc := c.mustLogin("ann@example.com", "correct horse battery"); acc["password_expired"] == true {
		t.Fatal("fresh password reported expired")
	}
	if r := c.do("POST", "/expired", map[string]string{"password": "a brand new secret"}); r.status != 403 {
		t.Fatalf("POST /expired before expiry: %d %s", r.status, r.body)
	}
	e.clock.Add(25 * time.Hour)
	c.mustChangeAtLogin("ann@example.com", "correct horse battery")
	// An expired password is renewed by another one, even without history.
	if r := c.do("POST", "/expired", map[string]string{"password": "correct horse battery"}); r.status != 400 ||
		r.json(t)["field"] != "password" || !strings.Contains(string(r.body), "must not be the same") {
		t.Fatalf("POST /expired with the expired password: %d %s", r.status, r.body)
	}
	// The new password completes the sign-in.
	if r := c.do("POST", "/expired", map[string]string{"password": "a brand new secret"}); r.status != 200 || r.json(t)["account"] == nil {
		t.Fatalf("POST /expired: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("not signed in after /expired: %d", r.status)
	}
	if acc := e.client().mustLogin("ann@example.com", "a brand new secret"); acc["password_expired"] == true {
		t.Fatal("new password reported expired")
	}
}

func TestPasswordHistory(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Password.History = 2 })
	e.addUser("ann@example.com", "first secret pass")
	c := e.client()
	c.mustLogin("ann@example.com", "first secret pass")
	change := func(cur, next string) int {
		return c.do("POST", "/me/password", map[string]string{"currentPassword": cur, "password": next}).status
	}
	if s := change("first secret pass", "first secret pass"); s != 400 {
		t.Fatalf("reusing the current password: %d", s)
	}
	if s := change("first secret pass", "second secret pass"); s != 200 {
		t.Fatalf("change: %d", s)
	}
	if s := change("second secret pass", "first secret pass"); s != 400 {
		t.Fatalf("reusing a recent password: %d", s)
	}
}

func TestCheckPassword(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	good := c.do("POST", "/users/check_password", map[string]string{"password": "a long enough secret"}).json(t)
	bad := c.do("POST", "/users/check_password", map[string]string{"password": "password"}).json(t)
	if good["good"] != true || bad["good"] != false || bad["error"] == "" {
		t.Fatalf("good=%v bad=%v", good, bad)
	}
}

func TestUpdateMe(t *testing.T) {
	e := newEnv(t, userWritable)
	e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	r := c.do("POST", "/me", map[string]any{"givenName": "Ann", "surname": "Lee", "customData": map[string]any{"color": "red"}})
	if r.status != 200 {
		t.Fatalf("POST /me: %d %s", r.status, r.body)
	}
	acc := c.do("GET", "/me", nil).json(t)["account"].(map[string]any)
	if acc["fullName"] != "Ann Lee" || acc["customData"].(map[string]any)["color"] != "red" {
		t.Fatalf("/me after update = %v", acc)
	}
	// Users cannot change what is not theirs to change.
	r = c.do("POST", "/me", map[string]any{"status": "DISABLED", "email": "x@example.com"})
	acc = c.do("GET", "/me", nil).json(t)["account"].(map[string]any)
	if acc["status"] != "ENABLED" || acc["email"] != "ann@example.com" {
		t.Fatalf("user changed protected fields: %v", acc)
	}
}

func TestStormpathShape(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Transformer = "stormpath" })
	e.addUser("root@example.com", "correct horse battery", "super-admin")
	acc := e.client().mustLogin("root@example.com", "correct horse battery")
	if !strings.HasPrefix(acc["href"].(string), "http://localhost/accounts/") {
		t.Fatalf("href = %v", acc["href"])
	}
	groups := acc["groups"].(map[string]any)
	items := groups["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["name"] != "super-admin" || items[0].(map[string]any)["status"] != "ENABLED" {
		t.Fatalf("groups = %v", groups)
	}
	if !strings.HasSuffix(groups["href"].(string), "/groups") {
		t.Fatalf("groups href = %v", groups["href"])
	}
}

func TestDisabledUserAndAccount(t *testing.T) {
	e := newEnv(t)
	u := e.addUser("ann@example.com", "correct horse battery")
	c := e.client()
	c.mustLogin("ann@example.com", "correct horse battery")
	if _, err := inside.Service(e.srv).AdminSetUserStatus(ctxCLI(), u.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("disabled user's session still works: %d", r.status)
	}
	if r := c.login("ann@example.com", "correct horse battery"); r.status != 401 {
		t.Fatalf("disabled user signed in: %d", r.status)
	}

	acc, err := inside.Service(e.srv).AdminCreateAccount(ctxCLI(), serviceAccount("acme"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := inside.Service(e.srv).AdminCreateUser(ctxCLI(), newUserIn(acc.Name, "bo@acme.example")); err != nil {
		t.Fatal(err)
	}
	c.mustLogin("bo@acme.example", "correct horse battery")
	disabled := userdb.StatusDisabled
	if _, err := inside.Service(e.srv).AdminUpdateAccount(ctxCLI(), acc.ID, userdb.AccountUpdate{Status: &disabled}); err != nil {
		t.Fatal(err)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("session of a disabled account's user: %d", r.status)
	}
	if r := c.login("bo@acme.example", "correct horse battery"); r.status != 401 {
		t.Fatalf("user of a disabled account signed in: %d", r.status)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newEnv(t)
	e.addUser("ann@example.com", "correct horse battery")
	r := e.client().do("POST", "/login", map[string]string{"login": "ann@example.com", "password": "correct horse battery"},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	if r.status != 403 {
		t.Fatalf("cross-site POST: %d", r.status)
	}
}
