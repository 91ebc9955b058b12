package server_test

import (
	"github.com/userdb/userdb/internal/inside"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/mail/mailtest"
	"github.com/userdb/userdb/server"
)

var notMeLink = regexp.MustCompile(`https?://[^\s"<>]+/not-me\?sptoken=[A-Za-z0-9_-]+`)

// TestNewDeviceNoticeAndNotMe: a sign-in from a new browser sends a notice
// (through a real SMTP server), a second sign-in from it does not; "This
// wasn't me" from that email ends the other browser's session, makes the
// password stop working and sends a reset link.
func TestNewDeviceNoticeAndNotMe(t *testing.T) {
	md := mailtest.New(t, mailtest.Options{})
	e := newEnv(t, withMailDev(md))
	e.run()
	const pw = "a long enough secret"
	e.addUser("owner@example.com", pw)
	seen := map[string]bool{}

	home := e.client()
	home.mustLogin("owner@example.com", pw) // first sign-in ever: no notice
	thief := e.client()
	thief.mustLogin("owner@example.com", pw)
	notice := e.mailTo(md, "owner@example.com", "New sign-in to your userdb account", seen)
	if !strings.Contains(notice.Text, "127.0.0.1") || !strings.Contains(notice.Text, "Go-http-client") {
		t.Errorf("notice does not tell the sign-in:\n%s", notice.Text)
	}
	thief.mustLogin("owner@example.com", pw) // the same browser again
	home.mustLogin("owner@example.com", pw)
	if n := len(e.events("device.new")); n != 1 {
		t.Errorf("%d new-device events, want 1", n)
	}

	link := notMeLink.FindString(notice.Text)
	if link == "" {
		t.Fatalf("no not-me link in\n%s", notice.Text)
	}
	u, _ := url.Parse(link)
	token := u.Query().Get("sptoken")
	// Opening the link changes nothing (mail scanners open links).
	if r := home.do("GET", u.RequestURI(), nil, "Accept", "text/html"); r.status != 200 || !strings.Contains(string(r.body), "secure my account") {
		t.Fatalf("GET not-me: %d %s", r.status, r.body)
	}
	if r := thief.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("after GET, thief's session: %d", r.status)
	}
	if r := home.do("POST", "/not-me", url.Values{"sptoken": {token}}, "Accept", "text/html", "Origin", e.http.URL); r.status != 200 {
		t.Fatalf("POST not-me: %d %s", r.status, r.body)
	}
	for name, c := range map[string]*client{"thief": thief, "home": home} {
		if r := c.do("GET", "/me", nil); r.status != 401 {
			t.Errorf("%s's session after not-me: %d", name, r.status)
		}
	}
	if r := thief.login("owner@example.com", pw); r.status != 401 {
		t.Errorf("old password after not-me: %d", r.status)
	}
	reset := e.mailTo(md, "owner@example.com", "Reset your password", seen)
	m := tokenInLink.FindStringSubmatch(reset.Text)
	if m == nil {
		t.Fatalf("no reset link in\n%s", reset.Text)
	}
	if r := home.do("POST", "/change", map[string]string{"sptoken": m[1], "password": "a brand new secret"}); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.body)
	}
	home.mustLogin("owner@example.com", "a brand new secret")
	if evs := e.events("user.compromised"); len(evs) != 1 || evs[0].Details["reason"] != "not_me" {
		t.Errorf("compromised events: %v", evs)
	}
	// The link was used: it works once.
	if r := home.do("POST", "/not-me", url.Values{"sptoken": {token}}, "Accept", "text/html", "Origin", e.http.URL); r.status != 400 {
		t.Errorf("second use: %d", r.status)
	}
}

