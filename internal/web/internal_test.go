package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/userdb/userdb/internal/ui"
)

// TestParsePagesFailsOnMissingTemplate: a page whose template is missing
// stops the program at start-up, not at a user's request.
func TestParsePagesFailsOnMissingTemplate(t *testing.T) {
	if _, err := parsePages(templateFS); err != nil {
		t.Fatalf("embedded templates: %v", err)
	}
	files := fstest.MapFS{}
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && path != "templates/sessions.html" {
			b, _ := fs.ReadFile(templateFS, path)
			files[path] = &fstest.MapFile{Data: b}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = parsePages(files)
	if err == nil || !strings.Contains(err.Error(), "sessions") {
		t.Fatalf("missing sessions.html: err = %v", err)
	}
}

// TestReturnOriginsFitInCSP: a configured return URL whose host could break
// out of the Content-Security-Policy it is written into is left out.
func TestReturnOriginsFitInCSP(t *testing.T) {
	p := &Pages{returns: parseReturnURLs([]string{
		"https://App.Example.com:8443/ignored/path", "http://[::1]:9000", "https://a;script-src", "https://b,c.example", "ftp://files.example",
	})}
	for next, want := range map[string]string{
		"https://app.example.com:8443/welcome": "https://app.example.com:8443",
		"http://[::1]:9000/x":                  "http://[::1]:9000",
		"https://a;script-src/":                "",
		"https://b,c.example/":                 "",
		"ftp://files.example/":                 "",
		"/profile":                             "",
		"https://app.example.com/welcome":      "", // another port
	} {
		if got := p.returnOrigin(next); got != want {
			t.Errorf("returnOrigin(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestCatalogue: every message the Go code looks up is in the catalogue,
// every page has a title and every flash a text, and the catalogue holds
// nothing that nothing uses (a translator would translate it for nothing).
func TestCatalogue(t *testing.T) {
	used := map[string]bool{}
	files, _ := filepath.Glob("*.go")
	lookup := regexp.MustCompile(`msg\("([^"]+)"[,)]`) // a whole key, not a prefix
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range lookup.FindAllStringSubmatch(string(src), -1) {
			used[m[1]] = true
		}
	}
	for _, page := range pageNames {
		if page != "message" { // its title is the message's own
			used["title-"+page] = true
		}
	}
	for key := range flashKinds {
		used[key] = true
	}
	for _, key := range ui.AgentKeys { // the session list's devices
		used[key] = true
	}
	if len(used) < 40 {
		t.Fatalf("found only %d message keys in use: is the source being read?", len(used))
	}
	for key := range used {
		if _, ok := catalogue[key]; !ok {
			t.Errorf("message %q is used but not in the catalogue", key)
		}
	}
	for key := range catalogue {
		if !used[key] {
			t.Errorf("message %q is in the catalogue but nothing uses it", key)
		}
	}
	if got := msg("title-invitation", "Acme ID"); got != "Welcome to Acme ID" {
		t.Errorf("invitation title %q", got)
	}
	if got := msg("no-such-key"); got != "no-such-key" {
		t.Errorf("a missing key shows %q, not itself", got)
	}
}
