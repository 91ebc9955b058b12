package console_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/server"
)

// TestAccountsAndRoles: a super-admin adds, renames and disables an
// account, adds, renames and deletes a role; bad input comes back as a
// message at its field.
func TestAccountsAndRoles(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")

	p := root.Post("/admin/accounts", url.Values{"name": {""}, "description": {"typed text"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Enter the account&#39;s name.", `value="typed text"`)

	p = root.Post("/admin/accounts", url.Values{"name": {"acme"}, "description": {"Acme Corp"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/admin/accounts/acc_") {
		t.Fatalf("create account: %d %q", p.Status, p.Location())
	}
	acc := p.Location()
	wantText(t, root.Follow(p), "The account has been created", "<h1>acme</h1>", "ENABLED")
	p = root.Post("/admin/accounts", url.Values{"name": {"ACME"}})
	if p.Status != http.StatusConflict {
		t.Fatalf("duplicate account: %d", p.Status)
	}
	wantText(t, p, `value="ACME"`)

	wantRedirect(t, root.Post(acc, url.Values{"intent": {"save"}, "name": {"acme-corp"}, "description": {"Renamed"}}), acc)
	wantText(t, root.Get(acc), "<h1>acme-corp</h1>", "The account has been saved.")
	wantRedirect(t, root.Post(acc, url.Values{"intent": {"disable"}}), acc)
	wantText(t, root.Get(acc), "DISABLED", "Enable account")
	p = root.Post("/admin/accounts/acc_default", url.Values{"intent": {"disable"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "The default account cannot be disabled.")
	wantText(t, root.Get("/admin/accounts?q=corp"), "acme-corp")
	if strings.Contains(root.Get("/admin/accounts?q=corp").Body, ">default</a>") {
		t.Fatal("the account search ignores the query")
	}

	// Roles.
	accID := strings.TrimPrefix(acc, "/admin/accounts/")
	p = root.Post("/admin/roles", url.Values{"name": {"editor"}, "description": {"Edits things"}, "account": {accID}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/admin/roles/rol_") {
		t.Fatalf("create role: %d %q\n%s", p.Status, p.Location(), p.Body)
	}
	role := p.Location()
	wantText(t, root.Follow(p), "<h1>editor</h1>", "Account acme-corp")
	wantText(t, root.Get("/admin/roles?account="+accID), "editor", "admin")
	if strings.Contains(root.Get("/admin/roles?account="+accID).Body, "super-admin") {
		t.Fatal("the account filter of roles lists the default account's roles")
	}
	p = root.Post("/admin/roles", url.Values{"name": {"editor"}, "account": {accID}})
	wantStatus(t, p, http.StatusConflict)
	wantRedirect(t, root.Post(role, url.Values{"intent": {"save"}, "name": {"writer"}}), role)
	wantText(t, root.Get(role), "<h1>writer</h1>")
	p = root.Post(role, url.Values{"intent": {"delete"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Tick the box")
	wantRedirect(t, root.Post(role, url.Values{"intent": {"delete"}, "confirm": {"yes"}}), "/admin/roles")
	wantStatus(t, root.Get(role), http.StatusNotFound)

	// The built-in roles keep their names.
	adminRole := regexp.MustCompile(`href="(/admin/roles/rol_[^"]+)">admin</a>`).FindStringSubmatch(root.Get("/admin/roles?account=" + accID).Body)
	if adminRole == nil {
		t.Fatal("no admin role listed")
	}
	p = root.Post(adminRole[1], url.Values{"intent": {"save"}, "name": {"boss"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "cannot be renamed", `value="boss"`)
}

var secretInPage = regexp.MustCompile(`id="f-secret" class="secret-value" type="text" value="([^"]+)"`)

// TestAPIKeys: a key's secret is shown once, on the page answering its
// creation; it works on the API; revoking it stops it.
func TestAPIKeys(t *testing.T) {
	s := newSite(t)
	s.AddAccount("acme")
	a := admin(s, "boss@acme.example", "acme")

	p := a.Post("/admin/api-keys", url.Values{"intent": {"create"}, "name": {""}, "roles": {"admin"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Enter a name.")
	p = a.Post("/admin/api-keys", url.Values{"intent": {"create"}, "name": {"ci"}, "roles": {"admin"}, "expires": {"2020-01-01"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "future", `value="ci"`)
	// An admin cannot mint a super-admin key, even by naming the role.
	p = a.Post("/admin/api-keys", url.Values{"intent": {"create"}, "name": {"root"}, "roles": {"super-admin"}})
	wantStatus(t, p, http.StatusForbidden)

	p = a.Post("/admin/api-keys", url.Values{"intent": {"create"}, "name": {"billing"}, "roles": {"admin"}})
	wantStatus(t, p, http.StatusCreated)
	m := secretInPage.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no secret shown:\n%s", p.Body)
	}
	secret := m[1]
	if p.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the secret's page may be cached: %q", p.Header.Get("Cache-Control"))
	}
	list := a.Get("/admin/api-keys")
	wantText(t, list, "billing", "active")
	if strings.Contains(list.Body, secret) {
		t.Fatal("the secret is shown again")
	}

	apiGet := func() int {
		req, _ := http.NewRequest("GET", s.HTTP.URL+"/api/v1/users", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if st := apiGet(); st != http.StatusOK {
		t.Fatalf("the new key gets %d", st)
	}
	id := regexp.MustCompile(`name="id" value="(key_[^"]+)"`).FindStringSubmatch(list.Body)
	if id == nil {
		t.Fatalf("no revoke form:\n%s", list.Body)
	}
	wantRedirect(t, a.Post("/admin/api-keys", url.Values{"intent": {"revoke"}, "id": {id[1]}}), "/admin/api-keys")
	wantText(t, a.Get("/admin/api-keys"), "revoked", "The API key has been revoked")
	if st := apiGet(); st != http.StatusUnauthorized {
		t.Fatalf("a revoked key gets %d", st)
	}
	// Revoking a key that is not there (or not the admin's) is not found.
	wantStatus(t, a.Post("/admin/api-keys", url.Values{"intent": {"revoke"}, "id": {"key_nope"}}), http.StatusNotFound)
}

// TestAPIKeyExpiryShown: the list shows when a key expires if unused and
// its absolute expiry; a key unused for 30 days is refused with a message
// saying so and listed as expired (ASVS 2.10.1).
func TestAPIKeyExpiryShown(t *testing.T) {
	s := newSite(t)
	s.AddAccount("acme")
	a := admin(s, "boss@acme.example", "acme")
	p := a.Post("/admin/api-keys", url.Values{"intent": {"create"}, "name": {"nightly"}, "roles": {"admin"}, "expires": {"2026-06-01"}})
	wantStatus(t, p, http.StatusCreated)
	secret := secretInPage.FindStringSubmatch(p.Body)[1]
	wantText(t, a.Get("/admin/api-keys"), "Expires if unused", `data-label="Expires if unused">31 Mar 2026<`, `data-label="Expires">1 Jun 2026<`, "OAuth client credentials")

	s.Clock.Add(30 * 24 * time.Hour)
	req, _ := http.NewRequest("GET", s.HTTP.URL+"/api/v1/users", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "not used for 30 days") {
		t.Fatalf("a key unused for 30 days: %d %s", res.StatusCode, body)
	}
	b := admin(s, "other@acme.example", "acme") // the first one's session ended meanwhile
	wantText(t, b.Get("/admin/api-keys"), `status-expired">expired<`, `data-label="Expires if unused">—<`)
}

// TestEventsViewer shows the audit log with its filters and pages.
func TestEventsViewer(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	for _, e := range []string{"a", "b", "c"} {
		s.AddUser(e+"@example.com", pw, "")
	}
	p := root.Get("/admin/events")
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "<code>user.created</code>", "<code>login.succeeded</code>")
	p = root.Get("/admin/events?type=login.")
	if strings.Contains(p.Body, "<code>user.created</code>") {
		t.Fatalf("the type filter lets other events through:\n%s", p.Body)
	}
	wantStatus(t, root.Get("/admin/events?since=last+week"), http.StatusBadRequest)
	wantStatus(t, root.Get("/admin/events?before=-3"), http.StatusBadRequest)

	// Pages: more than one page of events has an "Older events" link.
	for i := range 50 {
		// Names of their own: one name's sign-ins are rate limited.
		s.Browser().Post("/signin", url.Values{"login": {fmt.Sprintf("a%d@example.com", i)}, "password": {"wrong"}})
	}
	p = root.Get("/admin/events")
	older := regexp.MustCompile(`href="(/admin/events\?before=\d+)" rel="next"`).FindStringSubmatch(p.Body)
	if older == nil {
		t.Fatalf("no older page:\n%s", p.Body)
	}
	wantText(t, root.Get(older[1]), "Newest events")
}

// TestBranding: the console shows the configured name, logo and colour,
// and allows images from the logo's origin only.
func TestBranding(t *testing.T) {
	s := newSite(t, func(c *server.Config) {
		c.Branding.ProductName = "Acme ID"
		c.Branding.LogoURL = "https://cdn.acme.example/logo.svg"
		c.Branding.PrimaryColor = "#0a7f5a"
	})
	root := admin(s, "root@example.com", "")
	p := root.Get("/admin/users")
	wantText(t, p, "<title>Users · Acme ID admin</title>", `src="https://cdn.acme.example/logo.svg"`)
	if csp := p.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; img-src 'self' https://cdn.acme.example") {
		t.Fatalf("CSP %q", csp)
	}
	for _, l := range regexp.MustCompile(`href="(/(?:assets|admin/assets)/[a-z]+\.(?:css|svg)\?v=[0-9a-f]+)"`).FindAllStringSubmatch(p.Body, -1) {
		a := root.Get(l[1])
		wantStatus(t, a, http.StatusOK)
		if strings.Contains(l[1], "theme.css") && !strings.Contains(a.Body, "--primary: #0a7f5a;") {
			t.Fatalf("theme.css is not the branding's:\n%s", a.Body)
		}
	}
	css := root.Get("/admin/assets/console.css")
	wantText(t, css, ".console-nav")
}

// TestBadInputNever500: odd and hostile input gets a 4xx page with a
// message, never a 500, and changes nothing.
func TestBadInputNever500(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	ann := s.AddUser("ann@example.com", pw, "")
	long := strings.Repeat("x", 5000)
	for _, path := range []string{
		"/admin/users?q=" + strings.Repeat("a+", 20), "/admin/users?q=" + long, "/admin/users?role=nope",
		"/admin/users?account=acc_nope", "/admin/users?q=%25_%5C", "/admin/users/%00", "/admin/users/" + long,
		"/admin/events?user=" + long, "/admin/events?type=" + long, "/admin/events?account=acc_nope",
		"/admin/roles?account=acc_nope", "/admin/roles/rol_nope", "/admin/accounts?status=x", "/admin/accounts/" + long,
		"/admin/nothing/here",
	} {
		p := root.Get(path)
		if p.Status >= 500 {
			t.Fatalf("GET %s: %d\n%s", path, p.Status, p.Body)
		}
	}
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/admin/users/new", url.Values{"email": {"x@example.com"}, "mode": {"invite"}, "account": {"acc_nope"}}},
		{"/admin/users/new", url.Values{"email": {long + "@example.com"}, "mode": {"invite"}}},
		{"/admin/users/new", url.Values{"email": {"y@example.com"}, "mode": {"sideways"}}},
		{"/admin/users/" + ann.ID, url.Values{"intent": {"profile"}, "version": {"x"}, "email": {"a@example.com"}}},
		{"/admin/users/" + ann.ID, url.Values{"intent": {"profile"}, "version": {"1"}, "email": {"a@example.com"}, "username": {"a"}, "customData": {"[1,2]"}}},
		{"/admin/users/" + ann.ID, url.Values{"intent": {"profile"}, "version": {"1"}, "email": {""}, "username": {"a"}}},
		{"/admin/users/" + ann.ID, url.Values{"intent": {"roles"}, "roles": {"nope"}}},
		{"/admin/users/usr_nope", url.Values{"intent": {"disable"}}},
		{"/admin/roles", url.Values{"name": {long}}},
		{"/admin/roles", url.Values{"name": {"r"}, "account": {"acc_nope"}}},
		{"/admin/accounts", url.Values{"name": {long}}},
		{"/admin/api-keys", url.Values{"intent": {"create"}, "name": {"k"}, "roles": {"nope"}, "account": {"acc_nope"}}},
		{"/admin/api-keys", url.Values{"intent": {"create"}, "name": {"k"}, "expires": {"soon"}}},
		{"/admin/api-keys", url.Values{"intent": {"other"}}},
	} {
		p := root.Post(tc.path, tc.form)
		if p.Status < 400 || p.Status >= 500 {
			t.Fatalf("POST %s %v: %d\n%s", tc.path, tc.form, p.Status, p.Body)
		}
		if !strings.Contains(p.Body, `class="alert alert-error"`) && !strings.Contains(p.Body, `class="field-error"`) {
			t.Fatalf("POST %s %v: no message\n%s", tc.path, tc.form, p.Body)
		}
	}
	if u := user(s, ann.ID); u.Email != "ann@example.com" || len(u.Roles) != 0 {
		t.Fatalf("bad posts changed the user: %+v", u)
	}
}

// TestAdminPages: an account's admin gets every page of the console, with
// only its own account in it and no accounts section.
func TestAdminPages(t *testing.T) {
	s := newSite(t)
	s.AddAccount("acme")
	a := admin(s, "boss@acme.example", "acme")
	for _, path := range []string{"/admin/users", "/admin/users/new", "/admin/roles", "/admin/events", "/admin/api-keys"} {
		p := a.Get(path)
		wantStatus(t, p, http.StatusOK)
		if strings.Contains(p.Body, `href="/admin/accounts"`) || strings.Contains(p.Body, ">super-admin<") {
			t.Fatalf("%s offers an admin the accounts section or the super-admin role:\n%s", path, p.Body)
		}
	}
}
