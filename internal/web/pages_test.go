package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// inlineCode finds what a strict CSP would block: inline scripts, inline
// styles and event-handler attributes. A script loaded from the site's own
// assets is fine.
var inlineCode = inlineFinder{
	inline: regexp.MustCompile(`(?i)<style|\sstyle=|\son[a-z]+=|javascript:`),
	script: regexp.MustCompile(`(?i)<script[^>]*>`),
	file:   regexp.MustCompile(`^<script (defer )?src="/assets/[a-z-]+\.js\?v=[0-9a-f]+"( defer)?></script>$`),
}

// inlineFinder finds code the CSP (script-src 'self') would block.
type inlineFinder struct{ inline, script, file *regexp.Regexp }

func (f inlineFinder) FindString(body string) string {
	if m := f.inline.FindString(body); m != "" {
		return m
	}
	for _, i := range f.script.FindAllStringIndex(body, -1) {
		tag := body[i[0]:min(len(body), i[1]+len("</script>"))]
		if !f.file.MatchString(tag) {
			return tag
		}
	}
	return ""
}

// TestPagesRender gets every page, signed out and signed in, and checks each
// is a complete page that holds under the strict CSP.
func TestPagesRender(t *testing.T) {
	s := newSite(t)
	s.AddUser("ann@example.com", "correct horse battery", "")
	anon, ann := s.Browser(), s.Browser()
	ann.SignIn("ann@example.com", "correct horse battery")
	ann.Post("/forgot-password", url.Values{"login": {"ann@example.com"}})
	reset := s.Token("ann@example.com", "forgot-password")
	if _, err := inside.Service(s.Srv).AdminCreateUser(service.WithActor(t.Context(), service.SystemActor()), serviceInvite("cy@example.com")); err != nil {
		t.Fatal(err)
	}
	invite := s.Token("cy@example.com", "invitation")

	for _, tc := range []struct {
		name, path string
		b          *browser
		heading    string
		inputs     []string // name=autocomplete of the form's inputs
	}{
		{"sign in", "/signin", anon, "Sign in", []string{"login=username webauthn", "password=current-password"}},
		{"sign up", "/signup", anon, "Create your account",
			[]string{"givenName=given-name", "surname=family-name", "email=email", "password=new-password", "confirmPassword=new-password"}},
		{"verify", "/verify-email", anon, "Verify your email", []string{"login=username"}},
		{"forgot", "/forgot-password", anon, "Reset your password", []string{"login=username"}},
		{"reset", "/reset-password?sptoken=" + reset, anon, "Choose a new password",
			[]string{"password=new-password", "confirmPassword=new-password"}},
		{"invitation", "/invitation?sptoken=" + invite, anon, "Welcome to userdb",
			[]string{"givenName=given-name", "surname=family-name", "password=new-password", "confirmPassword=new-password"}},
		{"profile", "/profile", ann, "Ann Lee",
			[]string{"givenName=given-name", "surname=family-name", "currentPassword=current-password", "password=new-password"}},
		{"sessions", "/profile/sessions", ann, "Your sessions", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.b.Get(tc.path)
			wantStatus(t, p, http.StatusOK)
			if ct := p.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Fatalf("Content-Type %q", ct)
			}
			if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "form-action 'self'") {
				t.Fatalf("CSP %q", csp)
			}
			if m := inlineCode.FindString(p.Body); m != "" {
				t.Fatalf("inline code %q would break the CSP:\n%s", m, p.Body)
			}
			wantText(t, p, "<h1>"+tc.heading+"</h1>")
			for _, in := range tc.inputs {
				name, ac, _ := strings.Cut(in, "=")
				// Every input has a label tied to it and its autocomplete hint.
				if !strings.Contains(p.Body, `<label for="f-`+name+`">`) ||
					!regexp.MustCompile(`<input id="f-`+name+`" name="`+name+`" type="[a-z]+" autocomplete="`+ac+`"`).MatchString(p.Body) {
					t.Fatalf("no labelled input %s with autocomplete %s:\n%s", name, ac, p.Body)
				}
			}
		})
	}
}

