package password_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/password"
)

func TestPolicyCheck(t *testing.T) {
	t.Parallel()
	const defaultRule = "Password must be at least 5 characters long and contain at least 0 uppercase, 1 lowercase, 1 numbers and 0 special characters."
	strict := password.Policy{Mode: password.ModeComposition, MinLength: 8, Uppers: 1, Lowers: 1, Numbers: 1, Specials: 1}
	const strictRule = "Password must be at least 8 characters long and contain at least 1 uppercase, 1 lowercase, 1 numbers and 1 special characters."
	nist := password.Policy{Mode: password.ModeNIST}
	ids := []string{"Jane.Doe@Example.com", "janedoe99"}
	tests := []struct {
		name     string
		policy   password.Policy
		password string
		want     string // the error message; "" if the password is acceptable
	}{
		// The original library's defaults.
		{"default: acceptable", password.DefaultPolicy(), "abcd1", ""},
		{"default: too short", password.DefaultPolicy(), "abc1", defaultRule},
		{"default: no number", password.DefaultPolicy(), "abcdef", defaultRule},
		{"default: no lowercase", password.DefaultPolicy(), "ABCD1", defaultRule},
		{"default: digits only", password.DefaultPolicy(), "123456", defaultRule},
		{"default: accented letters are not a-z", password.DefaultPolicy(), "ÀÉÎÕÜ1", defaultRule},
		{"default: common passwords are refused too", password.DefaultPolicy(), "password1", "This password is too common. Choose one that is harder to guess."},
		{"default: longest", password.DefaultPolicy(), "a1" + strings.Repeat("x", 126), ""},
		{"default: too long", password.DefaultPolicy(), "a1" + strings.Repeat("x", 127), "Password must be at most 128 characters long."},

		{"strict: acceptable", strict, "Passw0rd!", ""},
		{"strict: every special counts", strict, "Aa0" + password.SpecialChars, ""},
		{"strict: no special", strict, "Passw0rdd", strictRule},
		{"strict: + is not special", strict, "Passw0rd+", strictRule},
		{"strict: no uppercase", strict, "passw0rd!", strictRule},
		{"strict: no lowercase", strict, "PASSW0RD!", strictRule},
		{"strict: no number", strict, "Password!", strictRule},
		{"strict: too short", strict, "Pa0!", strictRule},
		{"strict: own maximum", password.Policy{Mode: password.ModeComposition, MaxLength: 10}, "abcdefghijk", "Password must be at most 10 characters long."},

		{"off: anything", password.Policy{Mode: password.ModeOff}, "a", ""},
		{"off: minimum ignored", password.Policy{Mode: password.ModeOff, MinLength: 10}, "a", ""},
		{"off: too long", password.Policy{Mode: password.ModeOff}, strings.Repeat("x", 129), "Password must be at most 128 characters long."},
		{"zero policy: anything", password.Policy{}, "1", ""},
		{"zero policy: too long", password.Policy{}, strings.Repeat("x", 129), "Password must be at most 128 characters long."},

		{"nist: acceptable", nist, "correct horse battery staple", ""},
		{"nist: no composition rules", nist, "zzkqxwvbnhjy", ""},
		{"nist: too short", nist, "Xk7#pQ2mmmm", "Password must be at least 12 characters long."},
		{"nist: an operator may go down to 8", password.Policy{Mode: password.ModeNIST, MinLength: 8}, "Xk7#pQ2m", ""},
		{"nist: but not below", password.Policy{Mode: password.ModeNIST, MinLength: 6}, "Xk7#pQ2", "Password must be at least 8 characters long."},
		{"nist: counts code points, not bytes", nist, "ñçüöäßéèñçüö", ""},
		{"nist: 11 code points in 22 bytes", nist, "ñçüöäßéèñçü", "Password must be at least 12 characters long."},
		{"nist: higher minimum", password.Policy{Mode: password.ModeNIST, MinLength: 14}, "zzkqxwvbnhjyy", "Password must be at least 14 characters long."},
		{"nist: common", nist, "password1234", "This password is too common. Choose one that is harder to guess."},
		{"nist: common in another case", nist, "PassWord1234", "This password is too common. Choose one that is harder to guess."},
		{"nist: keyboard walk", password.Policy{Mode: password.ModeNIST, MinLength: 8}, "1qaz2wsx", "This password is too common. Choose one that is harder to guess."},
		{"nist: email", nist, "jane.doe@example.COM", "Password must not be your email address or username."},
		{"nist: email's local part", password.Policy{Mode: password.ModeNIST, MinLength: 8}, "JANE.DOE", "Password must not be your email address or username."},
		{"nist: username", password.Policy{Mode: password.ModeNIST, MinLength: 8}, "JaneDoe99", "Password must not be your email address or username."},
		{"nist: containing the username is fine", nist, "janedoe99 likes tea", ""},
		{"nist: 64 allowed even with a lower maximum", password.Policy{Mode: password.ModeNIST, MaxLength: 20}, strings.Repeat("ab", 31) + "cd", ""},
		{"nist: 65 over a lower maximum", password.Policy{Mode: password.ModeNIST, MaxLength: 20}, strings.Repeat("ab", 32) + "c", "Password must be at most 64 characters long."},
		{"nist: default maximum", nist, strings.Repeat("ab", 64) + "c", "Password must be at most 128 characters long."},
		{"nist: 1 MiB", nist, strings.Repeat("x", 1<<20), "Password must be at most 128 characters long."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Check(tt.password, ids...)
			if tt.want == "" {
				if err != nil {
					t.Errorf("Check = %v, want nil", err)
				}
				return
			}
			e, ok := err.(*userdb.Error)
			if !ok || e.Code != userdb.EINVALID || e.Field != "password" || e.Message != tt.want {
				t.Errorf("Check = %#v, want EINVALID on password with %q", err, tt.want)
			}
		})
	}
}

