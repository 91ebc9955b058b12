package main

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/sqlstore"
)

// seedBatch is how many rows one INSERT writes: 500 users of 18 values
// stay well below every dialect's limit on placeholders (SQLite's 32766).
const seedBatch = 500

// seedCommitEvery is how many rows one transaction writes, so that a large
// seed does not grow SQLite's write-ahead log to the size of the database.
const seedCommitEvery = 50_000

// sqliteTimeLayout is how sqlstore keeps times on SQLite (see its
// migrations): fixed-width UTC text. seed checks the result through the
// store, so a change of format fails loudly instead of measuring nonsense.
const sqliteTimeLayout = "2006-01-02T15:04:05.000000Z"

// seeder writes benchmark users and sessions straight into a sqlstore
// database with multi-row INSERTs: the API would spend a password hash per
// user, and a million of them would take hours.
type seeder struct {
	db      *sql.DB
	dialect string
	tag     string // makes this run's emails unique in a shared database
	now     time.Time
}

func newSeeder(st *sqlstore.Store, tag string) *seeder {
	return &seeder{db: st.DB(), dialect: st.Dialect(), tag: tag, now: time.Now().UTC().Truncate(time.Second)}
}

// emailOf returns the email of seeded user i of the run tagged tag.
func emailOf(tag string, i int) string {
	return "u" + pad7(i) + "-" + tag + "@example.com"
}

// registeredEmail returns the email the register scenario uses for its i-th user.
func registeredEmail(tag string, i int) string {
	return "r" + pad7(i) + "-" + tag + "@example.com"
}

func pad7(i int) string {
	s := strconv.Itoa(i)
	if len(s) < 7 {
		s = strings.Repeat("0", 7-len(s)) + s
	}
	return s
}

// ts converts t to what the dialect stores.
func (s *seeder) ts(t time.Time) any {
	if s.dialect == sqlstore.SQLite {
		return t.UTC().Format(sqliteTimeLayout)
	}
	return t.UTC()
}

