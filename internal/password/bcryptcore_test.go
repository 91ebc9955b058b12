package password

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestBcryptKeyMatchesXCrypto checks the bcrypt computation that wrapped
// hashes use against golang.org/x/crypto/bcrypt, over its salts.
func TestBcryptKeyMatchesXCrypto(t *testing.T) {
	t.Parallel()
	for _, pw := range []string{"", "a", "correct horse battery staple", string(make([]byte, 72))} {
		for cost := 4; cost <= 5; cost++ {
			h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(bcryptKey(pw, cost, h[7:29])); got != string(h[29:]) {
				t.Errorf("bcryptKey(%q, %d) = %s, want %s (from %s)", pw, cost, got, h[29:], h)
			}
		}
	}
}
