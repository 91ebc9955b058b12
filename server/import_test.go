package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// importReport is the JSON of an import report.
type importReport struct {
	DryRun   bool `json:"dryRun"`
	Rows     int  `json:"rows"`
	Created  int  `json:"created"`
	Updated  int  `json:"updated"`
	Skipped  int  `json:"skipped"`
	Failed   int  `json:"failed"`
	Problems []struct {
		Row     int    `json:"row"`
		Outcome string `json:"outcome"`
		Field   string `json:"field"`
		Reason  string `json:"reason"`
	} `json:"problems"`
}

func decodeReport(t *testing.T, r response) importReport {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var rep importReport
	if err := json.Unmarshal(r.body, &rep); err != nil {
		t.Fatalf("report: %v: %s", err, r.body)
	}
	return rep
}

// superClient signs in a super-admin.
func superClient(e *env) *client {
	e.addUser("root@example.com", "correct horse battery", userdb.RoleSuperAdmin)
	c := e.client()
	c.mustLogin("root@example.com", "correct horse battery")
	return c
}

func userCount(t *testing.T, e *env) int {
	t.Helper()
	n, err := inside.Service(e.srv).Store().CountUsers(context.Background(), userdb.UserFilter{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func withSchema(c *server.Config) {
	c.CustomData.Schema = []config.Attribute{
		{Name: "birthdate", Type: "date"},
		{Name: "favoriteColor", Type: "enum", Values: []string{"red", "green", "blue"}},
		{Name: "shoeSize", Type: "number"},
	}
}

// TestImportReportsBrokenRows imports a file with ten deliberately broken
// rows among good ones: the report names exactly those ten rows, with their
// numbers, and every other row is imported.
func TestImportReportsBrokenRows(t *testing.T) {
	e := newEnv(t, withSchema)
	c := superClient(e)
	if _, err := inside.Service(e.srv).AdminCreateRole(ctxCLI(), userdb.DefaultAccountID, "editor", ""); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email,Role,Password,Account Name,Status,custom.birthdate,custom.favoriteColor\n")
	broken := map[int]string{ // row number -> the field the report must name
		4:  "email",                    // not an address
		7:  "email",                    // the same email as row 2
		10: "roles",                    // no such role
		13: "status",                   // LOCKED cannot be imported
		16: "customData.birthdate",     // not a date
		19: "customData.favoriteColor", // not in the enum
		22: "account",                  // no such account
		25: "password",                 // fails the password policy (too short)
		28: "",                         // more cells than columns
		31: "email",                    // missing email
	}
	rows := 40
	for row := 2; row <= rows+1; row++ {
		email := fmt.Sprintf("user%d@example.com", row)
		cells := []string{"Given" + fmt.Sprint(row), "Surname", email, "editor", "", "", "", "1990-01-31", "green"}
		switch row {
		case 4:
			cells[2] = "not-an-email"
		case 7:
			cells[2] = "USER2@example.com"
		case 10:
			cells[3] = "astronaut"
		case 13:
			cells[6] = "LOCKED"
		case 16:
			cells[7] = "31/01/1990"
		case 19:
			cells[8] = "purple"
		case 22:
			cells[5] = "no such account"
		case 25:
			cells[4] = "short"
		case 28:
			cells = append(cells, "surplus")
		case 31:
			cells[2] = ""
		}
		b.WriteString(strings.Join(cells, ",") + "\n")
	}
	rep := decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(b.String())))
	if rep.Rows != rows || rep.Created != rows-10 || rep.Failed != 10 || rep.Skipped != 0 {
		t.Fatalf("report %+v, want %d rows, %d created, 10 failed", rep, rows, rows-10)
	}
	got := map[int]string{}
	for _, p := range rep.Problems {
		got[p.Row] = p.Field
		if p.Reason == "" || p.Outcome != "failed" {
			t.Errorf("row %d: %+v", p.Row, p)
		}
	}
	for row, field := range broken {
		f, ok := got[row]
		if !ok {
			t.Errorf("row %d is not reported", row)
		} else if f != field {
			t.Errorf("row %d reported on field %q, want %q", row, f, field)
		}
	}
	if len(got) != 10 {
		t.Errorf("reported rows %v, want exactly %v", got, broken)
	}
	// The good rows are there, with their role and typed custom data.
	u, err := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "user40@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != userdb.StatusPending || !u.HasRole("editor") || u.CustomData["birthdate"] != "1990-01-31" || u.GivenName != "Given40" {
		t.Errorf("imported user %+v", u)
	}
	if _, err := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "user4@example.com"); !userdb.IsCode(err, userdb.ENOTFOUND) {
		t.Errorf("a broken row was imported: %v", err)
	}
	// Every created user is an event with the actor, and the import is one too.
	root, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "root@example.com")
	created := 0
	for _, ev := range e.events("user.created") {
		if ev.ActorID == root.ID && ev.Details["imported"] == true {
			created++
		}
	}
	if created != rows-10 {
		t.Errorf("%d user.created events by the importer, want %d", created, rows-10)
	}
	if evs := e.events("users.imported"); len(evs) != 1 || evs[0].ActorID != root.ID {
		t.Errorf("users.imported events: %+v", evs)
	}
}