// TestAssets serves the stylesheet and the theme made from the branding.
func TestAssets(t *testing.T) {
	s := newSite(t, func(c *server.Config) {
		c.Branding.PrimaryColor = "#0a7f5a"
		c.Branding.ProductName = "Acme ID"
		c.Branding.LogoURL = "https://cdn.acme.example/logo.svg"
	})
	b := s.Browser()
	p := b.Get("/signin")
	wantText(t, p, "<title>Sign in · Acme ID</title>", `src="https://cdn.acme.example/logo.svg"`)
	// The logo's origin, and only it, is added to the policy for images.
	if csp := p.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "; img-src 'self' https://cdn.acme.example") {
		t.Fatalf("CSP %q", csp)
	}
	links := regexp.MustCompile(`href="(/assets/[a-z]+\.(?:css|svg)\?v=[0-9a-f]+)"`).FindAllStringSubmatch(p.Body, -1)
	if len(links) != 3 {
		t.Fatalf("asset links %v", links)
	}
	for _, l := range links {
		a := b.Get(strings.ReplaceAll(l[1], "&amp;", "&"))
		wantStatus(t, a, http.StatusOK)
		if strings.Contains(l[1], "theme.css") && !strings.Contains(a.Body, "--primary: #0a7f5a;") {
			t.Fatalf("theme.css does not use the primary colour:\n%s", a.Body)
		}
		if !strings.Contains(a.Header.Get("Cache-Control"), "max-age") {
			t.Fatalf("%s not cacheable: %q", l[1], a.Header.Get("Cache-Control"))
		}
	}
	wantStatus(t, b.Get("/assets/nothing.css"), http.StatusNotFound)
}

// TestFailedFormsShowErrorsAndKeepInput posts bad forms: each comes back
// with a message next to the field at fault (or above the form), with what
// was typed still there — except passwords.
func TestFailedFormsShowErrorsAndKeepInput(t *testing.T) {
	s := newSite(t)
	s.AddUser("ann@example.com", "correct horse battery", "")
	b := s.Browser()

	t.Run("wrong password", func(t *testing.T) {
		p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"wrong password here"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, "Invalid username or password.", `value="ann@example.com"`)
		if strings.Contains(p.Body, "wrong password here") {
			t.Fatal("the password was echoed")
		}
		if b.Cookie("userdb") != "" {
			t.Fatal("session cookie set after a failed sign-in")
		}
	})
	t.Run("empty sign-in", func(t *testing.T) {
		p := b.Post("/signin", url.Values{"login": {""}, "password": {""}})
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, "Enter your email address or username.", "Enter your password.", `aria-invalid="true"`)
	})
	t.Run("passwords differ", func(t *testing.T) {
		p := b.Post("/signup", url.Values{"givenName": {"Bo"}, "surname": {"Ray"}, "email": {"bo@example.com"},
			"password": {"first pass phrase"}, "confirmPassword": {"other pass phrase"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, "The passwords do not match.", `value="Bo"`, `value="Ray"`, `value="bo@example.com"`)
		if strings.Contains(p.Body, "pass phrase") {
			t.Fatal("a password was echoed")
		}
	})
	t.Run("weak password", func(t *testing.T) {
		p := b.Post("/signup", url.Values{"email": {"bo@example.com"}, "password": {"abc"}, "confirmPassword": {"abc"}})
		wantStatus(t, p, http.StatusBadRequest)
		if !regexp.MustCompile(`id="f-password-error">[^<]+</p>`).MatchString(p.Body) {
			t.Fatalf("no message next to the password field:\n%s", p.Body)
		}
	})
	t.Run("bad email", func(t *testing.T) {
		p := b.Post("/signup", url.Values{"email": {"not an email"}, "password": {"first pass phrase"}, "confirmPassword": {"first pass phrase"}})
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, `value="not an email"`, `id="f-email-error"`)
	})
	t.Run("taken email", func(t *testing.T) {
		p := b.Post("/signup", url.Values{"email": {"ann@example.com"}, "password": {"first pass phrase"}, "confirmPassword": {"first pass phrase"}})
		wantStatus(t, p, http.StatusConflict)
		wantText(t, p, `class="alert alert-error"`, `value="ann@example.com"`)
	})
	t.Run("forgot without a name", func(t *testing.T) {
		p := b.Post("/forgot-password", url.Values{"login": {" "}})
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, "Enter your email address or username.")
	})
}

