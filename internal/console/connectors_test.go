package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestConnectors: a super-admin adds a connector (shown with the callback
// URL to register), disables and deletes it; an admin of another account
// does not see it; bad input comes back at its field.
func TestConnectors(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	acme := s.AddAccount("acme")
	other := s.AddAccount("other")

	p := root.Post("/admin/connectors", url.Values{"intent": {"create"}, "id": {"Bad Id"}, "type": {"github"},
		"name": {"GitHub"}, "clientId": {"c"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "lower-case letters", `value="GitHub"`)

	p = root.Post("/admin/connectors", url.Values{"intent": {"create"}, "id": {"github"}, "type": {"github"},
		"name": {"GitHub"}, "clientId": {"Iv1.x"}, "clientSecret": {"s3cret"}, "account": {acme.ID}, "createUsers": {"1"}})
	wantRedirect(t, p, "/admin/connectors")
	page := root.Get("/admin/connectors")
	wantText(t, page, "The connector has been created", "GitHub", "/upstream/github/callback", "ENABLED")
	if strings.Contains(page.Body, "s3cret") {
		t.Error("the client secret is shown")
	}

	adminOther := admin(s, "boss@other.example", other.ID)
	if p := adminOther.Get("/admin/connectors"); strings.Contains(p.Body, "/upstream/github/callback") {
		t.Error("an admin of another account sees acme's connector")
	}
	adminAcme := admin(s, "boss@acme.example", acme.ID)
	wantText(t, adminAcme.Get("/admin/connectors"), "/upstream/github/callback")

	wantRedirect(t, root.Post("/admin/connectors", url.Values{"intent": {"disable"}, "id": {"github"}}), "/admin/connectors")
	wantText(t, root.Get("/admin/connectors"), "The connector has been disabled", "DISABLED")
	wantRedirect(t, root.Post("/admin/connectors", url.Values{"intent": {"delete"}, "id": {"github"}}), "/admin/connectors")
	wantText(t, root.Get("/admin/connectors"), "No connectors yet.")
}