// TestImportBcryptUsersSignIn imports users with the bcrypt hashes of
// another system: they sign in with their old passwords, and the first
// sign-in rehashes to argon2id.
func TestImportBcryptUsersSignIn(t *testing.T) {
	e := newEnv(t)
	c := superClient(e)
	var b strings.Builder
	b.WriteString("email,username,given_name,surname,password_hash,email_verified\n")
	for i, cost := range []int{10, bcrypt.MinCost} {
		h, err := bcrypt.GenerateFromPassword([]byte(fmt.Sprintf("old password %d", i)), cost)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "old%d@example.com,old%d,Old,User,%s,true\n", i, i, h)
	}
	b.WriteString("bad@example.com,bad,Bad,Hash,$2a$10$tooshort,true\n")
	rep := decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(b.String())))
	if rep.Created != 2 || rep.Failed != 1 || rep.Problems[0].Row != 4 || rep.Problems[0].Field != "passwordHash" {
		t.Fatalf("report %+v", rep)
	}
	for i := range 2 {
		login := fmt.Sprintf("old%d", i)
		u, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, login)
		// Cost 4 is below OWASP's minimum: stored wrapped in argon2id (hashes_test.go).
		if want := []string{"$2a$10$", "$wrap$2a$04$"}[i]; !strings.HasPrefix(u.PasswordHash, want) || u.Status != userdb.StatusEnabled {
			t.Fatalf("stored %s: %q %s", login, u.PasswordHash, u.Status)
		}
		if r := e.client().login(login, "wrong password"); r.status != 401 {
			t.Errorf("wrong password: %d", r.status)
		}
		e.client().mustLogin(login, fmt.Sprintf("old password %d", i))
		u, _ = inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, login)
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
			t.Errorf("%s not rehashed: %q", login, u.PasswordHash[:10])
		}
		e.client().mustLogin(login, fmt.Sprintf("old password %d", i))
	}
}

// TestImportRefusesBadFiles: a malformed file, a wrong type, an upload over
// the limit — each a clear 4xx, and nothing imported.
func TestImportRefusesBadFiles(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Server.MaxUpload = 64 << 10 })
	c := superClient(e)
	good := "First Name,Last Name,Email\nAda,Lovelace,ada@example.com\n"
	var big strings.Builder
	big.WriteString("First Name,Last Name,Email\n")
	for i := 0; big.Len() < 70<<10; i++ {
		fmt.Fprintf(&big, "Big,File,big%d@example.com\n", i)
	}
	xlsx := func(data []byte) upload {
		return upload{name: "users.xlsx", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: data}
	}
	cases := []struct {
		name   string
		body   any
		status int
		msg    string
	}{
		{"a quote out of place after good rows", csvUpload(good + "Bad,\"Quote,x@example.com\n" + "Eve,Late,eve@example.com\n"), 400, "not valid CSV"},
		{"binary data as CSV", csvUpload(good + "\x00\x01\x02\xff\xfe,x,y@example.com\n"), 400, "UTF-8"},
		{"an unknown column", csvUpload("First Name,Shoe,Email\nA,B,c@example.com\n"), 400, "unknown column"},
		{"a header without email", csvUpload("First Name,Last Name\nA,B\n"), 400, "no Email column"},
		{"an empty file", csvUpload(""), 400, "empty"},
		{"only blank lines", csvUpload("\n\n , \n"), 400, "no rows"},
		{"a zip that is not a workbook", xlsx([]byte("PK\x03\x04 not really a zip")), 400, "XLSX"},
		{"an image", upload{name: "cat.png", contentType: "image/png", data: []byte("\x89PNG\r\n")}, 415, "CSV or XLSX"},
		{"a PDF named .pdf", upload{name: "users.pdf", contentType: "application/octet-stream", data: []byte("%PDF-1.4")}, 415, ".pdf"},
		{"JSON instead of multipart", `{"file":"x"}`, 415, "multipart/form-data"},
		{"over the limit", csvUpload(big.String()), 413, "64 KiB"},
	}
	before := userCount(t, e)
	for _, tc := range cases {
		r := c.do("POST", "/api/v1/users/import", tc.body)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.msg) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, r.status, r.body, tc.status, tc.msg)
		}
		if n := userCount(t, e); n != before {
			t.Fatalf("%s: %d users imported", tc.name, n-before)
		}
	}
	if evs := e.events("users.imported"); len(evs) != 0 {
		t.Errorf("refused uploads recorded imports: %d", len(evs))
	}
	// Bad form fields are refused too.
	for _, f := range [][]string{{"dry_run", "maybe"}, {"existing", "merge"}, {"account", "no such account"}} {
		r := c.do("POST", "/api/v1/users/import", csvUpload(good, f...))
		if r.status < 400 || r.status >= 500 {
			t.Errorf("field %v: %d %s", f, r.status, r.body)
		}
	}
	if n := userCount(t, e); n != before {
		t.Fatalf("bad fields: %d users imported", n-before)
	}
	// The same good file goes through.
	if rep := decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(good))); rep.Created != 1 {
		t.Errorf("good file: %+v", rep)
	}
}

