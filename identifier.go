package userdb

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Emails and usernames are compared as people read them. The review found
// that "café@" written in NFC (é as one code point) and in NFD (e and a
// combining accent) made two accounts that look the same, and that
// zero-width and bidi-control characters were accepted, so a name could
// hide characters or show them in another order. Identifiers are therefore
// stored in Unicode NFC, compared in NFC and lower case (Fold), and
// refuse invisible characters (RFC 8264's PRECIS framework, which also
// disallows control and format characters in identifiers).
//
// This is the one import of the root package outside the standard library:
// golang.org/x/text is the Go project's own, and Fold, the comparison form
// every store uses, lives here.

// NormalizeIdentifier returns an email or username as it is stored: without
// surrounding spaces, in NFC.
func NormalizeIdentifier(s string) string {
	return norm.NFC.String(strings.TrimSpace(s))
}

// Fold returns the form of an email or username used for case-insensitive
// comparison and uniqueness: NFC, lower case. For text already in NFC it is
// strings.ToLower, so the folded columns of existing rows still match.
func Fold(s string) string {
	return norm.NFC.String(strings.ToLower(norm.NFC.String(strings.TrimSpace(s))))
}

// invisible reports a character an identifier may not hold: anything
// not graphic — controls, format characters (zero-width spaces and
// joiners, bidi controls such as U+202E, the byte-order mark), line and
// paragraph separators, private-use, surrogate and unassigned code points —
// and spaces other than U+0020 (a no-break space looks like a space).
func invisible(r rune) bool {
	return !unicode.IsGraphic(r) || unicode.Is(unicode.Zs, r) && r != ' '
}

// validIdentifier reports whether s holds no invisible character.
func validIdentifier(s string) bool {
	return !strings.ContainsFunc(s, invisible)
}
