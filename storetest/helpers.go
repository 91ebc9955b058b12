package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// MustCreateAccount creates an enabled account with the name, created at the
// suite's base time, and fails the test on error.
func MustCreateAccount(tb testing.TB, s userdb.Store, name string) *userdb.Account {
	tb.Helper()
	a := &userdb.Account{
		ID:        userdb.NewID("acc"),
		Name:      name,
		Status:    userdb.StatusEnabled,
		CreatedAt: base,
		UpdatedAt: base,
	}
	if err := s.CreateAccount(tb.Context(), a); err != nil {
		tb.Fatalf("create account %q: %v", name, err)
	}
	return a
}

// MustCreateUser creates u and fails the test on error. It fills in what u
// leaves empty: a new ID, the default account, a username or email made from
// the other (or from the ID), the full name, status ENABLED, and creation
// times at the suite's base time.
func MustCreateUser(tb testing.TB, s userdb.Store, u userdb.User) *userdb.User {
	tb.Helper()
	fillUser(&u)
	if err := s.CreateUser(tb.Context(), &u); err != nil {
		tb.Fatalf("create user %q: %v", u.Username, err)
	}
	return &u
}

// fillUser sets the empty fields of u as MustCreateUser documents.
func fillUser(u *userdb.User) {
	if u.ID == "" {
		u.ID = userdb.NewID("usr")
	}
	if u.AccountID == "" {
		u.AccountID = userdb.DefaultAccountID
	}
	if u.Username == "" && u.Email == "" {
		u.Username = u.ID
	}
	if u.Email == "" {
		u.Email = u.Username + "@example.com"
	}
	if u.Username == "" {
		u.Username = u.Email
	}
	if u.FullName == "" {
		u.FullName = userdb.JoinName(u.GivenName, u.MiddleName, u.Surname)
	}
	if u.Status == "" {
		u.Status = userdb.StatusEnabled
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = base
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
}

// MustFindUser finds a user by ID and fails the test on error.
func MustFindUser(tb testing.TB, s userdb.Store, id string) *userdb.User {
	tb.Helper()
	u, err := s.FindUserByID(tb.Context(), id)
	if err != nil {
		tb.Fatalf("find user %s: %v", id, err)
	}
	return u
}

// MustCreateRole creates an enabled role in the account and fails the test
// on error.
func MustCreateRole(tb testing.TB, s userdb.Store, accountID, name string) *userdb.Role {
	tb.Helper()
	r := &userdb.Role{
		ID:        userdb.NewID("rol"),
		AccountID: accountID,
		Name:      name,
		Status:    userdb.StatusEnabled,
		CreatedAt: base,
		UpdatedAt: base,
	}
	if err := s.CreateRole(tb.Context(), r); err != nil {
		tb.Fatalf("create role %q: %v", name, err)
	}
	return r
}

// MustAddUserRole gives the user the role and fails the test on error.
func MustAddUserRole(tb testing.TB, s userdb.Store, userID, roleID string) {
	tb.Helper()
	if err := s.AddUserRole(tb.Context(), userID, roleID); err != nil {
		tb.Fatalf("add role %s to user %s: %v", roleID, userID, err)
	}
}

// MustCreateSession creates a session of the user, created and last seen at
// the time and expiring a day later, and fails the test on error.
func MustCreateSession(tb testing.TB, s userdb.Store, userID string, created time.Time) *userdb.Session {
	tb.Helper()
	_, hash := userdb.NewSecret()
	ss := &userdb.Session{
		ID:         userdb.NewID("ses"),
		TokenHash:  hash,
		UserID:     userID,
		CreatedAt:  created,
		LastSeenAt: created,
		ExpiresAt:  created.Add(24 * time.Hour),
		IP:         "192.0.2.1",
		UserAgent:  "storetest",
	}
	if err := s.CreateSession(tb.Context(), ss); err != nil {
		tb.Fatalf("create session: %v", err)
	}
	return ss
}

// MustCreateToken creates a one-time token of the kind for the user, created
// at the suite's base time, and fails the test on error.
func MustCreateToken(tb testing.TB, s userdb.Store, userID string, kind userdb.TokenKind, expires time.Time) *userdb.OneTimeToken {
	tb.Helper()
	_, hash := userdb.NewSecret()
	tok := &userdb.OneTimeToken{
		TokenHash: hash,
		Kind:      kind,
		UserID:    userID,
		CreatedAt: base,
		ExpiresAt: expires,
	}
	if err := s.CreateToken(tb.Context(), tok); err != nil {
		tb.Fatalf("create %s token: %v", kind, err)
	}
	return tok
}

// MustCreateAPIKey creates an API key of the account ("" for a global key)
// created at the time, and fails the test on error.
func MustCreateAPIKey(tb testing.TB, s userdb.Store, accountID string, created time.Time) *userdb.APIKey {
	tb.Helper()
	_, hash := userdb.NewSecret()
	k := &userdb.APIKey{
		ID:        userdb.NewID("key"),
		Name:      "key created at " + created.Format(time.TimeOnly),
		KeyHash:   hash,
		AccountID: accountID,
		Roles:     []string{userdb.RoleAdmin},
		CreatedAt: created,
	}
	if err := s.CreateAPIKey(tb.Context(), k); err != nil {
		tb.Fatalf("create API key: %v", err)
	}
	return k
}

// MustCreateEvent appends e to the audit log and fails the test on error.
func MustCreateEvent(tb testing.TB, s userdb.Store, e userdb.Event) *userdb.Event {
	tb.Helper()
	if err := s.CreateEvent(tb.Context(), &e); err != nil {
		tb.Fatalf("create event %q: %v", e.Type, err)
	}
	return &e
}

// MustEnqueueEmail adds an email to the outbox, due at the time, and fails the
// test on error.
func MustEnqueueEmail(tb testing.TB, s userdb.Store, to string, due time.Time) *userdb.OutboxEmail {
	tb.Helper()
	m := &userdb.OutboxEmail{
		To:            to,
		Subject:       "Hello " + to,
		Text:          "Hello, " + to + ".",
		HTML:          "<p>Hello, " + to + ".</p>",
		Kind:          "test",
		CreatedAt:     base,
		NextAttemptAt: due,
	}
	if err := s.EnqueueEmail(tb.Context(), m); err != nil {
		tb.Fatalf("enqueue email to %s: %v", to, err)
	}
	return m
}

// countWins runs f from calls goroutines at once and returns how many of
// them won (f returned true); any error fails the test.
func countWins(t *testing.T, calls int, f func() (bool, error)) int {
	t.Helper()
	won := make([]bool, calls)
	errs := make([]error, calls)
	var wg sync.WaitGroup
	for i := range calls {
		wg.Go(func() { won[i], errs[i] = f() })
	}
	wg.Wait()
	wins := 0
	for i := range calls {
		must(t, errs[i])
		if won[i] {
			wins++
		}
	}
	return wins
}
