package storetest

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var tokenTests = []test{
	{"NotFoundAndConflict", testTokenNotFound},
	{"FindDoesNotConsume", testFindTokenDoesNotConsume},
	{"ConcurrentConsume", testConsumeTokenConcurrent},
	{"Expired", testTokenExpired},
	{"WrongKind", testTokenWrongKind},
	{"DeleteUserTokens", testDeleteUserTokens},
	{"EmailChange", testTokenEmail},
	{"DeleteExpired", testDeleteExpiredTokens},
	{"BrowserAndCode", testTokenBrowserCode},
	{"CodeAttemptsConcurrent", testTokenAttemptsConcurrent},
}

// testTokenEmail stores the new address an email-change token confirms and
// returns it from FindToken and ConsumeToken; other tokens carry none.
func testTokenEmail(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	_, hash := userdb.NewSecret()
	tok := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenEmailChange, UserID: u.ID,
		Email: "New.Address@Example.com", CreatedAt: base, ExpiresAt: at(time.Hour)}
	must(t, s.CreateToken(ctx, tok))
	got, err := s.FindToken(ctx, userdb.TokenEmailChange, hash, at(time.Minute))
	must(t, err)
	wantEqual(t, "Email", got.Email, "New.Address@Example.com")
	_, err = s.FindToken(ctx, userdb.TokenVerify, hash, at(time.Minute))
	wantCode(t, "FindToken of another kind", err, userdb.ENOTFOUND)
	got, err = s.ConsumeToken(ctx, userdb.TokenEmailChange, hash, at(2*time.Minute))
	must(t, err)
	wantEqual(t, "consumed token's Email", got.Email, "New.Address@Example.com")
	_, err = s.ConsumeToken(ctx, userdb.TokenEmailChange, hash, at(3*time.Minute))
	wantCode(t, "ConsumeToken twice", err, userdb.ENOTFOUND)

	plain := MustCreateToken(t, s, u.ID, userdb.TokenReset, at(time.Hour))
	got, err = s.FindToken(ctx, userdb.TokenReset, plain.TokenHash, at(time.Minute))
	must(t, err)
	wantEqual(t, "Email of a reset token", got.Email, "")

	_, hash = userdb.NewSecret()
	long := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenEmailChange, UserID: u.ID,
		Email: strings.Repeat("a", userdb.MaxEmailLen) + "@example.com", CreatedAt: base, ExpiresAt: at(time.Hour)}
	wantCode(t, "CreateToken with a too long email", s.CreateToken(ctx, long), userdb.EINVALID)
}

func testTokenNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	_, hash := userdb.NewSecret()
	_, err := s.FindToken(ctx, userdb.TokenVerify, hash, base)
	wantCode(t, "FindToken", err, userdb.ENOTFOUND)
	_, err = s.ConsumeToken(ctx, userdb.TokenVerify, hash, base)
	wantCode(t, "ConsumeToken", err, userdb.ENOTFOUND)

	tok := MustCreateToken(t, s, u.ID, userdb.TokenVerify, at(time.Hour))
	dup := *tok
	wantCode(t, "CreateToken with a taken hash", s.CreateToken(ctx, &dup), userdb.ECONFLICT)
}

func testFindTokenDoesNotConsume(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	tok := MustCreateToken(t, s, u.ID, userdb.TokenReset, at(time.Hour))
	for range 2 {
		got, err := s.FindToken(ctx, userdb.TokenReset, tok.TokenHash, at(time.Minute))
		must(t, err)
		wantEqual(t, "UserID", got.UserID, u.ID)
		wantEqual(t, "Kind", got.Kind, userdb.TokenReset)
		if !bytes.Equal(got.TokenHash, tok.TokenHash) {
			t.Errorf("TokenHash = %x, want %x", got.TokenHash, tok.TokenHash)
		}
		wantTime(t, "CreatedAt", got.CreatedAt, tok.CreatedAt)
		wantTime(t, "ExpiresAt", got.ExpiresAt, tok.ExpiresAt)
		wantTimePtr(t, "ConsumedAt", got.ConsumedAt, nil)
	}
	got, err := s.ConsumeToken(ctx, userdb.TokenReset, tok.TokenHash, at(2*time.Minute))
	must(t, err)
	wantEqual(t, "consumed token's user", got.UserID, u.ID)
	wantTimePtr(t, "ConsumedAt", got.ConsumedAt, ptr(at(2*time.Minute)))

	_, err = s.FindToken(ctx, userdb.TokenReset, tok.TokenHash, at(3*time.Minute))
	wantCode(t, "FindToken after consume", err, userdb.ENOTFOUND)
	_, err = s.ConsumeToken(ctx, userdb.TokenReset, tok.TokenHash, at(3*time.Minute))
	wantCode(t, "ConsumeToken twice", err, userdb.ENOTFOUND)
}

