package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var protectionTests = []test{
	{"DeviceNewOnce", testDeviceNewOnce},
	{"DeviceTouchAndForget", testDeviceTouchAndForget},
	{"DeviceUnknownUser", testDeviceUnknownUser},
	{"PasswordsSetBetween", testPasswordsSetBetween},
	{"PasswordWarningClaimedOnce", testPasswordWarningClaimedOnce},
}

// testDeviceNewOnce signs in from one new device 20 times at once: exactly
// one call sees it new (one new-device notice).
func testDeviceNewOnce(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "devices"})
	hash := userdb.HashSecret("device-1")
	n := countWins(t, 20, func() (bool, error) {
		return s.TouchDevice(ctx, &userdb.Device{UserID: u.ID, DeviceHash: hash, LastSeenAt: at(time.Minute), IP: "127.0.0.1"})
	})
	wantEqual(t, "calls that saw the device new", n, 1)
}

func testDeviceTouchAndForget(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "devices"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	hash := userdb.HashSecret("device-1")
	_, err := s.FindDevice(ctx, u.ID, hash)
	wantCode(t, "unknown device", err, userdb.ENOTFOUND)

	created, err := s.TouchDevice(ctx, &userdb.Device{UserID: u.ID, DeviceHash: hash, LastSeenAt: at(time.Minute), IP: "10.0.0.1", UserAgent: "ua-1"})
	must(t, err)
	wantEqual(t, "first touch created", created, true)
	created, err = s.TouchDevice(ctx, &userdb.Device{UserID: u.ID, DeviceHash: hash, LastSeenAt: at(time.Hour), IP: "10.0.0.2", UserAgent: "ua-2"})
	must(t, err)
	wantEqual(t, "second touch created", created, false)
	d, err := s.FindDevice(ctx, u.ID, hash)
	must(t, err)
	wantTime(t, "created", d.CreatedAt, at(time.Minute))
	wantTime(t, "last seen", d.LastSeenAt, at(time.Hour))
	wantEqual(t, "ip", d.IP, "10.0.0.2")
	wantEqual(t, "user agent", d.UserAgent, "ua-2")

	// A device is known per user: the same browser is new for another.
	created, err = s.TouchDevice(ctx, &userdb.Device{UserID: other.ID, DeviceHash: hash, LastSeenAt: at(time.Hour)})
	must(t, err)
	wantEqual(t, "same device, other user, created", created, true)

	n, err := s.DeleteUserDevices(ctx, u.ID)
	must(t, err)
	wantEqual(t, "devices forgotten", n, 1)
	_, err = s.FindDevice(ctx, u.ID, hash)
	wantCode(t, "forgotten device", err, userdb.ENOTFOUND)
	_, err = s.FindDevice(ctx, other.ID, hash)
	must(t, err)
}

func testDeviceUnknownUser(t *testing.T, s userdb.Store) {
	_, err := s.TouchDevice(t.Context(), &userdb.Device{UserID: "usr_missing", DeviceHash: userdb.HashSecret("d"), LastSeenAt: at(0)})
	wantCode(t, "device of an unknown user", err, userdb.ENOTFOUND)
	_, err = s.ClaimPasswordWarning(t.Context(), "usr_missing", at(0), time.Hour, at(time.Hour))
	wantCode(t, "warning of an unknown user", err, userdb.ENOTFOUND)
}

func testPasswordsSetBetween(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	changed := func(d time.Duration) *time.Time { x := at(d); return &x }
	MustCreateUser(t, s, userdb.User{Username: "early", PasswordHash: "h", PasswordChangedAt: changed(time.Hour)})
	MustCreateUser(t, s, userdb.User{Username: "inside", PasswordHash: "h", PasswordChangedAt: changed(3 * time.Hour)})
	MustCreateUser(t, s, userdb.User{Username: "edge", PasswordHash: "h", PasswordChangedAt: changed(4 * time.Hour)})
	MustCreateUser(t, s, userdb.User{Username: "nopassword", PasswordChangedAt: changed(3 * time.Hour)})
	MustCreateUser(t, s, userdb.User{Username: "late", PasswordHash: "h", PasswordChangedAt: changed(5 * time.Hour)})
	// Never changed: the creation time counts.
	MustCreateUser(t, s, userdb.User{Username: "created", PasswordHash: "h", CreatedAt: at(2 * time.Hour), UpdatedAt: at(2 * time.Hour)})

	us, err := s.FindPasswordsSetBetween(ctx, at(2*time.Hour), at(4*time.Hour), 10)
	must(t, err)
	wantSeq(t, "users", usernames(us), []string{"created", "inside", "edge"})
	us, err = s.FindPasswordsSetBetween(ctx, at(2*time.Hour), at(4*time.Hour), 2)
	must(t, err)
	wantSeq(t, "users, limited", usernames(us), []string{"created", "inside"})
}

// testPasswordWarningClaimedOnce claims one warning from 20 callers at once
// (several nodes running the job): one wins. Another warning of the same
// password, or the same warning of a newer password, is a claim of its own.
func testPasswordWarningClaimedOnce(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "expiring", PasswordHash: "h"})
	n := countWins(t, 20, func() (bool, error) {
		return s.ClaimPasswordWarning(ctx, u.ID, at(0), 72*time.Hour, at(time.Hour))
	})
	wantEqual(t, "claims won", n, 1)
	ok, err := s.ClaimPasswordWarning(ctx, u.ID, at(0), 14*24*time.Hour, at(time.Hour))
	must(t, err)
	wantEqual(t, "other warning claimed", ok, true)
	ok, err = s.ClaimPasswordWarning(ctx, u.ID, at(time.Minute), 72*time.Hour, at(time.Hour))
	must(t, err)
	wantEqual(t, "newer password's warning claimed", ok, true)
}
