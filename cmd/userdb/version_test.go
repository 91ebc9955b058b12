package main

import (
	"strings"
	"testing"
)

// TestVersion: `userdb version` prints the version and commit given with
// -ldflags, and otherwise what the binary's build information says.
func TestVersion(t *testing.T) {
	c := newCLI(t)
	r := c.run("", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "userdb ") || !strings.Contains(r.stdout, "\ncommit ") {
		t.Fatalf("version: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	version, commit = "v1.2.3", "0123abc"
	t.Cleanup(func() { version, commit = "", "" })
	if r := c.run("", "version"); r.stdout != "userdb v1.2.3\ncommit 0123abc\n" {
		t.Fatalf("version with -ldflags values: %q", r.stdout)
	}
	if r := c.run("", "version", "extra"); r.code != 2 {
		t.Fatalf("version extra: exit %d", r.code)
	}
}
