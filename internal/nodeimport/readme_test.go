package nodeimport_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/nodeimport"
)

// readmeExtras are options the README's table names that the original's
// defaults.yml does not set; the table's claims about them are checked
// against the translation of these over the defaults.
const readmeExtras = `
session:
  name: sid
  cookie: {maxAge: 600000, secure: true, sameSite: strict, httpOnly: true, path: /, domain: example.com}
  store: {}
smtp:
  options: {logger: true, pool: true, service: gmail}
`

// The README's placeholders and what they stand for, in the original's
// options and in userdb's keys.
var (
	readmeEndpoints = []string{"login", "logout", "me", "verify", "forgot", "change", "expired"}
	readmeEmails    = map[string]string{
		"accountVerification": "account_verification", "accountVerificationSuccessful": "account_verification_successful",
		"accountWelcome": "account_welcome", "forgotPassword": "forgot_password", "passwordResetSuccessful": "password_reset_successful",
	}
)

// TestReadmeOptionTable checks the README's table of the original's options
// against what TranslateConfig writes for the original's defaults.yml:
// every option of defaults.yml has exactly one row; a row saying "no
// equivalent" or "not needed" is about options the translation lists as not
// carried over; and a row naming userdb keys names every key the
// translation derives from its options, and only documented keys that the
// translation writes from them.
func TestReadmeOptionTable(t *testing.T) {
	rows := readmeRows(t)
	defaults := translation(t, readFile(t, "defaults.yml"))
	extras := translation(t, []byte(readmeExtras))
	defaultOpts := optionPaths(t, readFile(t, "defaults.yml"))
	extraOpts := optionPaths(t, []byte(readmeExtras))
	keys := userdbKeys(t)

	named := make(map[string]int) // option -> rows naming it
	for _, r := range rows {
		for _, inst := range r.instances() {
			for _, opt := range inst.options {
				named[opt]++
				tr := defaults
				if !slices.Contains(defaultOpts, opt) {
					if !slices.Contains(extraOpts, opt) {
						t.Errorf("README row %q: %s is not an option this test translates (add it to readmeExtras)", r.line, opt)
						continue
					}
					tr = extras
				}
				checkOption(t, r, inst, opt, tr)
			}
			for _, k := range inst.keys {
				if !keys[k] {
					t.Errorf("README row %q: %s is not a key of userdb's configuration", r.line, k)
				}
				if !inst.explains(k, defaults, defaultOpts) && !inst.explains(k, extras, extraOpts) {
					t.Errorf("README row %q: the translation does not write %s from %s", r.line, k, strings.Join(inst.options, ", "))
				}
			}
		}
	}
	for _, opt := range append(defaultOpts, extraOpts...) {
		if named[opt] != 1 {
			t.Errorf("the README's table names the option %s in %d rows, want 1", opt, named[opt])
		}
	}
}

func checkOption(t *testing.T, r readmeRow, inst rowInstance, opt string, tr *translated) {
	t.Helper()
	if r.dropped {
		if !tr.dropped[opt] {
			t.Errorf("README row %q says %s has no equivalent, but the translation carries it over", r.line, opt)
		}
		for k, from := range tr.from {
			if slices.Contains(from, opt) {
				t.Errorf("README row %q says %s has no equivalent, but the translation writes %s from it", r.line, opt, k)
			}
		}
		return
	}
	if tr.dropped[opt] {
		t.Errorf("README row %q maps %s, but the translation lists it as not carried over", r.line, opt)
	}
	mentioned := false
	for k, from := range tr.from {
		if len(from) > 0 && from[0] == opt && !slices.Contains(inst.keys, k) {
			t.Errorf("README row %q: the translation writes %s from %s, the row does not say so", r.line, k, opt)
		}
		if slices.Contains(from, opt) && slices.Contains(inst.keys, k) {
			mentioned = true
		}
	}
	if !mentioned {
		t.Errorf("README row %q: the translation writes none of %v from %s", r.line, inst.keys, opt)
	}
}

// readmeRow is one row of the table.
type readmeRow struct {
	line    string
	options []string // with placeholders
	keys    []string // with placeholders
	dropped bool     // "no equivalent" or "not needed"
}

// rowInstance is a row with its placeholders replaced.
type rowInstance struct{ options, keys []string }

// explains reports whether tr writes k from one of the instance's options
// that tr translates, or writes k as a key with no equivalent (which the
// row's notes explain).
func (inst rowInstance) explains(k string, tr *translated, opts []string) bool {
	if tr.noEquivalent[k] {
		return true
	}
	for _, opt := range inst.options {
		if slices.Contains(opts, opt) && slices.Contains(tr.from[k], opt) {
			return true
		}
	}
	return false
}

