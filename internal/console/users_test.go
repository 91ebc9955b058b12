package console_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/server"
)

// user reads a user straight from the store.
func user(s *site, id string) *userdb.User {
	s.T.Helper()
	u, err := inside.Service(s.Srv).Store().FindUserByID(context.Background(), id)
	if err != nil {
		s.T.Fatalf("find %s: %v", id, err)
	}
	return u
}

// admin signs in a new administrator: a super-admin for account "", else
// an admin of the named account.
func admin(s *site, email, account string) *browser {
	s.T.Helper()
	role := "admin"
	if account == "" {
		role = "super-admin"
	}
	s.AddUser(email, pw, account, role)
	b := s.Browser()
	b.SignIn(email, pw)
	return b
}

// TestTenantIsolation: an admin of account A neither sees nor changes
// anything of account B through the console — users, roles, accounts and
// events of B are "not found", exactly as for ids that do not exist.
func TestTenantIsolation(t *testing.T) {
	s := newSite(t)
	s.AddAccount("acme")
	s.AddAccount("globex")
	a := admin(s, "boss@acme.example", "acme")
	mine := s.AddUser("worker@acme.example", pw, "acme")
	theirs := s.AddUser("worker@globex.example", pw, "globex")

	// The users table lists account A only, and ignores account=.
	p := a.Get("/admin/users")
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "worker@acme.example")
	if strings.Contains(p.Body, "globex") {
		t.Fatalf("an acme admin sees globex:\n%s", p.Body)
	}
	if p := a.Get("/admin/users?account=" + theirs.AccountID); strings.Contains(p.Body, "worker@globex.example") {
		t.Fatalf("account= let an acme admin list globex:\n%s", p.Body)
	}
	wantStatus(t, a.Get("/admin/users/"+mine.ID), http.StatusOK)

	missing := a.Get("/admin/users/usr_doesnotexist")
	wantStatus(t, missing, http.StatusNotFound)
	for _, path := range []string{"/admin/users/" + theirs.ID, "/admin/accounts/" + theirs.AccountID, "/admin/accounts/globex"} {
		p := a.Get(path)
		wantStatus(t, p, http.StatusNotFound)
		wantText(t, p, "<h1>Not found</h1>")
	}
	for _, intent := range []string{"disable", "unlock", "reset-password", "expire-password", "end-sessions", "profile", "roles", "delete"} {
		p := a.Post("/admin/users/"+theirs.ID, url.Values{"intent": {intent}, "confirm": {"yes"}, "version": {"1"},
			"email": {"stolen@acme.example"}, "username": {"stolen"}, "roles": {"admin"}})
		wantStatus(t, p, http.StatusNotFound)
	}
	after := user(s, theirs.ID)
	if after.Status != userdb.StatusEnabled || after.Email != "worker@globex.example" || len(after.Roles) != 0 {
		t.Fatalf("globex user changed by an acme admin: %+v", after)
	}
	// Events of B stay out of A's viewer, even when asked for by user id.
	p = a.Get("/admin/events?user=" + theirs.ID)
	wantStatus(t, p, http.StatusOK)
	if strings.Contains(p.Body, "user.created") {
		t.Fatalf("acme admin sees a globex user's events:\n%s", p.Body)
	}
	// The nav has no accounts section for an admin, and creating one is refused.
	if strings.Contains(a.Get("/admin/users").Body, `href="/admin/accounts"`) {
		t.Fatal("an admin is offered the accounts section")
	}
	p = a.Post("/admin/accounts", url.Values{"name": {"mine-now"}})
	wantStatus(t, p, http.StatusForbidden)
	wantText(t, p, "Only a super-admin can do this.")
}

// TestCrossOriginPostRefused: a form posted from another site changes
// nothing, though it carries the administrator's cookie.
func TestCrossOriginPostRefused(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	ann := s.AddUser("ann@example.com", pw, "")
	for _, h := range []http.Header{
		{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}},
		{"Origin": {"https://evil.example"}},
	} {
		p := root.Do("POST", "/admin/users/"+ann.ID, url.Values{"intent": {"disable"}}, h)
		wantStatus(t, p, http.StatusForbidden)
		wantText(t, p, "Cross-origin request refused.")
	}
	if user(s, ann.ID).Status != userdb.StatusEnabled {
		t.Fatal("a cross-origin post disabled the user")
	}
	// The same post from the console itself works.
	wantRedirect(t, root.Post("/admin/users/"+ann.ID, url.Values{"intent": {"disable"}}), "/admin/users/"+ann.ID)
	if user(s, ann.ID).Status != userdb.StatusDisabled {
		t.Fatal("the console's own post did not disable the user")
	}
}

