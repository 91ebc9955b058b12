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
	s.AddAccount("acme")
	s.AddUser("boss@acme.example", "correct horse battery", "acme", "admin")
	s.AddUser("other@example.com", "correct horse battery", "", "admin")
	b := s.Browser()
	b.SignIn("boss@acme.example", "correct horse battery")

	if p := b.Get("/admin/clients"); p.Status != 200 || !strings.Contains(p.Body, "No clients yet") {
		t.Fatalf("clients page: %d", p.Status)
	}
	// A mistake comes back at its field, nothing made.
	p := b.Post("/admin/clients", url.Values{"intent": {"create"}, "name": {"Web"}, "type": {"confidential"},
		"grants": {"authorization_code"}, "scopes": {"openid"}})
	if p.Status != 400 || !strings.Contains(p.Body, "needs at least one redirect URI") {
		t.Fatalf("client without redirect URI: %d %.300s", p.Status, p.Body)
	}
	p = b.Post("/admin/clients", url.Values{"intent": {"create"}, "name": {"Web"}, "type": {"confidential"},
		"grants": {"authorization_code", "refresh_token"}, "scopes": {"openid", "email"},
		"redirect_uris": {"https://app.example.com/cb\nhttps://app.example.com/cb2"}})
	if p.Status != http.StatusCreated || !strings.Contains(p.Body, "Copy the secret") {
		t.Fatalf("create: %d %.300s", p.Status, p.Body)
	}
	id := clientIDRE.FindStringSubmatch(p.Body)[1]
	if p := b.Get("/admin/clients/" + id); p.Status != 200 || !strings.Contains(p.Body, "https://app.example.com/cb2") {
		t.Fatalf("client page: %d", p.Status)
	}
	if p := b.Post("/admin/clients/"+id, url.Values{"intent": {"save"}, "name": {"Web app"}, "type": {"confidential"},
		"grants": {"authorization_code"}, "scopes": {"openid"}, "redirect_uris": {"https://app.example.com/cb"}}); p.Status != http.StatusSeeOther {
		t.Fatalf("save: %d %.300s", p.Status, p.Body)
	}
	if p := b.Post("/admin/clients/"+id, url.Values{"intent": {"rotate"}}); p.Status != 200 || !strings.Contains(p.Body, "Copy the new secret") {
		t.Errorf("rotate: %d", p.Status)
	}

	// Another account's admin sees nothing of it.
	o := s.Browser()
	o.SignIn("other@example.com", "correct horse battery")
	if p := o.Get("/admin/clients/" + id); p.Status != 404 {
		t.Errorf("other admin reads the client: %d", p.Status)
	}
	if p := o.Get("/admin/clients"); strings.Contains(p.Body, id) {
		t.Error("other admin lists the client")
	}
	if p := o.Post("/admin/clients/"+id, url.Values{"intent": {"delete"}, "confirm": {"yes"}}); p.Status != 404 {
		t.Errorf("other admin deletes the client: %d", p.Status)
	}

	if p := b.Post("/admin/clients/"+id, url.Values{"intent": {"delete"}, "confirm": {"yes"}}); p.Status != http.StatusSeeOther {
		t.Errorf("delete: %d", p.Status)
	}
	if p := b.Get("/admin/clients/" + id); p.Status != 404 {
		t.Errorf("deleted client: %d", p.Status)
	}
}
