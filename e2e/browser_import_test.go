package e2e

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// TestBrowserImport: in Chromium, against the real binary, an administrator
// downloads the example CSV from the import page, uploads it, and sees the
// report; then uploads a file with broken rows and sees them listed with
// their row numbers. The report is saved at 1280 and 360 pixels.
func TestBrowserImport(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	const rootPW = "root pass phrase"
	s.addUser("root@example.com", rootPW, "--role", "super-admin", "--given-name", "Rita", "--surname", "Root")

	// The example file, fetched as the page's link does.
	res, err := http.Get(s.url + "/import-users-example.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	example := filepath.Join(dir, "import-users-example.csv")
	f, _ := os.Create(example)
	f.ReadFrom(res.Body)
	f.Close()
	res.Body.Close()
	broken := filepath.Join(dir, "new-staff.csv")
	os.WriteFile(broken, []byte("First Name,Last Name,Email,Role,Password\n"+
		"Ada,Byron,ada@example.com,,\n"+
		"Grace,Hopper,grace@example.com,astronaut,\n"+
		"Alan,Turing,not an address,,\n"+
		"Edsger,Dijkstra,edsger@example.com,,short\n"+
		"Barbara,Liskov,barbara@example.com,,\n"), 0o644)

	b := newTab(t, s, false)
	b.open("/signin")
	b.fill(map[string]string{"login": "root@example.com", "password": rootPW})
	b.press("Sign in")
	b.see("h1", "Rita Root")
	b.open("/admin/")
	b.see("h1", "Users")
	b.do(clickLink("Import"))
	b.see("h1", "Import users")
	b.see("a", "Download the example CSV")

	b.do(chromedp.SetUploadFiles(`input[name="file"]`, []string{example}))
	b.press("Import")
	b.see("h2", "Imported import-users-example.csv")
	b.see("li", "1 created")
	api := s.signedIn("root@example.com", rootPW)
	m := api.expect(200, "GET", "/api/v1/users?q=john.smith", nil)
	if items, _ := m["items"].([]any); len(items) != 1 {
		t.Fatalf("the example's user is not there: %v", m)
	}

	b.do(chromedp.SetUploadFiles(`input[name="file"]`, []string{broken}))
	b.press("Import")
	b.see("h2", "Imported new-staff.csv")
	b.see("li", "2 created")
	b.see("li", "3 failed")
	b.see("td", "The account has no role named")
	b.see("td", "not a valid address")
	rows := strings.Join([]string{"3", "4", "5"}, ",")
	for _, row := range strings.Split(rows, ",") {
		b.see("td", row)
	}
	b.screenshot("import-report-desktop", 1280)
	b.screenshot("import-report-360", 360)
}
