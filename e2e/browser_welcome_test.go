package e2e

import (
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// welcomePage is the application's own welcome page, plain JavaScript.
const welcomePage = "testdata/welcome-app/welcome.html"

// TestBrowserSPAWelcome is the original's "Account Verification Flow in a
// SPA" in Chromium against the binary: an administrator adds a user through
// the original's RPC (/users/update without an id, a PENDING user); as the
// original's newUserWorkflow did (index.js:612-626, email.js:145-154), the
// verification email with email.account_verification's subject and
// endpoint, the application's /welcome page, arrives in MailDev; that page,
// served with userdb's API on one origin as express served the original
// beside the app, checks the token, sets the name and password through
// /invitation in JSON, and ends signed in (GET /me 200 with the user). The
// link then no longer works, and the password signs in.
func TestBrowserSPAWelcome(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	// The front server's address goes into userdb's settings: listen first.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	appURL := "http://" + ln.Addr().String()
	s := startServer(t, md,
		"USERDB_EMAIL_ACCOUNT_VERIFICATION_ENDPOINT="+appURL+"/welcome",
		"USERDB_EMAIL_ACCOUNT_VERIFICATION_SUBJECT=Verify your Clinic account")
	front := newFrontServerOn(t, ln, s, func(mux *http.ServeMux) {
		mux.HandleFunc("GET /welcome", func(w http.ResponseWriter, r *http.Request) {
			http.ServeFile(w, r, filepath.FromSlash(welcomePage))
		})
	})
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("calls through the front server:\n%s", front.log())
		}
	})

	const rootPW = "root's long pass phrase"
	s.addUser("root@example.com", rootPW, "--role", "super-admin")
	admin := s.signedIn("root@example.com", rootPW)
	const email = "wendy@example.com"
	u := admin.expect(200, "POST", "/users/update", map[string]any{"email": email, "givenName": "New"})
	if u["status"] != "PENDING" {
		t.Fatalf("the new user is %v, want PENDING", u["status"])
	}
	_, link := waitEmail(t, md, email, "Verify your Clinic account")
	if !strings.HasPrefix(link, appURL+"/welcome?sptoken=") {
		t.Fatalf("the email's link is %q, want the endpoint %s/welcome", link, appURL)
	}

	b := newTab(t, s, true)
	b.open(link)
	b.see("h1", "Welcome, "+email)
	// The page filled in the name the administrator gave: typed over.
	retype(b, "givenName", "Wendy")
	b.fill(map[string]string{"surname": "Lee", "password": "short"})
	b.press("Finish")
	b.see("p", "at least") // the password policy's message; the link still works
	retype(b, "password", "a long welcome pass phrase")
	b.press("Finish")
	b.see("h1", "Signed in as Wendy Lee")
	front.await(t, 0, "GET /invitation 200", "POST /invitation 400", "POST /invitation 200", "GET /me 200")

	// The page's origin has userdb's session: /me answers the user.
	me, err := chromedp.Run(b.ctx, chromedp.Evaluate[map[string]any](
		`fetch("/me", {headers: {Accept: "application/json"}}).then(r => r.json().then(b => ({status: r.status, email: b.account && b.account.email, state: b.account && b.account.status})))`,
		chromedp.EvalAwaitPromise))
	if err != nil || me["status"] != 200.0 || me["email"] != email || me["state"] != "ENABLED" {
		t.Fatalf("GET /me from the app's page: %v, %v; want 200 with the ENABLED user", me, err)
	}
	// The link is used up; the password signs in.
	b.open(link)
	b.see("h1", "This link does not work.")
	s.signedIn(email, "a long welcome pass phrase")
}