// TestNewUserFormErrors: a failed form comes back with a message at the
// field at fault and what was typed — except the password.
func TestNewUserFormErrors(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	s.AddUser("taken@example.com", pw, "")

	for _, tc := range []struct {
		name  string
		form  url.Values
		field string
		text  string
	}{
		{"no email", url.Values{"givenName": {"Typed Name"}, "mode": {"invite"}}, "email", "Enter the user&#39;s email address."},
		{"bad email", url.Values{"email": {"not-an-address"}, "givenName": {"Typed Name"}, "mode": {"invite"}}, "email", "is not a valid address"},
		{"taken email", url.Values{"email": {"taken@example.com"}, "givenName": {"Typed Name"}, "mode": {"invite"}}, "email", "Another user already has this email address"},
		{"no password", url.Values{"email": {"new@example.com"}, "givenName": {"Typed Name"}, "mode": {"password"}}, "password", "Enter a password, or choose"},
		{"weak password", url.Values{"email": {"new@example.com"}, "givenName": {"Typed Name"}, "mode": {"password"}, "password": {"short"}}, "password", "Password"},
		{"unknown role", url.Values{"email": {"new@example.com"}, "givenName": {"Typed Name"}, "mode": {"invite"}, "roles": {"wizard"}}, "", "wizard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := root.Post("/admin/users/new", tc.form)
			if p.Status < 400 || p.Status >= 500 {
				t.Fatalf("status %d\n%s", p.Status, p.Body)
			}
			wantText(t, p, tc.text, `value="Typed Name"`)
			if tc.field != "" {
				wantText(t, p, `id="f-`+tc.field+`-error"`, `aria-invalid="true"`)
			}
			if pw := tc.form.Get("password"); pw != "" && strings.Contains(p.Body, pw) {
				t.Fatal("the password was echoed")
			}
		})
	}
	page, _, err := inside.Service(s.Srv).Store().FindUsers(context.Background(), userdb.UserFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 {
		t.Fatalf("%d users after failed forms, want 2", len(page))
	}
}

