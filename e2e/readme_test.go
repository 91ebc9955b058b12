package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// readmeNotRun lists the README's commands that TestREADMECommands does not
// run, each with the reason. A command the README gains is run; one that
// cannot run here must be added to this list, so the README stays honest.
var readmeNotRun = map[string]string{
	"go test ./...": "the test suite this test belongs to: CI runs it (.ci/run)",
	"go run ./cmd/userdb migrate-from userdb-node --from 'mysql://app@db.internal:3306/app' --dry-run":                "needs the Node library's database on another host; cmd/userdb's TestMigrateFromNodeDatabase runs the command on a copy of its schema",
	"go run ./cmd/userdb migrate-from userdb-node --from 'mysql://app@db.internal:3306/app'":                          "as the --dry-run above",
	`curl -X PUT -H "Authorization: Bearer $KEY" -d '{"policy":"required"}' $BASE/api/v1/roles/rol_.../mfa-policy`:    "rol_... stands for a role's id; server/authz_test.go calls the MFA policy routes",
	`curl -X PUT -H "Authorization: Bearer $KEY" -d '{"policy":"required"}' $BASE/api/v1/accounts/acc_.../mfa-policy`: "acc_... stands for an account's id, as above",
}

// readmeShellVars are what a reader has in the shell when following the
// README: the secrets the identity providers issued.
var readmeShellVars = []string{
	"GOOGLE_CLIENT_SECRET=readme-google-secret",
	"GITHUB_CLIENT_SECRET=readme-github-secret",
	"ACME_CLIENT_SECRET=readme-acme-secret",
}

// readmeCommand is one command of a shell block of the README, its
// continuation lines joined.
type readmeCommand struct {
	line    int    // where it starts in README.md
	section string // the heading above it
	text    string
}

// key is the command with its spaces normalised, as readmeNotRun and the
// checks name it.
func (c readmeCommand) key() string { return strings.Join(strings.Fields(c.text), " ") }

var shellFences = map[string]bool{"sh": true, "bash": true, "shell": true, "console": true}

// untaggedCommand matches the first line of a code block without a language
// that shows a command rather than output: such a block must be tagged sh.
var untaggedCommand = regexp.MustCompile(`^(\$ |curl |go |userdb |\./userdb|echo |printf |export |docker |npm |cd |kubectl |systemctl )`)

