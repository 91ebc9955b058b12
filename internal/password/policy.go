package password

import (
	"crypto/rand"
	_ "embed"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/userdb/userdb"
)

// Policy modes.
const (
	// ModeOff accepts any password up to the maximum length that is not a
	// common one. The zero Policy's empty Mode means the same.
	ModeOff = "off"
	// ModeComposition is the original library's rule: a minimum length and
	// minimum counts of uppercase, lowercase, number and special characters.
	ModeComposition = "composition"
	// ModeNIST follows NIST SP 800-63B §5.1.1.2 and OWASP ASVS 2.1.1: a
	// length of 12 (at least 8) to at least 64, no composition rules, and
	// not the user's own identifiers.
	ModeNIST = "nist"
)

// DefaultMaxLength is the maximum password length when Policy.MaxLength is 0.
const DefaultMaxLength = 128

// NIST SP 800-63B §5.1.1.2: memorized secrets are at least 8 characters, and
// verifiers must allow at least 64. ASVS 4.0.3 2.1.1 asks for 12, the
// minimum when the policy names none; an operator may go down to NIST's 8.
const (
	nistMinLength     = 8
	nistDefaultLength = 12
	nistMaxLength     = 64
)

// SpecialChars are the characters composition mode counts as special, the
// original library's set.
const SpecialChars = "!@#$%^&*()-_"

// Policy says which new passwords are acceptable. Lengths count Unicode code
// points once runs of spaces are collapsed to one (ASVS 2.1.1: eight spaces
// are not eight characters). MaxLength always applies (DefaultMaxLength if
// 0, at least 64 in nist mode); MinLength and the character counts apply in
// composition mode, and MinLength in nist mode (12 if 0, at least 8). In
// every mode a password from the common list is refused (ASVS 2.1.7).
type Policy struct {
	Mode                              string // ModeOff, ModeComposition or ModeNIST
	MinLength, MaxLength              int
	Uppers, Lowers, Numbers, Specials int
}

// DefaultPolicy returns the original library's default rule: composition
// mode, at least 5 characters with a lowercase letter and a number.
func DefaultPolicy() Policy {
	return Policy{Mode: ModeComposition, MinLength: 5, Lowers: 1, Numbers: 1}
}

// Validate returns an EINVALID error if p has an unknown mode, a negative
// number, or rules no password could satisfy.
func (p Policy) Validate() error {
	minLen, maxLen := p.lengths()
	switch {
	case p.Mode != "" && p.Mode != ModeOff && p.Mode != ModeComposition && p.Mode != ModeNIST:
		return userdb.Errorf(userdb.EINVALID, "password policy mode must be off, composition or nist, not %q", p.Mode)
	case min(p.MinLength, p.MaxLength, p.Uppers, p.Lowers, p.Numbers, p.Specials) < 0:
		return userdb.Errorf(userdb.EINVALID, "password policy numbers must not be negative")
	case minLen > maxLen:
		return userdb.Errorf(userdb.EINVALID, "password policy minimum length %d is above the maximum %d", minLen, maxLen)
	case p.Mode == ModeComposition && p.Uppers+p.Lowers+p.Numbers+p.Specials > maxLen:
		return userdb.Errorf(userdb.EINVALID, "password policy requires more characters than the maximum length %d", maxLen)
	}
	return nil
}

// Check returns an EINVALID error on the field "password" if password does
// not satisfy p. In nist mode, identifiers are the user's email address and
// username, which the password must not be (nor the address's local part).
// An unknown mode is an EINTERNAL error: Validate should have caught it.
func (p Policy) Check(password string, identifiers ...string) error {
	minLen, maxLen := p.lengths()
	n := Length(password)
	if n > maxLen {
		return userdb.FieldError("password", "Password must be at most %d characters long.", maxLen)
	}
	switch p.Mode {
	case "", ModeOff:
	case ModeComposition:
		if n < minLen || !p.composed(password) {
			return userdb.FieldError("password", "%s", p.compositionRule())
		}
	case ModeNIST:
		switch {
		case n < minLen:
			return userdb.FieldError("password", "Password must be at least %d characters long.", minLen)
		case isIdentifier(password, identifiers):
			return userdb.FieldError("password", "Password must not be your email address or username.")
		case isRepetitive(password):
			return errCommon
		}
	default:
		return userdb.Internal(fmt.Errorf("password: unknown policy mode %q", p.Mode))
	}
	if IsCommon(password) {
		return errCommon
	}
	return nil
}

// errCommon refuses a password from the common list.
var errCommon = userdb.FieldError("password", "This password is too common. Choose one that is harder to guess.")

// Length is password's length as policies count it: Unicode code points,
// with each run of spaces counted as one.
func Length(password string) int {
	n, space := 0, false
	for _, r := range password {
		if r == ' ' && space {
			continue
		}
		space = r == ' '
		n++
	}
	return n
}

// IsCommon reports whether password is one of the commonly used passwords
// (ignoring case), or such a password padded with spaces: a password that
// any guessing attack tries first. Sign-in checks it too, so that such a
// password kept from before the rule (or from an import) must be changed.
func IsCommon(password string) bool {
	return isCommon(strings.TrimSpace(password))
}

