package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var mfaTests = []test{
	{"FactorRoundTrip", testFactorRoundTrip},
	{"FactorCounterOnce", testFactorCounterOnce},
	{"FactorKeyUnique", testFactorKeyUnique},
	{"RecoveryCodeOnce", testRecoveryCodeOnce},
	{"MFADevices", testMFADevices},
	{"MFAPolicies", testMFAPolicies},
	{"MFAGrace", testMFAGrace},
}

func newTOTP(userID string, created time.Time) *userdb.Factor {
	return &userdb.Factor{ID: userdb.NewID("fac"), UserID: userID, Kind: userdb.FactorTOTP, Name: "app",
		Secret: []byte("sealed"), CreatedAt: created}
}

func testFactorRoundTrip(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "factors"})
	f := newTOTP(u.ID, at(time.Minute))
	must(t, s.CreateFactor(ctx, f))
	w := &userdb.Factor{ID: userdb.NewID("fac"), UserID: u.ID, Kind: userdb.FactorWebAuthn, Name: "key",
		Data: `{"id":"x"}`, KeyHash: userdb.HashSecret("cred"), ConfirmedAt: ptr(at(2 * time.Minute)), CreatedAt: at(2 * time.Minute)}
	must(t, s.CreateFactor(ctx, w))

	list, err := s.FindUserFactors(ctx, u.ID)
	must(t, err)
	wantEqual(t, "factors", len(list), 2)
	got := list[0]
	wantEqual(t, "first id", got.ID, f.ID)
	wantEqual(t, "kind", got.Kind, userdb.FactorTOTP)
	wantEqual(t, "secret", string(got.Secret), "sealed")
	wantEqual(t, "no key", len(got.KeyHash), 0)
	wantEqual(t, "unconfirmed", got.ConfirmedAt == nil, true)
	wantTime(t, "created", got.CreatedAt, at(time.Minute))

	byKey, err := s.FindFactorByKey(ctx, userdb.HashSecret("cred"))
	must(t, err)
	wantEqual(t, "by key", byKey.ID, w.ID)
	wantEqual(t, "data", byKey.Data, `{"id":"x"}`)
	wantTimePtr(t, "confirmed", byKey.ConfirmedAt, ptr(at(2*time.Minute)))

	// An unconfirmed factor cannot be used; confirming it takes the counter.
	wantCode(t, "use unconfirmed", s.UseFactor(ctx, f.ID, 5, at(3*time.Minute)), userdb.ENOTFOUND)
	must(t, s.ConfirmFactor(ctx, f.ID, 5, at(3*time.Minute)))
	wantCode(t, "confirm twice", s.ConfirmFactor(ctx, f.ID, 6, at(3*time.Minute)), userdb.ENOTFOUND)
	got, err = s.FindFactor(ctx, f.ID)
	must(t, err)
	wantEqual(t, "counter", got.Counter, int64(5))
	wantTimePtr(t, "last used", got.LastUsedAt, ptr(at(3*time.Minute)))

	must(t, s.RenameFactor(ctx, f.ID, "phone"))
	must(t, s.RenameFactor(ctx, f.ID, "phone")) // the same name again
	wantCode(t, "rename unknown", s.RenameFactor(ctx, "fac_missing", "x"), userdb.ENOTFOUND)
	must(t, s.DeleteFactor(ctx, w.ID))
	wantCode(t, "delete twice", s.DeleteFactor(ctx, w.ID), userdb.ENOTFOUND)
	_, err = s.FindFactor(ctx, w.ID)
	wantCode(t, "deleted", err, userdb.ENOTFOUND)
	n, err := s.DeleteUserFactors(ctx, u.ID)
	must(t, err)
	wantEqual(t, "deleted for the user", n, 1)
	wantCode(t, "unknown user", s.CreateFactor(ctx, newTOTP("usr_missing", at(0))), userdb.ENOTFOUND)
}

// testFactorCounterOnce uses one TOTP step from 20 callers at once: one
// succeeds; the step, and an older one, are refused afterwards.
func testFactorCounterOnce(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "factors"})
	f := newTOTP(u.ID, at(0))
	must(t, s.CreateFactor(ctx, f))
	must(t, s.ConfirmFactor(ctx, f.ID, 100, at(0)))
	const calls = 20
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { errs[i] = s.UseFactor(ctx, f.ID, 101, at(time.Minute)) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, "a losing use", err, userdb.ECONFLICT)
		}
	}
	wantEqual(t, "successful uses", ok, 1)
	wantCode(t, "an older step", s.UseFactor(ctx, f.ID, 100, at(time.Minute)), userdb.ECONFLICT)
	must(t, s.UseFactor(ctx, f.ID, 102, at(time.Minute)))
	wantCode(t, "unknown factor", s.UseFactor(ctx, "fac_missing", 1, at(time.Minute)), userdb.ENOTFOUND)

	// A passkey whose counter stays 0 (synced) records each use's time;
	// once it counts, 0 is an older counter like any other.
	p := &userdb.Factor{ID: userdb.NewID("fac"), UserID: u.ID, Kind: userdb.FactorWebAuthn, KeyHash: userdb.HashSecret("synced"),
		ConfirmedAt: ptr(at(0)), CreatedAt: at(0)}
	must(t, s.CreateFactor(ctx, p))
	must(t, s.UseFactor(ctx, p.ID, 0, at(2*time.Minute)))
	must(t, s.UseFactor(ctx, p.ID, 0, at(3*time.Minute)))
	got, err := s.FindFactor(ctx, p.ID)
	must(t, err)
	wantTimePtr(t, "synced passkey's last use", got.LastUsedAt, ptr(at(3*time.Minute)))
	must(t, s.UseFactor(ctx, p.ID, 1, at(4*time.Minute)))
	wantCode(t, "0 after counting", s.UseFactor(ctx, p.ID, 0, at(5*time.Minute)), userdb.ECONFLICT)
}

