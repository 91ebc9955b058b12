package password

import (
	"strings"
	"testing"
	"unicode"
)

func TestCommonPasswordList(t *testing.T) {
	t.Parallel()
	lines := strings.Split(strings.TrimSuffix(commonPasswordList, "\n"), "\n")
	if len(lines) < 5000 {
		t.Errorf("the list has %d entries, want thousands", len(lines))
	}
	seen := make(map[string]bool, len(lines))
	for i, l := range lines {
		switch {
		case l == "" || strings.ContainsFunc(l, unicode.IsSpace):
			t.Errorf("line %d: %q is blank or has spaces", i+1, l)
		case l != strings.ToLower(l):
			t.Errorf("line %d: %q is not lowercase", i+1, l)
		case seen[l]:
			t.Errorf("line %d: %q repeats", i+1, l)
		}
		seen[l] = true
	}
	if n := len(commonPasswords()); n != len(lines) {
		t.Errorf("the set has %d entries, the file %d lines", n, len(lines))
	}
	for _, p := range []string{"123456", "password", "qwerty", "iloveyou", "letmein", "trustno1", "abc123",
		"1q2w3e4r", "p@ssw0rd", "qwerty123", "football1", "sunshine", "zxcvbnm", "dragon2000"} {
		if !isCommon(p) || !isCommon(strings.ToUpper(p)) {
			t.Errorf("%q is missing from the common passwords", p)
		}
	}
}
