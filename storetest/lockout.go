package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var lockoutTests = []test{
	{"ConcurrentFailedLogins", testFailedLoginsConcurrent},
	{"NoThresholdNeverLocks", testFailedLoginsNoThreshold},
	{"OnlyEnabledUsersLock", testFailedLoginsOnlyEnabled},
	{"Unlock", testUnlockUser},
	{"FindLockedUsers", testFindLockedUsers},
}

// testFailedLoginsConcurrent records 100 failed logins at once: the counter
// must be atomic and exactly one call must lock the user.
func testFailedLoginsConcurrent(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const calls, lockAfter = 100, 5
	u := MustCreateUser(t, s, userdb.User{Username: "target"})
	now := at(time.Hour)

	counts := make([]int, calls)
	locked := make([]bool, calls)
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { counts[i], locked[i], errs[i] = s.RecordFailedLogin(ctx, u.ID, now, lockAfter) })
	}
	wg.Wait()

	lockers := 0
	for i := range calls {
		if errs[i] != nil {
			t.Errorf("call %d: %v", i, errs[i])
		}
		if locked[i] {
			lockers++
			wantEqual(t, "count of the locking call", counts[i], lockAfter)
		}
	}
	wantEqual(t, "calls that locked", lockers, 1)
	want := make([]int, calls)
	for i := range want {
		want[i] = i + 1
	}
	wantSeq(t, "counts returned", slices.Sorted(slices.Values(counts)), want)

	got := MustFindUser(t, s, u.ID)
	wantEqual(t, "FailedLogins", got.FailedLogins, calls)
	wantEqual(t, "Status", got.Status, userdb.StatusLocked)
	wantTimePtr(t, "LockedAt", got.LockedAt, &now)
	wantTimePtr(t, "LastFailedLoginAt", got.LastFailedLoginAt, &now)
}

func testFailedLoginsNoThreshold(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "tolerated"})
	for i := range 10 {
		count, locked, err := s.RecordFailedLogin(ctx, u.ID, at(time.Duration(i)*time.Minute), 0)
		must(t, err)
		wantEqual(t, "count", count, i+1)
		wantEqual(t, "locked", locked, false)
	}
	got := MustFindUser(t, s, u.ID)
	wantEqual(t, "FailedLogins", got.FailedLogins, 10)
	wantEqual(t, "Status", got.Status, userdb.StatusEnabled)
	wantTimePtr(t, "LockedAt", got.LockedAt, nil)
	wantTimePtr(t, "LastFailedLoginAt", got.LastFailedLoginAt, ptr(at(9*time.Minute)))
}

func testFailedLoginsOnlyEnabled(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	for _, status := range []userdb.Status{userdb.StatusPending, userdb.StatusDisabled} {
		u := MustCreateUser(t, s, userdb.User{Username: string(status), Status: status})
		for i := range 3 {
			count, locked, err := s.RecordFailedLogin(ctx, u.ID, at(time.Hour), 1)
			must(t, err)
			wantEqual(t, string(status)+" count", count, i+1)
			wantEqual(t, string(status)+" locked", locked, false)
		}
		got := MustFindUser(t, s, u.ID)
		wantEqual(t, "Status", got.Status, status)
		wantTimePtr(t, string(status)+" LockedAt", got.LockedAt, nil)
	}
}

func testUnlockUser(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "locked"})
	for range 2 {
		_, _, err := s.RecordFailedLogin(ctx, u.ID, at(time.Hour), 2)
		must(t, err)
	}
	wantEqual(t, "Status before unlock", MustFindUser(t, s, u.ID).Status, userdb.StatusLocked)

	must(t, s.UnlockUser(ctx, u.ID, at(2*time.Hour)))
	got := MustFindUser(t, s, u.ID)
	wantEqual(t, "Status", got.Status, userdb.StatusEnabled)
	wantEqual(t, "FailedLogins", got.FailedLogins, 0)
	wantTimePtr(t, "LockedAt", got.LockedAt, nil)

	wantCode(t, "second UnlockUser", s.UnlockUser(ctx, u.ID, at(3*time.Hour)), userdb.ECONFLICT)
	never := MustCreateUser(t, s, userdb.User{Username: "never-locked"})
	wantCode(t, "UnlockUser of an enabled user", s.UnlockUser(ctx, never.ID, at(3*time.Hour)), userdb.ECONFLICT)

	// Unlocked, the user can be locked again.
	for range 2 {
		_, _, err := s.RecordFailedLogin(ctx, u.ID, at(4*time.Hour), 2)
		must(t, err)
	}
	got = MustFindUser(t, s, u.ID)
	wantEqual(t, "Status after relocking", got.Status, userdb.StatusLocked)
	wantTimePtr(t, "LockedAt after relocking", got.LockedAt, ptr(at(4*time.Hour)))
}

func testFindLockedUsers(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	lock := func(name string, when time.Time) *userdb.User {
		u := MustCreateUser(t, s, userdb.User{Username: name})
		_, locked, err := s.RecordFailedLogin(ctx, u.ID, when, 1)
		must(t, err)
		wantEqual(t, name+" locked", locked, true)
		return u
	}
	early := lock("early", at(time.Hour))
	late := lock("late", at(2*time.Hour))
	MustCreateUser(t, s, userdb.User{Username: "free"})

	for _, tt := range []struct {
		name  string
		until time.Time
		want  []string
	}{
		{"before both", at(30 * time.Minute), nil},
		{"between", at(90 * time.Minute), []string{early.ID}},
		{"exactly at the later lock", at(2 * time.Hour), []string{early.ID, late.ID}},
		{"after both", at(3 * time.Hour), []string{early.ID, late.ID}},
	} {
		got, err := s.FindLockedUsers(ctx, tt.until)
		must(t, err)
		wantSet(t, tt.name, got, tt.want)
	}
	must(t, s.UnlockUser(ctx, early.ID, at(4*time.Hour)))
	got, err := s.FindLockedUsers(ctx, at(5*time.Hour))
	must(t, err)
	wantSet(t, "after unlocking one", got, []string{late.ID})
}
