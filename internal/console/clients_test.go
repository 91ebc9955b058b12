package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var clientIDRE = regexp.MustCompile(`<code>(cli_[a-z0-9]+)</code>`)

// TestClientsPage adds, changes, rotates and deletes an OAuth client on the
// console, and checks that another account's admin cannot reach it.
func TestClientsPage(t *testing.T) {
	s := newSite(t)
	s.addAccount("acme")
	s.addUser("boss@acme.example", "correct horse battery", "acme", "admin")
	s.addUser("other@example.com", "correct horse battery", "", "admin")
	b := s.browser()
	b.signIn("boss@acme.example", "correct horse battery")

	if p := b.get("/admin/clients"); p.status != 200 || !strings.Contains(p.body, "No clients yet") {
		t.Fatalf("clients page: %d", p.status)
	}
	// A mistake comes back at its field, nothing made.
	p := b.post("/admin/clients", url.Values{"intent": {"create"}, "name": {"Web"}, "type": {"confidential"},
		"grants": {"authorization_code"}, "scopes": {"openid"}})
	if p.status != 400 || !strings.Contains(p.body, "needs at least one redirect URI") {
		t.Fatalf("client without redirect URI: %d %.300s", p.status, p.body)
	}
	p = b.post("/admin/clients", url.Values{"intent": {"create"}, "name": {"Web"}, "type": {"confidential"},
		"grants": {"authorization_code", "refresh_token"}, "scopes": {"openid", "email"},
		"redirect_uris": {"https://app.example.com/cb\nhttps://app.example.com/cb2"}})
	if p.status != http.StatusCreated || !strings.Contains(p.body, "Copy the secret") {
		t.Fatalf("create: %d %.300s", p.status, p.body)
	}
	id := clientIDRE.FindStringSubmatch(p.body)[1]
	if p := b.get("/admin/clients/" + id); p.status != 200 || !strings.Contains(p.body, "https://app.example.com/cb2") {
		t.Fatalf("client page: %d", p.status)
	}
	if p := b.post("/admin/clients/"+id, url.Values{"intent": {"save"}, "name": {"Web app"}, "type": {"confidential"},
		"grants": {"authorization_code"}, "scopes": {"openid"}, "redirect_uris": {"https://app.example.com/cb"}}); p.status != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", p.status, p.body)
	}
	if p := b.post("/admin/clients/"+id, url.Values{"intent": {"rotate"}}); p.status != 200 || !strings.Contains(p.body, "Copy the new secret") {
		t.Errorf("rotate: %d", p.status)
	}

	// Another account's admin sees nothing of it.
	o := s.browser()
	o.signIn("other@example.com", "correct horse battery")
	if p := o.get("/admin/clients/" + id); p.status != 404 {
		t.Errorf("other admin reads the client: %d", p.status)
	}
	if p := o.get("/admin/clients"); strings.Contains(p.body, id) {
		t.Error("other admin lists the client")
	}
	if p := o.post("/admin/clients/"+id, url.Values{"intent": {"delete"}, "confirm": {"yes"}}); p.status != 404 {
		t.Errorf("other admin deletes the client: %d", p.status)
	}

	if p := b.post("/admin/clients/"+id, url.Values{"intent": {"delete"}, "confirm": {"yes"}}); p.status != http.StatusSeeOther {
		t.Errorf("delete: %d", p.status)
	}
	if p := b.get("/admin/clients/" + id); p.status != 404 {
		t.Errorf("deleted client: %d", p.status)
	}
}
