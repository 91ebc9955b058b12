package storetest

import (
	"cmp"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// must fails the test at once when err is not nil.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// wantCode reports an error unless err carries the code.
func wantCode(tb testing.TB, what string, err error, code string) {
	tb.Helper()
	if got := userdb.ErrorCode(err); got != code {
		tb.Errorf("%s: got error %v (code %q), want code %q", what, err, got, code)
	}
}

// sameInstant reports whether a and b are less than a microsecond apart,
// the precision stores must keep.
func sameInstant(a, b time.Time) bool {
	d := a.Sub(b)
	return d > -time.Microsecond && d < time.Microsecond
}

// wantTime reports an error unless got is want, to the microsecond, in UTC.
func wantTime(tb testing.TB, what string, got, want time.Time) {
	tb.Helper()
	if !sameInstant(got, want) {
		tb.Errorf("%s = %v, want %v", what, got, want.UTC())
	} else if got.Location() != time.UTC {
		tb.Errorf("%s = %v, want it in UTC", what, got)
	}
}

// wantTimePtr is wantTime for optional times: nil must stay nil.
func wantTimePtr(tb testing.TB, what string, got, want *time.Time) {
	tb.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil:
		tb.Errorf("%s = nil, want %v", what, want.UTC())
	case want == nil:
		tb.Errorf("%s = %v, want nil", what, *got)
	default:
		wantTime(tb, what, *got, *want)
	}
}

// wantEqual reports an error unless got equals want.
func wantEqual[T comparable](tb testing.TB, what string, got, want T) {
	tb.Helper()
	if got != want {
		tb.Errorf("%s = %v, want %v", what, got, want)
	}
}

// wantSeq reports an error unless got and want hold the same items in the
// same order.
func wantSeq[T comparable](tb testing.TB, what string, got, want []T) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Errorf("%s = %v, want %v", what, got, want)
	}
}

// wantSet reports an error unless got and want hold the same items in any
// order.
func wantSet[T cmp.Ordered](tb testing.TB, what string, got, want []T) {
	tb.Helper()
	g, w := slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))
	if !slices.Equal(g, w) {
		tb.Errorf("%s = %v, want (in any order) %v", what, g, w)
	}
}

// wantData reports an error unless the custom data maps are equal; nil and
// empty are the same.
func wantData(tb testing.TB, what string, got, want map[string]any) {
	tb.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		tb.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// wantUser reports every field of got that differs from want, roles
// compared as a set.
func wantUser(tb testing.TB, got, want *userdb.User) {
	tb.Helper()
	p := "user " + want.Username + " "
	wantEqual(tb, p+"ID", got.ID, want.ID)
	wantEqual(tb, p+"AccountID", got.AccountID, want.AccountID)
	wantEqual(tb, p+"Username", got.Username, want.Username)
	wantEqual(tb, p+"Email", got.Email, want.Email)
	wantEqual(tb, p+"GivenName", got.GivenName, want.GivenName)
	wantEqual(tb, p+"MiddleName", got.MiddleName, want.MiddleName)
	wantEqual(tb, p+"Surname", got.Surname, want.Surname)
	wantEqual(tb, p+"FullName", got.FullName, want.FullName)
	wantEqual(tb, p+"Status", got.Status, want.Status)
	wantEqual(tb, p+"PasswordHash", got.PasswordHash, want.PasswordHash)
	wantTimePtr(tb, p+"PasswordChangedAt", got.PasswordChangedAt, want.PasswordChangedAt)
	wantEqual(tb, p+"PasswordMustChange", got.PasswordMustChange, want.PasswordMustChange)
	wantEqual(tb, p+"PasswordTemporary", got.PasswordTemporary, want.PasswordTemporary)
	wantTimePtr(tb, p+"EmailVerifiedAt", got.EmailVerifiedAt, want.EmailVerifiedAt)
	wantTimePtr(tb, p+"LastLoginAt", got.LastLoginAt, want.LastLoginAt)
	wantTimePtr(tb, p+"LastFailedLoginAt", got.LastFailedLoginAt, want.LastFailedLoginAt)
	wantEqual(tb, p+"FailedLogins", got.FailedLogins, want.FailedLogins)
	wantTimePtr(tb, p+"LockedAt", got.LockedAt, want.LockedAt)
	wantTimePtr(tb, p+"DeactivatedAt", got.DeactivatedAt, want.DeactivatedAt)
	wantData(tb, p+"CustomData", got.CustomData, want.CustomData)
	wantTime(tb, p+"CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(tb, p+"UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	wantEqual(tb, p+"Version", got.Version, want.Version)
	wantSet(tb, p+"Roles", got.Roles, want.Roles)
}

// usernames returns the usernames of users, in order.
func usernames(users []*userdb.User) []string {
	var s []string
	for _, u := range users {
		s = append(s, u.Username)
	}
	return s
}

// allUsers returns every user matching f, in order, following cursors.
func allUsers(tb testing.TB, s userdb.Store, f userdb.UserFilter) []*userdb.User {
	tb.Helper()
	if f.Limit == 0 {
		f.Limit = 1000
	}
	var all []*userdb.User
	for range 100 {
		page, next, err := s.FindUsers(tb.Context(), f)
		if err != nil {
			tb.Fatalf("find users %+v: %v", f, err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		f.Cursor = next
	}
	tb.Fatalf("find users %+v: still more pages after 100", f)
	return nil
}
