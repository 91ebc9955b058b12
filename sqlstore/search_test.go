package sqlstore_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
	"github.com/userdb/userdb/storetest"
)

// TestSearchPlans pages through searches of every shape (search.go), in
// every sort order and both directions, with the plans' limits set so
// that each plan runs and each walk stops short and falls back, and
// checks every page and count against the users the search must find,
// computed here.
func TestSearchPlans(t *testing.T) {
	forEachDialect(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		users := seedPlanUsers(t, s)
		limits := []struct {
			name                              string
			probe, few, span, rowSpan, others int
		}{
			{"defaults", 0, 0, 0, 0, 0},
			{"broad, walks cut short", 1, 1, 1, 1, 0},
			{"broad, short walks, no split", 1, 1, 9, 3, 1},
			{"common", 1 << 30, 1, 0, 0, 0},
			{"common, short walks, no split", 1 << 30, 1, 9, 0, 1},
			{"rare", 1 << 30, 1 << 30, 0, 0, 0},
		}
		// "u001 a": one word of one term and one of many, which SQLite
		// intersects by looking the rarer's users up among the other's.
		queries := []string{"a", "zed", "Zed z", "sm", "smith", "ann sm", "u0", "z s", "ann.smith", "ann.smith1", "a a", "u001 a", "nomatch"}
		sorts := []string{userdb.SortCreated, userdb.SortGivenName, userdb.SortSurname, userdb.SortEmail, userdb.SortUsername}
		for _, l := range limits {
			t.Run(l.name, func(t *testing.T) {
				sqlstore.SetTermProbe(s, l.probe)
				sqlstore.SetSearchLimits(s, l.few, l.span, l.rowSpan, l.others)
				for _, q := range queries {
					for _, key := range sorts {
						for _, desc := range []bool{false, true} {
							f := userdb.UserFilter{Query: q, Sort: key, Desc: desc, Limit: 9}
							checkSearch(t, s, f, wantSearch(users, f))
						}
					}
					// With a filter, walks of the sort's index do not apply.
					for _, key := range []string{userdb.SortGivenName, userdb.SortCreated} {
						f := userdb.UserFilter{Query: q, Status: userdb.StatusDisabled, Sort: key, Desc: true, Limit: 9}
						checkSearch(t, s, f, wantSearch(users, f))
					}
				}
			})
		}
	})
}

// seedPlanUsers creates users whose words are common, rare, clustered in
// some sort orders (Zed sorts last by given name) and tied on every sort
// key but the id.
func seedPlanUsers(t *testing.T, s *sqlstore.Store) []*userdb.User {
	given := []string{"Ann", "Abe", "Zed", "Ann", "Mia", "Zoe", "Ann", "Zed", ""}
	surnames := []string{"Smith", "Smythe", "Stone", "Adams", "Smith", "Zed", ""}
	var users []*userdb.User
	for i := range 120 {
		g, sn := given[i%len(given)], surnames[i*5%len(surnames)]
		local := strings.ToLower(cmp.Or(g, "x") + "." + cmp.Or(sn, "y"))
		u := userdb.User{
			Username:  fmt.Sprintf("u%03d", i*7%120),
			Email:     fmt.Sprintf("%s%d@example.com", local, i),
			GivenName: g,
			Surname:   sn,
			CreatedAt: planBase.Add(time.Duration(i%37) * time.Minute),
		}
		if i%5 == 0 {
			u.Status = userdb.StatusDisabled
		}
		if i%4 == 0 {
			// Two terms starting alike, for counts of distinct users.
			u.Username = fmt.Sprintf("%s%d", local, i)
		}
		users = append(users, storetest.MustCreateUser(t, s, u))
	}
	return users
}

var planBase = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)

// wantSearch returns the users f must find, in its order.
func wantSearch(users []*userdb.User, f userdb.UserFilter) []*userdb.User {
	words := strings.Fields(userdb.Fold(f.Query))
	var out []*userdb.User
	for _, u := range users {
		terms := []string{userdb.Fold(u.Username), userdb.Fold(u.Email), userdb.Fold(u.GivenName), userdb.Fold(u.Surname)}
		if (f.Status == "" || u.Status == f.Status) && !slices.ContainsFunc(words, func(w string) bool {
			return !slices.ContainsFunc(terms, func(term string) bool { return strings.HasPrefix(term, w) })
		}) {
			out = append(out, u)
		}
	}
	slices.SortFunc(out, func(a, b *userdb.User) int {
		c := cmp.Or(planSortKey(a, f.Sort).Compare(planSortKey(b, f.Sort)), strings.Compare(a.ID, b.ID))
		if f.Desc {
			return -c
		}
		return c
	})
	return out
}

// sortValue is a user's value for a sort: a time or folded text.
type sortValue struct {
	t    time.Time
	text string
}

func (v sortValue) Compare(o sortValue) int {
	return cmp.Or(v.t.Compare(o.t), strings.Compare(v.text, o.text))
}

func planSortKey(u *userdb.User, key string) sortValue {
	switch key {
	case userdb.SortGivenName:
		return sortValue{text: userdb.Fold(u.GivenName)}
	case userdb.SortSurname:
		return sortValue{text: userdb.Fold(u.Surname)}
	case userdb.SortEmail:
		return sortValue{text: userdb.Fold(u.Email)}
	case userdb.SortUsername:
		return sortValue{text: userdb.Fold(u.Username)}
	}
	return sortValue{t: u.CreatedAt}
}

// checkSearch pages through f and checks the users, their order and the
// counts against want.
func checkSearch(t *testing.T, s *sqlstore.Store, f userdb.UserFilter, want []*userdb.User) {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > len(want)/f.Limit+1 {
			t.Fatalf("%+v: more pages than %d users fill", f, len(want))
		}
		page, next, err := s.FindUsers(t.Context(), f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		if len(page) > f.Limit || (next != "" && len(page) < f.Limit) {
			t.Fatalf("%+v: a page of %d users, next cursor %q", f, len(page), next)
		}
		for _, u := range page {
			got = append(got, u.ID)
		}
		if next == "" {
			break
		}
		f.Cursor = next
	}
	f.Cursor = ""
	var ids []string
	for _, u := range want {
		ids = append(ids, u.ID)
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("%+v: got the users\n%v\nwant\n%v", f, got, ids)
	}
	for _, upTo := range []int{0, 5} {
		n, err := s.CountUsers(t.Context(), f, upTo)
		if err != nil {
			t.Fatalf("%+v: count: %v", f, err)
		}
		total := len(want)
		if upTo > 0 {
			total = min(total, upTo)
		}
		if n != total {
			t.Fatalf("%+v: counted %d users up to %d, want %d", f, n, upTo, total)
		}
	}
}
