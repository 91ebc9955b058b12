package nodeimport_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/nodeimport"
)

// TestImportedSuperAdminAdministersEveryAccount: the original made every
// holder of its super-admin role a super-admin of every account, whatever
// the role's account (user.can's pass, without which it is canOnly:
// index.js:383-393). userdb's super-admins belong to the default account,
// so alice, who holds super-admin in account Acme, got 403 on
// /accounts/list after the migration and the report said nothing. Now she
// is moved to the default account with its super-admin role, the report
// says so, and she lists every account. Her other roles (Acme's admin and
// editor) are not kept: by name they would read as the default account's,
// making her its admin if the super-admin role were taken away.
func TestImportedSuperAdminAdministersEveryAccount(t *testing.T) {
	for _, dialect := range []string{nodeimport.SQLite, nodeimport.MySQL, nodeimport.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			src, srcDialect, rw := openSource(t, dialect)
			mustExecDB(t, rw, "INSERT INTO roles (id, account_id, name, status, created_date) VALUES ('rol-super', 'acc-acme', 'super-admin', 'ENABLED', 1500000020)")
			mustExecDB(t, rw, "INSERT INTO users_roles (user_id, role_id) VALUES ('usr-alice', 'rol-super')")
			dsn, dst := newDestination(t, dialect)
			opts := nodeimport.Options{Now: func() time.Time { return now }}

			rep := mustImport(t, src, srcDialect, dst, opts)
			if !slices.ContainsFunc(rep.Issues, func(i nodeimport.Issue) bool {
				return i.Table == "users" && i.ID == "usr-alice" && !i.Skipped &&
					strings.Contains(i.Reason, "holds super-admin in account acc-acme") && strings.Contains(i.Reason, "moved to the default account")
			}) {
				t.Errorf("the report does not say how alice stays a super-admin: %v", rep.Issues)
			}
			alice := mustFindUser(t, dst, "usr-alice")
			if alice.AccountID != userdb.DefaultAccountID || !slices.Equal(alice.Roles, []string{"super-admin"}) {
				t.Errorf("alice after the import: account %s, roles %v; want the default account and super-admin only", alice.AccountID, alice.Roles)
			}
			if !slices.ContainsFunc(rep.Issues, func(i nodeimport.Issue) bool {
				return i.Table == "users_roles" && !i.Skipped && strings.Contains(i.Reason, "of its former account is not kept")
			}) {
				t.Errorf("the report does not say alice's other roles were left: %v", rep.Issues)
			}
			if again := mustImport(t, src, srcDialect, dst, opts); again.Changes() != 0 {
				t.Errorf("a second import changed %d rows, want none", again.Changes())
			}

			e := startServer(t, dsn, dst)
			c := e.client()
			w := wantUsers()[0]
			c.mustSignIn(w)
			status, body := c.post("/accounts/list", map[string]any{})
			names := []string{}
			list, _ := body["accounts"].([]any)
			for _, a := range list {
				names = append(names, a.(map[string]any)["name"].(string))
			}
			if status != 200 || !slices.Contains(names, "Acme") || !slices.Contains(names, "Globex") {
				t.Errorf("alice's /accounts/list: %d %v; want 200 with every account", status, body)
			}
		})
	}
}