func testFactorKeyUnique(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "factors"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	mk := func(userID string) *userdb.Factor {
		return &userdb.Factor{ID: userdb.NewID("fac"), UserID: userID, Kind: userdb.FactorWebAuthn, KeyHash: userdb.HashSecret("same"), CreatedAt: at(0)}
	}
	must(t, s.CreateFactor(ctx, mk(u.ID)))
	wantCode(t, "a taken key", s.CreateFactor(ctx, mk(other.ID)), userdb.ECONFLICT)
	// Factors without a key do not collide.
	must(t, s.CreateFactor(ctx, newTOTP(u.ID, at(0))))
	must(t, s.CreateFactor(ctx, newTOTP(other.ID, at(0))))
}

func testRecoveryCodeOnce(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "codes"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	codes := [][]byte{userdb.HashSecret("a"), userdb.HashSecret("b"), userdb.HashSecret("c")}
	must(t, s.ReplaceRecoveryCodes(ctx, u.ID, codes, at(0)))
	n, err := s.CountRecoveryCodes(ctx, u.ID)
	must(t, err)
	wantEqual(t, "unused", n, 3)
	wantCode(t, "another user's code", s.UseRecoveryCode(ctx, other.ID, codes[0], at(time.Minute)), userdb.ENOTFOUND)

	const calls = 20
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { errs[i] = s.UseRecoveryCode(ctx, u.ID, codes[0], at(time.Minute)) })
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
	n, err = s.CountRecoveryCodes(ctx, u.ID)
	must(t, err)
	wantEqual(t, "unused after one use", n, 2)

	must(t, s.ReplaceRecoveryCodes(ctx, u.ID, [][]byte{userdb.HashSecret("d")}, at(time.Hour)))
	wantCode(t, "an old code after replacing", s.UseRecoveryCode(ctx, u.ID, codes[1], at(time.Hour)), userdb.ENOTFOUND)
	must(t, s.UseRecoveryCode(ctx, u.ID, userdb.HashSecret("d"), at(time.Hour)))
	wantCode(t, "codes of an unknown user", s.ReplaceRecoveryCodes(ctx, "usr_missing", codes, at(0)), userdb.ENOTFOUND)
}

func testMFADevices(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "devices"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	h := userdb.HashSecret("remember")
	must(t, s.CreateMFADevice(ctx, &userdb.MFADevice{TokenHash: h, UserID: u.ID, CreatedAt: at(0), ExpiresAt: at(time.Hour), IP: "192.0.2.1"}))
	d, err := s.FindMFADevice(ctx, u.ID, h, at(time.Minute))
	must(t, err)
	wantEqual(t, "hash", bytes.Equal(d.TokenHash, h), true)
	wantTime(t, "expires", d.ExpiresAt, at(time.Hour))
	_, err = s.FindMFADevice(ctx, other.ID, h, at(time.Minute))
	wantCode(t, "another user", err, userdb.ENOTFOUND)
	_, err = s.FindMFADevice(ctx, u.ID, h, at(time.Hour))
	wantCode(t, "expired", err, userdb.ENOTFOUND)
	n, err := s.DeleteExpiredMFADevices(ctx, at(2*time.Hour))
	must(t, err)
	wantEqual(t, "swept", n, 1)
	must(t, s.CreateMFADevice(ctx, &userdb.MFADevice{TokenHash: h, UserID: u.ID, CreatedAt: at(0), ExpiresAt: at(time.Hour)}))
	n, err = s.DeleteUserMFADevices(ctx, u.ID)
	must(t, err)
	wantEqual(t, "forgotten", n, 1)
}

func testMFAPolicies(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	must(t, s.SetMFAPolicy(ctx, "acc_a", userdb.MFARequired, at(0)))
	must(t, s.SetMFAPolicy(ctx, "rol_b", userdb.MFAOptional, at(0)))
	must(t, s.SetMFAPolicy(ctx, "rol_b", userdb.MFAOff, at(time.Minute)))
	got, err := s.FindMFAPolicies(ctx, []string{"acc_a", "rol_b", "rol_c"})
	must(t, err)
	wantEqual(t, "policies", len(got), 2)
	wantEqual(t, "account", got["acc_a"], userdb.MFARequired)
	wantEqual(t, "role", got["rol_b"], userdb.MFAOff)
	must(t, s.SetMFAPolicy(ctx, "acc_a", "", at(time.Minute)))
	got, err = s.FindMFAPolicies(ctx, []string{"acc_a"})
	must(t, err)
	wantEqual(t, "removed", len(got), 0)
	wantCode(t, "a bad policy", s.SetMFAPolicy(ctx, "acc_a", "sometimes", at(0)), userdb.EINVALID)
}

func testMFAGrace(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "grace"})
	start, err := s.StartMFAGrace(ctx, u.ID, at(time.Minute))
	must(t, err)
	wantTime(t, "start", start, at(time.Minute))
	start, err = s.StartMFAGrace(ctx, u.ID, at(time.Hour))
	must(t, err)
	wantTime(t, "start kept", start, at(time.Minute))
	must(t, s.EndMFAGrace(ctx, u.ID))
	start, err = s.StartMFAGrace(ctx, u.ID, at(time.Hour))
	must(t, err)
	wantTime(t, "start again", start, at(time.Hour))
	_, err = s.StartMFAGrace(ctx, "usr_missing", at(0))
	wantCode(t, "unknown user", err, userdb.ENOTFOUND)
}
