package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userdb/userdb/config"
)

// TestTemplatesCheckedAsStartUpLoadsThem: a template name of one's own
// (the original's `template: my-verify.html`, email.js:164 rendered any
// file) and a file in email.templates_dir that no email uses are refused
// by Validate — what `userdb config check` runs — naming the option and
// the file, as start-up refuses them, rather than passing the check and
// failing at start-up or when sending (issue 22).
func TestTemplatesCheckedAsStartUpLoadsThem(t *testing.T) {
	c := config.Default()
	c.Email.AccountVerification.Template = "my-verify.html"
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "email.account_verification.template") || !strings.Contains(err.Error(), `"my-verify.html"`) {
		t.Fatalf("Validate with template my-verify.html: %v", err)
	}

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "my-verify.html"), []byte("<p>hi</p>"), 0o600); err != nil {
		t.Fatal(err)
	}
	c = config.Default()
	c.Email.TemplatesDir = dir
	err = c.Validate()
	if err == nil || !strings.Contains(err.Error(), "email.templates_dir") || !strings.Contains(err.Error(), "my-verify.html") {
		t.Fatalf("Validate with my-verify.html in templates_dir: %v", err)
	}
	if err := os.Rename(filepath.Join(dir, "my-verify.html"), filepath.Join(dir, "account-verification.html")); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate with account-verification.html in templates_dir: %v", err)
	}
}
