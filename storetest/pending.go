package storetest

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var pendingTests = []test{
	{"RoundTrip", testPendingRoundTrip},
	{"UsedOnce", testPendingUsedOnce},
	{"Expiry", testPendingExpiry},
	{"Conflicts", testPendingConflicts},
	{"DeleteUser", testPendingDeleteUser},
}

func newPending(userID string, stage userdb.PendingStage, created time.Time) *userdb.PendingLogin {
	_, hash := userdb.NewSecret()
	return &userdb.PendingLogin{
		ID: userdb.NewID("pnd"), TokenHash: hash, UserID: userID, Stage: stage,
		AMR: []string{"pwd"}, DeviceHash: userdb.HashSecret("device"),
		CreatedAt: created, ExpiresAt: created.Add(5 * time.Minute),
	}
}

func testPendingRoundTrip(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "pending"})
	p := newPending(u.ID, userdb.PendingMFA, at(time.Minute))
	must(t, s.CreatePendingLogin(ctx, p))
	got, err := s.FindPendingLogin(ctx, p.TokenHash, at(2*time.Minute))
	must(t, err)
	wantEqual(t, "id", got.ID, p.ID)
	wantEqual(t, "user", got.UserID, u.ID)
	wantEqual(t, "stage", got.Stage, userdb.PendingMFA)
	wantSeq(t, "amr", got.AMR, []string{"pwd"})
	wantEqual(t, "device hash", bytes.Equal(got.DeviceHash, p.DeviceHash), true)
	wantTime(t, "created", got.CreatedAt, at(time.Minute))
	wantTime(t, "expires", got.ExpiresAt, at(6*time.Minute))

	// Without a device: nil comes back.
	q := newPending(u.ID, userdb.PendingPasswordChange, at(time.Minute))
	q.DeviceHash = nil
	must(t, s.CreatePendingLogin(ctx, q))
	got, err = s.FindPendingLogin(ctx, q.TokenHash, at(2*time.Minute))
	must(t, err)
	wantEqual(t, "stage", got.Stage, userdb.PendingPasswordChange)
	wantEqual(t, "no device hash", len(got.DeviceHash), 0)
	wantEqual(t, "remember, not asked", got.Remember, false)

	// "Keep me signed in" is carried to the session.
	r := newPending(u.ID, userdb.PendingMFA, at(time.Minute))
	r.Remember = true
	must(t, s.CreatePendingLogin(ctx, r))
	got, err = s.FindPendingLogin(ctx, r.TokenHash, at(2*time.Minute))
	must(t, err)
	wantEqual(t, "remember", got.Remember, true)

	_, err = s.FindPendingLogin(ctx, userdb.HashSecret("unknown"), at(2*time.Minute))
	wantCode(t, "unknown hash", err, userdb.ENOTFOUND)
}

// testPendingUsedOnce uses one pending sign-in from 20 callers at once:
// exactly one succeeds, and it is gone afterwards.
func testPendingUsedOnce(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "pending"})
	p := newPending(u.ID, userdb.PendingMFA, at(time.Minute))
	must(t, s.CreatePendingLogin(ctx, p))
	const calls = 20
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { errs[i] = s.UsePendingLogin(ctx, p.ID, at(2*time.Minute)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, "a losing use", err, userdb.ENOTFOUND)
		}
	}
	wantEqual(t, "successful uses", ok, 1)
	_, err := s.FindPendingLogin(ctx, p.TokenHash, at(2*time.Minute))
	wantCode(t, "used", err, userdb.ENOTFOUND)
}

func testPendingExpiry(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "pending"})
	p := newPending(u.ID, userdb.PendingMFA, at(time.Minute))
	must(t, s.CreatePendingLogin(ctx, p))
	late := at(6 * time.Minute) // == ExpiresAt: expired
	_, err := s.FindPendingLogin(ctx, p.TokenHash, late)
	wantCode(t, "find at expiry", err, userdb.ENOTFOUND)
	wantCode(t, "use at expiry", s.UsePendingLogin(ctx, p.ID, late), userdb.ENOTFOUND)

	fresh := newPending(u.ID, userdb.PendingMFA, at(10*time.Minute))
	must(t, s.CreatePendingLogin(ctx, fresh))
	n, err := s.DeleteExpiredPendingLogins(ctx, at(7*time.Minute))
	must(t, err)
	wantEqual(t, "expired removed", n, 1)
	_, err = s.FindPendingLogin(ctx, fresh.TokenHash, at(11*time.Minute))
	must(t, err)
}

func testPendingConflicts(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "pending"})
	p := newPending(u.ID, userdb.PendingMFA, at(time.Minute))
	must(t, s.CreatePendingLogin(ctx, p))
	same := newPending(u.ID, userdb.PendingMFA, at(time.Minute))
	same.TokenHash = slices.Clone(p.TokenHash)
	wantCode(t, "taken token hash", s.CreatePendingLogin(ctx, same), userdb.ECONFLICT)
	orphan := newPending("usr_missing", userdb.PendingMFA, at(time.Minute))
	wantCode(t, "unknown user", s.CreatePendingLogin(ctx, orphan), userdb.ENOTFOUND)
	wantCode(t, "use unknown", s.UsePendingLogin(ctx, "pnd_missing", at(time.Minute)), userdb.ENOTFOUND)
}

func testPendingDeleteUser(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "pending"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	for range 2 {
		must(t, s.CreatePendingLogin(ctx, newPending(u.ID, userdb.PendingMFA, at(time.Minute))))
	}
	keep := newPending(other.ID, userdb.PendingMFA, at(time.Minute))
	must(t, s.CreatePendingLogin(ctx, keep))
	n, err := s.DeleteUserPendingLogins(ctx, u.ID)
	must(t, err)
	wantEqual(t, "removed", n, 2)
	_, err = s.FindPendingLogin(ctx, keep.TokenHash, at(2*time.Minute))
	must(t, err)
}
