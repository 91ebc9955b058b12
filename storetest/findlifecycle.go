package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// The filters Okta's lifecycle statuses and filter expressions are built on
// (internal/okta): field matches, update times, deactivation, passwords.
var findUserLifecycleTests = []test{
	{"Match", testFindUsersMatch},
	{"UpdatedRange", testFindUsersUpdated},
	{"DeactivatedAndPasswords", testFindUsersLifecycle},
}

func testFindUsersMatch(t *testing.T, s userdb.Store) {
	ada := MustCreateUser(t, s, userdb.User{Username: "ada", Email: "Ada.L@Example.com", GivenName: "Ada", Surname: "Lovelace"})
	MustCreateUser(t, s, userdb.User{Username: "adam", Email: "adam@example.com", GivenName: "Adam", Surname: "Love"})
	MustCreateUser(t, s, userdb.User{Username: "bea_x", Email: "bea@example.org", GivenName: "Bea", Surname: "Lovelace"})
	match := func(field string, prefix bool, v string) userdb.UserFilter {
		return userdb.UserFilter{Match: []userdb.FieldMatch{{Field: field, Prefix: prefix, Value: v}}}
	}
	wantUsers(t, s, match(userdb.MatchSurname, false, "LOVELACE"), "ada", "bea_x")
	wantUsers(t, s, match(userdb.MatchSurname, true, "love"), "ada", "adam", "bea_x")
	wantUsers(t, s, match(userdb.MatchGivenName, false, "ada"), "ada")
	wantUsers(t, s, match(userdb.MatchEmail, false, "ada.l@example.COM"), "ada")
	wantUsers(t, s, match(userdb.MatchEmail, true, "ada"), "ada", "adam")
	wantUsers(t, s, match(userdb.MatchUsername, false, "adam"), "adam")
	wantUsers(t, s, match(userdb.MatchID, false, ada.ID), "ada")
	// Wildcards are literal.
	wantUsers(t, s, match(userdb.MatchUsername, true, "bea_"), "bea_x")
	wantUsers(t, s, match(userdb.MatchUsername, true, "ad%"))
	wantUsers(t, s, match(userdb.MatchUsername, true, "a_a"))
	// Every match must hold.
	wantUsers(t, s, userdb.UserFilter{Match: []userdb.FieldMatch{
		{Field: userdb.MatchSurname, Value: "lovelace"}, {Field: userdb.MatchGivenName, Prefix: true, Value: "a"}}}, "ada")

	for _, bad := range []userdb.FieldMatch{
		{Field: "password_hash", Value: "x"},
		{Field: userdb.MatchID, Prefix: true, Value: "usr_"},
		{Field: userdb.MatchEmail, Prefix: true, Value: ""},
	} {
		_, _, err := s.FindUsers(t.Context(), userdb.UserFilter{Match: []userdb.FieldMatch{bad}})
		wantCode(t, "FindUsers matching "+bad.Field, err, userdb.EINVALID)
		_, err = s.CountUsers(t.Context(), userdb.UserFilter{Match: []userdb.FieldMatch{bad}}, 0)
		wantCode(t, "CountUsers matching "+bad.Field, err, userdb.EINVALID)
	}
}

func testFindUsersUpdated(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	MustCreateUser(t, s, userdb.User{Username: "old", CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)})
	mid := MustCreateUser(t, s, userdb.User{Username: "mid", CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)})
	MustCreateUser(t, s, userdb.User{Username: "new", CreatedAt: at(3 * time.Hour), UpdatedAt: at(3 * time.Hour)})
	_, err := s.UpdateUser(ctx, mid.ID, userdb.UserUpdate{GivenName: ptr("Mid")}, at(2*time.Hour))
	must(t, err)
	wantUsers(t, s, userdb.UserFilter{UpdatedAfter: ptr(at(90 * time.Minute))}, "mid", "new")
	wantUsers(t, s, userdb.UserFilter{UpdatedAfter: ptr(at(2 * time.Hour))}, "new")
	wantUsers(t, s, userdb.UserFilter{UpdatedBefore: ptr(at(2 * time.Hour))}, "old")
	wantUsers(t, s, userdb.UserFilter{UpdatedAfter: ptr(at(time.Hour)), UpdatedBefore: ptr(at(3 * time.Hour))}, "mid")
}

func testFindUsersLifecycle(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	MustCreateUser(t, s, userdb.User{Username: "active", PasswordHash: "h", PasswordChangedAt: ptr(at(10 * time.Hour))})
	MustCreateUser(t, s, userdb.User{Username: "marked", PasswordHash: "h", PasswordChangedAt: ptr(at(10 * time.Hour)), PasswordMustChange: true})
	MustCreateUser(t, s, userdb.User{Username: "aged", PasswordHash: "h", PasswordChangedAt: ptr(at(time.Hour))})
	MustCreateUser(t, s, userdb.User{Username: "never-changed", PasswordHash: "h", CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour)})
	MustCreateUser(t, s, userdb.User{Username: "invited", Status: userdb.StatusPending})
	gone := MustCreateUser(t, s, userdb.User{Username: "gone", PasswordHash: "h", Status: userdb.StatusDisabled})
	MustCreateUser(t, s, userdb.User{Username: "suspended", PasswordHash: "h", Status: userdb.StatusDisabled, PasswordChangedAt: ptr(at(10 * time.Hour))})

	got, err := s.UpdateUser(ctx, gone.ID, userdb.UserUpdate{DeactivatedAt: ptr(local(4 * time.Hour))}, at(5*time.Hour))
	must(t, err)
	wantTimePtr(t, "DeactivatedAt after update", got.DeactivatedAt, ptr(local(4*time.Hour)))
	wantTimePtr(t, "DeactivatedAt as stored", MustFindUser(t, s, gone.ID).DeactivatedAt, ptr(local(4*time.Hour)))

	wantUsers(t, s, userdb.UserFilter{Deactivated: ptr(true)}, "gone")
	wantUsers(t, s, userdb.UserFilter{Status: userdb.StatusDisabled, Deactivated: ptr(false)}, "suspended")
	wantUsers(t, s, userdb.UserFilter{HasPassword: ptr(false)}, "invited")
	wantUsers(t, s, userdb.UserFilter{Status: userdb.StatusEnabled, HasPassword: ptr(true)}, "active", "marked", "aged", "never-changed")

	enabled := userdb.UserFilter{Status: userdb.StatusEnabled}
	expired, fresh := enabled, enabled
	expired.PasswordExpired, fresh.PasswordExpired = ptr(true), ptr(false)
	wantUsers(t, s, expired, "marked")
	wantUsers(t, s, fresh, "active", "aged", "never-changed")
	expired.PasswordSetBefore, fresh.PasswordSetBefore = ptr(at(2*time.Hour)), ptr(at(2*time.Hour))
	wantUsers(t, s, expired, "marked", "aged", "never-changed")
	wantUsers(t, s, fresh, "active")
	// A user without a password has nothing to expire.
	wantUsers(t, s, userdb.UserFilter{Status: userdb.StatusPending, PasswordExpired: ptr(false), PasswordSetBefore: ptr(at(100 * time.Hour))}, "invited")

	got, err = s.UpdateUser(ctx, gone.ID, userdb.UserUpdate{ClearDeactivated: true}, at(6*time.Hour))
	must(t, err)
	wantTimePtr(t, "DeactivatedAt after clearing", got.DeactivatedAt, nil)
	wantUsers(t, s, userdb.UserFilter{Deactivated: ptr(true)})
}
