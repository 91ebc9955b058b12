package console_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// upload posts a spreadsheet to the import page as a browser's form would.
func (b *browser) upload(name, contentType, data string, fields map[string]string) page {
	b.s.t.Helper()
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
	req, err := http.NewRequest("POST", b.s.http.URL+"/admin/import", &buf)
	if err != nil {
		b.s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.s.http.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := b.hc.Do(req)
	if err != nil {
		b.s.t.Fatal(err)
	}
	defer res.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: out.String()}
}

// TestImportPage: the example file downloads, an admin's upload is
// imported into its account with a report of the bad rows, a dry run
// writes nothing, a file that is not a spreadsheet is refused at the file
// field, and a cross-site upload is refused.
func TestImportPage(t *testing.T) {
	s := newSite(t)
	acme := s.addAccount("acme")
	admin := s.admin("boss@example.com", acme.ID)

	example := admin.get("/import-users-example.csv")
	if example.status != 200 || !strings.HasPrefix(example.body, "First Name,Last Name,Email,Role,Password") ||
		!strings.HasPrefix(example.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("example: %d %q", example.status, example.body)
	}
	p := admin.get("/admin/import")
	wantStatus(t, p, 200)
	wantText(t, p, `enctype="multipart/form-data"`, `href="/import-users-example.csv"`, `type="file"`)
	if strings.Contains(p.body, `name="account"`) {
		t.Error("an admin is offered other accounts")
	}

	file := example.body + "Ann,Lee,ann@example.com,,\nBad,Row,not-an-email,,\n"
	p = admin.upload("users.csv", "text/csv", file, map[string]string{"dry_run": "on"})
	wantStatus(t, p, 200)
	wantText(t, p, "Dry run of users.csv", "<strong>2</strong> <span>would be created", "not-an-email")
	if _, err := inside.Service(s.srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "ann@example.com"); err == nil {
		t.Fatal("a dry run imported a user")
	}

	p = admin.upload("users.csv", "text/csv", file, nil)
	wantStatus(t, p, 200)
	wantText(t, p, "Imported users.csv", "<strong>2</strong> <span>created", "<strong>1</strong> <span>failed",
		`<td data-label="Row">4</td>`, "is not a valid address")
	ann, err := inside.Service(s.srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "ann@example.com")
	if err != nil || ann.AccountID != acme.ID {
		t.Fatalf("ann: %v %v", ann, err)
	}
	john, _ := inside.Service(s.srv).AdminFindUser(service.WithActor(context.Background(), service.SystemActor()), service.ByRef, "john.smith@example.com")
	if john == nil || !john.HasRole("admin") || john.AccountID != acme.ID {
		t.Fatalf("john from the example: %+v", john)
	}

	p = admin.upload("cat.png", "image/png", "\x89PNG", nil)
	wantStatus(t, p, http.StatusUnsupportedMediaType)
	wantText(t, p, `aria-invalid="true"`, "The file must be a CSV or XLSX spreadsheet")
	p = admin.upload("users.csv", "text/csv", "a,\"b\n", nil)
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "not valid CSV")

	// A post from another site is refused before anything is read.
	req, _ := http.NewRequest("POST", s.http.URL+"/admin/import", strings.NewReader("x"))
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res, err := admin.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site upload: %d", res.StatusCode)
	}

	// A plain user gets the console's 403.
	s.addUser("plain@example.com", pw, acme.ID)
	plain := s.browser()
	plain.signIn("plain@example.com", pw)
	if p := plain.upload("users.csv", "text/csv", file, nil); p.status != http.StatusForbidden {
		t.Errorf("plain user upload: %d", p.status)
	}
}