func (r readmeRow) instances() []rowInstance {
	joined := strings.Join(append(slices.Clone(r.options), r.keys...), " ")
	var out []rowInstance
	replace := func(list []string, old, new string) []string {
		res := make([]string, len(list))
		for i, s := range list {
			res[i] = strings.ReplaceAll(s, old, new)
		}
		return res
	}
	switch {
	case strings.Contains(joined, "<name>"):
		for _, n := range readmeEndpoints {
			out = append(out, rowInstance{replace(r.options, "<name>", n), replace(r.keys, "<name>", n)})
		}
	case strings.Contains(joined, "<kind>"):
		for orig, key := range readmeEmails {
			out = append(out, rowInstance{replace(r.options, "<kind>", orig), replace(r.keys, "<kind>", key)})
		}
	default:
		out = append(out, rowInstance{r.options, r.keys})
	}
	return out
}

var backticked = regexp.MustCompile("`([^`]*)`")

// readmeRows parses the table under "### From the Node library's options".
// In a cell, `.x` after a path stands for the path's sibling x. The second
// cell is either "no equivalent ..." / "not needed ...", or userdb keys
// followed by " — " and notes.
func readmeRows(t *testing.T) []readmeRow {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(data), "\n### From the Node library's options\n")
	if !ok {
		t.Fatal("README.md has no section \"From the Node library's options\"")
	}
	section, _, _ = strings.Cut(section, "\n#")
	var rows []readmeRow
	for line := range strings.Lines(section) {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "| `") {
			continue // prose, the header and the separator
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 2 {
			t.Errorf("README row %q: want 2 cells, got %d", line, len(cells))
			continue
		}
		r := readmeRow{line: line, options: paths(cells[0])}
		right := strings.TrimSpace(cells[1])
		if strings.HasPrefix(right, "no equivalent") || strings.HasPrefix(right, "not needed") {
			r.dropped = true
		} else {
			keysPart, _, _ := strings.Cut(right, " — ")
			r.keys = paths(keysPart)
			if len(r.keys) == 0 {
				t.Errorf("README row %q names no userdb key and does not say there is no equivalent", line)
			}
		}
		rows = append(rows, r)
	}
	if len(rows) < 20 {
		t.Fatalf("found %d rows in the README's option table; is it still a table?", len(rows))
	}
	return rows
}

// paths returns the backticked paths of a cell, `.x` resolved against the
// path before it.
func paths(cell string) []string {
	var out []string
	for _, m := range backticked.FindAllStringSubmatch(cell, -1) {
		p := m[1]
		if strings.HasPrefix(p, ".") && len(out) > 0 {
			prev := out[len(out)-1]
			p = prev[:strings.LastIndexByte(prev, '.')] + p
		}
		out = append(out, p)
	}
	return out
}

// translated is what TranslateConfig wrote, read back from its YAML.
type translated struct {
	// from maps each userdb key written to the original options its
	// comment names, the one it comes from first.
	from map[string][]string
	// noEquivalent holds the keys written with a "no equivalent" comment:
	// userdb's own, with no original option behind them.
	noEquivalent map[string]bool
	// dropped holds the options listed as having no equivalent.
	dropped map[string]bool
}

var optionWord = regexp.MustCompile(`[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z][A-Za-z0-9_-]*)*`)

func translation(t *testing.T, original []byte) *translated {
	t.Helper()
	out, _, err := nodeimport.TranslateConfig(original)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	// The options of the original that a comment may name.
	known := optionPaths(t, readFile(t, "defaults.yml"))
	known = append(known, optionPaths(t, []byte(readmeExtras))...)
	tr := &translated{from: map[string][]string{}, noEquivalent: map[string]bool{}, dropped: map[string]bool{}}
	var walk func(prefix string, n *yaml.Node)
	walk = func(prefix string, n *yaml.Node) {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, v := prefix+n.Content[i].Value, n.Content[i+1]
			if v.Kind == yaml.MappingNode {
				walk(key+".", v)
				continue
			}
			origin, ok := strings.CutPrefix(v.LineComment, "# original: ")
			if !ok {
				if strings.HasPrefix(v.LineComment, "# no equivalent") {
					tr.noEquivalent[key] = true
				} else {
					t.Errorf("translated key %s has no comment naming its origin: %q", key, v.LineComment)
				}
				continue
			}
			for _, w := range optionWord.FindAllString(origin, -1) {
				if slices.Contains(known, w) && !slices.Contains(tr.from[key], w) {
					tr.from[key] = append(tr.from[key], w)
				}
			}
		}
	}
	walk("", doc.Content[0])
	_, list, ok := strings.Cut(doc.HeadComment, "Options with no equivalent in userdb:\n")
	if !ok {
		t.Fatalf("the translation has no list of the options with no equivalent:\n%s", doc.HeadComment)
	}
	for line := range strings.Lines(list) {
		opt, _, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "#")), ": ")
		if ok {
			tr.dropped[opt] = true
		}
	}
	return tr
}

// optionPaths returns the dotted paths of an original configuration's
// options (see leaves).
func optionPaths(t *testing.T, original []byte) []string {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(original, &m); err != nil {
		t.Fatal(err)
	}
	return leaves("", m)
}

// userdbKeys returns the keys of userdb's documented configuration file.
func userdbKeys(t *testing.T) map[string]bool {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal(config.Defaults(), &m); err != nil {
		t.Fatal(err)
	}
	keys := make(map[string]bool)
	for _, k := range leaves("", m) {
		keys[k] = true
	}
	return keys
}
