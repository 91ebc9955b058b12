package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// oidcAppsDir holds the Node apps (package.json and package-lock.json pin
// @okta/jwt-verifier, openid-client, express-openid-connect and Express);
// .ci/run installs them with npm ci.
const oidcAppsDir = "testdata/oidc-apps"

const oidcAppsInstall = "(cd e2e/" + oidcAppsDir + " && npm ci --no-audit --no-fund)"

// nodeApps returns the node binary once the apps are installed; without
// them the test is skipped, or fails when USERDB_TEST_E2E is 1.
func nodeApps(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	_, statErr := os.Stat(filepath.Join(oidcAppsDir, "node_modules", "openid-client"))
	if err != nil || statErr != nil {
		msg := "node or the OIDC test apps are missing; run " + oidcAppsInstall
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return node
}

// cli runs a userdb command against the server's database.
func cli(t *testing.T, env []string, stdin string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("userdb %s: %v\n%s", strings.Join(args, " "), err, stderr)
	}
	return out
}

// addClient makes a client with the command line and returns its id and
// secret.
func addClient(t *testing.T, env []string, args ...string) (string, string) {
	t.Helper()
	var v struct{ ID, Secret string }
	if err := json.Unmarshal(cli(t, env, "", append([]string{"client", "add", "--json"}, args...)...), &v); err != nil || v.ID == "" || v.Secret == "" {
		t.Fatalf("client add: %v %+v", err, v)
	}
	return v.ID, v.Secret
}

