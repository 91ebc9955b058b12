package server_test

import (
	"bytes"
	"crypto/pbkdf2"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// passlibPBKDF2 returns the passlib-format PBKDF2-SHA256 hash of pw with
// iterations, as a weak source system would have stored it.
func passlibPBKDF2(t *testing.T, pw string, iterations int) string {
	t.Helper()
	salt := []byte("sixteen byte slt")
	key, err := pbkdf2.Key(sha256.New, pw, salt, iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	ab64 := func(b []byte) string {
		return strings.ReplaceAll(base64.RawStdEncoding.EncodeToString(b), "+", ".")
	}
	return fmt.Sprintf("$pbkdf2-sha256$%d$%s$%s", iterations, ab64(salt), ab64(key))
}

func storedHash(t *testing.T, e *env, login string) string {
	t.Helper()
	u, err := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, login)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

// TestASVS_2_4_4_ImportWrapsWeakHashes reproduces the audit's finding
// through the admin API's import: bcrypt cost 4 and PBKDF2 with one
// iteration were stored as they came, until a sign-in that may never come.
// Now they are stored wrapped in argon2id (the report counts them), the
// users sign in with their passwords and not with others, and the first
// sign-in leaves a plain argon2id hash.
func TestASVS_2_4_4_ImportWrapsWeakHashes(t *testing.T) {
	e := newEnv(t)
	c := superClient(e)
	b4, _ := bcrypt.GenerateFromPassword([]byte("bcrypt four pw"), 4)
	b10, _ := bcrypt.GenerateFromPassword([]byte("bcrypt ten pw"), 10)
	users := []struct{ login, hash, password string }{
		{"bc4", string(b4), "bcrypt four pw"},
		{"pb1", passlibPBKDF2(t, "pbkdf2 one pw", 1), "pbkdf2 one pw"},
		{"bc10", string(b10), "bcrypt ten pw"},
	}
	var csv strings.Builder
	csv.WriteString("email,username,password_hash\n")
	for _, u := range users {
		fmt.Fprintf(&csv, "%s@example.com,%s,%s\n", u.login, u.login, u.hash)
	}
	before := userCount(t, e)

	var dry struct {
		Created, Wrapped int
	}
	r := c.do("POST", "/api/v1/users/import", csvUpload(csv.String(), "dry_run", "true"))
	if err := json.Unmarshal(r.body, &dry); r.status != 200 || err != nil || dry.Created != 3 || dry.Wrapped != 2 || userCount(t, e) != before {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	r = c.do("POST", "/api/v1/users/import", csvUpload(csv.String()))
	var rep struct{ Created, Failed, Wrapped int }
	if err := json.Unmarshal(r.body, &rep); r.status != 200 || err != nil || rep.Created != 3 || rep.Failed != 0 || rep.Wrapped != 2 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	for i, u := range users {
		stored := storedHash(t, e, u.login)
		weak := i < 2
		if weak && (!strings.HasPrefix(stored, "$wrap$") || strings.Contains(stored, u.hash[strings.LastIndex(u.hash, "$")+1:])) {
			t.Errorf("%s: stored %q still holds the weak hash %q", u.login, stored, u.hash)
		}
		if !weak && stored != u.hash {
			t.Errorf("%s: a strong hash was changed: %q", u.login, stored)
		}
		if r := e.client().login(u.login, u.password+"x"); r.status != 401 {
			t.Errorf("%s: wrong password: %d", u.login, r.status)
		}
		e.client().mustLogin(u.login, u.password)
		if after := storedHash(t, e, u.login); !strings.HasPrefix(after, "$argon2id$") {
			t.Errorf("%s: not rehashed at sign-in: %q", u.login, after)
		}
		e.client().mustLogin(u.login, u.password)
	}
	if evs := e.events("users.imported"); len(evs) != 1 || evs[0].Details["wrapped"] != float64(2) {
		t.Errorf("users.imported events: %+v", evs)
	}
}

// TestASVS_2_4_3_ImportRefusesAbsurdHashes: hashes whose cost would stall
// the hashing pool at every sign-in, or that no system makes, fail their
// row with a message naming the bound; nothing of those rows is written,
// and the good row is imported (the import is row by row).
func TestASVS_2_4_3_ImportRefusesAbsurdHashes(t *testing.T) {
	e := newEnv(t)
	c := superClient(e)
	b10, _ := bcrypt.GenerateFromPassword([]byte("fine password"), 10)
	rows := []struct{ hash, reason string }{
		{"$2a$17$" + string(b10[7:]), "bcrypt cost 17 is above the limit of 16"},
		{"$2a$03$" + string(b10[7:]), "bcrypt cost 3 is below bcrypt's minimum of 4"},
		{passlibPBKDF2(t, "x", 1)[:15] + "0" + passlibPBKDF2(t, "x", 1)[16:], "iterations 0 outside 1 to 10000000"},
		{"pbkdf2_sha256$20000000$salt$k2+AxtY4w0SLCsir2Q7eLvS55hW9AqqraUqHWenSYfs=", "iterations 20000000 outside 1 to 10000000"},
		{"pbkdf2_sha256$1000$" + strings.Repeat("s", 65) + "$k2+AxtY4w0SLCsir2Q7eLvS55hW9AqqraUqHWenSYfs=", "salt longer than 64 bytes"},
	}
	var csv strings.Builder
	csv.WriteString("email,password_hash\n")
	for i, r := range rows {
		fmt.Fprintf(&csv, "absurd%d@example.com,%s\n", i, r.hash)
	}
	csv.WriteString("fine@example.com," + string(b10) + "\n")
	before := userCount(t, e)
	rep := decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(csv.String())))
	if rep.Created != 1 || rep.Failed != len(rows) || userCount(t, e) != before+1 {
		t.Fatalf("report %+v", rep)
	}
	for i, p := range rep.Problems {
		if p.Row != i+2 || p.Field != "passwordHash" || !strings.Contains(p.Reason, rows[i].reason) {
			t.Errorf("row %d: problem %+v; want the reason %q", i+2, p, rows[i].reason)
		}
	}
	for i := range rows {
		if _, err := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, fmt.Sprintf("absurd%d@example.com", i)); !userdb.IsCode(err, userdb.ENOTFOUND) {
			t.Errorf("absurd%d was written: %v", i, err)
		}
	}
}

