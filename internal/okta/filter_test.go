package okta

import (
	"testing"

	"github.com/userdb/userdb"
)

func TestApplyExpression(t *testing.T) {
	good := []struct {
		expr   string
		search bool
		check  func(f userdb.UserFilter) bool
	}{
		{`status eq "SUSPENDED"`, false, func(f userdb.UserFilter) bool {
			return f.Status == userdb.StatusDisabled && f.Deactivated != nil && !*f.Deactivated
		}},
		{`profile.lastName eq "O\"Neil" AND lastUpdated ge "2026-03-01T00:00:00.000Z"`, false, func(f userdb.UserFilter) bool {
			return len(f.Match) == 1 && f.Match[0].Value == `O"Neil` && f.UpdatedAfter != nil
		}},
		{`profile.email sw "ada" and created lt "2026-03-01T00:00:00Z"`, true, func(f userdb.UserFilter) bool {
			return f.Match[0].Prefix && f.CreatedBefore != nil
		}},
	}
	for _, tc := range good {
		var f userdb.UserFilter
		if err := applyExpression(&f, tc.expr, tc.search); err != nil || !tc.check(f) {
			t.Errorf("%s: %v %+v", tc.expr, err, f)
		}
	}
	for _, expr := range []string{
		``, `status eq`, `status eq ACTIVE`, `status eq "ACTIVE`, `status eq "NOPE"`,
		`status eq "ACTIVE" or status eq "STAGED"`, `(status eq "ACTIVE")`, `profile.email sw "a"`,
		`profile.shoeSize eq "9"`, `lastUpdated gt "yesterday"`, `id sw "usr_"`, `status pr`,
		`created gt "2026-03-01T00:00:00Z"`,
	} {
		var f userdb.UserFilter
		err := applyExpression(&f, expr, false)
		if e, ok := err.(*apiError); !ok || e.Code != "E0000031" {
			t.Errorf("filter %q: %v, want E0000031", expr, err)
		}
	}
}
