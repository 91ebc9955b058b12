package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/inside"
)

// inlineCode finds what a strict CSP would block: inline scripts, inline
// styles and event-handler attributes.
var inlineCode = regexp.MustCompile(`(?i)<script|<style|\sstyle=|\son[a-z]+=|javascript:`)

const pw = "correct horse battery"

// TestPagesRender gets every console page as a super-admin and checks each
// is a complete page that holds under the strict CSP, framing refused.
func TestPagesRender(t *testing.T) {
	s := newSite(t)
	s.addUser("root@example.com", pw, "", "super-admin")
	ann := s.addUser("ann@example.com", pw, "")
	b := s.browser()
	b.signIn("root@example.com", pw)
	role := inside.Service(s.srv)
	_ = role

	for _, tc := range []struct {
		name, path, heading string
	}{
		{"users", "/admin/users", "Users"},
		{"users filtered", "/admin/users?q=ann&status=ENABLED&sort=email&order=asc&limit=50", "Users"},
		{"new user", "/admin/users/new", "Add a user"},
		{"user", "/admin/users/" + ann.ID, "Ann Lee"},
		{"accounts", "/admin/accounts", "Accounts"},
		{"account", "/admin/accounts/acc_default", "default"},
		{"roles", "/admin/roles", "Roles"},
		{"events", "/admin/events", "Events"},
		{"api keys", "/admin/api-keys", "API keys"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := b.get(tc.path)
			wantStatus(t, p, http.StatusOK)
			if ct := p.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
			csp := p.header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Fatalf("CSP %q lacks %s", csp, want)
				}
			}
			if p.header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("X-Frame-Options %q", p.header.Get("X-Frame-Options"))
			}
			if m := inlineCode.FindString(p.body); m != "" {
				t.Fatalf("inline code %q would break the CSP:\n%s", m, p.body)
			}
			wantText(t, p, "<h1>"+tc.heading+"</h1>")
			// Every input, select and textarea has a label tied to it.
			for _, m := range regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`).FindAllStringSubmatch(p.body, -1) {
				if !strings.Contains(p.body, `<label for="`+m[1]+`"`) {
					t.Fatalf("no label for #%s:\n%s", m[1], p.body)
				}
			}
		})
	}
}

// TestSignInRequired: a visitor is sent to sign in and back; a signed-in
// user without an administrator role gets 403, for pages and posts alike.
func TestSignInRequired(t *testing.T) {
	s := newSite(t)
	ann := s.addUser("ann@example.com", pw, "")
	anon := s.browser()
	wantRedirect(t, anon.get("/admin/users?q=x"), "/signin?next="+url.QueryEscape("/admin/users?q=x"))
	wantRedirect(t, anon.get("/admin/"), "/signin?next="+url.QueryEscape("/admin/"))

	b := s.browser()
	b.signIn("ann@example.com", pw)
	for _, path := range []string{"/admin/", "/admin/users", "/admin/users/" + ann.ID, "/admin/events", "/admin/nothing"} {
		p := b.get(path)
		wantStatus(t, p, http.StatusForbidden)
		wantText(t, p, "You do not have access")
	}
	p := b.post("/admin/users/"+ann.ID, url.Values{"intent": {"disable"}})
	wantStatus(t, p, http.StatusForbidden)
	if u, _ := inside.Service(s.srv).Store().FindUserByID(t.Context(), ann.ID); u.Status != "ENABLED" {
		t.Fatalf("status %s after a refused post", u.Status)
	}
}