// TestOpenRedirects tries to leave the site through next=: only paths of
// the site and the configured return URLs are followed after sign-in.
func TestOpenRedirects(t *testing.T) {
	s := newSite(t, func(c *server.Config) {
		c.Server.AllowedReturnURLs = []string{"https://app.example.com", "https://shop.example.com:8443"}
	})
	s.AddUser("ann@example.com", "correct horse battery", "")
	for _, tc := range []struct{ next, want string }{
		{"", "/profile"},
		{"/profile/sessions", "/profile/sessions"},
		{"/me?x=1", "/me?x=1"},
		{"https://evil.example", "/profile"},
		{"//evil.example", "/profile"},
		{"/\\evil.example", "/profile"},
		{"\\\\evil.example", "/profile"},
		{"/\t/evil.example", "/profile"},
		{"javascript:alert(1)", "/profile"},
		{"JavaScript:alert(1)//", "/profile"},
		{"data:text/html,hi", "/profile"},
		{"evil.example", "/profile"},
		{"https://app.example.com@evil.example/", "/profile"},
		{"https://app.example.com.evil.example/", "/profile"},
		{"http://app.example.com/", "/profile"}, // another scheme is another origin
		{"https://app.example.com/welcome?x=1", "https://app.example.com/welcome?x=1"},
		{"https://shop.example.com:8443/orders", "https://shop.example.com:8443/orders"},
		{"https://shop.example.com/orders", "/profile"}, // another port is another origin
	} {
		t.Run(tc.next, func(t *testing.T) {
			b := s.Browser()
			// The form carries next= on, and the answer to the post honours it.
			form := b.Get("/signin?next=" + url.QueryEscape(tc.next))
			wantStatus(t, form, http.StatusOK)
			// Chromium checks the redirect after the post against the form
			// page's form-action: an allowed return URL's origin is named
			// there, and nothing else is.
			action := "form-action 'self';"
			if u, _ := url.Parse(tc.want); u.Host != "" {
				action = "form-action 'self' " + u.Scheme + "://" + u.Host + ";"
			}
			if csp := form.Header.Get("Content-Security-Policy"); !strings.Contains(csp, action) {
				t.Fatalf("CSP %q, want %q", csp, action)
			}
			p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}, "next": {tc.next}})
			wantRedirect(t, p, tc.want)
			// Signed in already, the sign-in page sends the browser on the same way.
			wantRedirect(t, b.Get("/signin?next="+url.QueryEscape(tc.next)), tc.want)
		})
	}
}

// TestCrossOriginPostsRefused: a form on another site cannot post to the
// pages (login CSRF, forced sign-out, changing a password).
func TestCrossOriginPostsRefused(t *testing.T) {
	s := newSite(t)
	s.AddUser("ann@example.com", "correct horse battery", "")
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")
	for _, tc := range []struct {
		path string
		form url.Values
	}{
		{"/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}}},
		{"/signout", url.Values{}},
		{"/profile", url.Values{"intent": {"names"}, "givenName": {"Mallory"}}},
	} {
		for _, h := range []http.Header{
			{"Sec-Fetch-Site": {"cross-site"}, "Origin": {"https://evil.example"}},
			{"Origin": {"https://evil.example"}}, // an older browser: no Sec-Fetch-Site
		} {
			p := b.Do("POST", tc.path, tc.form, h)
			wantStatus(t, p, http.StatusForbidden)
			wantText(t, p, "<h1>Request refused</h1>") // the browser asked for HTML
		}
	}
	p := b.Get("/profile")
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, `value="Ann"`) // the name was not changed, the session not ended
}

