package server_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/userdb/userdb/server"
)

// TestNodeTemplateOfOwn: the original's email.js (134-171) rendered the
// EJS file an email's `template` named (email.js:164), of any name, with
// envelope, user, token, url and uri. userdb's translation of
// `template: my-verify.html` is a Go template of that name in
// email.templates_dir with the same model; the server starts with it and
// sends it, and without the file it does not start, naming the file.
func TestNodeTemplateOfOwn(t *testing.T) {
	dir := t.TempDir()
	own := `<p>To {{.Envelope.To}} from {{.Envelope.From}}: {{.Envelope.Subject}}</p>
<p>id={{.User.ID}} given={{.User.GivenName}} clinic={{.User.CustomData.clinic}}</p>
<p>token={{.Token}} uri={{.URI}}</p><a href="{{.URL}}">Welcome</a>`
	if err := os.WriteFile(filepath.Join(dir, "my-verify.html"), []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	configure := func(c *server.Config) {
		c.Email.TemplatesDir = dir
		c.Email.AccountVerification.Template = "my-verify.html"
		c.Email.AccountVerification.Format = "html"
		c.Email.AccountVerification.Subject = "Verify your Clinic account"
		c.Email.AccountVerification.Endpoint = "https://app.example/welcome"
		c.SMTP.From = "clinic@app.example"
	}
	f := newAdminFixture(t, configure)
	r := f.actors[asAdminA].do("POST", "/users/update", map[string]any{
		"email": "own@alpha.example", "givenName": "Olive", "customData": map[string]any{"clinic": "North"}})
	if r.status != 200 {
		t.Fatalf("/users/update: %d %s", r.status, r.body)
	}
	id, _ := r.json(t)["id"].(string)
	m := f.lastEmail("own@alpha.example", "invitation")
	tok := tokenOf(t, m)
	for _, want := range []string{
		"To own@alpha.example from clinic@app.example: Verify your Clinic account",
		"id=" + id + " given=Olive clinic=North",
		"token=" + tok + " uri=https://app.example/welcome</p>",
		`href="https://app.example/welcome?sptoken=` + tok + `"`,
	} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("the email lacks %q:\n%s", want, m.HTML)
		}
	}
	if m.Text != "" {
		t.Errorf("format html sent a text body: %q", m.Text)
	}

	// Without the file the server does not start, and says which file.
	os.Remove(filepath.Join(dir, "my-verify.html"))
	cfg := server.DefaultConfig()
	cfg.Database.DSN = "sqlite:" + filepath.ToSlash(filepath.Join(t.TempDir(), "userdb.db"))
	configure(cfg)
	_, err := server.Open(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "email.account_verification.template") || !strings.Contains(err.Error(), "my-verify.html is missing") {
		t.Fatalf("server.Open without my-verify.html: %v", err)
	}
}