// rebind rewrites ? placeholders as $1, $2... for PostgreSQL.
func (s *seeder) rebind(q string) string {
	if s.dialect != sqlstore.Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, c := range q {
		if c == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

const userColumns = `id, account_id, username, username_fold, email, email_fold, given_name, given_name_fold,
	surname, surname_fold, full_name, full_name_fold, status, password_hash, password_changed_at,
	email_verified_at, created_at, updated_at`

const userValues = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

// users writes n enabled, verified users of the default account, all with
// the password hash passwordHash, reporting progress now and then.
func (s *seeder) users(ctx context.Context, n int, passwordHash string, progress func(done int)) error {
	created := s.ts(s.now.Add(-24 * time.Hour))
	full := s.rebind("INSERT INTO users (" + userColumns + ") VALUES " +
		strings.TrimSuffix(strings.Repeat(userValues+", ", seedBatch), ", "))
	args := make([]any, 0, seedBatch*18)
	for start := 0; start < n; {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, full)
		if err != nil {
			tx.Rollback()
			return err
		}
		end := min(n, start+seedCommitEvery)
		for ; start < end; start += seedBatch {
			rows := min(seedBatch, end-start)
			args = args[:0]
			for i := start; i < start+rows; i++ {
				email := emailOf(s.tag, i)
				name := email[:strings.IndexByte(email, '@')]
				args = append(args, "usr_b"+s.tag+pad7(i), userdb.DefaultAccountID, name, name, email, email,
					"Bench", "bench", "User", "user", "Bench User", "bench user", string(userdb.StatusEnabled),
					passwordHash, created, created, created, created)
			}
			if rows == seedBatch {
				_, err = stmt.ExecContext(ctx, args...)
			} else {
				q := s.rebind("INSERT INTO users (" + userColumns + ") VALUES " +
					strings.TrimSuffix(strings.Repeat(userValues+", ", rows), ", "))
				_, err = tx.ExecContext(ctx, q, args...)
			}
			if err != nil {
				stmt.Close()
				tx.Rollback()
				return fmt.Errorf("seeding users: %w", err)
			}
		}
		stmt.Close()
		if err := tx.Commit(); err != nil {
			return err
		}
		if progress != nil {
			progress(start)
		}
	}
	return nil
}

// sessions starts n sessions spread evenly over the first users seeded users
// and returns their cookie secrets.
func (s *seeder) sessions(ctx context.Context, n, users int, lifetime time.Duration) ([]string, error) {
	secrets := make([]string, n)
	created, expires := s.ts(s.now), s.ts(s.now.Add(lifetime))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	for start := 0; start < n; start += seedBatch {
		rows := min(seedBatch, n-start)
		args := make([]any, 0, rows*8)
		for i := start; i < start+rows; i++ {
			secret, hash := userdb.NewSecret()
			secrets[i] = secret
			user := int(int64(i) * int64(users) / int64(n))
			args = append(args, "ses_b"+s.tag+pad7(i), hash, "usr_b"+s.tag+pad7(user), created, created, expires,
				"127.0.0.1", "userdb-bench")
		}
		// Every column is given: MySQL has no defaults for TEXT columns.
		q := s.rebind("INSERT INTO sessions (id, token_hash, user_id, created_at, last_seen_at, expires_at, ip, user_agent) VALUES " +
			strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", rows), ", "))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return nil, fmt.Errorf("seeding sessions: %w", err)
		}
	}
	return secrets, tx.Commit()
}

// apiKey creates a global API key with the super-admin role through the
// store and returns its secret.
func (s *seeder) apiKey(ctx context.Context, st *sqlstore.Store, superAdmin string) (string, error) {
	secret, hash := userdb.NewSecret()
	err := st.CreateAPIKey(ctx, &userdb.APIKey{
		ID: "key_b" + s.tag, Name: "bench " + s.tag, KeyHash: hash,
		Roles: []string{superAdmin}, CreatedBy: "bench", CreatedAt: s.now,
	})
	return secret, err
}

// check reads a seeded user and session back through the store, so that
// rows the store cannot read (a changed schema or time format) stop the run.
func (s *seeder) check(ctx context.Context, st *sqlstore.Store, users int, secret string) error {
	for _, i := range []int{0, users - 1} {
		u, err := st.FindUserByEmail(ctx, emailOf(s.tag, i))
		if err != nil {
			return fmt.Errorf("reading seeded user %d back: %w", i, err)
		}
		if u.Status != userdb.StatusEnabled || !u.CreatedAt.Before(s.now) || u.EmailVerifiedAt == nil {
			return fmt.Errorf("seeded user %d reads back wrong: %+v", i, u)
		}
	}
	sess, err := st.FindSessionByTokenHash(ctx, userdb.HashSecret(secret))
	if err != nil {
		return fmt.Errorf("reading a seeded session back: %w", err)
	}
	if !sess.ExpiresAt.After(s.now) {
		return fmt.Errorf("seeded session reads back wrong: %+v", sess)
	}
	return nil
}

// cleanup removes every row this run created in a database the harness
// does not own: the users (their sessions, tokens and roles go with them)
// and their events and outbox emails, which keep no foreign keys.
func (s *seeder) cleanup(ctx context.Context) error {
	like := "%-" + s.tag + "@example.com"
	owned := "SELECT id FROM users WHERE email_fold LIKE ?"
	for _, q := range []string{
		"DELETE FROM events WHERE user_id IN (" + owned + ")",
		"DELETE FROM outbox WHERE user_id IN (" + owned + ")",
		"DELETE FROM users WHERE email_fold LIKE ?",
	} {
		if _, err := s.db.ExecContext(ctx, s.rebind(q), like); err != nil {
			return fmt.Errorf("removing seeded rows: %w", err)
		}
	}
	_, err := s.db.ExecContext(ctx, s.rebind("DELETE FROM api_keys WHERE id = ?"), "key_b"+s.tag)
	return err
}
