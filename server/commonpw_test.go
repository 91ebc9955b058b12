package server_test

import (
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// TestCommonPasswordRefusedEverywhere: the review found that "aaaaaaaa"
// passed the nist policy (the default; now too short as well, at 12
// characters: TestNISTRefusesRepetitive holds the repetition rule), and this
// checks the embedded list of common passwords, with passwords long enough
// for the length rule, at every place a password is set: registration,
// the user's change, a reset, an expired password, an invitation, an
// administrator's create and set, and an import.
func TestCommonPasswordRefusedEverywhere(t *testing.T) {
	const pw = "a long enough secret"
	e := newEnv(t, func(c *server.Config) { c.Registration.Enabled = true })
	svc := inside.Service(e.srv)
	super := superClient(e)
	for _, weak := range []string{"123456789012", "password1234", "1q2w3e4r5t6y"} {
		t.Run(weak, func(t *testing.T) {
			refused := func(what string, err error) {
				t.Helper()
				if err == nil || !strings.Contains(err.Error(), "too common") {
					t.Errorf("%s: %v", what, err)
				}
			}
			http := func(what string, r response) {
				t.Helper()
				if r.status != 400 || !strings.Contains(string(r.body), "too common") {
					t.Errorf("%s: %d %s", what, r.status, r.body)
				}
			}
			http("registration", e.client().do("POST", "/register", map[string]any{"email": "new@example.com", "password": weak}))

			u := e.addUser("ann-"+strings.ToLower(strings.Trim(weak, "@"))+"@example.com", pw)
			c := e.client()
			c.mustLogin(u.Email, pw)
			http("change", c.do("POST", "/me/password", map[string]string{"currentPassword": pw, "password": weak}))
			c.do("POST", "/forgot", map[string]string{"email": u.Email})
			token := tokenOf(t, e.lastEmail(u.Email, "forgot-password"))
			http("reset", c.do("POST", "/change", map[string]string{"sptoken": token, "password": weak}))

			if _, err := svc.AdminExpirePassword(ctxCLI(), u.ID); err != nil {
				t.Fatal(err)
			}
			x := e.client()
			x.mustChangeAtLogin(u.Email, pw)
			http("expired", x.do("POST", "/expired", map[string]string{"password": weak}))
			http("expired, signed in", c.do("POST", "/expired", map[string]string{"currentPassword": pw, "password": weak}))

			var err error
			_, err = svc.AdminSetPassword(ctxCLI(), u.ID, weak, false)
			refused("admin set", err)
			http("admin create", super.do("POST", "/api/v1/users", map[string]any{"email": "other@example.com", "password": weak}))
			http("RPC create", super.do("POST", "/users/update", map[string]any{"email": "rpc@example.com", "password": weak}))
			rep := decodeReport(t, super.do("POST", "/api/v1/users/import", csvUpload("Email,Password\nimported@example.com,"+weak+"\n")))
			if rep.Failed != 1 || len(rep.Problems) != 1 || !strings.Contains(rep.Problems[0].Reason, "too common") {
				t.Errorf("import: %+v", rep)
			}

			invited, err := svc.AdminCreateUser(ctxCLI(), service.NewUser{Email: "invited-" + strings.ToLower(strings.Trim(weak, "@")) + "@example.com", Invite: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = svc.AcceptInvitation(t.Context(), tokenOf(t, e.lastEmail(invited.Email, "invitation")), weak, service.ProfileUpdate{})
			refused("invitation", err)
		})
	}
}
