package storetest

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var findUserTests = []test{
	{"Filters", testFindUsersFilters},
	{"QueryIsLiteral", testFindUsersQueryLiteral},
	{"Sort", testFindUsersSort},
	{"InvalidSortAndCursor", testFindUsersInvalid},
	{"Pagination", testFindUsersPagination},
	{"PaginationWhileInserting", testFindUsersPagingWhileInserting},
	{"NodeSorts", testFindUsersNodeSorts},
}

// wantUsers checks that f finds exactly the users with the usernames, in
// any order, through FindUsers and CountUsers.
func wantUsers(t *testing.T, s userdb.Store, f userdb.UserFilter, want ...string) {
	t.Helper()
	wantSet(t, "usernames", usernames(allUsers(t, s, f)), want)
	n, err := s.CountUsers(t.Context(), f, 0)
	if err != nil {
		t.Fatalf("count users: %v", err)
	}
	wantEqual(t, "CountUsers", n, len(want))
	if len(want) > 1 {
		n, err = s.CountUsers(t.Context(), f, len(want)-1)
		if err != nil {
			t.Fatalf("count users: %v", err)
		}
		wantEqual(t, "CountUsers up to one fewer", n, len(want)-1)
	}
}

func testFindUsersFilters(t *testing.T, s userdb.Store) {
	editor := MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	other := MustCreateAccount(t, s, "other")
	otherEditor := MustCreateRole(t, s, other.ID, "editor")
	alice := MustCreateUser(t, s, userdb.User{Username: "alice", GivenName: "Alice", Surname: "Smith",
		CreatedAt: at(60 * time.Minute), LastLoginAt: ptr(at(10 * time.Hour))})
	MustCreateUser(t, s, userdb.User{Username: "bob", GivenName: "Bob", MiddleName: "Quincy", Surname: "Jones",
		Status: userdb.StatusDisabled, CreatedAt: at(120 * time.Minute)})
	carol := MustCreateUser(t, s, userdb.User{Username: "carol", GivenName: "Carol", Surname: "Smithers",
		Status: userdb.StatusPending, CreatedAt: at(180 * time.Minute), LastLoginAt: ptr(at(20 * time.Hour))})
	MustCreateUser(t, s, userdb.User{Username: "dave", Email: "dave@example.org", GivenName: "Dave", Surname: "Brown",
		CreatedAt: at(240 * time.Minute), LastLoginAt: ptr(at(30 * time.Hour))})
	eve := MustCreateUser(t, s, userdb.User{AccountID: other.ID, Username: "eve", GivenName: "Eve", Surname: "Black",
		CreatedAt: at(90 * time.Minute)})
	MustAddUserRole(t, s, alice.ID, editor.ID)
	MustAddUserRole(t, s, carol.ID, editor.ID)
	MustAddUserRole(t, s, eve.ID, otherEditor.ID)

	tests := []struct {
		name string
		f    userdb.UserFilter
		want []string
	}{
		{"none", userdb.UserFilter{}, []string{"alice", "bob", "carol", "dave", "eve"}},
		{"account", userdb.UserFilter{AccountID: userdb.DefaultAccountID}, []string{"alice", "bob", "carol", "dave"}},
		{"status", userdb.UserFilter{Status: userdb.StatusEnabled}, []string{"alice", "dave", "eve"}},
		{"status and account", userdb.UserFilter{Status: userdb.StatusEnabled, AccountID: userdb.DefaultAccountID}, []string{"alice", "dave"}},
		{"role in any account", userdb.UserFilter{Role: "editor"}, []string{"alice", "carol", "eve"}},
		{"role and account", userdb.UserFilter{Role: "editor", AccountID: other.ID}, []string{"eve"}},
		{"role and status", userdb.UserFilter{Role: "editor", Status: userdb.StatusPending}, []string{"carol"}},
		{"role nobody has", userdb.UserFilter{Role: userdb.RoleAdmin}, nil},
		{"missing role", userdb.UserFilter{Role: "nonexistent"}, nil},
		{"query surname", userdb.UserFilter{Query: "smith"}, []string{"alice", "carol"}},
		{"query any case", userdb.UserFilter{Query: "SMITHERS"}, []string{"carol"}},
		{"query given name", userdb.UserFilter{Query: "aLiC"}, []string{"alice"}},
		{"query starts words only", userdb.UserFilter{Query: "mith"}, nil},
		{"query two words", userdb.UserFilter{Query: "carol smi"}, []string{"carol"}},
		{"query words in any order", userdb.UserFilter{Query: "  Jones   BOB "}, []string{"bob"}},
		{"query every word must match", userdb.UserFilter{Query: "alice smithers"}, nil},
		{"query email", userdb.UserFilter{Query: "dave@example.o"}, []string{"dave"}},
		{"query whole email", userdb.UserFilter{Query: "Dave@Example.org"}, []string{"dave"}},
		{"query username", userdb.UserFilter{Query: "dav"}, []string{"dave"}},
		{"query and status", userdb.UserFilter{Query: "smith", Status: userdb.StatusEnabled}, []string{"alice"}},
		{"query no match", userdb.UserFilter{Query: "zzz"}, nil},
		{"created after", userdb.UserFilter{CreatedAfter: ptr(at(150 * time.Minute))}, []string{"carol", "dave"}},
		{"created before", userdb.UserFilter{CreatedBefore: ptr(at(150 * time.Minute))}, []string{"alice", "eve", "bob"}},
		{"created between", userdb.UserFilter{CreatedAfter: ptr(at(100 * time.Minute)), CreatedBefore: ptr(at(200 * time.Minute))}, []string{"bob", "carol"}},
		{"last login after", userdb.UserFilter{LastLoginAfter: ptr(at(15 * time.Hour))}, []string{"carol", "dave"}},
		{"last login before", userdb.UserFilter{LastLoginBefore: ptr(at(25 * time.Hour))}, []string{"alice", "carol"}},
		{"last login between", userdb.UserFilter{LastLoginAfter: ptr(at(15 * time.Hour)), LastLoginBefore: ptr(at(25 * time.Hour))}, []string{"carol"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantUsers(t, s, tt.f, tt.want...) })
	}
}

