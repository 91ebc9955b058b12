package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/userdb/userdb/internal/mail/mailtest"
)

// oktaAppDir holds an app on Okta's management SDK (@okta/okta-sdk-nodejs,
// pinned by package.json and package-lock.json); .ci/run installs it.
const oktaAppDir = "testdata/okta-app"

// TestOktaSDK runs the app against the binary with orgUrl and an API key,
// and checks what it saw against userdb's own API; then it sends the bad
// requests an app might and checks that each gets Okta's error and
// changes nothing.
func TestOktaSDK(t *testing.T) {
	if _, err := os.Stat(filepath.Join(oktaAppDir, "node_modules", "@okta", "okta-sdk-nodejs")); err != nil {
		msg := "the Okta SDK app is not installed; run (cd e2e/" + oktaAppDir + " && npm ci)"
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md)
	key := apiKey(t, s, "okta-app", "--role", "super-admin")

	// 250 users to page through, imported without passwords (no hashing).
	var csv strings.Builder
	csv.WriteString("First Name,Last Name,Email\n")
	var imported []string
	for i := range 250 {
		e := fmt.Sprintf("page-%03d@example.com", i)
		imported = append(imported, e)
		fmt.Fprintf(&csv, "Page,User %d,%s\n", i, e)
	}
	file := filepath.Join(t.TempDir(), "users.csv")
	if err := os.WriteFile(file, []byte(csv.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	s.cli("", "import", file)

	const email = "ada@example.com"
	cmd := exec.Command("node", "app.js")
	cmd.Dir = oktaAppDir
	cmd.Env = append(os.Environ(), "ORG_URL="+s.url+"/okta", "TOKEN="+key, "USER_EMAIL="+email,
		"USER_PASSWORD=analytical engine 1843", "PAGE_PREFIX=page-")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("the Okta SDK app failed: %v\n%s\n%s", err, stderr.String(), s.logs)
	}
	var out struct {
		SchemaCustom []string `json:"schemaCustom"`
		Created      struct {
			ID, Status, CostCenter string
		} `json:"created"`
		ByID, ByLogin string
		Saved, Reread struct {
			FirstName, CostCenter string
		}
		Search, Filter, Paged, Members []string
		Group                          string
		Weak                           struct {
			Status    int
			ErrorCode string
			Causes    []string
		}
		Deactivated, AfterDelete string
	}
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("the app printed %q: %v", stdout, err)
	}
	id := out.Created.ID
	check := func(what string, ok bool) {
		t.Helper()
		if !ok {
			t.Errorf("%s: the app saw %s", what, stdout)
		}
	}
	check("schema", slices.Contains(out.SchemaCustom, "costCenter"))
	check("created", strings.HasPrefix(id, "usr_") && out.Created.Status == "ACTIVE" && out.Created.CostCenter == "R&D")
	check("by id and by login", out.ByID == id && out.ByLogin == id)
	check("saved", out.Saved.FirstName == "Augusta" && out.Saved.CostCenter == "Maths" && out.Reread == out.Saved)
	check("search", slices.Equal(out.Search, []string{id}))
	check("filter", slices.Equal(out.Filter, []string{id}))
	check("members", slices.Equal(out.Members, []string{id}))
	check("weak password", out.Weak.Status == 400 && out.Weak.ErrorCode == "E0000001" && len(out.Weak.Causes) == 1 &&
		strings.HasPrefix(out.Weak.Causes[0], "password: "))
	check("deactivated", out.Deactivated == "DEPROVISIONED")
	check("after delete", out.AfterDelete == "404 E0000007")
	got := slices.Sorted(slices.Values(out.Paged))
	if !slices.Equal(got, imported) {
		t.Errorf("paging by 100 saw %d users (%d distinct), want the 250 imported once each", len(out.Paged), len(slices.Compact(got)))
	}

	// What userdb's own API says happened.
	own := func(method, path string, body any) (int, map[string]any) {
		return call(t, s.url+path, method, "Bearer "+key, body)
	}
	if st, _ := own("GET", "/api/v1/users/"+id, nil); st != 404 {
		t.Errorf("userdb's API finds the deleted user: %d", st)
	}
	_, events := own("GET", "/api/v1/events?user="+id+"&limit=100", nil)
	var types []string
	for _, e := range events["items"].([]any) {
		ev := e.(map[string]any)
		types = append(types, ev["type"].(string))
		if ev["type"] == "user.updated" {
			fields := fmt.Sprint(ev["details"].(map[string]any)["fields"])
			check("the update's fields", strings.Contains(fields, "givenName") && strings.Contains(fields, "customData"))
		}
	}
	for _, want := range []string{"user.created", "user.updated", "user.role_added", "user.deactivated", "user.deleted"} {
		if !slices.Contains(types, want) {
			t.Errorf("userdb's events of the user %v lack %s", types, want)
		}
	}
	_, role := own("GET", "/api/v1/roles/"+out.Group, nil)
	check("the group is a role", role["name"] == "engineers")
	_, page := own("GET", "/api/v1/users?q=page-&limit=1", nil)
	check("userdb counts the imported users", page["total"] == float64(250))

	oktaBadInput(t, s, key)
}