func TestPolicyCheckUnknownMode(t *testing.T) {
	t.Parallel()
	err := password.Policy{Mode: "strict"}.Check("anything")
	if !userdb.IsCode(err, userdb.EINTERNAL) {
		t.Errorf("Check with an unknown mode = %v, want an internal error", err)
	}
}

func TestPolicyCheckIgnoresEmptyIdentifiers(t *testing.T) {
	t.Parallel()
	p := password.Policy{Mode: password.ModeNIST}
	if err := p.Check("zzkqxwvbnhjy", "", "@example.com"); err != nil {
		t.Errorf("Check with empty identifiers = %v, want nil", err)
	}
}

func TestPolicyDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy password.Policy
		want   string
	}{
		{"default", password.DefaultPolicy(), "Password must be at least 5 characters long and contain at least 0 uppercase, 1 lowercase, 1 numbers and 0 special characters."},
		{"off", password.Policy{Mode: password.ModeOff, MaxLength: 200}, "Password must be at most 200 characters long, and must not be a commonly used password."},
		{"zero", password.Policy{}, "Password must be at most 128 characters long, and must not be a commonly used password."},
		{"nist", password.Policy{Mode: password.ModeNIST, MinLength: 10}, "Password must be 10 to 128 characters long, and must not be a commonly used password, your email address or your username."},
		{"nist raises the maximum", password.Policy{Mode: password.ModeNIST, MaxLength: 20}, "Password must be 12 to 64 characters long, and must not be a commonly used password, your email address or your username."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.policy.Describe(); got != tt.want {
				t.Errorf("Describe() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy password.Policy
		valid  bool
	}{
		{"zero", password.Policy{}, true},
		{"default", password.DefaultPolicy(), true},
		{"nist", password.Policy{Mode: password.ModeNIST}, true},
		{"nist minimum over 64 with default maximum", password.Policy{Mode: password.ModeNIST, MinLength: 100}, true},
		{"unknown mode", password.Policy{Mode: "NIST"}, false},
		{"negative count", password.Policy{Mode: password.ModeComposition, Uppers: -1}, false},
		{"negative maximum", password.Policy{MaxLength: -1}, false},
		{"minimum above maximum", password.Policy{Mode: password.ModeComposition, MinLength: 20, MaxLength: 10}, false},
		{"nist minimum above maximum", password.Policy{Mode: password.ModeNIST, MinLength: 200}, false},
		{"counts above maximum", password.Policy{Mode: password.ModeComposition, MaxLength: 8, Uppers: 5, Numbers: 5}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.policy.Validate()
			if tt.valid && err != nil || !tt.valid && !userdb.IsCode(err, userdb.EINVALID) {
				t.Errorf("Validate() = %v, want valid %v", err, tt.valid)
			}
		})
	}
}

func TestGenerate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		policy         password.Policy
		minLen, maxLen int
	}{
		{"zero", password.Policy{}, 16, 16},
		{"default", password.DefaultPolicy(), 16, 16},
		{"strict", password.Policy{Mode: password.ModeComposition, MinLength: 8, Uppers: 3, Lowers: 3, Numbers: 3, Specials: 3}, 16, 16},
		{"many required", password.Policy{Mode: password.ModeComposition, Uppers: 10, Specials: 10}, 20, 20},
		{"long minimum", password.Policy{Mode: password.ModeNIST, MinLength: 30}, 30, 30},
		{"short maximum", password.Policy{Mode: password.ModeComposition, MinLength: 6, MaxLength: 10, Numbers: 2}, 10, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			seen := map[string]bool{}
			for range 200 {
				pw := password.Generate(tt.policy)
				if n := utf8.RuneCountInString(pw); n < tt.minLen || n > tt.maxLen {
					t.Fatalf("Generate = %q, %d characters; want %d to %d", pw, n, tt.minLen, tt.maxLen)
				}
				if err := tt.policy.Check(pw); err != nil {
					t.Fatalf("Generate = %q, which Check refuses: %v", pw, err)
				}
				if seen[pw] {
					t.Fatalf("Generate repeated %q", pw)
				}
				seen[pw] = true
			}
		})
	}
}