// TestSignedOutRedirectsToSignIn: pages that need a user send a browser to
// sign in and come back.
func TestSignedOutRedirectsToSignIn(t *testing.T) {
	s := newSite(t)
	s.AddUser("ann@example.com", "correct horse battery", "")
	b := s.Browser()
	wantRedirect(t, b.Get("/profile/sessions"), "/signin?next=%2Fprofile%2Fsessions")
	wantRedirect(t, b.Post("/profile", url.Values{"intent": {"names"}}), "/signin?next=%2Fprofile")
	p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}, "next": {"/profile/sessions"}})
	wantRedirect(t, p, "/profile/sessions")
	wantStatus(t, b.Follow(p), http.StatusOK)
}

// TestEmailLinksOpenPages: the /verify and /change links of the emails and
// GET /login send a browser to the pages; JSON clients see the API.
func TestEmailLinksOpenPages(t *testing.T) {
	s := newSite(t)
	b := s.Browser()
	p := b.Get("/verify?sptoken=abc_1-2")
	if p.Status != http.StatusFound || p.Location() != "/verify-email?sptoken=abc_1-2" {
		t.Fatalf("GET /verify: %d %q", p.Status, p.Location())
	}
	p = b.Get("/change?sptoken=abc")
	if p.Status != http.StatusFound || p.Location() != "/reset-password?sptoken=abc" {
		t.Fatalf("GET /change: %d %q", p.Status, p.Location())
	}
	p = b.Get("/login?next=%2Fprofile%2Fsessions&other=x")
	if p.Status != http.StatusFound || p.Location() != "/signin?next=%2Fprofile%2Fsessions" {
		t.Fatalf("GET /login: %d %q", p.Status, p.Location())
	}
	p = b.Get("/me")
	if p.Status != http.StatusFound || p.Location() != "/signin?next=%2Fme" {
		t.Fatalf("GET /me: %d %q", p.Status, p.Location())
	}
	json := http.Header{"Accept": {"application/json"}}
	if p := b.Do("GET", "/verify?sptoken=abc", nil, json); p.Status != http.StatusBadRequest {
		t.Fatalf("JSON GET /verify: %d %s", p.Status, p.Body)
	}
	// JSON clients get react-stormpath's view model (internal/api/viewmodel.go).
	if p := b.Do("GET", "/login", nil, json); p.Status != http.StatusOK || !strings.Contains(string(p.Body), `"form":{"fields":[`) {
		t.Fatalf("JSON GET /login: %d %s", p.Status, p.Body)
	}
}

// TestRegisterVerifyAndReset walks registration, verification, a forgotten
// password and its reset through the pages.
func TestRegisterVerifyAndReset(t *testing.T) {
	s := newSite(t, func(c *server.Config) { c.Registration.RequireVerification = true })
	b := s.Browser()
	p := b.Post("/signup", url.Values{"givenName": {"Bo"}, "surname": {"Ray"}, "email": {"bo@example.com"},
		"password": {"first pass phrase"}, "confirmPassword": {"first pass phrase"}})
	wantRedirect(t, p, "/verify-email")
	wantText(t, b.Follow(p), "We have sent you an email")
	// Not verified yet: signing in fails like any other failure.
	wantStatus(t, b.Post("/signin", url.Values{"login": {"bo@example.com"}, "password": {"first pass phrase"}}), http.StatusBadRequest)

	token := s.Token("bo@example.com", "account-verification")
	p = b.Get("/verify-email?sptoken=" + token)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "Email verified", `href="/signin"`)
	p = b.Get("/verify-email?sptoken=" + token) // single use
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "This link is invalid or has expired.", `action="/verify-email"`)
	p = b.Post("/verify-email", url.Values{"login": {"bo@example.com"}})
	wantRedirect(t, p, "/verify-email")
	wantText(t, b.Follow(p), "If an account is waiting for verification")

	// Forgot: the same answer for a known and an unknown account.
	known := b.Follow(b.Post("/forgot-password", url.Values{"login": {"bo@example.com"}}))
	unknown := b.Follow(b.Post("/forgot-password", url.Values{"login": {"nobody@example.com"}}))
	wantText(t, known, "Check your email.")
	if known.Body != unknown.Body {
		t.Fatal("forgot answers differently for an unknown account")
	}
	token = s.Token("bo@example.com", "forgot-password")
	p = b.Get("/reset-password?sptoken=" + token)
	wantStatus(t, p, http.StatusOK)
	p = b.Post("/reset-password", url.Values{"sptoken": {token}, "password": {"second pass phrase"}, "confirmPassword": {"typo pass phrase"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "The passwords do not match.", `value="`+token+`"`)
	p = b.Post("/reset-password", url.Values{"sptoken": {token}, "password": {"second pass phrase"}, "confirmPassword": {"second pass phrase"}})
	wantRedirect(t, p, "/signin")
	wantText(t, b.Follow(p), "Your password has been reset.")
	p = b.Get("/reset-password?sptoken=" + token)
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "This link is invalid or has expired.", `href="/forgot-password"`)
	wantRedirect(t, b.SignIn("bo@example.com", "second pass phrase"), "/profile")
}

