package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
)

// searchUsersEnv sets how many users BenchmarkSearchUsers seeds; a million
// by default, the size the search must stay fast at.
const searchUsersEnv = "USERDB_BENCH_SEARCH_USERS"

// The generated users' names: every pair occurs, and common names are
// shared by thousands of users, as in a real directory.
var (
	givenNames = strings.Fields(`james mary robert patricia john jennifer michael linda david elizabeth
		william barbara richard susan joseph jessica thomas sarah charles karen christopher lisa daniel nancy
		matthew betty anthony margaret mark sandra donald ashley steven kimberly paul emily andrew donna
		joshua michelle kenneth carol kevin amanda brian dorothy george melissa timothy deborah ronald
		stephanie edward rebecca jason sharon jeffrey laura ryan cynthia jacob kathleen gary amy nicholas
		angela eric shirley jonathan anna stephen brenda larry pamela justin emma scott nicole brandon helen
		benjamin samantha samuel katherine gregory christine alexander debra frank rachel patrick carolyn
		raymond janet jack catherine dennis maria jerry heather tyler diane aaron ruth jose julie adam
		olivia henry joyce nathan virginia douglas victoria zachary kelly peter lauren kyle christina noah
		joan ethan evelyn jeremy judith walter megan christian andrea keith cheryl roger hannah terry
		jacqueline gerald martha harold gloria sean teresa austin ann carl sara arthur madison lawrence
		frances dylan kathryn jesse janice jordan jean bryan abigail billy alice joe judy bruce sophia
		gabriel grace logan denise albert amber willie doris alan marilyn juan danielle wayne beverly elijah
		isabella randy theresa roy diana vincent natalie ralph brittany eugene charlotte russell marie
		bobby kayla mason alexis philip lori louis`)
	surnames = strings.Fields(`smith johnson williams brown jones garcia miller davis rodriguez martinez
		hernandez lopez gonzalez wilson anderson thomas taylor moore jackson martin lee perez thompson white
		harris sanchez clark ramirez lewis robinson walker young allen king wright scott torres nguyen hill
		flores green adams nelson baker hall rivera campbell mitchell carter roberts gomez phillips evans
		turner diaz parker cruz edwards collins reyes stewart morris morales murphy cook rogers gutierrez
		ortiz morgan cooper peterson bailey reed kelly howard ramos kim cox ward richardson watson brooks
		chavez wood james bennett gray mendoza ruiz hughes price alvarez castillo sanders patel myers long
		ross foster jimenez powell jenkins perry russell sullivan bell coleman butler henderson barnes
		gonzales fisher vasquez simmons romero jordan patterson alexander hamilton graham reynolds griffin
		wallace moreno west cole hayes bryant herrera gibson ellis tran medina aguilar stevens murray ford
		castro marshall owens harrison fernandez mcdonald woods washington kennedy wells vargas henry chen
		freeman webb tucker guzman burns crawford olson simpson porter hunter gordon mendez silva shaw
		snyder mason dixon munoz hunt hicks holmes palmer wagner black robertson boyd rose stone salazar
		fox warren mills meyer rice schmidt garza daniels ferguson nichols stephens soto weaver ryan gardner
		payne grant dunn kelley spencer hawkins arnold pierce vazquez hansen peters santos hart bradley
		knight elliott cunningham duncan armstrong hudson carroll lane riley andrews alvarado ray delgado
		berry perkins hoffman johnston matthews pena richards willis carpenter lawrence sandoval`)
	domains  = []string{"example.com", "example.org", "mail.example.net", "corp.example", "example.co.uk"}
	statuses = []userdb.Status{userdb.StatusEnabled, userdb.StatusEnabled, userdb.StatusEnabled,
		userdb.StatusEnabled, userdb.StatusEnabled, userdb.StatusEnabled, userdb.StatusEnabled,
		userdb.StatusEnabled, userdb.StatusDisabled, userdb.StatusPending}
)

// searchUser returns the generated names of user i. The surname cycles
// with a stride prime to the given names', so every pair occurs.
func searchUser(i int) (given, surname, email string) {
	given = givenNames[i%len(givenNames)]
	surname = surnames[(i/len(givenNames)+i*7)%len(surnames)]
	email = given + "." + surname + strconv.Itoa(i) + "@" + domains[i%len(domains)]
	return given, surname, email
}