// testConsumeTokenConcurrent uses one token from 50 goroutines at once:
// exactly one may win.
func testConsumeTokenConcurrent(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const n = 50
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	tok := MustCreateToken(t, s, u.ID, userdb.TokenMagic, at(time.Hour))

	got := make([]*userdb.OneTimeToken, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = s.ConsumeToken(ctx, userdb.TokenMagic, tok.TokenHash, at(time.Minute)) })
	}
	wg.Wait()

	wins, losses := 0, 0
	for i := range n {
		switch userdb.ErrorCode(errs[i]) {
		case "":
			wins++
			wantEqual(t, "winner's UserID", got[i].UserID, u.ID)
		case userdb.ENOTFOUND:
			losses++
		default:
			t.Errorf("call %d: %v, want success or %s", i, errs[i], userdb.ENOTFOUND)
		}
	}
	wantEqual(t, "successful consumes", wins, 1)
	wantEqual(t, "not-found consumes", losses, n-1)
}

func testTokenExpired(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	tok := MustCreateToken(t, s, u.ID, userdb.TokenVerify, at(time.Hour))
	_, err := s.FindToken(ctx, userdb.TokenVerify, tok.TokenHash, at(time.Hour+time.Second))
	wantCode(t, "FindToken after expiry", err, userdb.ENOTFOUND)
	_, err = s.ConsumeToken(ctx, userdb.TokenVerify, tok.TokenHash, at(time.Hour+time.Second))
	wantCode(t, "ConsumeToken after expiry", err, userdb.ENOTFOUND)
	// The failed attempts used nothing up: before expiry it still works.
	_, err = s.ConsumeToken(ctx, userdb.TokenVerify, tok.TokenHash, at(time.Hour-time.Second))
	must(t, err)
}

func testTokenWrongKind(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	tok := MustCreateToken(t, s, u.ID, userdb.TokenVerify, at(time.Hour))
	_, err := s.FindToken(ctx, userdb.TokenReset, tok.TokenHash, base)
	wantCode(t, "FindToken of another kind", err, userdb.ENOTFOUND)
	_, err = s.ConsumeToken(ctx, userdb.TokenReset, tok.TokenHash, base)
	wantCode(t, "ConsumeToken of another kind", err, userdb.ENOTFOUND)
	_, err = s.ConsumeToken(ctx, userdb.TokenVerify, tok.TokenHash, base)
	must(t, err)
}

func testDeleteUserTokens(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	v1 := MustCreateToken(t, s, u.ID, userdb.TokenVerify, at(time.Hour))
	v2 := MustCreateToken(t, s, u.ID, userdb.TokenVerify, at(time.Hour))
	reset := MustCreateToken(t, s, u.ID, userdb.TokenReset, at(time.Hour))
	otherVerify := MustCreateToken(t, s, other.ID, userdb.TokenVerify, at(time.Hour))

	must(t, s.DeleteUserTokens(ctx, u.ID, userdb.TokenVerify))
	for _, tok := range []*userdb.OneTimeToken{v1, v2} {
		_, err := s.FindToken(ctx, userdb.TokenVerify, tok.TokenHash, base)
		wantCode(t, "FindToken of a deleted token", err, userdb.ENOTFOUND)
	}
	_, err := s.FindToken(ctx, userdb.TokenReset, reset.TokenHash, base)
	must(t, err)
	_, err = s.FindToken(ctx, userdb.TokenVerify, otherVerify.TokenHash, base)
	must(t, err)
	must(t, s.DeleteUserTokens(ctx, "usr_missing", userdb.TokenVerify))
}

// testDeleteExpiredTokens removes the tokens expired at the given time,
// used or not, and keeps the others; two sweeps at once remove each token
// once between them.
func testDeleteExpiredTokens(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	create := func(expires time.Duration) []byte {
		_, hash := userdb.NewSecret()
		must(t, s.CreateToken(ctx, &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenReset, UserID: u.ID,
			CreatedAt: base, ExpiresAt: at(expires)}))
		return hash
	}
	expired, used, alive := create(time.Hour), create(2*time.Hour), create(5*time.Hour)
	_, err := s.ConsumeToken(ctx, userdb.TokenReset, used, at(time.Minute))
	must(t, err)

	n, err := s.DeleteExpiredTokens(ctx, at(90*time.Minute))
	must(t, err)
	wantEqual(t, "tokens expired at 1h30", n, 1)
	_, err = s.ConsumeToken(ctx, userdb.TokenReset, expired, at(30*time.Minute))
	wantCode(t, "ConsumeToken of a swept token, before its expiry", err, userdb.ENOTFOUND)
	n, err = s.DeleteExpiredTokens(ctx, at(3*time.Hour))
	must(t, err)
	wantEqual(t, "tokens expired at 3h (the used one)", n, 1)
	_, err = s.FindToken(ctx, userdb.TokenReset, alive, at(3*time.Hour))
	must(t, err)

	// Many tokens, two sweeps at once: each token is counted by one.
	const many = 350
	for range many {
		create(4 * time.Hour)
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	errs := make([]error, 2)
	for i := range counts {
		wg.Add(1)
		go func() { defer wg.Done(); counts[i], errs[i] = s.DeleteExpiredTokens(ctx, at(4*time.Hour)) }()
	}
	wg.Wait()
	must(t, errs[0])
	must(t, errs[1])
	wantEqual(t, "tokens removed by two concurrent sweeps", counts[0]+counts[1], many)
	_, err = s.FindToken(ctx, userdb.TokenReset, alive, at(4*time.Hour))
	must(t, err)
}