// readmeCommands returns the commands of README.md's shell code blocks in
// order, and the contents of its code blocks without a language.
func readmeCommands(t *testing.T, readme string) (cmds []readmeCommand, untagged []string) {
	t.Helper()
	var (
		inBlock   bool
		lang      string
		body      []string
		section   string
		pending   string
		startLine int
	)
	sc := bufio.NewScanner(strings.NewReader(readme))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if !inBlock {
			if strings.HasPrefix(line, "#") {
				section = strings.TrimSpace(strings.TrimLeft(line, "#"))
			}
			if strings.HasPrefix(trimmed, "```") {
				inBlock, lang, body = true, strings.TrimPrefix(trimmed, "```"), nil
			}
			continue
		}
		if trimmed == "```" {
			inBlock = false
			if lang == "" {
				text := strings.Join(body, "\n")
				if untaggedCommand.MatchString(strings.TrimSpace(text)) {
					t.Errorf("README.md:%d (%s): a code block without a language shows a command; tag it sh", n-len(body)-1, section)
				}
				untagged = append(untagged, text)
			}
			continue
		}
		body = append(body, line)
		if !shellFences[lang] || (pending == "" && (trimmed == "" || strings.HasPrefix(trimmed, "#"))) {
			continue
		}
		if pending == "" {
			startLine = n
		}
		if cont, ok := strings.CutSuffix(trimmed, `\`); ok {
			pending += cont
			continue
		}
		cmds = append(cmds, readmeCommand{line: startLine, section: section, text: pending + trimmed})
		pending = ""
	}
	if inBlock {
		t.Fatal("README.md ends inside a code block")
	}
	return cmds, untagged
}

// readmeReader is a reader following the README in a directory of their own:
// its environment, and the server they started.
type readmeReader struct {
	t          *testing.T
	root, work string // the checkout, and the reader's working directory
	port, mgmt string // where serve listens: localhost:port, and the management listener
	env        []string
	srv        *server
}

// TestREADMECommands follows README.md from top to bottom: every command of
// its shell blocks runs as written, in order, in a directory of its own,
// and must succeed; where the README says what a command prints or does,
// that is checked. `go run ./cmd/userdb` is the binary TestMain built from
// this checkout; `userdb` and `./userdb` are the one the README's own build
// command writes. Only the ports differ from the README's: serve listens on
// free loopback ports, which replace 8080 and 8081 in the commands.
func TestREADMECommands(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		msg := "curl is not installed (apt-get install -y curl)"
		if os.Getenv("USERDB_TEST_E2E") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	cmds, untagged := readmeCommands(t, string(data))
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	r := &readmeReader{
		t: t, root: root, work: t.TempDir(),
		port: strconv.Itoa(freePort(t)), mgmt: "127.0.0.1:" + strconv.Itoa(freePort(t)),
	}
	r.env = append(cleanEnv(), readmeShellVars...)
	r.env = append(r.env,
		"PATH="+r.work+string(os.PathListSeparator)+os.Getenv("PATH"),
		"USERDB_SERVER_ADDR=localhost:"+r.port,
		"USERDB_SERVER_MANAGEMENT_ADDR="+r.mgmt,
	)
	checks := r.checks(untagged)

	seen := map[string]bool{}
	for _, c := range cmds {
		seen[c.key()] = true
		if reason, ok := readmeNotRun[c.key()]; ok {
			t.Logf("README.md:%d not run (%s): %s", c.line, reason, c.key())
			continue
		}
		r.run(c, checks[c.key()])
	}
	for _, list := range []map[string]string{readmeNotRun, keysOf(checks)} {
		for key := range list {
			if !seen[key] {
				t.Errorf("the README no longer shows %q: update this test", key)
			}
		}
	}
}

// run runs one command as the reader would, and then its check, if any.
func (r *readmeReader) run(c readmeCommand, check func(out string)) {
	t := r.t
	t.Helper()
	text := strings.NewReplacer(
		"go run ./cmd/userdb", shellQuote(binary), // what go run would build
		"localhost:8080", "localhost:"+r.port,
		"127.0.0.1:8081", r.mgmt,
	).Replace(c.text)
	where := "README.md:" + strconv.Itoa(c.line) + " (" + c.section + "): " + c.key()

	if assignment, ok := strings.CutPrefix(text, "export "); ok && !strings.Contains(assignment, " ") {
		// The later commands and servers see it.
		r.env = append(r.env, strings.ReplaceAll(strings.ReplaceAll(assignment, `"`, ""), "'", ""))
		return
	}
	if f := strings.Fields(text); len(f) >= 2 && (f[len(f)-1] == "serve" || f[len(f)-2] == "serve" && f[len(f)-1] == "&") {
		// A server the reader keeps running while following the rest; a
		// later serve replaces it, as it would have to on the same port.
		if r.srv != nil {
			r.srv.stop()
		}
		cmd := exec.Command("sh", "-c", "exec "+strings.TrimSuffix(text, "&"))
		cmd.Dir, cmd.Env = r.work, r.env
		r.srv = launch(t, cmd, "localhost:"+r.port)
		if check != nil {
			check(r.srv.logs.String())
		}
		return
	}

	dir, timeout := r.work, 2*time.Minute
	if strings.Contains(text, "go build") {
		// It builds this checkout: run it there, writing the binary into
		// the reader's directory instead.
		dir, timeout = r.root, 10*time.Minute
		text = strings.Replace(text, " -o userdb ", " -o "+shellQuote(filepath.Join(r.work, "userdb"))+" ", 1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", text)
	cmd.Dir, cmd.Env, cmd.WaitDelay = dir, r.env, 5*time.Second
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s\nfailed: %v\n%s%s\n(fix the README, or list a command that cannot run here in readmeNotRun with the reason)", where, err, stdout.String(), stderr.String())
	}
	if check != nil {
		check(stdout.String())
	}
}

// checks says what the README promises of its commands, keyed by the
// command as the README shows it.
func (r *readmeReader) checks(untagged []string) map[string]func(out string) {
	t := r.t
	base := "http://localhost:" + r.port
	jsonOf := func(what, out string) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatalf("%s: not a JSON object: %v\n%s", what, err, out)
		}
		return m
	}
	wantJSON := func(what, out string, want map[string]any) {
		t.Helper()
		got := jsonOf(what, out)
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s is %v, want %v (%s)", what, k, got[k], v, out)
			}
		}
	}
	wantLine := func(what, out, line string) {
		t.Helper()
		if !regexp.MustCompile(`(?m)^` + line + `$`).MatchString(out) {
			t.Errorf("%s: no line matching %q in\n%s", what, line, out)
		}
	}
	connector := func(id string) func(string) {
		return func(out string) {
			// "userdb connector show ID prints it": add does too.
			wantLine("connector add "+id, out, `callback URL\s+`+regexp.QuoteMeta(base+"/upstream/"+id+"/callback"))
		}
	}
	return map[string]func(string){
		"go run ./cmd/userdb serve": func(logs string) {
			r.checkFirstRun(logs, untagged)
		},
		"./userdb version": func(out string) {
			wantLine("userdb version", out, `userdb v1\.0\.0`)
		},
		"echo 'a long pass phrase' | go run ./cmd/userdb user add --email a@example.com --password-stdin --role super-admin": func(out string) {
			wantLine("user add", out, `roles\s+super-admin`)
		},
		"go run ./cmd/userdb user show a@example.com --json": func(out string) {
			m := jsonOf("user show --json", out)
			if m["email"] != "a@example.com" || m["status"] != "ENABLED" || !strings.Contains(strings.Join(toStrings(m["roles"]), " "), "super-admin") {
				t.Errorf("user show --json: %s", out)
			}
		},
		"go run ./cmd/userdb events": func(out string) {
			if !strings.Contains(out, "user.created") {
				t.Errorf("events lists no user.created:\n%s", out)
			}
		},
		`curl -c jar -H 'Content-Type: application/json' -d '{"email":"ann@example.com"}' http://localhost:8080/login/email`: func(out string) {
			wantJSON("POST /login/email", out, map[string]any{"sent": true, "expires_in": 900.0})
		},
		// The README's code is an example: it is answered as a wrong one.
		`curl -b jar -c jar -H 'Content-Type: application/json' -d '{"code":"123456"}' http://localhost:8080/login/email/code`: func(out string) {
			wantJSON("POST /login/email/code", out, map[string]any{"status": 400.0, "message": "This code is wrong or has expired."})
		},
		`echo "$GOOGLE_CLIENT_SECRET" | userdb connector add google --type google --name Google --client-id 1234-abc.apps.googleusercontent.com --client-secret-stdin --create-users true`:                                                                                                          connector("google"),
		`echo "$GITHUB_CLIENT_SECRET" | userdb connector add github --type github --name GitHub --client-id Iv1.0123456789abcdef --client-secret-stdin --create-users true`:                                                                                                                         connector("github"),
		`echo "$ACME_CLIENT_SECRET" | userdb connector add acme --type oidc --name "Acme SSO" --issuer https://sso.acme.com --client-id userdb --client-secret-stdin --account acme --create-users true --default-role member --claim groups=groups --claim attr.department=dept --domain acme.com`: connector("acme"),
		"go run ./cmd/userdb import users.csv --dry-run": func(out string) {
			wantLine("import --dry-run", out, `1 rows checked \(dry run, nothing written\): 1 would be created.*`)
		},
		"go run ./cmd/userdb import users.csv --invite": func(out string) {
			wantLine("import --invite", out, `1 rows imported: 1 created.*`)
			// Without SMTP, the invitation is written to the server's log
			// with its recipient, subject and link.
			r.srv.waitLog(`"to":"ada@example.com"`, 1)
			if !regexp.MustCompile(`"msg":"email written to the log[^"]*","to":"ada@example.com","subject":"[^"]+","link":"` + regexp.QuoteMeta(base) + `/[a-z/]+\?sptoken=`).MatchString(r.srv.logs.String()) {
				t.Errorf("the invitation is not logged as the README says:\n%s", r.srv.logs)
			}
		},
		"go run ./cmd/userdb export --format jsonl": func(out string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			found := false
			for _, l := range lines {
				m := jsonOf("export --format jsonl", l)
				found = found || m["email"] == "ada@example.com" && m["givenName"] == "Ada" && m["status"] == "PENDING"
			}
			if !found {
				t.Errorf("export has no invited ada@example.com:\n%s", out)
			}
		},
		`go run ./cmd/userdb client add --name "Okta tutorial" --grant client_credentials --scope customScope`: func(out string) {
			// "Put them in CLIENT_ID and CLIENT_SECRET".
			id := regexp.MustCompile(`(?m)^id\s+(\S+)$`).FindStringSubmatch(out)
			secret := regexp.MustCompile(`(?m)^secret\s+(\S+)\s+\(shown only now\)$`).FindStringSubmatch(out)
			if id == nil || secret == nil {
				t.Fatalf("client add prints no id and secret:\n%s", out)
			}
			r.env = append(r.env, "CLIENT_ID="+id[1], "CLIENT_SECRET="+secret[1])
		},
		`curl --request POST --url http://localhost:8080/oauth2/default/v1/token --user "$CLIENT_ID:$CLIENT_SECRET" --header 'accept: application/json' --header 'content-type: application/x-www-form-urlencoded' --data 'grant_type=client_credentials&scope=customScope'`: func(out string) {
			wantJSON("the client-credentials token", out, map[string]any{"token_type": "Bearer", "expires_in": 3600.0, "scope": "customScope"})
			if tok, _ := jsonOf("the token", out)["access_token"].(string); strings.Count(tok, ".") != 2 {
				t.Errorf("the access token is not a JWT: %s", out)
			}
		},
		`go run ./cmd/userdb client add --name "My app" --redirect-uri http://localhost:3000/callback --post-logout-uri http://localhost:3000`: func(out string) {
			wantLine("client add", out, `redirect URIs\s+http://localhost:3000/callback`)
			wantLine("client add", out, `post-logout URIs\s+http://localhost:3000`)
		},
	}
}