// seedSearchUsers writes n generated users with multi-row INSERTs, in
// transactions of 50,000 rows (the API would spend a password hash each).
func seedSearchUsers(b *testing.B, s *sqlstore.Store, n int) {
	ctx := context.Background()
	const batch = 500
	const cols = `id, account_id, username, username_fold, email, email_fold, given_name, given_name_fold,
		surname, surname_fold, full_name, full_name_fold, status, password_hash, created_at, updated_at`
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < n; {
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		for end := min(n, start+50_000); start < end; start += batch {
			rows := min(batch, end-start)
			args := make([]any, 0, rows*16)
			for i := start; i < start+rows; i++ {
				given, surname, email := searchUser(i)
				Given, Surname := strings.ToUpper(given[:1])+given[1:], strings.ToUpper(surname[:1])+surname[1:]
				username := email[:strings.IndexByte(email, '@')]
				at := dbTime(s.Dialect(), created.Add(time.Duration(i)*time.Minute))
				args = append(args, fmt.Sprintf("usr_s%07d", i), userdb.DefaultAccountID, username, username,
					email, email, Given, given, Surname, surname, Given+" "+Surname, given+" "+surname,
					string(statuses[i%len(statuses)]), "", at, at)
			}
			q := "INSERT INTO users (" + cols + ") VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", ")
			if _, err := tx.ExecContext(ctx, rebind(s.Dialect(), q), args...); err != nil {
				tx.Rollback()
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.IndexSearchTerms(ctx, "usr_s"); err != nil {
		b.Fatal(err)
	}
	if s.Dialect() == sqlstore.Postgres {
		// As autovacuum would soon after a bulk load.
		if _, err := s.DB().ExecContext(ctx, "VACUUM ANALYZE users, user_terms"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearchUsers measures the admin user search over a million
// generated users (USERDB_BENCH_SEARCH_USERS): one page of 50 and the
// capped total, read at once as the admin API reads them, for the searches an admin
// makes. Each reports the 99th percentile and median of page and total
// (p99-ms, p50-ms), and the 99th percentile of the page alone. It runs on SQLite,
// and on PostgreSQL and MySQL when their test DSNs are set.
//
//	go test -run '^$' -bench SearchUsers -benchtime 2000x ./sqlstore
func BenchmarkSearchUsers(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv(searchUsersEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("%s=%q: want a number of users, at least 1000", searchUsersEnv, v)
		}
	}
	for _, dialect := range dialects {
		b.Run(dialect, func(b *testing.B) {
			if dialect != sqlstore.SQLite && os.Getenv(map[string]string{sqlstore.Postgres: postgresEnv, sqlstore.MySQL: mysqlEnv}[dialect]) == "" {
				b.Skip("its DSN is not set")
			}
			s := openStore(b, newDatabase(b, dialect))
			if err := s.Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			seedSearchUsers(b, s, n)
			b.Logf("%s: seeded %d users in %v", dialect, n, time.Since(start).Round(time.Millisecond))
			benchmarkSearches(b, s, n)
		})
	}
}

// benchmarkSearches runs each kind of search; every iteration picks other
// words, so the caches do not hold one answer.
func benchmarkSearches(b *testing.B, s *sqlstore.Store, n int) {
	ctx := context.Background()
	searches := []struct {
		name string
		f    func(i int) userdb.UserFilter
	}{
		{"email", func(i int) userdb.UserFilter {
			_, _, email := searchUser(i * 7919 % n)
			return userdb.UserFilter{Query: email}
		}},
		{"surname-prefix", func(i int) userdb.UserFilter {
			sn := surnames[i%len(surnames)]
			return userdb.UserFilter{Query: sn[:min(4, len(sn))]}
		}},
		{"given-and-surname", func(i int) userdb.UserFilter {
			given, surname, _ := searchUser(i * 104729 % n)
			return userdb.UserFilter{Query: given + " " + surname[:3]}
		}},
		{"one-letter", func(i int) userdb.UserFilter {
			return userdb.UserFilter{Query: string("abcdefghijklmnoprstwy"[i%21])}
		}},
		{"surname-sorted-by-name", func(i int) userdb.UserFilter {
			return userdb.UserFilter{Query: surnames[i%len(surnames)], Sort: userdb.SortGivenName}
		}},
		// Each given name's users sit together in this order, most of them
		// far from its start.
		{"given-name-sorted-by-name", func(i int) userdb.UserFilter {
			return userdb.UserFilter{Query: givenNames[i*13%len(givenNames)], Sort: userdb.SortGivenName}
		}},
		{"status-newest-first", func(i int) userdb.UserFilter {
			return userdb.UserFilter{Status: statuses[8+i%2], Desc: true}
		}},
		{"no-match", func(i int) userdb.UserFilter {
			return userdb.UserFilter{Query: "zz" + strconv.Itoa(i) + "%_'\""}
		}},
	}
	for _, sc := range searches {
		b.Run(sc.name, func(b *testing.B) {
			var took, pages []time.Duration
			i := 0
			for b.Loop() {
				f := sc.f(i)
				f.Limit = 50
				// The page and the total run at once, as the admin API
				// asks for them (service.AdminListUsers).
				t0 := time.Now()
				var total int
				var countErr error
				counted := make(chan struct{})
				go func() {
					defer close(counted)
					total, countErr = s.CountUsers(ctx, f, userdb.CountLimit)
				}()
				users, _, err := s.FindUsers(ctx, f)
				pages = append(pages, time.Since(t0))
				<-counted
				took = append(took, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				if countErr != nil {
					b.Fatal(countErr)
				}
				if total < len(users) || (sc.name != "no-match" && len(users) == 0) {
					b.Fatalf("%+v: %d users, total %d", f, len(users), total)
				}
				i++
			}
			slices.Sort(took)
			slices.Sort(pages)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(pages[len(pages)*99/100].Microseconds())/1000, "page-p99-ms")
		})
	}
}