func TestGenerateSpreadsRequiredCharacters(t *testing.T) {
	t.Parallel()
	// With one special character required, the shuffle should put it in
	// every position sooner or later, not always first.
	p := password.Policy{Mode: password.ModeComposition, Specials: 1}
	positions := map[int]bool{}
	for range 2000 {
		positions[strings.IndexAny(password.Generate(p), password.SpecialChars)] = true
	}
	if len(positions) != 16 {
		t.Errorf("the special character appeared at %d of 16 positions", len(positions))
	}
}

// TestNISTRefusesRepetitive reproduces the review's finding: "aaaaaaaa"
// passed the nist policy.
func TestNISTRefusesRepetitive(t *testing.T) {
	p := password.Policy{Mode: password.ModeNIST, MinLength: 8}
	for _, pw := range []string{"aaaaaaaa", "AAAAAAAAAAAA", "abcabcabcabc", "12121212", "12345678", "abcdefghij", "98765432", "zyxwvuts"} {
		if err := p.Check(pw); err == nil {
			t.Errorf("%q accepted", pw)
		}
	}
	for _, pw := range []string{"correct horse battery", "aaaaaaab", "a1b2c3d4e5"} {
		if err := p.Check(pw); err != nil {
			t.Errorf("%q refused: %v", pw, err)
		}
	}
}

// TestASVS_2_1_1_LengthCountsCollapsedSpaces: eight spaces are one
// character, and nist mode asks for 12 by default (ASVS 2.1.1).
func TestASVS_2_1_1_LengthCountsCollapsedSpaces(t *testing.T) {
	t.Parallel()
	if n := password.Length("a  b   c"); n != 5 {
		t.Errorf("Length(\"a  b   c\") = %d, want 5", n)
	}
	if n := password.Length("ñç üö"); n != 5 {
		t.Errorf("Length counts bytes or spaces wrongly: %d, want 5", n)
	}
	for _, p := range []password.Policy{password.DefaultPolicy(), {Mode: password.ModeNIST}, {Mode: password.ModeNIST, MinLength: 8}} {
		if err := p.Check(strings.Repeat(" ", 20)); err == nil {
			t.Errorf("%+v accepts 20 spaces", p)
		}
	}
	if err := (password.Policy{Mode: password.ModeNIST}).Check("tea " + strings.Repeat(" ", 10) + "cake"); err == nil {
		t.Errorf("nist accepts 8 characters padded to 18 with spaces")
	}
	if err := (password.Policy{Mode: password.ModeNIST}).Check("tea and cake"); err != nil {
		t.Errorf("nist refuses 12 characters with single spaces: %v", err)
	}
}

// TestASVS_2_1_2_NISTAllows64 and more: nist mode's maximum is never below 64.
func TestASVS_2_1_2_NISTAllows64(t *testing.T) {
	t.Parallel()
	p := password.Policy{Mode: password.ModeNIST, MaxLength: 10}
	if err := p.Check(strings.Repeat("xq7", 21) + "z"); err != nil {
		t.Errorf("64 characters refused: %v", err)
	}
}

// TestASVS_2_1_7_CommonPasswordsRefusedInEveryMode: the common list applies
// whatever the mode, also padded with spaces.
func TestASVS_2_1_7_CommonPasswordsRefusedInEveryMode(t *testing.T) {
	t.Parallel()
	for _, p := range []password.Policy{{}, {Mode: password.ModeOff}, password.DefaultPolicy(), {Mode: password.ModeNIST, MinLength: 8}} {
		for _, pw := range []string{"password1", " Password1 ", "qwerty123"} {
			if err := p.Check(pw); err == nil {
				t.Errorf("mode %q accepts %q", p.Mode, pw)
			}
		}
	}
	if !password.IsCommon("  LetMeIn ") || password.IsCommon("correct horse battery staple") {
		t.Errorf("IsCommon is wrong")
	}
}
