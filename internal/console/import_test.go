package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// upload posts a spreadsheet to the import page as a browser's form would.
func upload(b *browser, name, contentType, data string, fields map[string]string) page {
	b.S.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		mw.WriteField(k, v)
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+name+`"`)
	h.Set("Content-Type", contentType)
	part, _ := mw.CreatePart(h)
	part.Write([]byte(data))
	mw.Close()
	req, err := http.NewRequest("POST", b.S.HTTP.URL+"/admin/import", &buf)
	if err != nil {
		b.S.T.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.S.HTTP.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.HC.Do(req)
	if err != nil {
		b.S.T.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(res.Body)
	return page{Status: res.StatusCode, Header: res.Header, Body: out.String()}
}

// TestImportPage: the example file downloads, an admin's upload is
// imported into its account with a report of the bad rows, a dry run
// writes nothing, a file that is not a spreadsheet is refused at the file
// field, and a cross-site upload is refused.
func TestImportPage(t *testing.T) {
	s := newSite(t)
	acme := s.AddAccount("acme")
	admin := admin(s, "boss@example.com", acme.ID)

	example := admin.Get("/import-users-example.csv")
	if example.Status != 200 || !strings.HasPrefix(example.Body, "First Name,Last Name,Email,Role,Password") ||
		!strings.HasPrefix(example.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("example: %d %q", example.Status, example.Body)
	}
	p := admin.Get("/admin/import")
	wantStatus(t, p, 200)
	wantText(t, p, `enctype="multipart/form-data"`, `href="/import-users-example.csv"`, `type="file"`)
	if strings.Contains(p.Body, `name="account"`) {
		t.Error("an admin is offered other accounts")
	}

	file := example.Body + "Ann,Lee,ann@example.com,,\nBad,Row,not-an-email,,\n"
	p = upload(admin, "users.csv", "text/csv", file, map[string]string{"dry_run": "on"})
	wantStatus(t, p, 200)
	wantText(t, p, "Dry run of users.csv", "<strong>2</strong> <span>would be created", "not-an-email")
	if _, err := inside.Service(s.Srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "ann@example.com"); err == nil {
		t.Fatal("a dry run imported a user")
	}

	p = upload(admin, "users.csv", "text/csv", file, nil)
	wantStatus(t, p, 200)
	wantText(t, p, "Imported users.csv", "<strong>2</strong> <span>created", "<strong>1</strong> <span>failed",
		`<td data-label="Row">4</td>`, "is not a valid address")
	ann, err := inside.Service(s.Srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "ann@example.com")
	if err != nil || ann.AccountID != acme.ID {
		t.Fatalf("ann: %v %v", ann, err)
	}
	john, _ := inside.Service(s.Srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "john.smith@example.com")
	if john == nil || !john.HasRole("admin") || john.AccountID != acme.ID {
		t.Fatalf("john from the example: %+v", john)
	}

	p = upload(admin, "cat.png", "image/png", "\x89PNG", nil)
	wantStatus(t, p, http.StatusUnsupportedMediaType)
	wantText(t, p, `aria-invalid="true"`, "The file must be a CSV or XLSX spreadsheet")
	p = upload(admin, "users.csv", "text/csv", "a,\"b\n", nil)
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "not valid CSV")

	// A post from another site is refused before anything is read.
	req, _ := http.NewRequest("POST", s.HTTP.URL+"/admin/import", strings.NewReader("x"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := admin.HC.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site upload: %d", res.StatusCode)
	}

	// Rows with a password, with "verify their email": PENDING, and the
	// verification email goes out.
	p = upload(admin, "more.csv", "text/csv", "First Name,Last Name,Email,Role,Password\nVal,Ng,val@example.com,,a long enough secret 1\n",
		map[string]string{"verify_email": "on"})
	wantStatus(t, p, 200)
	wantText(t, p, "<strong>1</strong> <span>created")
	val, err := inside.Service(s.Srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "val@example.com")
	if err != nil || val.Status != userdb.StatusPending || val.PasswordHash == "" {
		t.Fatalf("val imported with verify_email: %+v %v", val, err)
	}

	// A plain user gets the console's 403.
	s.AddUser("plain@example.com", pw, acme.ID)
	plain := s.Browser()
	plain.SignIn("plain@example.com", pw)
	if p := upload(plain, "users.csv", "text/csv", file, nil); p.Status != http.StatusForbidden {
		t.Errorf("plain user upload: %d", p.Status)
	}
}
