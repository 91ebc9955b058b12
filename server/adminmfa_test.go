package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// adminNotice is the start of the notice the profile and the console show
// an administrator in its grace period.
const adminNotice = "Administrators must add a second factor by"

// TestASVS_4_3_1_AdminsNeedASecondFactor: with the default configuration
// (mfa.admins: required, mfa.admins_grace: 7d) an administrator signs in
// with its password alone for seven days from its first sign-in, told on
// the profile and in the console to add a factor; after that its sign-in
// ends at the enrolment stage with no session; enrolled, it signs in with
// password and code. A user without an admin role, one who loses it, and
// the API keys an administrator made are unaffected.
func TestASVS_4_3_1_AdminsNeedASecondFactor(t *testing.T) {
	const pw = "correct horse battery"
	e := newEnv(t)
	e.addUser("boss@example.com", pw, userdb.RoleSuperAdmin)
	e.addUser("bob@example.com", pw)
	demoted := e.addUser("former@example.com", pw, userdb.RoleSuperAdmin)
	start := e.clock.Now()

	// Within the grace: a session, and the deadline everywhere.
	c := e.client()
	c.mustLogin("boss@example.com", pw)
	deadline := start.Add(7 * 24 * time.Hour)
	st := c.do("GET", "/me/mfa", nil).json(t)
	if st["policy"] != "required" || st["enrol_required"] != true || st["grace_until"] != deadline.Format(time.RFC3339) {
		t.Fatalf("GET /me/mfa of an admin in its grace: %v", st)
	}
	want := adminNotice + " <strong>" + deadline.Format("2 Jan 2006, 15:04 UTC") + "</strong>"
	for _, path := range []string{"/profile", "/admin/users"} {
		r := c.do("GET", path, nil, "Accept", "text/html")
		if r.status != 200 || !strings.Contains(string(r.body), want) || !strings.Contains(string(r.body), `href="/profile#mfa-heading"`) {
			t.Errorf("GET %s of an admin in its grace: %d, no notice %q linking to the profile's section", path, r.status, want)
		}
		// One notice, not two: the profile's section keeps its own quiet.
		if n := strings.Count(string(r.body), "admin-mfa-notice"); n != 1 || strings.Contains(string(r.body), "Your account requires two-step verification") {
			t.Errorf("GET %s of an admin in its grace: %d admin notices, the section's own shown: %v", path, n,
				strings.Contains(string(r.body), "Your account requires two-step verification"))
		}
	}
	r := c.do("POST", "/api/v1/api-keys", map[string]any{"name": "deploy", "roles": []string{userdb.RoleSuperAdmin}})
	if r.status != 201 {
		t.Fatalf("creating an API key in the grace: %d %s", r.status, r.body)
	}
	key := []string{"Authorization", "Bearer " + r.json(t)["secret"].(string)}
	e.client().mustLogin("former@example.com", pw) // starts its grace too

	// A user without an admin role never sees the rule.
	bob := e.client()
	bob.mustLogin("bob@example.com", pw)
	if st := bob.do("GET", "/me/mfa", nil).json(t); st["policy"] != "optional" || st["enrol_required"] != false {
		t.Errorf("GET /me/mfa of a user: %v", st)
	}
	if r := bob.do("GET", "/profile", nil, "Accept", "text/html"); strings.Contains(string(r.body), adminNotice) {
		t.Error("the profile of a user who is no administrator shows the notice")
	}

	// After the grace: the enrolment stage and no session.
	e.clock.Add(7*24*time.Hour + time.Second)
	c = e.client()
	r = c.login("boss@example.com", pw)
	if body := r.json(t); r.status != 200 || body["stage"] != "mfa_enrol" || body["account"] != nil {
		t.Fatalf("sign-in of an admin after its grace: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("GET /me at the enrolment stage: %d", r.status)
	}
	// A user is still unaffected, and so are the admin's API key and the
	// command line (which act without signing in).
	e.client().mustLogin("bob@example.com", pw)
	if r := e.client().do("GET", "/api/v1/users", nil, key...); r.status != 200 {
		t.Errorf("the admin's API key after its grace: %d %s", r.status, r.body)
	}
	if _, err := inside.Service(e.srv).AdminListUsers(ctxCLI(), userdb.UserFilter{}); err != nil {
		t.Errorf("the command line after the grace: %v", err)
	}
	// Losing the admin role loses the rule.
	if _, err := inside.Service(e.srv).AdminSetRoles(ctxCLI(), demoted.ID, nil); err != nil {
		t.Fatal(err)
	}
	e.client().mustLogin("former@example.com", pw)

	// Enrolling at that stage signs in; from then on, password and code.
	r = c.do("POST", "/login/mfa/enrol", nil)
	if r.status != 200 {
		t.Fatalf("enrol: %d %s", r.status, r.body)
	}
	en := r.json(t)
	secret := en["secret"].(string)
	r = c.do("POST", "/login/mfa/enrol/confirm", map[string]string{"factor_id": en["factor_id"].(string), "code": e.totpCode(secret, 0)})
	if body := r.json(t); r.status != 200 || body["account"] == nil {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/admin/users", nil, "Accept", "text/html"); r.status != 200 || strings.Contains(string(r.body), adminNotice) {
		t.Errorf("the console of an admin with a factor: %d, notice shown: %v", r.status, strings.Contains(string(r.body), adminNotice))
	}
	e.clock.Add(30 * time.Second)
	c = e.client()
	if body := c.login("boss@example.com", pw).json(t); body["stage"] != "mfa" {
		t.Fatalf("sign-in of an enrolled admin: %v", body)
	}
	if r := c.do("POST", "/login/mfa", map[string]string{"code": e.totpCode(secret, 0)}); r.status != 200 {
		t.Fatalf("the code: %d %s", r.status, r.body)
	}
	if r := c.do("GET", "/me", nil); r.status != 200 {
		t.Fatalf("GET /me after the code: %d", r.status)
	}
}

// TestAdminsMFASettings: mfa.admins: optional is the old behaviour (an
// administrator signs in with a password alone, for good), and
// mfa.admins_grace: 0 sends an administrator to enrolment at its first
// sign-in.
func TestAdminsMFASettings(t *testing.T) {
	const pw = "correct horse battery"
	t.Run("optional", func(t *testing.T) {
		e := newEnv(t, func(c *server.Config) { c.MFA.Admins = "optional" })
		e.addUser("boss@example.com", pw, userdb.RoleSuperAdmin)
		e.client().mustLogin("boss@example.com", pw)
		e.clock.Add(30 * 24 * time.Hour)
		c := e.client()
		c.mustLogin("boss@example.com", pw)
		if st := c.do("GET", "/me/mfa", nil).json(t); st["policy"] != "optional" || st["enrol_required"] != false {
			t.Errorf("GET /me/mfa: %v", st)
		}
		if r := c.do("GET", "/admin/users", nil, "Accept", "text/html"); r.status != http.StatusOK || strings.Contains(string(r.body), adminNotice) {
			t.Errorf("the console: %d, notice shown: %v", r.status, strings.Contains(string(r.body), adminNotice))
		}
	})
	t.Run("no grace", func(t *testing.T) {
		e := newEnv(t, func(c *server.Config) { c.MFA.AdminsGrace = 0 })
		e.addUser("boss@example.com", pw, userdb.RoleSuperAdmin)
		if body := e.client().login("boss@example.com", pw).json(t); body["stage"] != "mfa_enrol" {
			t.Errorf("first sign-in of an admin without a grace: %v", body)
		}
	})
}