// TestImportXLSXAndOriginalFormat imports a workbook in the original's
// column order without a header, with a UTF-8 BOM-free sheet.
func TestImportXLSXAndOriginalFormat(t *testing.T) {
	e := newEnv(t)
	c := superClient(e)
	if _, err := inside.Service(e.srv).AdminCreateAccount(ctxCLI(), serviceAccount("acme")); err != nil {
		t.Fatal(err)
	}
	wb := excelize.NewFile()
	rows := [][]any{
		{"John", "Smith", "john.smith@example.com", "admin", "InitialPassword3!2!1!"},
		{"Mary", "Major", "mary@example.com", "", "", "acme"},
		{"Zoë", "Ångström", "zoe@example.com"},
	}
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := wb.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		t.Fatal(err)
	}
	up := upload{name: "users.xlsx", contentType: "application/octet-stream", data: buf.Bytes()}
	rep := decodeReport(t, c.do("POST", "/api/v1/users/import", up))
	if rep.Created != 3 || rep.Failed != 0 {
		t.Fatalf("report %+v", rep)
	}
	john, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "john.smith@example.com")
	mary, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "mary@example.com")
	zoe, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "zoe@example.com")
	if john.Status != userdb.StatusEnabled || !john.HasRole("admin") || john.AccountID != userdb.DefaultAccountID {
		t.Errorf("john %+v", john)
	}
	if mary.AccountID == userdb.DefaultAccountID || mary.Status != userdb.StatusPending {
		t.Errorf("mary %+v", mary)
	}
	if zoe.FullName != "Zoë Ångström" {
		t.Errorf("zoe %q", zoe.FullName)
	}
	e.client().mustLogin("john.smith@example.com", "InitialPassword3!2!1!")
}

// TestImportDryRunInvitesAndUpdates: a dry run writes nothing; invitations
// go to created users without a password; existing users are skipped or,
// when asked, updated.
func TestImportDryRunInvitesAndUpdates(t *testing.T) {
	e := newEnv(t, withSchema)
	c := superClient(e)
	file := "email,given_name,surname,password,custom.shoeSize\n" +
		"inv1@example.com,In,Vited,,42\n" +
		"inv2@example.com,In,Vited,,\n" +
		"pw@example.com,Pass,Word,a long enough password,\n"
	before := userCount(t, e)
	rep := decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(file, "dry_run", "true", "invite", "true")))
	if !rep.DryRun || rep.Created != 3 || userCount(t, e) != before || e.countEmails("inv1@example.com", "invitation") != 0 {
		t.Fatalf("dry run: %+v, %d users added", rep, userCount(t, e)-before)
	}
	rep = decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(file, "invite", "true")))
	if rep.Created != 3 {
		t.Fatalf("import: %+v", rep)
	}
	if e.countEmails("inv1@example.com", "invitation") != 1 || e.countEmails("pw@example.com", "invitation") != 0 {
		t.Errorf("invitations: inv1 %d, pw %d", e.countEmails("inv1@example.com", "invitation"), e.countEmails("pw@example.com", "invitation"))
	}
	inv, _ := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "inv1@example.com")
	if inv.CustomData["shoeSize"] != 42.0 {
		t.Errorf("a number attribute imported as %#v", inv.CustomData["shoeSize"])
	}
	// Again: skipped by default, updated on request (never the password).
	again := "email,given_name,surname,status,password\ninv1@example.com,Renamed,Person,DISABLED,another long password\n"
	rep = decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(again)))
	if rep.Skipped != 1 || rep.Problems[0].Outcome != "skipped" {
		t.Errorf("second import: %+v", rep)
	}
	rep = decodeReport(t, c.do("POST", "/api/v1/users/import", csvUpload(again, "existing", "update")))
	if rep.Updated != 1 {
		t.Fatalf("update: %+v", rep)
	}
	inv, _ = inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, "inv1@example.com")
	if inv.GivenName != "Renamed" || inv.Status != userdb.StatusDisabled || inv.PasswordHash != "" || inv.CustomData["shoeSize"] != 42.0 {
		t.Errorf("updated user %+v", inv)
	}
}