// TestAdminCompromised: the admin's "Compromised" action secures a user.
func TestAdminCompromised(t *testing.T) {
	e := newEnv(t)
	const pw = "a long enough secret"
	u := e.addUser("victim@example.com", pw)
	c := e.client()
	c.mustLogin("victim@example.com", pw)
	_, secret, err := inside.Service(e.srv).AdminCreateAPIKey(ctxCLI(), serviceKey())
	if err != nil {
		t.Fatal(err)
	}
	r := e.client().do("POST", "/api/v1/users/"+u.ID+"/compromised", map[string]string{"reason": "password seen in a paste"}, "Authorization", "Bearer "+secret)
	if r.status != 202 {
		t.Fatalf("compromised: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Errorf("session after compromised: %d", r.status)
	}
	if r := c.login("victim@example.com", pw); r.status != 401 {
		t.Errorf("password after compromised: %d", r.status)
	}
	if evs := e.events("user.compromised"); len(evs) != 1 || evs[0].Details["reason"] != "password seen in a paste" {
		t.Errorf("events: %v", evs)
	}
	e.lastEmail("victim@example.com", "forgot-password")
}

// TestSmartLockout reproduces the review's finding: ten wrong passwords
// from anyone locked the account and ended the owner's sessions. Now the
// lock stops new sign-ins from unknown devices only; the owner's sessions
// live on and the owner's known browser still signs in.
func TestSmartLockout(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Lockout.AfterFailures = 10 })
	const pw = "a long enough secret"
	e.addUser("owner@example.com", pw)
	owner := e.client()
	owner.mustLogin("owner@example.com", pw)
	attacker := e.client()
	for range 10 {
		if r := attacker.login("owner@example.com", "guess guess"); r.status != 401 {
			t.Fatalf("guess: %d", r.status)
		}
	}
	if u, _ := inside.Service(e.srv).Store().FindUserByLogin(t.Context(), "owner@example.com"); u.Status != userdb.StatusLocked {
		t.Fatalf("status %s, want LOCKED", u.Status)
	}
	if r := owner.do("GET", "/me", nil); r.status != 200 {
		t.Errorf("owner's session after the lock: %d", r.status)
	}
	if r := attacker.login("owner@example.com", pw); r.status != 401 {
		t.Errorf("the right password from an unknown device while locked: %d", r.status)
	}
	if r := owner.login("owner@example.com", pw); r.status != 200 {
		t.Errorf("the owner's known browser while locked: %d %s", r.status, r.body)
	}
	// The known browser's own failures do not count toward the lock, and
	// are limited apart (known_device_failures, 10/15m by default).
	for i := range 10 {
		r := owner.login("owner@example.com", "typo typo")
		if r.status != 401 && r.status != 429 {
			t.Fatalf("owner's typo %d: %d", i, r.status)
		}
	}
	if r := owner.login("owner@example.com", pw); r.status != 429 {
		t.Errorf("after ten typos from the known browser: %d, want 429 (its own limit)", r.status)
	}
	e.clock.Add(15 * time.Minute)
	if r := owner.login("owner@example.com", pw); r.status != 200 {
		t.Errorf("after the limit's period: %d", r.status)
	}
}

// TestChangePasswordGuessing reproduces the review's finding: a stolen
// cookie guessed the current password without limit through POST
// /me/password (20 wrong, then the right one: 200). Now wrong current
// passwords are limited and count toward the lockout.
func TestChangePasswordGuessing(t *testing.T) {
	e := newEnv(t) // lockout after 5, password_per_user 5/15m by default
	const pw = "a long enough secret"
	e.addUser("owner@example.com", pw)
	c := e.client()
	c.mustLogin("owner@example.com", pw)
	statuses := map[int]int{}
	for range 20 {
		r := c.do("POST", "/me/password", map[string]string{"currentPassword": "wrong guess", "password": "another long secret"})
		statuses[r.status]++
	}
	if statuses[400] != 5 || statuses[429] != 15 {
		t.Errorf("answers to 20 wrong guesses: %v, want 5 × 400 then 429", statuses)
	}
	r := c.do("POST", "/me/password", map[string]string{"currentPassword": pw, "password": "another long secret"})
	if r.status == 200 {
		t.Fatalf("the right password after 20 guesses was accepted")
	}
	if u, _ := inside.Service(e.srv).Store().FindUserByLogin(t.Context(), "owner@example.com"); u.Status != userdb.StatusLocked {
		t.Errorf("status %s, want LOCKED: wrong current passwords count toward the lockout", u.Status)
	}
	if n := len(e.events("password.change_failed")); n != 5 {
		t.Errorf("%d change_failed events, want 5", n)
	}
}

// TestDeviceCookieSetOnce: the device cookie is sent to a browser that has
// none, and not again on every answer once it has one.
func TestDeviceCookieSetOnce(t *testing.T) {
	e := newEnv(t)
	name := server.DefaultConfig().Protection.Devices.CookieName
	sets := func(r response) bool {
		for _, v := range r.header.Values("Set-Cookie") {
			if strings.HasPrefix(v, name+"=") {
				return true
			}
		}
		return false
	}
	c := e.client()
	if r := c.do("GET", "/healthz", nil); !sets(r) {
		t.Fatalf("no device cookie for a new browser: %v", r.header.Values("Set-Cookie"))
	}
	if c.cookie(name) == "" {
		t.Fatal("the client kept no device cookie")
	}
	for _, path := range []string{"/healthz", "/me", "/login"} {
		if r := c.do("GET", path, nil); sets(r) {
			t.Errorf("GET %s sets the device cookie again", path)
		}
	}
}
