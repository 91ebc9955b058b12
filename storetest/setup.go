package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var setupTests = []test{
	{"ClaimedOnce", testSetupClaimedOnce},
	{"ConcurrentClaims", testSetupConcurrentClaims},
	{"RolledBack", testSetupRolledBack},
}

func testSetupClaimedOnce(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	claimed, err := s.SetupClaimed(ctx, "first-admin")
	must(t, err)
	wantEqual(t, "claimed before", claimed, false)
	must(t, s.ClaimSetup(ctx, "first-admin", at(time.Minute)))
	claimed, err = s.SetupClaimed(ctx, "first-admin")
	must(t, err)
	wantEqual(t, "claimed after", claimed, true)
	wantCode(t, "a second claim", s.ClaimSetup(ctx, "first-admin", at(2*time.Minute)), userdb.ECONFLICT)
	// Steps are apart.
	claimed, err = s.SetupClaimed(ctx, "another")
	must(t, err)
	wantEqual(t, "another step", claimed, false)
	must(t, s.ClaimSetup(ctx, "another", at(time.Minute)))
}

// testSetupConcurrentClaims claims one step from 20 transactions at once:
// exactly one succeeds, the others fail with ECONFLICT.
func testSetupConcurrentClaims(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Tx(ctx, func(tx userdb.Store) error {
				return tx.ClaimSetup(ctx, "first-admin", at(time.Minute))
			})
		})
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !userdb.IsCode(err, userdb.ECONFLICT):
			t.Errorf("a losing claim failed with %v, want ECONFLICT", err)
		}
	}
	wantEqual(t, "claims that succeeded", won, 1)
}

func testSetupRolledBack(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	stop := errors.New("roll back")
	err := s.Tx(ctx, func(tx userdb.Store) error {
		must(t, tx.ClaimSetup(ctx, "first-admin", at(time.Minute)))
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Tx: %v", err)
	}
	claimed, err := s.SetupClaimed(ctx, "first-admin")
	must(t, err)
	wantEqual(t, "claimed after a rollback", claimed, false)
	must(t, s.ClaimSetup(ctx, "first-admin", at(time.Minute)))
}