// TestUserLifecycle adds a user by invitation, edits the profile and its
// custom data, the roles, and takes each action, every post answered with a
// redirect and a flash message (post-redirect-get).
func TestUserLifecycle(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")

	p := root.Post("/admin/users/new", url.Values{"email": {"nina@example.com"}, "givenName": {"Nina"},
		"surname": {"New"}, "mode": {"invite"}, "roles": {"admin"}})
	if p.Status != http.StatusSeeOther || !strings.HasPrefix(p.Location(), "/admin/users/usr_") {
		t.Fatalf("create: %d %q\n%s", p.Status, p.Location(), p.Body)
	}
	path := p.Location()
	id := strings.TrimPrefix(path, "/admin/users/")
	p = root.Follow(p)
	wantText(t, p, "an invitation email is on its way", "<h1>Nina New</h1>", "PENDING", "Resend invitation")
	s.Token("nina@example.com", "invitation")
	if u := user(s, id); !u.HasRole("admin") || u.Status != userdb.StatusPending {
		t.Fatalf("created %+v", u)
	}
	// The flash shows once.
	if strings.Contains(root.Get(path).Body, "invitation email is on its way") {
		t.Fatal("the flash message showed twice")
	}

	// Profile: names and custom data (a key added, then removed).
	version := func() string { return fmt.Sprint(user(s, id).Version) }
	form := url.Values{"intent": {"profile"}, "version": {version()}, "email": {"nina@example.com"},
		"username": {"nina"}, "givenName": {"Nina"}, "surname": {"Newer"}, "customData": {`{"team": "blue", "level": 3}`}}
	wantRedirect(t, root.Post(path, form), path)
	u := user(s, id)
	if u.Username != "nina" || u.Surname != "Newer" || u.CustomData["team"] != "blue" {
		t.Fatalf("after saving: %+v", u)
	}
	wantText(t, root.Get(path), "The user&#39;s profile has been saved.", "&#34;team&#34;: &#34;blue&#34;")
	form.Set("version", version())
	form.Set("customData", `{"level": 3}`)
	wantRedirect(t, root.Post(path, form), path)
	if u := user(s, id); u.CustomData["team"] != nil || u.CustomData["level"] == nil {
		t.Fatalf("custom data after removing a key: %v", u.CustomData)
	}

	// Bad custom data and a stale version come back with the typed values.
	form.Set("version", version())
	form.Set("customData", `{"team": `)
	form.Set("givenName", "Typed")
	p = root.Post(path, form)
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Custom data must be a JSON object", `id="f-customData-error"`, `value="Typed"`, "{&#34;team&#34;: </textarea>")
	form.Set("customData", `{}`)
	form.Set("version", "1")
	p = root.Post(path, form)
	wantStatus(t, p, http.StatusConflict)
	wantText(t, p, `value="Typed"`)
	if user(s, id).GivenName != "Nina" {
		t.Fatal("a stale form was saved")
	}

	// Roles: the set posted becomes the user's roles.
	wantRedirect(t, root.Post(path, url.Values{"intent": {"roles"}}), path)
	if u := user(s, id); len(u.Roles) != 0 {
		t.Fatalf("roles %v after clearing", u.Roles)
	}

	// Actions.
	for _, tc := range []struct {
		intent, flash string
		check         func(*userdb.User) bool
	}{
		{"resend-invite", "A new invitation email is on its way", func(u *userdb.User) bool { return u.Status == userdb.StatusPending }},
		{"disable", "The user has been disabled", func(u *userdb.User) bool { return u.Status == userdb.StatusDisabled }},
		{"enable", "The user has been enabled.", func(u *userdb.User) bool { return u.Status == userdb.StatusEnabled }},
		{"reset-password", "A password reset email is on its way", nil},
		{"end-sessions", "The user has been signed out everywhere.", nil},
	} {
		wantRedirect(t, root.Post(path, url.Values{"intent": {tc.intent}}), path)
		wantText(t, root.Get(path), tc.flash)
		if tc.check != nil && !tc.check(user(s, id)) {
			t.Fatalf("after %s: %+v", tc.intent, user(s, id))
		}
	}
	// An action that does not apply comes back as a message, not a 500.
	p = root.Post(path, url.Values{"intent": {"unlock"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "is not locked")
	p = root.Post(path, url.Values{"intent": {"fly"}})
	wantStatus(t, p, http.StatusBadRequest)

	// Delete needs the confirmation box.
	p = root.Post(path, url.Values{"intent": {"delete"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Tick the box to confirm the deletion.")
	wantRedirect(t, root.Post(path, url.Values{"intent": {"delete"}, "confirm": {"yes"}}), "/admin/users")
	wantStatus(t, root.Get(path), http.StatusNotFound)
}

// TestUnlockAndSelf: a user locked by failed sign-ins is unlocked from the
// console; an administrator cannot disable themselves.
func TestUnlockAndSelf(t *testing.T) {
	s := newSite(t, func(c *server.Config) { c.Lockout.AfterFailures = 2 })
	root := admin(s, "root@example.com", "")
	lou := s.AddUser("lou@example.com", pw, "")
	for range 2 {
		s.Browser().Post("/signin", url.Values{"login": {"lou@example.com"}, "password": {"wrong one"}})
	}
	if user(s, lou.ID).Status != userdb.StatusLocked {
		t.Fatal("not locked")
	}
	p := root.Get("/admin/users?status=LOCKED")
	wantText(t, p, "lou@example.com", "1 user match")
	if strings.Contains(p.Body, "root@example.com</span>") {
		t.Fatal("the LOCKED filter lists an enabled user")
	}
	wantRedirect(t, root.Post("/admin/users/"+lou.ID, url.Values{"intent": {"unlock"}}), "/admin/users/"+lou.ID)
	if user(s, lou.ID).Status != userdb.StatusEnabled {
		t.Fatal("not unlocked")
	}
	me := user(s, regexp.MustCompile(`href="/admin/users/(usr_[^"]+)"><span class="user-name">Ann Lee</span> <span class="user-email">root@`).
		FindStringSubmatch(root.Get("/admin/users").Body)[1])
	p = root.Post("/admin/users/"+me.ID, url.Values{"intent": {"disable"}})
	wantStatus(t, p, http.StatusForbidden)
	wantText(t, p, "You cannot do this to yourself.")
}

// TestUsersTable: search, filters, sort and pages by the store's cursors;
// bad parameters get a 400 with a message, never a 500.
func TestUsersTable(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	for i := range 30 {
		s.AddUser(fmt.Sprintf("user%02d@example.com", i), pw, "")
	}
	p := root.Get("/admin/users?sort=email&order=asc")
	wantText(t, p, "31 users", "user00@example.com", "user23@example.com")
	if strings.Contains(p.Body, "user24@example.com") {
		t.Fatal("page one holds more than 25 users")
	}
	next := regexp.MustCompile(`href="(/admin/users\?[^"]*cursor=[^"]+)" rel="next"`).FindStringSubmatch(p.Body)
	if next == nil {
		t.Fatalf("no next page link:\n%s", p.Body)
	}
	p = root.Get(html.UnescapeString(next[1]))
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "user24@example.com", "user29@example.com", "root@example.com", "First page")
	if strings.Contains(p.Body, "user23@example.com") || strings.Contains(p.Body, `rel="next"`) {
		t.Fatalf("page two repeats page one or has a next page:\n%s", p.Body)
	}

	p = root.Get("/admin/users?q=user1")
	wantText(t, p, "10 users match", "user19@example.com", "Clear search and filters")
	p = root.Get("/admin/users?q=nobody-at-all")
	wantText(t, p, "No users match.")

	for _, bad := range []string{"status=ASLEEP", "sort=password", "order=sideways", "limit=5000", "createdAfter=yesterday"} {
		p := root.Get("/admin/users?" + bad)
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, "field-error")
	}
	p = root.Get("/admin/users?cursor=garbage")
	if p.Status != http.StatusBadRequest {
		t.Fatalf("bad cursor: %d\n%s", p.Status, p.Body)
	}
}