func testFindUsersQueryLiteral(t *testing.T, s userdb.Store) {
	names := []string{
		"100% pure", "1000 pure", "snake_case", "snakeXcase", "O'Brien", `the "quoted" one`,
		`back\slash`, "drop;--table", "Zoë", "日本語", "plain",
	}
	byName := map[string]string{}
	for i, name := range names {
		u := MustCreateUser(t, s, userdb.User{Username: fmt.Sprintf("lit%02d", i), GivenName: name})
		byName[name] = u.Username
	}
	tests := []struct {
		query string
		want  []string // given names
	}{
		{"%", nil},
		{"100%", []string{"100% pure"}},
		{"100", []string{"100% pure", "1000 pure"}},
		{"10_", nil},
		{"%%", nil},
		{"_", nil},
		{"snake_", []string{"snake_case"}},
		{"snake", []string{"snake_case", "snakeXcase"}},
		{"'", nil},
		{"o'", []string{"O'Brien"}},
		{"o'brien", []string{"O'Brien"}},
		{`"`, nil},
		{`the`, []string{`the "quoted" one`}},
		{`\`, nil},
		{`back\`, []string{`back\slash`}},
		{`\%`, nil},
		{`\_`, nil},
		{";--", nil},
		{"drop;--", []string{"drop;--table"}},
		{"'; DROP TABLE users; --", nil},
		{`" OR 1=1 --`, nil},
		{"[a-z]", nil},
		{".*", nil},
		{"zoë", []string{"Zoë"}},
		{"ZOË", []string{"Zoë"}},
		{"日本", []string{"日本語"}},
		{"plain", []string{"plain"}},
		{strings.Repeat("a", 10<<10), nil},
	}
	for _, tt := range tests {
		name := tt.query
		if len(name) > 20 {
			name = fmt.Sprintf("%d bytes", len(name))
		}
		t.Run(name, func(t *testing.T) {
			var want []string
			for _, n := range tt.want {
				want = append(want, byName[n])
			}
			wantUsers(t, s, userdb.UserFilter{Query: tt.query}, want...)
		})
	}
	wantUsers(t, s, userdb.UserFilter{}, slices.Collect(maps.Values(byName))...)
	_, _, err := s.FindUsers(t.Context(), userdb.UserFilter{Query: strings.Repeat("a ", userdb.MaxQueryWords+1)})
	wantCode(t, "a search of too many words", err, userdb.EINVALID)
}

// sortKey returns the value of u that the sort key orders by, as a string
// whose byte order is the expected order. The suite's test data uses only
// lower-case ASCII letters and digits in sorted fields, so every collation
// agrees with byte order.
func sortKey(u *userdb.User, key string) string {
	switch key {
	case userdb.SortEmail:
		return u.Email
	case userdb.SortUsername:
		return u.Username
	case userdb.SortSurname:
		return u.Surname
	case userdb.SortGivenName:
		return u.GivenName
	}
	return u.CreatedAt.UTC().Format("2006-01-02T15:04:05.000000")
}

var sortKeys = []string{"", userdb.SortCreated, userdb.SortEmail, userdb.SortUsername, userdb.SortSurname, userdb.SortGivenName}

// sortName names a subtest after a sort key and direction.
func sortName(key string, desc bool) string {
	dir := "asc"
	if desc {
		dir = "desc"
	}
	return cmp.Or(key, "default") + "_" + dir
}

func testFindUsersSort(t *testing.T, s userdb.Store) {
	rows := []struct {
		given, surname, username, email string
		created                         time.Duration
	}{
		{"amy", "ng", "quinn", "kc", 3 * time.Hour},
		{"ben", "ito", "pax", "ab", 5 * time.Hour},
		{"cal", "ross", "rio", "zz", 1 * time.Hour},
		{"dan", "bell", "zed", "mm", 6 * time.Hour},
		{"eli", "diaz", "mo", "bb", 2 * time.Hour},
		{"fay", "kim", "lux", "qq", 4 * time.Hour},
	}
	var users []*userdb.User
	for _, r := range rows {
		users = append(users, MustCreateUser(t, s, userdb.User{
			GivenName: r.given, Surname: r.surname, Username: r.username,
			Email: r.email + "@example.com", CreatedAt: at(r.created),
		}))
	}
	for _, key := range sortKeys {
		for _, desc := range []bool{false, true} {
			t.Run(sortName(key, desc), func(t *testing.T) {
				want := slices.Clone(users)
				slices.SortFunc(want, func(a, b *userdb.User) int {
					return strings.Compare(sortKey(a, key), sortKey(b, key))
				})
				if desc {
					slices.Reverse(want)
				}
				got, next, err := s.FindUsers(t.Context(), userdb.UserFilter{Sort: key, Desc: desc})
				must(t, err)
				wantSeq(t, "usernames", usernames(got), usernames(want))
				wantEqual(t, "next cursor", next, "")
			})
		}
	}
}

func testFindUsersInvalid(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	MustCreateUser(t, s, userdb.User{Username: "only"})
	for _, key := range []string{"password", "passwordHash", "created; DROP TABLE users", "1"} {
		_, _, err := s.FindUsers(ctx, userdb.UserFilter{Sort: key})
		wantCode(t, "sort by "+key, err, userdb.EINVALID)
	}
	for _, cursor := range []string{"!!not a cursor!!", "'; DROP TABLE users; --"} {
		_, _, err := s.FindUsers(ctx, userdb.UserFilter{Cursor: cursor})
		wantCode(t, "cursor "+cursor, err, userdb.EINVALID)
	}
	wantUsers(t, s, userdb.UserFilter{}, "only")
}

func testFindUsersPagination(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const n = 120
	surnames := []string{"cole", "abbot", "fox", "baker", "east", "dunn"}
	givenNames := []string{"gil", "ann", "jo", "bea", "hal", "cy", "ida", "dee", "fin", "eva"}
	for i := range n {
		MustCreateUser(t, s, userdb.User{
			Username:  fmt.Sprintf("user%03d", i*37%n),
			Email:     fmt.Sprintf("m%03d@example.com", i*53%n),
			GivenName: givenNames[i*7%len(givenNames)],
			Surname:   surnames[i%len(surnames)],
			CreatedAt: at(time.Duration(i%40) * time.Minute), // three users per time
		})
	}

	total, err := s.CountUsers(ctx, userdb.UserFilter{}, 0)
	must(t, err)
	wantEqual(t, "CountUsers", total, n)
	page, next, err := s.FindUsers(ctx, userdb.UserFilter{})
	must(t, err)
	wantEqual(t, "default page size", len(page), 50)
	if next == "" {
		t.Error("first page of the default size has no next cursor")
	}
	total, err = s.CountUsers(ctx, userdb.UserFilter{Cursor: next, Limit: 5}, 0)
	must(t, err)
	wantEqual(t, "CountUsers ignoring cursor and limit", total, n)
	total, err = s.CountUsers(ctx, userdb.UserFilter{}, 7)
	must(t, err)
	wantEqual(t, "CountUsers up to 7", total, 7)
	total, err = s.CountUsers(ctx, userdb.UserFilter{}, n+1)
	must(t, err)
	wantEqual(t, "CountUsers up to more than there are", total, n)
	total, err = s.CountUsers(ctx, userdb.UserFilter{Query: "cole"}, 5)
	must(t, err)
	wantEqual(t, "CountUsers of a search up to 5", total, 5)

	for _, key := range sortKeys {
		for _, desc := range []bool{false, true} {
			t.Run(sortName(key, desc), func(t *testing.T) {
				f := userdb.UserFilter{Sort: key, Desc: desc, Limit: 25}
				var all []*userdb.User
				for pages := 1; ; pages++ {
					if pages > 10 {
						t.Fatalf("more than 10 pages of 25 for %d users", n)
					}
					page, next, err := s.FindUsers(ctx, f)
					must(t, err)
					if len(page) > 25 {
						t.Errorf("page %d has %d users, want at most 25", pages, len(page))
					}
					all = append(all, page...)
					if next == "" {
						break
					}
					f.Cursor = next
				}
				wantOnceEach(t, all, n)
				wantSorted(t, all, key, desc)
				// An offset skips into the same order, from the start or
				// from a cursor, with or without a text search.
				for _, q := range []string{"", "m0"} {
					in := all
					if q != "" {
						in = slices.DeleteFunc(slices.Clone(all), func(u *userdb.User) bool { return !strings.HasPrefix(u.Email, q) })
					}
					for _, offset := range []int{0, 1, 24, 25, 60, len(in) - 1, len(in), len(in) + 30} {
						page, _, err := s.FindUsers(ctx, userdb.UserFilter{Query: q, Sort: key, Desc: desc, Offset: offset, Limit: 25})
						must(t, err)
						want := in[min(offset, len(in)):min(offset+25, len(in))]
						wantSeq(t, fmt.Sprintf("query %q offset %d", q, offset), usernames(page), usernames(want))
					}
					first, next, err := s.FindUsers(ctx, userdb.UserFilter{Query: q, Sort: key, Desc: desc, Limit: 10})
					must(t, err)
					page, _, err := s.FindUsers(ctx, userdb.UserFilter{Query: q, Sort: key, Desc: desc, Cursor: next, Offset: 15, Limit: 5})
					must(t, err)
					wantSeq(t, fmt.Sprintf("query %q offset 15 after a page of %d", q, len(first)), usernames(page), usernames(in[25:30]))
				}
			})
		}
	}
	_, _, err = s.FindUsers(ctx, userdb.UserFilter{Offset: -1})
	wantCode(t, "FindUsers with a negative offset", err, userdb.EINVALID)
}

// wantOnceEach checks that users holds n users, none twice.
func wantOnceEach(t *testing.T, users []*userdb.User, n int) {
	t.Helper()
	seen := map[string]bool{}
	for _, u := range users {
		if seen[u.ID] {
			t.Errorf("user %s returned twice", u.Username)
		}
		seen[u.ID] = true
	}
	wantEqual(t, "distinct users", len(seen), n)
}

// wantSorted checks that users are in the order of the sort key.
func wantSorted(t *testing.T, users []*userdb.User, key string, desc bool) {
	t.Helper()
	for i := 1; i < len(users); i++ {
		c := strings.Compare(sortKey(users[i-1], key), sortKey(users[i], key))
		if desc {
			c = -c
		}
		if c > 0 {
			t.Errorf("sort %q desc=%v: %s (%s) before %s (%s)", key, desc,
				users[i-1].Username, sortKey(users[i-1], key), users[i].Username, sortKey(users[i], key))
		}
	}
}

func testFindUsersPagingWhileInserting(t *testing.T, s userdb.Store) {
	for i := range 60 {
		MustCreateUser(t, s, userdb.User{Username: fmt.Sprintf("old%02d", i), CreatedAt: at(time.Duration(i) * time.Second)})
	}
	t.Run("asc", func(t *testing.T) { pageWhileInserting(t, s, false) })
	t.Run("desc", func(t *testing.T) { pageWhileInserting(t, s, true) })
}

// pageWhileInserting pages through the users by creation time while a
// goroutine inserts users created later than any existing one. Every user
// that existed before paging began must come back exactly once, and no user
// twice.
func pageWhileInserting(t *testing.T, s userdb.Store, desc bool) {
	ctx := t.Context()
	existing := allUsers(t, s, userdb.UserFilter{})
	last := existing[0].CreatedAt
	for _, u := range existing {
		if u.CreatedAt.After(last) {
			last = u.CreatedAt
		}
	}

	var (
		stop      = make(chan struct{})
		exited    = make(chan struct{})
		inserted  = make(chan struct{}, 1)
		insertErr error
	)
	go func() {
		defer close(exited)
		for i := range 150 {
			select {
			case <-stop:
				return
			default:
			}
			u := &userdb.User{Username: fmt.Sprintf("new-%v-%03d", desc, i), CreatedAt: last.Add(time.Duration(i+1) * time.Second)}
			fillUser(u)
			if err := s.CreateUser(ctx, u); err != nil {
				insertErr = err
				return
			}
			select {
			case inserted <- struct{}{}:
			default:
			}
		}
	}()
	stopInserting := sync.OnceFunc(func() { close(stop); <-exited })
	defer stopInserting()

	f := userdb.UserFilter{Sort: userdb.SortCreated, Desc: desc, Limit: 7}
	var got []*userdb.User
	for pages := 1; ; pages++ {
		if pages > 200 {
			t.Fatal("more than 200 pages")
		}
		page, next, err := s.FindUsers(ctx, f)
		must(t, err)
		got = append(got, page...)
		if next == "" {
			break
		}
		f.Cursor = next
		// Let at least one insert land between pages while the inserter runs.
		select {
		case <-inserted:
		case <-exited:
		}
	}
	stopInserting()
	if insertErr != nil {
		t.Fatalf("inserting while paging: %v", insertErr)
	}

	seen := map[string]int{}
	for _, u := range got {
		seen[u.ID]++
		if seen[u.ID] == 2 {
			t.Errorf("user %s returned twice", u.Username)
		}
	}
	for _, u := range existing {
		if seen[u.ID] != 1 {
			t.Errorf("existing user %s returned %d times, want once", u.Username, seen[u.ID])
		}
	}
	wantSorted(t, got, userdb.SortCreated, desc)
}