// TestImportAccountRules: an admin's rows go to its own account whatever
// they name (as the original), and an admin cannot grant super-admin; a
// super-admin's rows go where they say.
func TestImportAccountRules(t *testing.T) {
	f := newAdminFixture(t)
	adminA, super := f.actors[asAdminA], f.actors[asSuper]
	file := "First Name,Last Name,Email,Role,Password,Account Name\n" +
		"In,A,a1@example.com,member,,beta\n" +
		"Root,Wannabe,a2@example.com,super-admin,,\n"
	rep := decodeReport(t, adminA.do("POST", "/api/v1/users/import", csvUpload(file)))
	if rep.Created != 1 || rep.Failed != 1 || rep.Problems[0].Row != 3 || rep.Problems[0].Field != "roles" {
		t.Fatalf("admin import: %+v", rep)
	}
	u, _ := inside.Service(f.srv).AdminFindUser(ctxCLI(), service.ByRef, "a1@example.com")
	if u.AccountID != f.accA.ID {
		t.Errorf("admin of A imported into %s", u.AccountID)
	}
	file = "First Name,Last Name,Email,Role,Password,Account Name\nIn,B,b1@example.com,,,beta\nIn,Default,d1@example.com,,,\n"
	rep = decodeReport(t, super.do("POST", "/api/v1/users/import", csvUpload(file)))
	b1, _ := inside.Service(f.srv).AdminFindUser(ctxCLI(), service.ByRef, "b1@example.com")
	d1, _ := inside.Service(f.srv).AdminFindUser(ctxCLI(), service.ByRef, "d1@example.com")
	if rep.Created != 2 || b1.AccountID != f.accB.ID || d1.AccountID != userdb.DefaultAccountID {
		t.Errorf("super-admin import: %+v %v %v", rep, b1, d1)
	}
	// The compatibility route answers as the original: OK, or 400 naming the first bad row.
	r := adminA.do("POST", "/users/import", csvUpload("Ok,Row,c1@example.com\nBad,Row,nope\n"))
	if r.status != 400 || !strings.HasPrefix(string(r.body), "Row 2: ") {
		t.Errorf("compat import with a bad row: %d %s", r.status, r.body)
	}
	r = adminA.do("POST", "/users/import", csvUpload("Ok,Row,c2@example.com\n", "disableNewUserWorkflow", "true"))
	if r.status != 200 || strings.TrimSpace(string(r.body)) != "OK" {
		t.Errorf("compat import: %d %s", r.status, r.body)
	}
}

// TestExport exports as CSV and JSON lines; hashes for super-admins only;
// the CSV with hashes imports into another server, where users sign in.
func TestExport(t *testing.T) {
	e := newEnv(t, withSchema)
	c := superClient(e)
	svc := inside.Service(e.srv)
	e.addUser("ann@example.com", "ann's long password")
	if _, err := svc.AdminUpdateUser(ctxCLI(), mustFind(t, e, "ann@example.com").ID, service.ProfileUpdate{CustomData: map[string]any{"birthdate": "1980-02-29"}}); err != nil {
		t.Fatal(err)
	}
	e.addUser("=cmd@example.com", "formula long password")

	r := c.do("GET", "/api/v1/users/export", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.status, r.body)
	}
	text := string(r.body)
	if strings.Contains(text, "$argon2id$") || strings.Contains(text, "Password Hash") {
		t.Errorf("hashes exported without being asked for")
	}
	if !strings.Contains(text, "'=cmd@example.com") {
		t.Errorf("a cell starting with = is not defused:\n%s", text)
	}
	r = c.do("GET", "/api/v1/users/export?format=jsonl", nil)
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if len(lines) != 3 {
		t.Fatalf("jsonl: %d lines: %s", len(lines), r.body)
	}
	var rec map[string]any
	for _, l := range lines {
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("jsonl line %q: %v", l, err)
		}
		if _, ok := rec["passwordHash"]; ok {
			t.Errorf("jsonl has a hash: %s", l)
		}
	}
	if r := c.do("GET", "/api/v1/users/export?format=xml", nil); r.status != 400 {
		t.Errorf("format=xml: %d", r.status)
	}

	// With hashes, into a second server: the users sign in there.
	r = c.do("GET", "/api/v1/users/export?hashes=true", nil)
	if !strings.Contains(string(r.body), "$argon2id$") {
		t.Fatalf("no hashes in %s", r.body)
	}
	e2 := newEnv(t, withSchema)
	c2 := superClient(e2)
	rep := decodeReport(t, c2.do("POST", "/api/v1/users/import", csvUpload(string(r.body))))
	// root@example.com exists in both: skipped.
	if rep.Created != 2 || rep.Skipped != 1 || rep.Failed != 0 {
		t.Fatalf("round trip: %+v", rep)
	}
	e2.client().mustLogin("ann@example.com", "ann's long password")
	e2.client().mustLogin("=cmd@example.com", "formula long password")
	if ann := mustFind(t, e2, "ann@example.com"); ann.CustomData["birthdate"] != "1980-02-29" || ann.EmailVerifiedAt == nil {
		t.Errorf("round trip lost data: %+v", ann)
	}
	if !slices.ContainsFunc(e.events("users.exported"), func(ev *userdb.Event) bool { return ev.Details["hashes"] == true }) {
		t.Errorf("export with hashes not recorded")
	}
}