// TestASVS_2_4_4_CreateWithWeakHashWraps: the system's user creation with a
// hash (the command line, the Go library) wraps a weak hash as imports do.
func TestASVS_2_4_4_CreateWithWeakHashWraps(t *testing.T) {
	e := newEnv(t)
	b4, _ := bcrypt.GenerateFromPassword([]byte("library user pw"), 4)
	u, err := e.srv.Users().Create(ctxCLI(), server.NewUser{Email: "lib@example.com", PasswordHash: string(b4)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$wrap$2a$04$") || strings.Contains(u.PasswordHash, string(b4[29:])) {
		t.Fatalf("stored %q", u.PasswordHash)
	}
	if r := e.client().login("lib@example.com", "library user pw!"); r.status != 401 {
		t.Errorf("wrong password: %d", r.status)
	}
	e.client().mustLogin("lib@example.com", "library user pw")
	_, err = e.srv.Users().Create(ctxCLI(), server.NewUser{Email: "lib2@example.com", PasswordHash: "$2a$17$" + string(b4[7:])})
	if !userdb.IsCode(err, userdb.EINVALID) || !strings.Contains(userdb.ErrorMessage(err), "bcrypt cost 17") {
		t.Errorf("absurd cost: %v", err)
	}
}

func withPepper(current, previous string) func(*server.Config) {
	return func(c *server.Config) {
		c.Password.Pepper.Current, c.Password.Pepper.Previous = current, previous
	}
}

func pepperKey(id string, fill byte) string {
	return id + ":" + base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{fill}, 32))
}

// TestASVS_2_4_5_PepperRotation runs one database under successive
// configurations: no pepper, then k1, then k2 with k1 as previous, then
// none at all, then k2 as previous only. Each sign-in moves the hash to the
// current pepper; a pepper that is gone refuses sign-in like a wrong
// password, never with a 500 or details.
func TestASVS_2_4_5_PepperRotation(t *testing.T) {
	e0 := newEnv(t)
	dsn := e0.cfg.Database.DSN
	on := func(configure ...func(*server.Config)) *env {
		return newEnv(t, append(configure, func(c *server.Config) { c.Database.DSN = dsn })...)
	}
	const pw = "pepper user password"
	e0.addUser("pep@example.com", pw)
	k1, k2 := pepperKey("k1", 1), pepperKey("k2", 2)
	signIn := func(e *env, wantPepper string) {
		t.Helper()
		if r := e.client().login("pep@example.com", pw+"x"); r.status != 401 {
			t.Errorf("wrong password: %d %s", r.status, r.body)
		}
		e.client().mustLogin("pep@example.com", pw)
		stored := storedHash(t, e, "pep@example.com")
		if _, got, _ := strings.Cut(stored, ",pepper="); !strings.HasPrefix(got, wantPepper+"$") && (wantPepper != "" || strings.Contains(stored, "pepper")) {
			t.Errorf("after sign-in the hash is %q; want pepper %q", stored, wantPepper)
		}
	}
	signIn(on(withPepper(k1, "")), "k1") // an unpeppered hash gets the pepper
	signIn(on(withPepper(k2, k1)), "k2") // rotation
	gone := on(withPepper("", ""))       // k2 lost
	r := gone.client().login("pep@example.com", pw)
	wrong := gone.client().login("pep@example.com", pw+"x")
	if r.status != 401 || !bytes.Equal(r.body, wrong.body) || strings.Contains(string(r.body), "pepper") {
		t.Errorf("sign-in with the pepper gone: %d %s; want the answer to a wrong password, %s", r.status, r.body, wrong.body)
	}
	signIn(on(withPepper("", k2)), "") // turned off: rehashed without one
}

// TestASVS_2_4_5_PepperConfigErrors: a bad pepper stops start-up with a
// message naming the key and never the secret.
func TestASVS_2_4_5_PepperConfigErrors(t *testing.T) {
	short := "k1:" + base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for name, pp := range map[string][2]string{
		"short key":  {short, ""},
		"not base64": {"k1:%%%%", ""},
		"bad id":     {"k-1:" + pepperKey("x", 1)[2:], ""},
		"id twice":   {pepperKey("k1", 1), pepperKey("k1", 2)},
	} {
		cfg := server.DefaultConfig()
		cfg.Database.DSN = "sqlite:" + t.TempDir() + "/userdb.db"
		withPepper(pp[0], pp[1])(cfg)
		_, err := server.Open(t.Context(), cfg)
		if err == nil || !strings.Contains(err.Error(), "password.pepper") || strings.Contains(err.Error(), "c2l4dGVlbiBieXRlIGtleQ") {
			t.Errorf("%s: Open = %v", name, err)
		}
	}
}