// oktaBadInput sends bad requests to Okta's API: each gets Okta's error
// code and status, and the users stay as they were.
func oktaBadInput(t *testing.T, s *server, key string) {
	_, acc := call(t, s.url+"/api/v1/accounts", "POST", "Bearer "+key, map[string]any{"name": "other"})
	st, other := call(t, s.url+"/api/v1/users", "POST", "Bearer "+key, map[string]any{
		"account": acc["id"], "email": "other@example.org", "password": "another long password"})
	if st != 201 {
		t.Fatalf("creating a user of another account: %d %v", st, other)
	}
	scoped := apiKey(t, s, "scoped", "--account", "default", "--role", "admin")
	total := func() any {
		_, page := call(t, s.url+"/api/v1/users?limit=1", "GET", "Bearer "+key, nil)
		return page["total"]
	}
	before := total()
	okta := s.url + "/okta/api/v1"
	for _, tc := range []struct {
		name, method, url, auth string
		body                    any
		status                  int
		code                    string
	}{
		{"unknown filter attribute", "GET", okta + "/users?filter=" + url.QueryEscape(`profile.shoeSize eq "9"`), "SSWS " + key, nil, 400, "E0000031"},
		{"malformed filter", "GET", okta + "/users?filter=" + url.QueryEscape(`status eq ACTIVE`), "SSWS " + key, nil, 400, "E0000031"},
		{"bad after cursor", "GET", okta + "/users?limit=100&after=bogus", "SSWS " + key, nil, 400, "E0000001"},
		{"wrong token", "GET", okta + "/users", "SSWS not-a-key", nil, 401, "E0000011"},
		{"another account's user", "GET", okta + "/users/" + other["id"].(string), "SSWS " + scoped, nil, 404, "E0000007"},
		{"another account's user, deactivated", "POST", okta + "/users/" + other["id"].(string) + "/lifecycle/deactivate", "SSWS " + scoped, nil, 404, "E0000007"},
		{"a password against the policy", "POST", okta + "/users", "SSWS " + key, map[string]any{
			"profile":     map[string]any{"email": "weak@example.com", "login": "weak@example.com"},
			"credentials": map[string]any{"password": map[string]any{"value": "short"}}}, 400, "E0000001"},
	} {
		st, m := call(t, tc.url, tc.method, tc.auth, tc.body)
		if st != tc.status || m["errorCode"] != tc.code {
			t.Errorf("%s: %d %v, want %d %s", tc.name, st, m, tc.status, tc.code)
		}
	}
	if after := total(); after != before {
		t.Errorf("bad requests changed the users: %v before, %v after", before, after)
	}
	_, o := call(t, s.url+"/api/v1/users/"+other["id"].(string), "GET", "Bearer "+key, nil)
	if o["status"] != "ENABLED" {
		t.Errorf("another account's user after the refusals: %v", o)
	}
}

// apiKey creates an API key from the command line and returns its secret.
func apiKey(t *testing.T, s *server, name string, flags ...string) string {
	t.Helper()
	var k map[string]any
	out := s.cli("", append([]string{"apikey", "create", name, "--json"}, flags...)...)
	if err := json.Unmarshal([]byte(out), &k); err != nil || k["secret"] == nil {
		t.Fatalf("apikey create: %v %s", err, out)
	}
	return k["secret"].(string)
}

// call sends a JSON request with an Authorization header and returns the
// status and the decoded object (nil for an empty or non-object body).
func call(t *testing.T, target, method, auth string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(res.Body)
	json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

// TestOktaSignInApp is the sign-in half with the management half, as in
// Okta's "manage users in a Node app" tutorial: an Express app on
// @okta/oidc-middleware, pointed at userdb's issuer, signs a user in in
// Chromium on userdb's hosted page, and its route reads that user with
// @okta/okta-sdk-nodejs by the userinfo sub (req.userContext.userinfo.sub
// in oidc-middleware 5) through userdb's Okta API.
func TestOktaSignInApp(t *testing.T) {
	if _, err := os.Stat(filepath.Join(oktaAppDir, "node_modules", "@okta", "oidc-middleware")); err != nil {
		msg := "the Okta sign-in app is not installed; run (cd e2e/" + oktaAppDir + " && npm ci)"
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServer(t, md, "USERDB_PROTECTION_DEVICES_NOTIFY=false")
	id := s.addUser("ada@example.com", "correct horse battery", "--given-name", "Ada", "--surname", "Lovelace")
	key := apiKey(t, s, "okta-signin-app", "--role", "admin", "--account", "default")

	port := freePort(t)
	app := "http://127.0.0.1:" + strconv.Itoa(port)
	var c struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(s.cli("", "client", "add", "--json", "--name", "Okta tutorial app",
		"--redirect-uri", app+"/authorization-code/callback", "--first-party", "true")), &c); err != nil || c.ID == "" {
		t.Fatalf("client add: %v", err)
	}

	logs := startNodeApp(t, "the sign-in app", "node", oktaAppDir, "signin.js", "PORT="+strconv.Itoa(port),
		"ISSUER="+s.url+"/oauth2/default", "CLIENT_ID="+c.ID, "CLIENT_SECRET="+c.Secret,
		"ORG_URL="+s.url+"/okta", "TOKEN="+key)

	b := newTab(t, s, false)
	b.open(app + "/profile")
	if loc := b.location(); !strings.HasPrefix(loc, s.url+"/signin") {
		t.Fatalf("an anonymous browser is at %s, not userdb's sign-in page\n%s", loc, logs.String())
	}
	b.fill(map[string]string{"login": "ada@example.com", "password": "correct horse battery"})
	b.press("Sign in")
	b.see("h1", "Hello Ada")
	for sel, want := range map[string]string{"#login": "ada@example.com", "#sub": id, "#id": id, "#status": "ACTIVE"} {
		got, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil || got != want {
			t.Errorf("the app shows %s = %q (%v), want %q\n%s", sel, got, err, want, logs.String())
		}
	}
	b.screenshot("okta-signin-app", 1280)
}
