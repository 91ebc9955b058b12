package mail_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/mail"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

func mustLoad(tb testing.TB, dir string) *mail.Templates {
	tb.Helper()
	t, err := mail.LoadTemplates(dir)
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

func sampleData(link string) mail.Data {
	return mail.Data{
		ProductName: "Example App",
		BaseURL:     "https://app.example.com",
		Link:        link,
		User: mail.UserData{
			GivenName: "Ada", Surname: "Lovelace", FullName: "Ada Lovelace",
			Email: "ada@example.com", Username: "ada",
		},
		SignIn:  mail.SignInData{Time: "1 March 2026, 12:00 UTC", Place: "Stockholm, Sweden", Browser: "Firefox on Linux", IP: "192.0.2.1"},
		Expires: "in 3 days, on 4 March 2026",
		Detail:  "Something happened to your account.",
		Code:    "042917",
	}
}

func TestRenderGolden(t *testing.T) {
	tpl := mustLoad(t, "")
	tests := []struct {
		kind, subject, link string
	}{
		{mail.KindVerification, "Verify your email address", "https://app.example.com/verify?sptoken=TOKEN"},
		{mail.KindVerificationSucceeded, "Your email address is verified", ""},
		{mail.KindWelcome, "Welcome to {{.ProductName}}", ""},
		{mail.KindForgotPassword, "Reset your {{.ProductName}} password", "https://app.example.com/change?sptoken=TOKEN"},
		{mail.KindPasswordResetDone, "Your password was changed", ""},
		{mail.KindInvitation, "You are invited to {{.ProductName}}", "https://app.example.com/invite?sptoken=TOKEN"},
		{mail.KindMagicLink, "Sign in to {{.ProductName}}", "https://app.example.com/signin/email/link?sptoken=TOKEN"},
		{mail.KindEmailChange, "Confirm your new email address", "https://app.example.com/email-change?sptoken=TOKEN"},
		{mail.KindEmailChangeNotice, "A change of your email address was requested", ""},
		{mail.KindNewDevice, "New sign-in to your {{.ProductName}} account", "https://app.example.com/not-me?sptoken=TOKEN"},
		{mail.KindPasswordExpiring, "Your {{.ProductName}} password expires soon", "https://app.example.com/profile"},
		{mail.KindEmailChanged, "Your {{.ProductName}} email address was changed", ""},
		{mail.KindPasswordSet, "A new password was set for your {{.ProductName}} account", ""},
		{mail.KindAPIKeyChanged, "A change to your {{.ProductName}} API keys", ""},
		{mail.KindAPIKeyExpiring, "A {{.ProductName}} API key expires soon", ""},
		{mail.KindFactorAdded, "A second factor was added to your {{.ProductName}} account", "https://app.example.com/profile/mfa"},
		{mail.KindFactorRemoved, "A second factor was removed from your {{.ProductName}} account", "https://app.example.com/profile/mfa"},
		{mail.KindRecoveryUsed, "A recovery code of your {{.ProductName}} account was used", "https://app.example.com/profile/mfa"},
		{mail.KindCodeReused, "A code of your {{.ProductName}} authenticator app was used twice", "https://app.example.com/profile/mfa"},
		{mail.KindMFAReset, "The second factors of your {{.ProductName}} account were reset", "https://app.example.com/profile/mfa"},
	}
	if len(tests) != len(mail.Kinds()) {
		t.Fatalf("%d golden cases for %d kinds", len(tests), len(mail.Kinds()))
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			r, err := tpl.Render(tt.kind, mail.FormatBoth, tt.subject, sampleData(tt.link))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(r.Subject, "{{") {
				t.Errorf("subject not rendered: %q", r.Subject)
			}
			if tt.link != "" {
				for name, body := range map[string]string{"text": r.Text, "html": r.HTML} {
					if !strings.Contains(body, tt.link) {
						t.Errorf("%s body lacks the link %s", name, tt.link)
					}
				}
			}
			checkGolden(t, tt.kind+".txt", "Subject: "+r.Subject+"\n\n"+r.Text)
			checkGolden(t, tt.kind+".html", r.HTML)
		})
	}
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run go test -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderFormats(t *testing.T) {
	tpl := mustLoad(t, "")
	data := sampleData("https://app.example.com/verify?sptoken=T")
	tests := []struct {
		format             string
		wantText, wantHTML bool
	}{
		{mail.FormatText, true, false},
		{mail.FormatHTML, false, true},
		{mail.FormatBoth, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			r, err := tpl.Render(mail.KindVerification, tt.format, "Verify", data)
			if err != nil {
				t.Fatal(err)
			}
			if (r.Text != "") != tt.wantText || (r.HTML != "") != tt.wantHTML {
				t.Errorf("text %v, html %v; want %v, %v", r.Text != "", r.HTML != "", tt.wantText, tt.wantHTML)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	tpl := mustLoad(t, "")
	tests := []struct {
		name, kind, format, subject string
	}{
		{"unknown kind", "no-such-email", mail.FormatBoth, "Hi"},
		{"unknown format", mail.KindWelcome, "pdf", "Hi"},
		{"empty subject", mail.KindWelcome, mail.FormatBoth, "  "},
		{"bad subject template", mail.KindWelcome, mail.FormatBoth, "Hi {{.Nope"},
		{"unknown subject field", mail.KindWelcome, mail.FormatBoth, "Hi {{.Nope}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tpl.Render(tt.kind, tt.format, tt.subject, sampleData("")); err == nil {
				t.Error("Render succeeded; want an error")
			}
		})
	}
}

// User-supplied names must not inject markup into the HTML body nor headers
// into the subject.
func TestRenderEscapes(t *testing.T) {
	tpl := mustLoad(t, "")
	data := sampleData("https://app.example.com/verify?sptoken=a&b=<c>")
	data.User.GivenName = `<img src=x onerror="alert(1)">`
	r, err := tpl.Render(mail.KindVerification, mail.FormatBoth, "Hello {{.User.GivenName}}\r\nBcc: eve@example.com", data)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<img") {
		t.Errorf("HTML body contains the unescaped name:\n%s", r.HTML)
	}
	if !strings.Contains(r.HTML, "&lt;img") {
		t.Errorf("HTML body lacks the escaped name:\n%s", r.HTML)
	}
	if strings.Contains(r.HTML, "<c>") {
		t.Errorf("HTML body contains the unescaped link:\n%s", r.HTML)
	}
	if strings.ContainsAny(r.Subject, "\r\n") {
		t.Errorf("subject %q spans several lines", r.Subject)
	}
	if !strings.Contains(r.Text, data.User.GivenName) {
		t.Errorf("text body lacks the name as given:\n%s", r.Text)
	}
}

