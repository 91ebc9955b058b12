package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestImportAndExport: `userdb import` reports bad rows (exit 1) and
// imports the rest, recorded with the actor "cli"; a dry run writes
// nothing; a malformed file imports nothing; `userdb export` writes CSV or
// JSON lines, hashes only when asked, to a file only its owner reads.
func TestImportAndExport(t *testing.T) {
	c := newCLI(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("their old password"), bcrypt.MinCost)
	file := filepath.Join(c.dir, "users.csv")
	os.WriteFile(file, []byte("email,given_name,surname,password_hash,status\n"+
		"ann@example.com,Ann,Lee,"+string(hash)+",ENABLED\n"+
		"bob@example.com,Bob,Ray,,\n"+
		"bad address,Bad,Row,,\n"), 0o600)

	r := c.run("", "import", file, "--dry-run")
	if r.code != 1 || !strings.Contains(r.stdout, "2 would be created") || !strings.Contains(r.stdout, "row 4: failed (email)") {
		t.Fatalf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	c.fail(1, "No user", "", "user", "show", "ann@example.com")

	r = c.run("", "import", file)
	// ann's bcrypt hash has cost 4, below OWASP's 10: stored wrapped.
	if r.code != 1 || !strings.Contains(r.stdout, "3 rows imported: 2 created") || !strings.Contains(r.stdout, "1 weak password hashes stored wrapped in argon2id") {
		t.Fatalf("import: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustOneLine(t, r.stderr, "1 rows failed")
	if u := c.user("ann@example.com"); u["status"] != "ENABLED" || u["hasPassword"] != true {
		t.Errorf("ann: %v", u)
	}
	if u := c.user("bob@example.com"); u["status"] != "PENDING" {
		t.Errorf("bob: %v", u)
	}
	if evs := c.events("users.imported"); len(evs) != 1 || evs[0].Actor != "cli" {
		t.Errorf("users.imported: %+v", evs)
	}

	bad := filepath.Join(c.dir, "bad.csv")
	os.WriteFile(bad, []byte("email\ncarl@example.com\n\"unterminated\n"), 0o600)
	c.fail(1, "not valid CSV", "", "import", bad)
	c.fail(1, "No user", "", "user", "show", "carl@example.com")
	c.fail(2, "no such file", "", "import", filepath.Join(c.dir, "missing.csv"))
	c.fail(2, "--existing", "", "import", file, "--existing", "merge")
	c.fail(2, "usage", "", "import")

	out := c.ok("", "export")
	if !strings.HasPrefix(out, "Id,Account,Username,Email") || !strings.Contains(out, "ann@example.com") || strings.Contains(out, "$2a$") {
		t.Errorf("export:\n%s", out)
	}
	dst := filepath.Join(c.dir, "out.jsonl")
	c.ok("", "export", "--format", "jsonl", "--hashes", "--out", dst)
	b, _ := os.ReadFile(dst)
	if !strings.Contains(string(b), `"passwordHash":"$wrap$2a$04$`) || strings.Count(string(b), "\n") != 2 {
		t.Errorf("export --hashes:\n%s", b)
	}
	if st, _ := os.Stat(dst); st.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v", st.Mode().Perm())
	}
	c.fail(2, "--format", "", "export", "--format", "xml")
}

// TestImportVerifyEmail: with --verify-email a row with a password is
// PENDING and gets the verification email, as the original's add-users
// made every row (newUserWorkflow, index.js:612-626); a row with a status
// of its own keeps it.
func TestImportVerifyEmail(t *testing.T) {
	c := newCLI(t)
	hash, _ := bcrypt.GenerateFromPassword([]byte("their old password"), bcrypt.MinCost)
	file := filepath.Join(c.dir, "users.csv")
	os.WriteFile(file, []byte("email,given_name,password_hash,status\n"+
		"ann@example.com,Ann,"+string(hash)+",\n"+
		"cy@example.com,Cy,"+string(hash)+",ENABLED\n"), 0o600)
	c.ok("", "import", file, "--verify-email")
	if u := c.user("ann@example.com"); u["status"] != "PENDING" || u["hasPassword"] != true {
		t.Errorf("ann: %v", u)
	}
	if u := c.user("cy@example.com"); u["status"] != "ENABLED" {
		t.Errorf("cy: %v", u)
	}
	emails, err := c.store().FindEmails(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, m := range emails {
		kinds[m.To] = m.Kind
	}
	if kinds["ann@example.com"] != "account-verification" || kinds["cy@example.com"] != "" {
		t.Errorf("emails queued: %v; want the verification email to ann only", kinds)
	}
}
