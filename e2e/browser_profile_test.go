package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// profileConfig declares custom attributes for the profile page.
const profileConfig = `custom_data:
  schema:
    - name: birthdate
      type: date
      editable_by: user
    - name: plan
      type: enum
      values: [free, pro, team]
      editable_by: user
    - name: newsletter
      type: boolean
      editable_by: user
    - name: member_id
      type: string
      editable_by: admin
`

// startServerWithConfig is startServer with a configuration file (the
// custom-data schema has no environment variable).
func startServerWithConfig(t *testing.T, md *mailtest.MailDev, yaml string, env ...string) *server {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "userdb.yaml")
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := exec.Command(binary, "serve", "--config", cfg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"USERDB_SERVER_ADDR="+addr,
		"USERDB_DATABASE_DSN=sqlite:"+filepath.Join(dir, "userdb.db"),
		"USERDB_SMTP_HOST="+md.SMTPHost(),
		"USERDB_SMTP_PORT="+strconv.Itoa(md.SMTPPort()),
		"USERDB_SMTP_TLS=none",
		"USERDB_SMTP_FROM=userdb <no-reply@example.com>",
		"USERDB_OUTBOX_POLL_INTERVAL=200ms",
		"USERDB_LOG_LEVEL=warn",
		"USERDB_SERVER_MANAGEMENT_ADDR=127.0.0.1:0",
	)
	cmd.Env = append(cmd.Env, env...)
	return launch(t, cmd, addr)
}

// value returns the value of the form control named name.
func (b *tab) value(name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Value(chromedp.CSS(`[name="`+name+`"]`)))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// TestBrowserProfile signs in through a link whose next= points at another
// site (and stays here), edits a date and an enum attribute, changes the
// email address from the link MailDev received, and signs in with the new
// address. It saves screenshots of the profile page in the artifacts
// directory.
func TestBrowserProfile(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServerWithConfig(t, md, profileConfig)
	const oldEmail, newEmail, pw = "gil@example.com", "gil.new@example.com", "first pass phrase"
	s.addUser(oldEmail, pw, "--given-name", "Gil", "--surname", "Grissom")
	b := newTab(t, s, true)

	// Open redirect: next= naming another site is ignored after sign-in.
	b.open("/login?next=" + "https://evil.example/")
	b.see("h1", "Sign in")
	b.fill(map[string]string{"login": oldEmail, "password": pw})
	b.press("Sign in")
	b.see("h1", "Gil Grissom")
	if loc := b.location(); loc != s.url+"/profile" {
		t.Fatalf("after sign-in with next=https://evil.example/ the browser is at %s", loc)
	}

	// The attributes, each with its input; the administrator's read-only.
	b.see("h2", "Profile details")
	b.see("p.field-hint", "Only an administrator can change this.")
	b.do(
		chromedp.SetValue(chromedp.CSS(`input[type="date"][name="customData.birthdate"]`), "1969-08-17"),
		chromedp.SetValue(chromedp.CSS(`select[name="customData.plan"]`), "team"),
		chromedp.Click(chromedp.CSS(`label[for="f-cd-newsletter"]`)), // the label ticks its checkbox
	)
	b.press("Save details")
	b.see("div.alert-success", "Your profile has been saved.")
	if got := b.value("customData.birthdate"); got != "1969-08-17" {
		t.Fatalf("birthdate shows %q after saving", got)
	}
	if got := b.value("customData.plan"); got != "team" {
		t.Fatalf("plan shows %q after saving", got)
	}
	checked, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.getElementById("f-cd-newsletter").checked`))
	if err != nil || !checked {
		t.Fatalf("newsletter checked = %v, %v after saving", checked, err)
	}
	b.screenshot("profile-attributes-desktop", 1280)
	b.screenshot("profile-attributes-360", 360)

	// Change the email: a wrong password first, then the right one.
	b.fill(map[string]string{"newEmail": newEmail, "emailPassword": "not my password"})
	b.press("Change email")
	b.see("p.field-error", "Current password is incorrect.")
	if got := b.value("newEmail"); got != newEmail {
		t.Fatalf("the new address was not kept: %q", got)
	}
	b.fill(map[string]string{"newEmail": newEmail, "emailPassword": pw})
	b.press("Change email")
	b.see("div.alert-success", "open the link we have sent to the new address")
	b.see("p", oldEmail) // unchanged until confirmed
	waitEmail(t, md, oldEmail, "A change of your email address was requested")
	_, link := waitEmail(t, md, newEmail, "Confirm your new email address")
	if link == "" {
		t.Fatal("no link in the confirmation email")
	}

	// Opening the link asks; confirming changes the address.
	b.open(link)
	b.see("h1", "Confirm your new email address")
	b.see("strong", newEmail)
	b.press("Confirm new email")
	b.see("div.alert-success", "Your email address has been changed and verified.")
	b.see("span", newEmail)
	b.see("span.badge-ok", "Verified")

	// The link worked once.
	b.open(link)
	b.see("h1", "This link no longer works")

	// Sign out, then in with the new address; the old one no longer works.
	b.open("/profile")
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.fill(map[string]string{"login": oldEmail, "password": pw})
	b.press("Sign in")
	b.see("div.alert-error", "Invalid username or password.")
	b.fill(map[string]string{"login": newEmail, "password": pw})
	b.press("Sign in")
	b.see("h1", "Gil Grissom")
	if got := b.value("customData.birthdate"); got != "1969-08-17" {
		t.Fatalf("birthdate shows %q after signing in again", got)
	}
}
