package storetest

import (
	"bytes"
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// newMagicToken stores a magic-link token of u bound to browser with the
// code hash code.
func newMagicToken(t *testing.T, s userdb.Store, userID string, browser, code []byte, expires time.Time) *userdb.OneTimeToken {
	t.Helper()
	_, hash := userdb.NewSecret()
	tok := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenMagic, UserID: userID,
		Browser: browser, Code: code, CreatedAt: base, ExpiresAt: expires}
	must(t, s.CreateToken(t.Context(), tok))
	return tok
}

func sum(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// testTokenBrowserCode: a magic token keeps its browser and code hashes;
// attempts are charged to the live tokens of one browser only, up to max;
// a code is used up once, and not past max attempts, nor from another
// browser, nor after expiry.
func testTokenBrowserCode(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	mine, theirs := sum("browser a"), sum("browser b")
	tok := newMagicToken(t, s, u.ID, mine, sum("a123456"), at(time.Hour))
	other := newMagicToken(t, s, u.ID, theirs, sum("b123456"), at(time.Hour))

	got, err := s.FindToken(ctx, userdb.TokenMagic, tok.TokenHash, at(time.Minute))
	must(t, err)
	if !bytes.Equal(got.Browser, mine) || !bytes.Equal(got.Code, sum("a123456")) {
		t.Errorf("Browser, Code = %x, %x; want %x, %x", got.Browser, got.Code, mine, sum("a123456"))
	}
	wantEqual(t, "Attempts", got.Attempts, 0)
	plain := MustCreateToken(t, s, u.ID, userdb.TokenReset, at(time.Hour))
	got, err = s.FindToken(ctx, userdb.TokenReset, plain.TokenHash, at(time.Minute))
	must(t, err)
	if got.Browser != nil || got.Code != nil {
		t.Errorf("a reset token has Browser %x, Code %x; want none", got.Browser, got.Code)
	}

	n, err := s.TakeTokenAttempts(ctx, userdb.TokenMagic, mine, 3, at(time.Minute))
	must(t, err)
	wantEqual(t, "tokens charged", n, 1)
	n, err = s.TakeTokenAttempts(ctx, userdb.TokenMagic, nil, 3, at(time.Minute))
	must(t, err)
	wantEqual(t, "tokens charged without a browser", n, 0)
	got, err = s.FindToken(ctx, userdb.TokenMagic, other.TokenHash, at(time.Minute))
	must(t, err)
	wantEqual(t, "the other browser's attempts", got.Attempts, 0)

	_, err = s.FindTokenByCode(ctx, userdb.TokenMagic, theirs, sum("a123456"), 3, at(time.Minute))
	wantCode(t, "FindTokenByCode from another browser", err, userdb.ENOTFOUND)
	_, err = s.FindTokenByCode(ctx, userdb.TokenMagic, mine, sum("a123456"), 3, at(2*time.Hour))
	wantCode(t, "FindTokenByCode after expiry", err, userdb.ENOTFOUND)
	_, err = s.FindTokenByCode(ctx, userdb.TokenReset, mine, sum("a123456"), 3, at(time.Minute))
	wantCode(t, "FindTokenByCode of another kind", err, userdb.ENOTFOUND)
	_, err = s.FindTokenByCode(ctx, userdb.TokenMagic, mine, sum("b123456"), 3, at(time.Minute))
	wantCode(t, "FindTokenByCode with a wrong code", err, userdb.ENOTFOUND)

	// Two more attempts reach max; a fourth is not charged, and a code
	// tried more than max times is dead.
	for range 2 {
		n, err = s.TakeTokenAttempts(ctx, userdb.TokenMagic, mine, 3, at(time.Minute))
		must(t, err)
		wantEqual(t, "tokens charged", n, 1)
	}
	got, err = s.FindTokenByCode(ctx, userdb.TokenMagic, mine, sum("a123456"), 3, at(time.Minute))
	must(t, err)
	wantEqual(t, "found token's user", got.UserID, u.ID)
	wantEqual(t, "found token's attempts", got.Attempts, 3)
	if !bytes.Equal(got.TokenHash, tok.TokenHash) {
		t.Errorf("FindTokenByCode found %x, want %x", got.TokenHash, tok.TokenHash)
	}
	_, err = s.ConsumeToken(ctx, userdb.TokenMagic, tok.TokenHash, at(time.Minute))
	must(t, err)
	_, err = s.FindTokenByCode(ctx, userdb.TokenMagic, mine, sum("a123456"), 3, at(time.Minute))
	wantCode(t, "FindTokenByCode once used", err, userdb.ENOTFOUND)
	n, err = s.TakeTokenAttempts(ctx, userdb.TokenMagic, mine, 3, at(time.Minute))
	must(t, err)
	wantEqual(t, "attempts charged to a used token", n, 0)

	worn := newMagicToken(t, s, u.ID, theirs, sum("c123456"), at(time.Hour))
	for range 4 {
		_, err = s.TakeTokenAttempts(ctx, userdb.TokenMagic, theirs, 10, at(time.Minute))
		must(t, err)
	}
	_, err = s.FindTokenByCode(ctx, userdb.TokenMagic, theirs, sum("c123456"), 3, at(time.Minute))
	wantCode(t, "FindTokenByCode past max attempts", err, userdb.ENOTFOUND)
	_, err = s.ConsumeToken(ctx, userdb.TokenMagic, worn.TokenHash, at(time.Minute))
	must(t, err) // the link itself is not a guess: it still works
}

// testTokenAttemptsConcurrent: 100 concurrent attempts at one browser's
// token are charged exactly up to max.
func testTokenAttemptsConcurrent(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const n, max = 100, 5
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	browser := sum("browser")
	newMagicToken(t, s, u.ID, browser, sum("code"), at(time.Hour))
	charged := make([]int, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			charged[i], errs[i] = s.TakeTokenAttempts(ctx, userdb.TokenMagic, browser, max, at(time.Minute))
		})
	}
	wg.Wait()
	total := 0
	for i := range n {
		must(t, errs[i])
		total += charged[i]
	}
	wantEqual(t, "attempts charged by 100 concurrent calls", total, max)

	wantEqual(t, "charged past max", func() int {
		n, err := s.TakeTokenAttempts(ctx, userdb.TokenMagic, browser, max, at(time.Minute))
		must(t, err)
		return n
	}(), 0)
}