// TestProfileAndSessions edits the profile, changes the password and ends
// sessions from the pages.
func TestProfileAndSessions(t *testing.T) {
	s := newSite(t)
	s.AddUser("ann@example.com", "correct horse battery", "")
	laptop, phone, tablet := s.Browser(), s.Browser(), s.Browser()
	for _, b := range []*browser{laptop, phone, tablet} {
		b.SignIn("ann@example.com", "correct horse battery")
	}

	p := laptop.Post("/profile", url.Values{"intent": {"names"}, "givenName": {"Annie"}, "middleName": {"Q"}, "surname": {"Lee-Smith"}})
	wantRedirect(t, p, "/profile")
	wantText(t, laptop.Follow(p), "Your profile has been saved.", "<h1>Annie Q Lee-Smith</h1>")
	p = laptop.Post("/profile", url.Values{"intent": {"names"}, "givenName": {strings.Repeat("x", 101)}, "surname": {"Lee"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `id="f-givenName-error"`, `value="`+strings.Repeat("x", 101)+`"`)

	p = laptop.Post("/profile", url.Values{"intent": {"password"}, "currentPassword": {"not it at all"},
		"password": {"new pass phrase"}, "confirmPassword": {"new pass phrase"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "Current password is incorrect.", `value="Annie"`)

	// Three sessions; end the phone's from the laptop.
	p = laptop.Get("/profile/sessions")
	wantStatus(t, p, http.StatusOK)
	ids := regexp.MustCompile(`name="id" value="(ses_[a-z0-9]+)"`).FindAllStringSubmatch(p.Body, -1)
	if len(ids) != 3 || strings.Count(p.Body, "This device") != 1 {
		t.Fatalf("sessions page lists %d sessions:\n%s", len(ids), p.Body)
	}
	phoneSession := sessionOf(t, phone)
	p = laptop.Post("/profile/sessions", url.Values{"intent": {"end"}, "id": {phoneSession}})
	wantRedirect(t, p, "/profile/sessions")
	wantText(t, laptop.Follow(p), "The session has been signed out.")
	wantRedirect(t, phone.Get("/profile"), "/signin?next=%2Fprofile")
	p = laptop.Post("/profile/sessions", url.Values{"intent": {"end"}, "id": {"ses_nosuchsession"}})
	wantStatus(t, p, http.StatusNotFound)

	// Changing the password ends the tablet's session and keeps this one.
	p = laptop.Post("/profile", url.Values{"intent": {"password"}, "currentPassword": {"correct horse battery"},
		"password": {"new pass phrase"}, "confirmPassword": {"new pass phrase"}})
	wantRedirect(t, p, "/profile")
	wantText(t, laptop.Follow(p), "Your password has been changed.")
	wantRedirect(t, tablet.Get("/profile"), "/signin?next=%2Fprofile")

	tablet.SignIn("ann@example.com", "new pass phrase")
	p = laptop.Post("/profile/sessions", url.Values{"intent": {"end-others"}})
	wantRedirect(t, p, "/profile/sessions")
	wantText(t, laptop.Follow(p), "All your other sessions have been signed out.")
	wantRedirect(t, tablet.Get("/profile"), "/signin?next=%2Fprofile")

	// Sign out.
	p = laptop.Post("/signout", nil)
	wantRedirect(t, p, "/signin")
	wantText(t, laptop.Follow(p), "You have signed out.")
	wantRedirect(t, laptop.Get("/profile"), "/signin?next=%2Fprofile")
}

// sessionOf returns the id of the browser's own session, from its list.
func sessionOf(t *testing.T, b *browser) string {
	t.Helper()
	p := b.Get("/profile/sessions")
	m := regexp.MustCompile(`(?s)session-current.*?name="id" value="(ses_[a-z0-9]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no current session:\n%s", p.Body)
	}
	return m[1]
}

// TestExpiredPassword: a sign-in with an expired password gets no session,
// only the change (ASVS 2.1.6): the new password signs the user in and goes
// on. A session older than the expiry changes it only with the current
// password, and then signs in again.
func TestExpiredPassword(t *testing.T) {
	s := newSite(t, func(c *server.Config) {
		c.Password.MaxAge = 30 * 24 * time.Hour
		c.Password.History = 3
		c.Sessions.Lifetime, c.Sessions.IdleTimeout = 60*24*time.Hour, 0 // an old session still alive
	})
	s.AddUser("ann@example.com", "correct horse battery", "")
	old := s.Browser()
	wantRedirect(t, old.SignIn("ann@example.com", "correct horse battery"), "/profile")
	s.Clock.Add(31 * 24 * time.Hour)
	b := s.Browser()
	p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}, "next": {"/profile/sessions"}})
	wantRedirect(t, p, "/password-expired?next=%2Fprofile%2Fsessions")
	if b.Cookie("userdb") != "" {
		t.Fatal("a sign-in with an expired password set a session cookie")
	}
	wantRedirect(t, b.Get("/profile"), "/signin?next=%2Fprofile")
	p = b.Follow(p)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "Your password has expired", `name="next" value="/profile/sessions"`)
	if strings.Contains(p.Body, `name="currentPassword"`) {
		t.Fatal("the pending sign-in's form asks for the current password")
	}

	p = b.Post("/password-expired", url.Values{"next": {"/profile/sessions"}, "password": {"correct horse battery"}, "confirmPassword": {"correct horse battery"}})
	wantStatus(t, p, http.StatusBadRequest) // the history forbids the same password
	wantText(t, p, `id="f-password-error"`)
	p = b.Post("/password-expired", url.Values{"next": {"/profile/sessions"}, "password": {"fresh pass phrase"}, "confirmPassword": {"fresh pass phrase"}})
	wantRedirect(t, p, "/profile/sessions")
	wantText(t, b.Follow(p), "Your password has been changed.")

	// The old session was ended by the change; it signs in again.
	wantRedirect(t, old.Get("/profile"), "/signin?next=%2Fprofile")
	// The form does nothing for a password that has not expired.
	p = b.Post("/password-expired", url.Values{"currentPassword": {"fresh pass phrase"}, "password": {"taken over phrase"}, "confirmPassword": {"taken over phrase"}})
	wantRedirect(t, p, "/profile")
	b.Post("/signout", nil)
	wantRedirect(t, b.SignIn("ann@example.com", "fresh pass phrase"), "/profile")

	// A session older than the expiry needs the current password.
	s.Clock.Add(31 * 24 * time.Hour)
	wantRedirect(t, b.Get("/profile"), "/password-expired?next=%2Fprofile")
	p = b.Get("/password-expired")
	wantText(t, p, `name="currentPassword"`)
	p = b.Post("/password-expired", url.Values{"password": {"taken over phrase"}, "confirmPassword": {"taken over phrase"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `id="f-currentPassword-error"`)
	p = b.Post("/password-expired", url.Values{"currentPassword": {"not my password"}, "password": {"taken over phrase"}, "confirmPassword": {"taken over phrase"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `id="f-currentPassword-error"`)
	p = b.Post("/password-expired", url.Values{"currentPassword": {"fresh pass phrase"}, "password": {"taken over phrase"}, "confirmPassword": {"taken over phrase"}})
	wantRedirect(t, p, "/signin")
	wantText(t, b.Follow(p), "Sign in with your new password.")
	wantRedirect(t, b.SignIn("ann@example.com", "taken over phrase"), "/profile")
}

// TestPasswordPagesNameTheAccount: the pages that set a new password carry
// the account's username in a hidden autocomplete="username" input, so a
// password manager saves the new password for the right account.
func TestPasswordPagesNameTheAccount(t *testing.T) {
	s := newSite(t, func(c *server.Config) { c.Password.MaxAge = 30 * 24 * time.Hour })
	u := s.AddUser("ann@example.com", "correct horse battery", "")
	hidden := `<input type="text" name="username" value="` + u.Username + `" autocomplete="username" hidden readonly>`
	b := s.Browser()
	b.Post("/forgot-password", url.Values{"login": {"ann@example.com"}})
	token := s.Token("ann@example.com", "forgot-password")
	p := b.Get("/reset-password?sptoken=" + token)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, hidden)
	p = b.Post("/reset-password", url.Values{"sptoken": {token}, "username": {u.Username},
		"password": {"fresh pass phrase"}, "confirmPassword": {"other pass phrase"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, hidden)

	s.Clock.Add(31 * 24 * time.Hour)
	p = b.Follow(b.SignIn("ann@example.com", "correct horse battery"))
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "Your password has expired", hidden)
}

// TestReturnURLThroughExpiredPassword: an allowed return URL survives the
// detour through an expired password, and each form page on the way names
// its origin in form-action, which the browser checks the final redirect
// against.
func TestReturnURLThroughExpiredPassword(t *testing.T) {
	const app, next = "https://app.example.com", "https://app.example.com/welcome"
	s := newSite(t, func(c *server.Config) {
		c.Password.MaxAge = 30 * 24 * time.Hour
		c.Server.AllowedReturnURLs = []string{app}
	})
	s.AddUser("ann@example.com", "correct horse battery", "")
	s.Clock.Add(31 * 24 * time.Hour)
	b := s.Browser()
	wantAction := func(p page) {
		t.Helper()
		wantStatus(t, p, http.StatusOK)
		if csp := p.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' "+app+";") {
			t.Fatalf("CSP %q does not let the form lead to %s", csp, app)
		}
	}
	wantAction(b.Get("/signin?next=" + url.QueryEscape(next)))
	p := b.Post("/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}, "next": {next}})
	wantRedirect(t, p, "/password-expired?next="+url.QueryEscape(next))
	wantAction(b.Follow(p))
	p = b.Post("/password-expired", url.Values{"next": {next}, "password": {"fresh pass phrase"}, "confirmPassword": {"fresh pass phrase"}})
	wantRedirect(t, p, next)
}

// TestInvitation: the welcome page checks the link before anything is
// typed, shows the invited address and the names the administrator
// entered, and offers the attributes the user may edit. A form with
// mistakes comes back with messages at its fields, what was typed (never
// the password), and the link still working; a good one saves the profile
// and the password at once and signs the user in.
func TestInvitation(t *testing.T) {
	s := newSite(t, withSchema)
	n := serviceInvite("cy@example.com")
	n.GivenName, n.Surname = "Cy", "Young"
	n.CustomData = map[string]any{"employee_id": "E-7", "plan": "free"}
	u, err := inside.Service(s.Srv).AdminCreateUser(service.WithActor(t.Context(), service.SystemActor()), n)
	if err != nil {
		t.Fatal(err)
	}
	token := s.Token("cy@example.com", "invitation")
	b := s.Browser()
	p := b.Get("/invitation?sptoken=" + token)
	wantStatus(t, p, http.StatusOK)
	wantText(t, p, "<strong>cy@example.com</strong>",
		`<input type="text" name="username" value="cy@example.com" autocomplete="username" hidden readonly>`,
		`name="givenName" type="text" autocomplete="given-name" value="Cy"`,
		`name="surname" type="text" autocomplete="family-name" value="Young"`,
		`<input id="f-cd-birthdate" name="customData.birthdate" type="date"`,
		`<option value="free" selected>free</option>`)
	if strings.Contains(p.Body, "employee_id") || strings.Contains(p.Body, "Employee id") {
		t.Fatalf("the welcome page offers an attribute only administrators edit:\n%s", p.Body)
	}

	form := func(mod func(url.Values)) url.Values {
		f := url.Values{"sptoken": {token}, "givenName": {"Cyrus"}, "surname": {"Young"},
			"customData.birthdate": {"1990-04-21"}, "customData.plan": {"pro"}, "customData.nickname": {"cyrus"},
			"password": {"chosen pass phrase"}, "confirmPassword": {"chosen pass phrase"}}
		mod(f)
		return f
	}
	// Bad attributes: each at its field, with what was typed.
	p = b.Post("/invitation", form(func(f url.Values) {
		f.Set("customData.birthdate", "1990-13-45")
		f.Set("customData.nickname", "far too long a nickname")
	}))
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `id="f-cd-birthdate-error"`, `id="f-cd-nickname-error"`, `value="Cyrus"`, `value="1990-13-45"`,
		"Please correct the fields marked below.")
	if strings.Contains(p.Body, "chosen pass phrase") {
		t.Fatal("the password was sent back")
	}
	// A password the policy refuses: at the password field.
	p = b.Post("/invitation", form(func(f url.Values) { f.Set("password", "abc"); f.Set("confirmPassword", "abc") }))
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `id="f-password-error"`, `value="Cyrus"`, `value="`+token+`"`)
	p = b.Post("/invitation", form(func(f url.Values) { f.Set("confirmPassword", "other pass phrase") }))
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, `id="f-confirmPassword-error"`)

	// The link still works: profile and password are saved together.
	p = b.Post("/invitation", form(func(url.Values) {}))
	wantRedirect(t, p, "/profile")
	wantText(t, b.Follow(p), "Welcome! Your account is ready.", "Cyrus Young", `value="1990-04-21"`)
	got, err := inside.Service(s.Srv).AdminFindUser(service.WithActor(t.Context(), service.SystemActor()), service.ByRef, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != userdb.StatusEnabled || got.EmailVerifiedAt == nil || got.GivenName != "Cyrus" ||
		got.CustomData["birthdate"] != "1990-04-21" || got.CustomData["plan"] != "pro" || got.CustomData["employee_id"] != "E-7" {
		t.Fatalf("after the welcome page: %+v", got)
	}

	// Used: the page says so before anything is typed, and so does a post.
	p = s.Browser().Get("/invitation?sptoken=" + token)
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "This link no longer works", "This link is invalid or has expired.")
	p = s.Browser().Post("/invitation", form(func(f url.Values) { f.Set("password", "other pass phrase") }))
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "This link is invalid or has expired.")

	// The link of a user disabled meanwhile does not work either.
	nd := serviceInvite("dee@example.com")
	nd.CustomData = map[string]any{"plan": "free"}
	if _, err := inside.Service(s.Srv).AdminCreateUser(service.WithActor(t.Context(), service.SystemActor()), nd); err != nil {
		t.Fatal(err)
	}
	dee := s.Token("dee@example.com", "invitation")
	d, _ := inside.Service(s.Srv).AdminFindUser(service.WithActor(t.Context(), service.SystemActor()), service.ByRef, "dee@example.com")
	if _, err := inside.Service(s.Srv).AdminSetUserStatus(service.WithActor(t.Context(), service.SystemActor()), d.ID, userdb.StatusDisabled); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s.Browser().Get("/invitation?sptoken="+dee), http.StatusBadRequest)
}

// TestRegistrationSwitchedOff: without registration there is no sign-up
// page and no link to it.
func TestRegistrationSwitchedOff(t *testing.T) {
	s := newSite(t, func(c *server.Config) { c.Registration.Enabled = false })
	b := s.Browser()
	wantStatus(t, b.Get("/signup"), http.StatusNotFound)
	wantStatus(t, b.Post("/signup", url.Values{"email": {"x@example.com"}}), http.StatusNotFound)
	if p := b.Get("/signin"); strings.Contains(p.Body, `href="/signup`) {
		t.Fatal("sign-in page links to a switched-off registration")
	}
	s2 := newSite(t)
	wantText(t, s2.Browser().Get("/signin"), `href="/signup"`)
}