// checkFirstRun checks what "Run it" and "A first administrator" say of
// the first start: the files made in the working directory, the health and
// metrics endpoints, and the one-time set-up address in the log, shaped as
// the README's log line.
func (r *readmeReader) checkFirstRun(logs string, untagged []string) {
	t := r.t
	t.Helper()
	for name, mode := range map[string]os.FileMode{"userdb.db": 0, "userdb.db.secrets": 0o600} {
		fi, err := os.Stat(filepath.Join(r.work, name))
		if err != nil {
			t.Errorf("serve made no %s in the working directory: %v", name, err)
		} else if mode != 0 && fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	for _, url := range []string{r.srv.url + "/healthz", r.srv.url + "/readyz", "http://" + r.mgmt + "/metrics"} {
		res, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("GET %s: %d", url, res.StatusCode)
		}
	}
	var shown map[string]string
	for _, block := range untagged {
		if strings.Contains(block, `"setup_url"`) {
			json.Unmarshal([]byte(block), &shown)
		}
	}
	if shown == nil {
		t.Fatal("the README shows no log line with setup_url")
	}
	r.srv.waitLog(`"setup_url"`, 1)
	for _, line := range strings.Split(r.srv.logs.String(), "\n") {
		var got map[string]string
		if json.Unmarshal([]byte(line), &got) != nil || got["setup_url"] == "" {
			continue
		}
		prefix := strings.Replace(strings.TrimSuffix(shown["setup_url"], "..."), "localhost:8080", "localhost:"+r.port, 1)
		if got["level"] != shown["level"] || got["msg"] != shown["msg"] || !strings.HasPrefix(got["setup_url"], prefix) {
			t.Errorf("serve logged\n%s\nthe README shows\n%v", line, shown)
		}
		return
	}
}

// cleanEnv is this process's environment without USERDB_ settings, which
// would change what the README's commands do.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "USERDB_") {
			env = append(env, kv)
		}
	}
	return env
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func keysOf[V any](m map[string]V) map[string]string {
	keys := map[string]string{}
	for k := range m {
		keys[k] = ""
	}
	return keys
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