// Describe returns the rule in a sentence for people choosing a password.
func (p Policy) Describe() string {
	minLen, maxLen := p.lengths()
	switch p.Mode {
	case ModeComposition:
		return p.compositionRule()
	case ModeNIST:
		return fmt.Sprintf("Password must be %d to %d characters long, and must not be a commonly used password, your email address or your username.", minLen, maxLen)
	}
	return fmt.Sprintf("Password must be at most %d characters long, and must not be a commonly used password.", maxLen)
}

// lengths returns the minimum and maximum lengths p enforces.
func (p Policy) lengths() (minLen, maxLen int) {
	maxLen = p.MaxLength
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	switch p.Mode {
	case ModeComposition:
		minLen = p.MinLength
	case ModeNIST:
		minLen = p.MinLength
		if minLen == 0 {
			minLen = nistDefaultLength
		}
		minLen = max(minLen, nistMinLength)
		maxLen = max(maxLen, nistMaxLength)
	}
	return minLen, maxLen
}

// compositionRule is the original library's message, worded as it was.
func (p Policy) compositionRule() string {
	return fmt.Sprintf("Password must be at least %d characters long and contain at least %d uppercase, %d lowercase, %d numbers and %d special characters.",
		p.MinLength, p.Uppers, p.Lowers, p.Numbers, p.Specials)
}

// composed reports whether password has the character counts p requires.
// Like the original, it counts each character in the first class it
// belongs to: uppercase, lowercase, number, special; others count for none.
func (p Policy) composed(password string) bool {
	var uppers, lowers, numbers, specials int
	for _, r := range password {
		switch {
		case 'A' <= r && r <= 'Z':
			uppers++
		case 'a' <= r && r <= 'z':
			lowers++
		case '0' <= r && r <= '9':
			numbers++
		case strings.ContainsRune(SpecialChars, r):
			specials++
		}
	}
	return uppers >= p.Uppers && lowers >= p.Lowers && numbers >= p.Numbers && specials >= p.Specials
}

// isIdentifier reports whether password equals, ignoring case, one of the
// identifiers or the local part of one that is an email address.
func isIdentifier(password string, identifiers []string) bool {
	for _, id := range identifiers {
		if id == "" {
			continue
		}
		if strings.EqualFold(password, id) {
			return true
		}
		if i := strings.LastIndexByte(id, '@'); i > 0 && strings.EqualFold(password, id[:i]) {
			return true
		}
	}
	return false
}

// commonPasswordList holds about 10,000 of the most used passwords, lowercase,
// one per line: well-known leaked favourites and their usual variants (years,
// digits, keyboard walks, look-alike substitutions).
//
//go:embed common-passwords.txt
var commonPasswordList string

// commonPasswords is the list as a set, built on first use.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	lines := strings.Fields(commonPasswordList)
	set := make(map[string]struct{}, len(lines))
	for _, l := range lines {
		set[l] = struct{}{}
	}
	return set
})

// isCommon reports whether password, ignoring case, is in the common list.
func isCommon(password string) bool {
	_, ok := commonPasswords()[strings.ToLower(password)]
	return ok
}

// Character classes for Generate.
const (
	upperChars  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	lowerChars  = "abcdefghijklmnopqrstuvwxyz"
	numberChars = "0123456789"
	alnumChars  = upperChars + lowerChars + numberChars
)

// generatedLength is the length of passwords Generate makes, unless the
// policy asks for more or allows less.
const generatedLength = 16

// Generate returns a random password from crypto/rand that satisfies p: 16
// letters and digits (about 95 bits), or as many as p's minimum length if
// that is more, including the character counts p requires. It is shorter
// only if p's maximum length is; p is assumed valid.
func Generate(p Policy) string {
	minLen, maxLen := p.lengths()
	var b []byte
	pick := func(n int, chars string) {
		for range n {
			b = append(b, chars[randIntn(len(chars))])
		}
	}
	if p.Mode == ModeComposition {
		pick(p.Uppers, upperChars)
		pick(p.Lowers, lowerChars)
		pick(p.Numbers, numberChars)
		pick(p.Specials, SpecialChars)
	}
	pick(min(max(generatedLength, minLen), maxLen)-len(b), alnumChars)
	// Shuffle (Fisher–Yates) so the required characters are not always first.
	for i := len(b) - 1; i > 0; i-- {
		j := randIntn(i + 1)
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

// randIntn returns a uniform random int in [0, n) from crypto/rand.
func randIntn(n int) int {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand.Reader never fails since Go 1.24
	}
	return int(i.Int64())
}

// isRepetitive reports whether password is a short pattern repeated
// ("aaaaaaaa", "abcabcabc", "12121212") or a run of consecutive characters
// ("12345678", "abcdefgh", "87654321"): NIST SP 800-63B §5.1.1.2 names
// repetitive and sequential characters beside lists of common passwords.
func isRepetitive(password string) bool {
	r := []rune(strings.ToLower(password))
	if len(r) < 2 {
		return false
	}
	for period := 1; period <= 4 && period < len(r); period++ {
		repeated := true
		for i := period; i < len(r); i++ {
			if r[i] != r[i-period] {
				repeated = false
				break
			}
		}
		if repeated {
			return true
		}
	}
	up, down := true, true
	for i := 1; i < len(r); i++ {
		up = up && r[i] == r[i-1]+1
		down = down && r[i] == r[i-1]-1
	}
	return up || down
}
