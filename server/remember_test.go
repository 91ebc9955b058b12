package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/server"
)

// TestKeepMeSignedIn: POST /login with "remember": true starts a session
// that lives sessions.remember_lifetime (30 days here; off by default) and does not end when
// idle, says so in the session list and in its cookie's Max-Age; a session
// without it ends after 30 idle minutes, and after 12 hours however much
// it is used. With remember_lifetime 0 the field changes nothing.
func TestKeepMeSignedIn(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Sessions.RememberLifetime = 30 * 24 * time.Hour })
	e.addUser("ann@example.com", "correct horse battery")
	login := func(c *client, remember bool) response {
		t.Helper()
		r := c.do("POST", "/login", map[string]any{"login": "ann@example.com", "password": "correct horse battery", "remember": remember})
		if r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.body)
		}
		return r
	}
	alive := func(c *client) bool { t.Helper(); return c.do("GET", "/me", nil).status == 200 }

	kept, plain, busy := e.client(), e.client(), e.client()
	if ck := cookieOf(login(kept, true), "userdb="); !strings.Contains(ck, "Max-Age=2592000") {
		t.Fatalf("the remembered session's cookie: %s", ck)
	}
	if ck := cookieOf(login(plain, false), "userdb="); !strings.Contains(ck, "Max-Age=43200") {
		t.Fatalf("a plain session's cookie: %s", ck)
	}
	login(busy, false)
	r := kept.do("GET", "/me/sessions", nil)
	if r.status != 200 || !strings.Contains(string(r.body), `"current":true,"remembered":true`) ||
		strings.Count(string(r.body), `"remembered":true`) != 1 {
		t.Fatalf("the session list: %d %s", r.status, r.body)
	}

	// Used every 20 minutes for 12 hours: the plain session ends at the
	// lifetime, the remembered one does not; an idle one ended long before.
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		e.clock.Add(20 * time.Minute)
		if !alive(busy) || !alive(kept) {
			t.Fatalf("a session used every 20 minutes ended after %v", elapsed)
		}
	}
	if alive(plain) {
		t.Fatal("a plain session outlived its idle timeout")
	}
	e.clock.Add(time.Hour)
	if alive(busy) {
		t.Fatal("a plain session outlived its 12 hours")
	}
	if !alive(kept) {
		t.Fatal("the remembered session ended at 12 hours")
	}
	// Idle for 29 days: still there; past 30 days from sign-in: gone.
	e.clock.Add(29 * 24 * time.Hour)
	if !alive(kept) {
		t.Fatal("the remembered session ended when idle")
	}
	e.clock.Add(24 * time.Hour)
	if alive(kept) {
		t.Fatal("the remembered session outlived remember_lifetime")
	}

	off := newEnv(t, func(c *server.Config) { c.Sessions.RememberLifetime = 0 })
	off.addUser("ann@example.com", "correct horse battery")
	r = off.client().do("POST", "/login", map[string]any{"login": "ann@example.com", "password": "correct horse battery", "remember": true})
	if ck := cookieOf(r, "userdb="); r.status != 200 || !strings.Contains(ck, "Max-Age=43200") {
		t.Fatalf("remember with remember_lifetime 0: %d %s", r.status, ck)
	}
}

// cookieOf returns the Set-Cookie header of r that starts with prefix.
func cookieOf(r response, prefix string) string {
	for _, ck := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(ck, prefix) {
			return ck
		}
	}
	return ""
}
