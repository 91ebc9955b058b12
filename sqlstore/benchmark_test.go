package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
)

// benchUsers is how many users (each with one session) the benchmarks'
// SQLite database holds.
const benchUsers = 100_000

// bench is the benchmarks' database, seeded once per test process and
// removed by TestMain.
var bench struct {
	once   sync.Once
	dir    string
	dsn    string
	err    error
	emails []string
	hashes [][]byte
}

func cleanupBenchmarks() {
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
}

// benchStore opens the seeded benchmark database.
func benchStore(b *testing.B) *sqlstore.Store {
	b.Helper()
	bench.once.Do(seedBench)
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	s, err := sqlstore.Open(b.Context(), bench.dsn, sqlstore.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// seedBench creates the benchmark database: benchUsers users and their
// sessions, written with multi-row INSERTs in one transaction.
func seedBench() {
	ctx := context.Background()
	bench.dir, bench.err = os.MkdirTemp("", "sqlstore-bench-")
	if bench.err != nil {
		return
	}
	bench.dsn = "sqlite:" + filepath.Join(bench.dir, "bench.db")
	s, err := sqlstore.Open(ctx, bench.dsn, sqlstore.Options{})
	if err != nil {
		bench.err = err
		return
	}
	defer s.Close()
	if bench.err = s.Migrate(ctx); bench.err != nil {
		return
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		bench.err = err
		return
	}
	defer tx.Rollback()
	const batch = 500
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < benchUsers; start += batch {
		var users, sessions []string
		var userArgs, sessionArgs []any
		for i := start; i < start+batch; i++ {
			id := fmt.Sprintf("usr_bench%07d", i)
			email := fmt.Sprintf("user%07d@example.com", i)
			_, hash := userdb.NewSecret()
			at := created.Add(time.Duration(i) * time.Second).Format("2006-01-02T15:04:05.000000Z")
			users = append(users, "(?, ?, ?, ?, ?, ?, ?, ?, ?)")
			userArgs = append(userArgs, id, userdb.DefaultAccountID, email, email, email, email, "ENABLED", at, at)
			sessions = append(sessions, "(?, ?, ?, ?, ?, ?)")
			sessionArgs = append(sessionArgs, fmt.Sprintf("ses_bench%07d", i), hash, id, at, at, "2099-01-01T00:00:00.000000Z")
			bench.emails = append(bench.emails, strings.ToUpper(email[:1])+email[1:])
			bench.hashes = append(bench.hashes, hash)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, account_id, username, username_fold, email, email_fold,
			status, created_at, updated_at) VALUES `+strings.Join(users, ", "), userArgs...)
		if err != nil {
			bench.err = err
			return
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at)
			VALUES `+strings.Join(sessions, ", "), sessionArgs...)
		if err != nil {
			bench.err = err
			return
		}
	}
	bench.err = tx.Commit()
}

func BenchmarkFindUserByEmail(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		email := bench.emails[i*7919%benchUsers]
		if _, err := s.FindUserByEmail(ctx, email); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkFindSessionByTokenHash(b *testing.B) {
	s := benchStore(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		if _, err := s.FindSessionByTokenHash(ctx, bench.hashes[i*7919%benchUsers]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