func mustFind(t *testing.T, e *env, ref string) *userdb.User {
	t.Helper()
	u, err := inside.Service(e.srv).AdminFindUser(ctxCLI(), service.ByRef, ref)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestImportOutlivesServerTimeouts runs the import routes under an
// http.Server whose ReadTimeout and WriteTimeout (1 s here, 30 s and 60 s
// in ListenAndServe) are shorter than the upload and the import: the body
// arrives in two halves 1.5 s apart, so both deadlines the server set pass
// before the report is written. The routes set their own deadlines, sized
// from server.max_upload, and the report still arrives.
func TestImportOutlivesServerTimeouts(t *testing.T) {
	e := newEnv(t)
	_, secret, err := inside.Service(e.srv).AdminCreateAPIKey(ctxCLI(), service.NewAPIKey{Name: "importer", Roles: []string{userdb.RoleSuperAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: e.srv, ReadHeaderTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	// The console's import page signs in with a session instead.
	e.addUser("console@example.com", "console pass phrase", userdb.RoleSuperAdmin)
	browser := e.client()
	browser.mustLogin("console@example.com", "console pass phrase")
	base, _ := url.Parse(e.http.URL)
	var cookie string
	for _, c := range browser.jar.Cookies(base) {
		cookie += c.Name + "=" + c.Value + "; "
	}

	for i, path := range []string{"/api/v1/users/import", "/users/import", "/admin/import"} {
		t.Run(path, func(t *testing.T) {
			var body bytes.Buffer
			up := csvUpload(fmt.Sprintf("First Name,Last Name,Email\nSlow,One,slow1%[1]d@example.com\nSlow,Two,slow2%[1]d@example.com\n", i), "disableNewUserWorkflow", "true")
			ct := up.write(t, &body)
			half := body.Len() / 2
			pr, pw := io.Pipe()
			go func() {
				pw.Write(body.Bytes()[:half])
				time.Sleep(1500 * time.Millisecond) // past both server timeouts
				pw.Write(body.Bytes()[half:])
				pw.Close()
			}()
			req, err := http.NewRequest("POST", "http://"+ln.Addr().String()+path, pr)
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = int64(body.Len())
			req.Header.Set("Content-Type", ct)
			if path == "/admin/import" {
				req.Header.Set("Cookie", cookie)
			} else {
				req.Header.Set("Authorization", "Bearer "+secret)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("the import lost its answer: %v", err)
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatalf("the report was cut short: %v (%q)", err, b)
			}
			if res.StatusCode != 200 {
				t.Fatalf("import: %d %s", res.StatusCode, b)
			}
			switch {
			case path == "/users/import":
				if string(b) != "OK" {
					t.Fatalf("compat import: %q", b)
				}
			case path == "/admin/import":
				if !bytes.Contains(b, []byte("<strong>2</strong> <span>created</span>")) {
					t.Fatalf("console import report: %s", b)
				}
			default:
				if rep := decodeReport(t, response{status: res.StatusCode, body: b}); rep.Created != 2 {
					t.Fatalf("report %+v", rep)
				}
			}
		})
	}
	if n := userCount(t, e); n != 7 {
		t.Fatalf("%d users, want the 6 imported and the console's admin", n)
	}
}