func TestLoadTemplatesOverride(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("account-welcome.txt", "Hi {{.User.Username}}, welcome aboard.\n")
	write("layout.html", `{{define "layout"}}<main>{{template "content" .}}</main>{{end}}{{define "button"}}<a href="{{.Link}}">{{.Label}}</a>{{end}}`)
	write("README.md", "not a template, ignored")

	tpl := mustLoad(t, dir)
	r, err := tpl.Render(mail.KindWelcome, mail.FormatBoth, "Welcome", sampleData(""))
	if err != nil {
		t.Fatal(err)
	}
	if r.Text != "Hi ada, welcome aboard.\n" {
		t.Errorf("text = %q; want the override", r.Text)
	}
	if !strings.HasPrefix(r.HTML, "<main><p") {
		t.Errorf("HTML = %q; want the overridden layout around the embedded content", r.HTML)
	}
	// Kinds without an override keep the embedded text.
	r, err = tpl.Render(mail.KindForgotPassword, mail.FormatText, "Reset", sampleData("https://x.example/r"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Text, "Someone asked to reset the password") {
		t.Errorf("text = %q; want the embedded template", r.Text)
	}
}

func TestLoadTemplatesOverrideErrors(t *testing.T) {
	tests := []struct {
		name, file, content string
	}{
		{"syntax error", "forgot-password.html", "{{if .Link}}"},
		{"unknown field", "magic-link.txt", "{{.User.Nickname}}"},
		{"misspelt name", "forgot_password.txt", "Hello"},
		{"layout without button", "layout.html", `{{define "layout"}}{{template "content" .}}{{end}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := mail.LoadTemplates(dir); err == nil {
				t.Error("LoadTemplates succeeded; want an error")
			}
		})
	}
	if _, err := mail.LoadTemplates(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("LoadTemplates of a missing directory succeeded; want an error")
	}
}
