package userdb_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// pkg is what go list says of one of the module's packages.
type pkg struct {
	ImportPath string
	Imports    []string // direct, not of tests
	Deps       []string // direct and indirect, not of tests
}

const module = "github.com/userdb/userdb"

// listPackages lists the module's packages with go list.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var list []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		list = append(list, p)
	}
	if len(list) < 20 {
		t.Fatalf("go list found only %d packages", len(list))
	}
	return list
}

// ours returns the module's packages among paths, relative to the module
// ("." for the root).
func ours(paths []string) []string {
	var out []string
	for _, p := range paths {
		if p == module {
			out = append(out, ".")
		} else if rel, ok := strings.CutPrefix(p, module+"/"); ok {
			out = append(out, rel)
		}
	}
	return out
}

// TestImportGraph holds the layout of docs/architecture.md: dependencies
// point inward, and the HTTP surfaces share the edge and the look instead
// of importing each other.
func TestImportGraph(t *testing.T) {
	surfaces := []string{"internal/api", "internal/web", "internal/console", "internal/okta", "internal/forwardauth"}
	for _, p := range listPackages(t) {
		name := ours([]string{p.ImportPath})[0]
		imports, deps := ours(p.Imports), ours(p.Deps)
		for _, s := range surfaces {
			if s != name && slices.Contains(surfaces, name) && slices.Contains(deps, s) {
				t.Errorf("%s imports the surface %s (directly or through another package): shared edge code belongs in internal/edge or internal/ui", name, s)
			}
		}
		var allowed []string // of ours; nil: any
		switch name {
		case ".":
			allowed = []string{} // the standard library only
		case "internal/service":
			// limit: the names of the rate-limit rules; password: the common-password
			// list, checked at sign-in (a leaf that imports only the root package)
			allowed = []string{".", "internal/limit", "internal/password"}
		case "internal/httpx", "internal/password", "internal/profile", "internal/mail", "sqlstore", "storetest":
			allowed = []string{"."}
		case "internal/edge":
			allowed = []string{".", "internal/service", "internal/httpx"}
		case "internal/ui":
			allowed = []string{".", "internal/httpx"}
		case "internal/oauth", "internal/okta":
			allowed = []string{".", "internal/service", "internal/httpx"}
		}
		for _, imp := range imports {
			if allowed != nil && !slices.Contains(allowed, imp) {
				t.Errorf("%s imports %s; it may import only %v of this module", name, imp, allowed)
			}
			if imp == "server" && !slices.Contains([]string{"cmd/userdb", "bench", "internal/ui/uitest"}, name) {
				t.Errorf("%s imports server, the composition root", name)
			}
		}
	}
}

// TestLayoutListsEveryPackage: the Layout section of docs/architecture.md
// has a line for every package of the module, and none for a package that
// is gone.
func TestLayoutListsEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	_, layout, _ := strings.Cut(string(doc), "## Layout\n")
	layout, _, _ = strings.Cut(layout, "\n## ")
	listed := map[string]bool{}
	// Lines such as "  internal/edge/   the session cookie, ..." in the
	// section's code block ("userdb/" is the root); a description goes on
	// in lines indented further.
	for _, m := range regexp.MustCompile(`(?m)^ {0,2}([a-z0-9/]+)/ `).FindAllStringSubmatch(layout, -1) {
		listed[m[1]] = true
	}
	var names []string
	for _, p := range listPackages(t) {
		name := ours([]string{p.ImportPath})[0]
		if name == "." {
			name = "userdb"
		}
		names = append(names, name)
		if !listed[name] {
			t.Errorf("docs/architecture.md's Layout does not list %s/", name)
		}
	}
	for name := range listed {
		if !slices.Contains(names, name) {
			t.Errorf("docs/architecture.md's Layout lists %s/, which is not a package", name)
		}
	}
}