// TestOIDCApps runs the OAuth provider of the real binary with code nobody
// here wrote: Okta's tutorial (client credentials with a custom scope,
// checked by @okta/jwt-verifier in a script and in front of an Express
// API), and authorization code with PKCE in Chromium through openid-client
// and express-openid-connect (sign in on the hosted page, consent, a
// validated ID token, userinfo, a refresh, and end-session logout; then
// with a second factor, whose amr the ID token carries). One
// server, one set of Node apps and one browser serve every step.
func TestOIDCApps(t *testing.T) {
	node := nodeApps(t)
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	dsn := "sqlite:" + filepath.Join(t.TempDir(), "userdb.db")
	env := []string{"USERDB_DATABASE_DSN=" + dsn, "USERDB_OAUTH_SCOPES=customScope", "USERDB_LOG_LEVEL=warn"}
	s := startServer(t, md, env...)
	issuer := s.url + "/oauth2/default"

	cli(t, env, "correct horse battery\n", "user", "add", "--email", "ada@example.com", "--given-name", "Ada", "--surname", "Lovelace", "--password-stdin")
	ccID, ccSecret := addClient(t, env, "--name", "Okta tutorial service", "--grant", "client_credentials", "--scope", "customScope")
	ports := [3]int{freePort(t), freePort(t), freePort(t)}
	rp1 := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	rp2 := "http://127.0.0.1:" + strconv.Itoa(ports[2])
	// openid-client sends its secret in the form by default, express-openid-connect
	// in the Authorization header: one client of each method.
	rp1ID, rp1Secret := addClient(t, env, "--name", "openid-client app", "--auth-method", "client_secret_post",
		"--redirect-uri", rp1+"/callback", "--post-logout-uri", rp1+"/bye")
	rp2ID, rp2Secret := addClient(t, env, "--name", "Express app", "--redirect-uri", rp2+"/callback",
		"--post-logout-uri", rp2, "--post-logout-uri", rp2+"/")

	// Okta's tutorial: POST /v1/token with HTTP Basic and the custom scope.
	token := func(scope string) (int, map[string]any) {
		form := url.Values{"grant_type": {"client_credentials"}}
		if scope != "" {
			form.Set("scope", scope)
		}
		req, _ := http.NewRequest("POST", issuer+"/v1/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.SetBasicAuth(ccID, ccSecret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var m map[string]any
		json.NewDecoder(res.Body).Decode(&m)
		return res.StatusCode, m
	}
	status, tok := token("customScope")
	if status != 200 || tok["token_type"] != "Bearer" || tok["scope"] != "customScope" || tok["expires_in"] == nil {
		t.Fatalf("client credentials: %d %v", status, tok)
	}
	access := tok["access_token"].(string)
	if status, body := token(""); status != 400 || body["error"] != "invalid_scope" {
		t.Errorf("client credentials without a scope: %d %v", status, body)
	}

	// The token verifies with Okta's verifier (issuer and api://default).
	verify := exec.Command(node, "verify.js", issuer, access, "api://default")
	verify.Dir = oidcAppsDir
	out, err := verify.CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"cid":"`+ccID+`"`) {
		t.Fatalf("@okta/jwt-verifier refused the token: %v\n%s", err, out)
	}
	bad := exec.Command(node, "verify.js", issuer, access, "api://other")
	bad.Dir = oidcAppsDir
	if out, err := bad.CombinedOutput(); err == nil {
		t.Errorf("@okta/jwt-verifier took the token for another audience: %s", out)
	}

	// The Node apps.
	appLogs := startNodeApp(t, "the Node apps", node, oidcAppsDir, "apps.js", "ISSUER="+issuer,
		"API_PORT="+strconv.Itoa(ports[0]),
		"RP1_PORT="+strconv.Itoa(ports[1]), "RP1_BASE="+rp1, "RP1_ID="+rp1ID, "RP1_SECRET="+rp1Secret,
		"RP2_PORT="+strconv.Itoa(ports[2]), "RP2_BASE="+rp2, "RP2_ID="+rp2ID, "RP2_SECRET="+rp2Secret)

	// The Express API protected by @okta/jwt-verifier.
	callAPI := func(bearer string) int {
		req, _ := http.NewRequest("GET", fmt.Sprintf("http://127.0.0.1:%d/api/messages", ports[0]), nil)
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if got := callAPI(access); got != 200 {
		t.Errorf("API with the token: %d\n%s", got, appLogs.String())
	}
	if got := callAPI(""); got != 401 {
		t.Errorf("API without a token: %d", got)
	}
	if got := callAPI(access[:len(access)-3] + "abc"); got != 401 {
		t.Errorf("API with a tampered token: %d", got)
	}

	// openid-client in Chromium: sign in on the hosted page, consent, back
	// with a validated ID token, userinfo and a refresh.
	b := newTab(t, s, false)
	result := func() map[string]any {
		t.Helper()
		text, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("#result")))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(text), &m); err != nil {
			t.Fatalf("the app's result is not JSON: %q", text)
		}
		return m
	}
	// signIn opens an app's page that needs a user and signs in on
	// userdb's hosted page.
	signIn := func(page string) {
		t.Helper()
		b.open(page)
		b.see("h1", "Sign in")
		b.fill(map[string]string{"login": "ada@example.com", "password": "correct horse battery"})
		b.press("Sign in")
	}
	signIn(rp1 + "/login")
	b.see("h1", "Allow openid-client app")
	b.screenshot("oauth-consent-desktop", 1280)
	b.screenshot("oauth-consent-360", 360)
	b.press("Allow")
	b.see("h1", "Signed in as ada@example.com")
	r := result()
	info, _ := r["userinfo"].(map[string]any)
	if r["refreshed"] != true || info["email"] != "ada@example.com" || info["given_name"] != "Ada" || fmt.Sprint(r["amr"]) != "[pwd]" {
		t.Errorf("openid-client app: %v", r)
	}
	// End-session logout ends the userdb session too.
	b.open(rp1 + "/logout")
	b.see("h1", "Signed out of the openid-client app")
	b.open("/profile")
	b.see("h1", "Sign in")

	// express-openid-connect: auth() and requiresAuth().
	signIn(rp2 + "/profile")
	b.see("h1", "Allow Express app")
	b.press("Allow")
	b.see("h1", "Hello ada@example.com")
	if u, _ := result()["userinfo"].(map[string]any); u["email_verified"] != true && u["email_verified"] != false {
		t.Errorf("express-openid-connect userinfo: %v", u)
	}
	b.open(rp2 + "/profile?refresh=1")
	b.see("h1", "Hello ada@example.com")
	if r := result(); r["refreshed"] != true {
		t.Errorf("express-openid-connect refresh: %v", r)
	}
	// Consent is remembered: a new sign-in goes straight back.
	b.open(rp2 + "/logout")
	b.see("h1", "Logged out")
	b.open("/profile")
	b.see("h1", "Sign in")
	signIn(rp2 + "/profile")
	b.see("h1", "Hello ada@example.com")

	// With an authenticator app (added through the JSON API, codes from
	// otplib), the hosted sign-in asks for its code on the way back to the
	// app, and the ID token openid-client validated says so.
	api := s.signedIn("ada@example.com", "correct horse battery")
	en := api.expect(200, "POST", "/me/mfa/totp", nil)
	app := newAuthenticator(t, en["secret"].(string))
	first, step := app.now()
	api.expect(200, "POST", "/me/mfa/totp/confirm", map[string]any{"factor_id": en["factor_id"], "code": first})
	app.last = step
	b.open("/profile")
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	signIn(rp1 + "/login")
	b.see("h1", "Two-step verification")
	b.fill(map[string]string{"code": app.next()})
	b.press("Verify")
	b.see("h1", "Signed in as ada@example.com")
	if r := result(); fmt.Sprint(r["amr"]) != "[pwd otp mfa]" {
		t.Errorf("openid-client app after the second factor: %v", r)
	}

	// The console's Clients page lists the three clients.
	cli(t, env, "root pass phrase\n", "user", "add", "--email", "root@example.com", "--role", "super-admin", "--password-stdin")
	b.open("/profile")
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")
	b.open("/admin/clients")
	b.fill(map[string]string{"login": "root@example.com", "password": "root pass phrase"})
	b.press("Sign in")
	b.see("h1", "Clients")
	b.see("td", "openid-client app")
	b.screenshot("oauth-clients-desktop", 1280)
	b.screenshot("oauth-clients-360", 360)
}
