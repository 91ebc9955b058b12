package server_test

import (
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb/server"
)

// TestExpiryWarningsOnce: on the test clock, two servers on one database run
// the warning job at the same time, again and again; each user gets each
// warning exactly once.
func TestExpiryWarningsOnce(t *testing.T) {
	e := newEnv(t, func(c *server.Config) {
		c.Password.MaxAge = 30 * 24 * time.Hour
		c.Password.ExpiryWarning = []time.Duration{14 * 24 * time.Hour, 3 * 24 * time.Hour}
	})
	other := openWith(t, e)
	users := []string{"a@example.com", "b@example.com", "c@example.com"}
	for _, u := range users {
		e.addUser(u, "a long enough secret")
	}
	runBoth := func() {
		var wg sync.WaitGroup
		for _, srv := range []*server.Server{e.srv, other, e.srv, other} {
			wg.Go(func() {
				if _, err := srv.SendExpiryWarnings(t.Context()); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	runBoth() // day 0: nothing due
	for _, u := range users {
		if n := e.countEmails(u, "password-expiring"); n != 0 {
			t.Fatalf("%s: %d warnings on day 0", u, n)
		}
	}
	for day := 1; day <= 31; day++ {
		e.clock.Add(24 * time.Hour)
		runBoth()
		runBoth()
	}
	for _, u := range users {
		if n := e.countEmails(u, "password-expiring"); n != 2 {
			t.Errorf("%s: %d warnings, want 2 (14 days and 3 days before)", u, n)
		}
	}
	if n := len(e.events("password.expiry_warned")); n != 2*len(users) {
		t.Errorf("%d warning events, want %d", n, 2*len(users))
	}
}
