package bulk

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

func readAll(t *testing.T, text string) ([]*service.ImportRow, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(text), CSV)
	if err != nil {
		return nil, err
	}
	var rows []*service.ImportRow
	for {
		row, err := r.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, row)
	}
}

func TestReaderOriginalColumnsWithoutHeader(t *testing.T) {
	rows, err := readAll(t, "\xef\xbb\xbfJohn,Smith,john@example.com,admin,Secret1!,acme\n\nMary,Major,mary@example.com\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	j := rows[0].User
	if j.GivenName != "John" || j.Surname != "Smith" || j.Email != "john@example.com" || j.Roles[0] != "admin" ||
		j.Password != "Secret1!" || j.Account != "acme" || rows[0].Line != 1 {
		t.Errorf("row 1: %+v", rows[0])
	}
	if rows[1].Line != 3 || rows[1].User.Email != "mary@example.com" {
		t.Errorf("row 3 (after a blank line): %+v", rows[1])
	}
}

func TestReaderHeaderNamesColumns(t *testing.T) {
	text := "E-mail Address,Username,given_name,Last Name,Roles,Status,Password Hash,Email Verified,custom.birthdate,CustomData.team,Custom Data,Id,Created At\n" +
		"a@example.com,ann,Ann,Lee,admin;editor|viewer,disabled,$2a$10$x,true,1990-01-02,blue,\"{\"\"level\"\":3}\",usr_1,2020-01-01\n" +
		"b@example.com,,,,,,,no,,,not json,,\n" +
		"c@example.com,,,,,,,,,,,,,surplus\n"
	rows, err := readAll(t, text)
	if err != nil {
		t.Fatal(err)
	}
	a := rows[0]
	if a.Line != 2 || a.User.Email != "a@example.com" || a.User.Username != "ann" || a.User.Surname != "Lee" ||
		len(a.User.Roles) != 3 || a.User.Status != userdb.StatusDisabled || a.User.PasswordHash != "$2a$10$x" ||
		!a.User.Verified || a.Custom["birthdate"] != "1990-01-02" || a.Custom["team"] != "blue" ||
		a.User.CustomData["level"] != 3.0 || a.Err != nil {
		t.Errorf("row 2: %+v %+v", a, a.User)
	}
	if rows[1].Err == nil || rows[1].User.Verified {
		t.Errorf("row 3 has bad custom data JSON and verified=no: %+v", rows[1])
	}
	if rows[2].Err == nil || !strings.Contains(rows[2].Err.Error(), "14 cells") {
		t.Errorf("row 4 has a surplus cell: %v", rows[2].Err)
	}
}

func TestReaderRefusesMalformedFiles(t *testing.T) {
	for name, text := range map[string]string{
		"no rows":        "",
		"blank rows":     "\n , ,\n",
		"bad quote":      "a,b,c@example.com\nd,\"e,f@example.com\n",
		"not UTF-8":      "a,b,c@example.com\n\xff\xfe,x,y\n",
		"NUL bytes":      "a,b\x00,c@example.com\n",
		"unknown column": "Email,Favourite Food\nx@example.com,cake\n",
		"no email":       "First Name,Last Name\nA,B\n",
		"twice":          "Email,E-mail\na@example.com,b@example.com\n",
		"wide":           strings.Repeat("x,", MaxColumns+1) + "a@example.com\n",
		"huge cell":      "a,b," + strings.Repeat("x", MaxCellBytes+1) + "@example.com\n",
	} {
		_, err := Check(strings.NewReader(text), CSV)
		if !userdb.IsCode(err, userdb.EINVALID) {
			t.Errorf("%s: %v, want EINVALID", name, err)
		}
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		ct, name, head string
		want           Format
		ok             bool
	}{
		{"text/csv", "u.csv", "a,b", CSV, true},
		{"application/vnd.ms-excel", "u.csv", "a,b", CSV, true},
		{"", "u.xlsx", "PK\x03\x04", XLSX, true},
		{"application/octet-stream", "u", "PK\x03\x04", XLSX, true},
		{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "u.bin", "", XLSX, true},
		{"image/png", "u.csv", "\x89PNG", "", false},
		{"application/octet-stream", "u.exe", "MZ", "", false},
	}
	for _, c := range cases {
		got, err := Detect(c.ct, c.name, []byte(c.head))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Detect(%q, %q) = %q, %v", c.ct, c.name, got, err)
		}
	}
}

// TestExportImportsBack writes records as CSV and reads them back.
func TestExportImportsBack(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, ExportCSV, true)
	if err != nil {
		t.Fatal(err)
	}
	u := &userdb.User{ID: "usr_1", Email: "=1+1@example.com", Username: "-dash", GivenName: "@Ann", Surname: "Lee",
		Status: userdb.StatusEnabled, Roles: []string{"admin", "editor"}, PasswordHash: "$argon2id$x",
		CustomData: map[string]any{"team": "blue"}, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	now := time.Now()
	u.EmailVerifiedAt = &now
	if err := w.Write(NewRecord(u, "acme")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), ",=1+1") || strings.Contains(buf.String(), ",@Ann") {
		t.Errorf("formula cells not defused:\n%s", buf.String())
	}
	rows, err := readAll(t, buf.String())
	if err != nil {
		t.Fatal(err)
	}
	n := rows[0].User
	if n.Email != u.Email || n.Username != u.Username || n.GivenName != u.GivenName || n.Account != "acme" ||
		n.PasswordHash != u.PasswordHash || len(n.Roles) != 2 || !n.Verified || n.CustomData["team"] != "blue" ||
		n.Status != userdb.StatusEnabled {
		t.Errorf("read back %+v", n)
	}
}
