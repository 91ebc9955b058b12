package nodeimport_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb/internal/nodeimport"
	"github.com/userdb/userdb/internal/password"
)

// TestASVS_2_4_4_MigrateWrapsWeakBcrypt: a source user whose bcrypt hash,
// and an old password's, have cost 4 are stored wrapped in argon2id by
// migrate-from (the report counts them, a dry run too), the old password
// still counts in the history, a second run keeps the wrappings and changes
// nothing, and the user signs in with its password through the real
// server, which rehashes it to plain argon2id; a wrong password is refused.
// The bcrypt hashes of cost 10 are kept as they are (TestImport).
func TestASVS_2_4_4_MigrateWrapsWeakBcrypt(t *testing.T) {
	for _, dialect := range []string{nodeimport.SQLite, nodeimport.MySQL, nodeimport.Postgres} {
		t.Run(dialect, func(t *testing.T) {
			src, srcDialect, rw := openSource(t, dialect)
			weak, err := bcrypt.GenerateFromPassword([]byte("json-pass"), 4)
			if err != nil {
				t.Fatal(err)
			}
			// The bcrypt alphabet has no quote: the hash is safe in the text.
			mustExecDB(t, rw, "UPDATE users SET password = '"+string(weak)+"' WHERE id = 'usr-json'")
			weakOld, _ := bcrypt.GenerateFromPassword([]byte("json-old-pass"), 4)
			mustExecDB(t, rw, "INSERT INTO old_passwords (user_id, password, created_date) VALUES ('usr-json', '"+string(weakOld)+"', 1500000000)")
			dsn, dst := newDestination(t, dialect)
			hasher := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 2, 0)
			opts := nodeimport.Options{Now: func() time.Time { return now }, Wrapper: hasher}

			dry := opts
			dry.DryRun = true
			if rep := mustImport(t, src, srcDialect, dst, dry); rep.Wrapped != 2 {
				t.Errorf("dry run: %d wrapped, want 2", rep.Wrapped)
			}
			first := mustImport(t, src, srcDialect, dst, opts)
			var text strings.Builder
			first.WriteText(&text)
			if first.Wrapped != 2 || !strings.Contains(text.String(), "2 weak bcrypt hashes (cost below 10) stored wrapped in argon2id") {
				t.Errorf("first import: %d wrapped; report:\n%s", first.Wrapped, text.String())
			}
			stored := mustFindUser(t, dst, "usr-json").PasswordHash
			if !strings.HasPrefix(stored, "$wrap$2a$04$") || strings.Contains(stored, string(weak[29:])) {
				t.Fatalf("stored %q; want the wrapping of %q", stored, weak)
			}
			if other := mustFindUser(t, dst, "usr-alice").PasswordHash; other != hashOf("alice-pass-1") {
				t.Errorf("a cost-10 hash was changed: %q", other)
			}
			history, err := dst.FindPasswordHistory(context.Background(), "usr-json", 10)
			if err != nil {
				t.Fatal(err)
			}
			oldFound := false
			for _, h := range history {
				if !strings.HasPrefix(h, "$wrap$2a$04$") {
					t.Errorf("history entry %q is not wrapped", h)
				}
				ok, _, _ := hasher.Verify(context.Background(), "json-old-pass", h)
				oldFound = oldFound || ok
			}
			if !oldFound {
				t.Errorf("the old password is not in the history: %q", history)
			}

			second := mustImport(t, src, srcDialect, dst, opts)
			if second.Changes() != 0 || second.Wrapped != 0 || mustFindUser(t, dst, "usr-json").PasswordHash != stored {
				t.Errorf("second import: %d changes, %d wrapped; want none and the same hash", second.Changes(), second.Wrapped)
			}

			e := startServer(t, dsn, dst)
			var json wantUser
			for _, w := range wantUsers() {
				if w.id == "usr-json" {
					json = w
				}
			}
			if status, _ := e.signIn(json, "json-pass-wrong"); status != http.StatusUnauthorized {
				t.Errorf("wrong password: %d", status)
			}
			e.mustSignIn(json) // 200, and the hash is now plain argon2id
		})
	}
}

// TestMigrateKeepsUnreadableWeakHash: a source hash that looks like bcrypt
// of cost 4 by its prefix but has a broken body cannot be wrapped; the run
// goes on and keeps it as the source has it (it signs nobody in), where a
// failed wrap used to stop the whole migration after accounts and roles.
func TestMigrateKeepsUnreadableWeakHash(t *testing.T) {
	src, srcDialect, rw := openSource(t, nodeimport.SQLite)
	broken := "$2a$04$" + strings.Repeat("!", 53)
	mustExecDB(t, rw, "UPDATE users SET password = '"+broken+"' WHERE id = 'usr-json'")
	_, dst := newDestination(t, nodeimport.SQLite)
	hasher := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 2, 0)
	rep := mustImport(t, src, srcDialect, dst, nodeimport.Options{Now: func() time.Time { return now }, Wrapper: hasher})
	if rep.Wrapped != 0 {
		t.Errorf("%d hashes wrapped, want 0", rep.Wrapped)
	}
	if got := mustFindUser(t, dst, "usr-json").PasswordHash; got != broken {
		t.Errorf("stored %q, want the source's hash kept", got)
	}
	if ok, _, _ := hasher.Verify(context.Background(), "json-pass", broken); ok {
		t.Error("a broken hash verified a password")
	}
}
