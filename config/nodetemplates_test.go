package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userdb/userdb/config"
)

// TestTemplatesCheckedAsStartUpLoadsThem: the original rendered the file an
// email's `template` named, of any name (email.js:164: `template:
// my-verify.html`). Validate — what `userdb config check` runs — accepts a
// template name of one's own as start-up does, when email.templates_dir
// holds its file, and refuses it as start-up does, naming the option and
// the missing file, when it does not; a file in email.templates_dir that
// nothing names is refused too (issue 22).
func TestTemplatesCheckedAsStartUpLoadsThem(t *testing.T) {
	refused := func(c *config.Config, words ...string) {
		t.Helper()
		err := c.Validate()
		for _, w := range words {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Fatalf("Validate: %v; want an error saying %q", err, words)
			}
		}
	}
	own := func(dir, format string) *config.Config {
		c := config.Default()
		c.Email.TemplatesDir = dir
		c.Email.AccountVerification.Template = "my-verify.html"
		c.Email.AccountVerification.Format = format
		return c
	}
	refused(own("", "html"), "email.account_verification.template", `"my-verify.html"`, "email.templates_dir")

	dir := t.TempDir()
	refused(own(dir, "html"), "email.account_verification.template", "my-verify.html is missing from "+dir)
	if err := os.WriteFile(filepath.Join(dir, "my-verify.html"), []byte("<p>{{.User.GivenName}}, {{.URL}}</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := own(dir, "html").Validate(); err != nil {
		t.Fatalf("Validate with my-verify.html in templates_dir: %v", err)
	}
	// Format both needs the text body too, and names it.
	refused(own(dir, "both"), "email.account_verification.template", "my-verify.txt is missing")
	// A field the model lacks is found now, not when sending.
	if err := os.WriteFile(filepath.Join(dir, "my-verify.html"), []byte("<p>{{.User.Nickname}}</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	refused(own(dir, "html"), "email.account_verification.template", "Nickname")

	// A file nothing names is refused, naming it.
	c := config.Default()
	c.Email.TemplatesDir = dir
	refused(c, "email.templates_dir", "my-verify.html")
	if err := os.Rename(filepath.Join(dir, "my-verify.html"), filepath.Join(dir, "account-verification.html")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "account-verification.html"), []byte("<p>{{.User.GivenName}}</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate with account-verification.html in templates_dir: %v", err)
	}
}
