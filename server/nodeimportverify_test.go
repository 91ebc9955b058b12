package server_test

import (
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/server"
)

// TestNodeImportVerifiesEmail: the original's /users/import (and
// add-users) ran newUserWorkflow on every row (index.js:612-626,
// controllers/users.js:116-163): PENDING, and the account verification
// email with its configured endpoint, password or not. userdb's /users/import
// does the same unless disableNewUserWorkflow is set; the verification link
// enables the user, who then signs in with the imported password. The
// admin API and `userdb import` do it with verify_email / --verify-email.
func TestNodeImportVerifiesEmail(t *testing.T) {
	f := newAdminFixture(t, func(c *server.Config) {
		c.Email.AccountVerification.Endpoint = "https://app.example/welcome"
	})
	admin := f.actors[asAdminA]
	file := "First Name,Last Name,Email,Role,Password\n" +
		"Pat,Word,pat@alpha.example,member,a long imported secret\n" +
		"No,Word,nopass@alpha.example,member,\n"
	if r := admin.do("POST", "/users/import", csvUpload(file)); r.status != 200 {
		t.Fatalf("/users/import: %d %s", r.status, r.body)
	}
	pat := mustFind(t, f.env, "pat@alpha.example")
	if pat.Status != userdb.StatusPending {
		t.Fatalf("an imported row with a password is %s, want PENDING", pat.Status)
	}
	m := f.lastEmail("pat@alpha.example", "account-verification")
	if !strings.Contains(m.Text, "https://app.example/welcome?sptoken=") {
		t.Fatalf("the verification email does not link to the endpoint:\n%s", m.Text)
	}
	if f.countEmails("nopass@alpha.example", "invitation") != 1 {
		t.Errorf("the row without a password got no invitation")
	}
	if r := f.client().login("pat@alpha.example", "a long imported secret"); r.status != 401 {
		t.Errorf("a PENDING imported user signs in: %d", r.status)
	}
	if r := f.client().do("GET", "/verify?sptoken="+tokenOf(t, m), nil); r.status != 200 {
		t.Fatalf("GET /verify: %d %s", r.status, r.body)
	}
	f.client().mustLogin("pat@alpha.example", "a long imported secret")

	// disableNewUserWorkflow keeps rows with a password ENABLED, unmailed.
	file = "First Name,Last Name,Email,Role,Password\nQuiet,One,quiet@alpha.example,member,a long imported secret\n"
	if r := admin.do("POST", "/users/import", csvUpload(file, "disableNewUserWorkflow", "true")); r.status != 200 {
		t.Fatalf("/users/import without the workflow: %d %s", r.status, r.body)
	}
	if u := mustFind(t, f.env, "quiet@alpha.example"); u.Status != userdb.StatusEnabled || f.countEmails(u.Email, "account-verification") != 0 {
		t.Errorf("without the workflow: %s, %d emails", u.Status, f.countEmails(u.Email, "account-verification"))
	}
	// The admin API's verify_email does the same.
	file = "First Name,Last Name,Email,Role,Password\nApi,One,api@alpha.example,member,a long imported secret\n"
	if rep := decodeReport(t, admin.do("POST", "/api/v1/users/import", csvUpload(file, "verify_email", "true"))); rep.Created != 1 {
		t.Fatalf("admin API import: %+v", rep)
	}
	if u := mustFind(t, f.env, "api@alpha.example"); u.Status != userdb.StatusPending || f.countEmails(u.Email, "account-verification") != 1 {
		t.Errorf("admin API import with verify_email: %s, %d emails", u.Status, f.countEmails(u.Email, "account-verification"))
	}
}
