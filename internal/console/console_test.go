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
	s.AddUser("root@example.com", pw, "", "super-admin")
	ann := s.AddUser("ann@example.com", pw, "")
	b := s.Browser()
	b.SignIn("root@example.com", pw)

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
			p := b.Get(tc.path)
			wantStatus(t, p, http.StatusOK)
			if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
			csp := p.Header.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "form-action 'self'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Fatalf("CSP %q lacks %s", csp, want)
				}
			}
			if p.Header.Get("X-Frame-Options") != "DENY" {
				t.Fatalf("X-Frame-Options %q", p.Header.Get("X-Frame-Options"))
			}
			if m := inlineCode.FindString(p.Body); m != "" {
				t.Fatalf("inline code %q would break the CSP:\n%s", m, p.Body)
			}
			wantText(t, p, "<h1>"+tc.heading+"</h1>")
			// Every input, select and textarea has a label tied to it.
			for _, m := range regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`).FindAllStringSubmatch(p.Body, -1) {
				if !strings.Contains(p.Body, `<label for="`+m[1]+`"`) {
					t.Fatalf("no label for #%s:\n%s", m[1], p.Body)
				}
			}
		})
	}
}

// TestSignInRequired: a visitor is sent to sign in and back; a signed-in
// user without an administrator role gets 403, for pages and posts alike.
func TestSignInRequired(t *testing.T) {
	s := newSite(t)
	ann := s.AddUser("ann@example.com", pw, "")
	anon := s.Browser()
	wantRedirect(t, anon.Get("/admin/users?q=x"), "/signin?next="+url.QueryEscape("/admin/users?q=x"))
	wantRedirect(t, anon.Get("/admin/"), "/signin?next="+url.QueryEscape("/admin/"))

	b := s.Browser()
	b.SignIn("ann@example.com", pw)
	for _, path := range []string{"/admin/", "/admin/users", "/admin/users/" + ann.ID, "/admin/events", "/admin/nothing"} {
		p := b.Get(path)
		wantStatus(t, p, http.StatusForbidden)
		wantText(t, p, "You do not have access")
	}
	p := b.Post("/admin/users/"+ann.ID, url.Values{"intent": {"disable"}})
	wantStatus(t, p, http.StatusForbidden)
	if u, _ := inside.Service(s.Srv).Store().FindUserByID(t.Context(), ann.ID); u.Status != "ENABLED" {
		t.Fatalf("status %s after a refused post", u.Status)
	}
}
