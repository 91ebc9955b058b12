package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var userTests = []test{
	{"NotFound", testUserNotFound},
	{"CreateAndFind", testUserCreateAndFind},
	{"FindCaseInsensitive", testUserFindCaseInsensitive},
	{"FindUsernameThatIsAnotherEmail", testUserFindUsernameThatIsAnotherEmail},
	{"UniqueCaseInsensitive", testUserUniqueCaseInsensitive},
	{"RolesLoaded", testUserRolesLoaded},
	{"Update", testUserUpdate},
	{"UpdateResetFailedLogins", testUserUpdateResetFailedLogins},
	{"UpdateVersion", testUserUpdateVersion},
	{"UpdateVersionConcurrent", testUserUpdateVersionConcurrent},
	{"TextWithNUL", testUserTextWithNUL},
	{"Delete", testUserDelete},
	{"PasswordHistory", testPasswordHistory},
}

func testUserNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	MustCreateUser(t, s, userdb.User{Username: "someone", Email: "someone@example.com"})
	_, err := s.FindUserByID(ctx, "usr_missing")
	wantCode(t, "FindUserByID", err, userdb.ENOTFOUND)
	_, err = s.FindUserByLogin(ctx, "nobody")
	wantCode(t, "FindUserByLogin", err, userdb.ENOTFOUND)
	_, err = s.FindUserByEmail(ctx, "nobody@example.com")
	wantCode(t, "FindUserByEmail", err, userdb.ENOTFOUND)
	_, err = s.FindUserByEmail(ctx, "someone")
	wantCode(t, "FindUserByEmail with a username", err, userdb.ENOTFOUND)
	_, err = s.FindUserByUsername(ctx, "nobody")
	wantCode(t, "FindUserByUsername", err, userdb.ENOTFOUND)
	_, err = s.FindUserByUsername(ctx, "someone@example.com")
	wantCode(t, "FindUserByUsername with an email", err, userdb.ENOTFOUND)
	_, err = s.UpdateUser(ctx, "usr_missing", userdb.UserUpdate{GivenName: ptr("x")}, base)
	wantCode(t, "UpdateUser", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteUser", s.DeleteUser(ctx, "usr_missing"), userdb.ENOTFOUND)
	_, _, err = s.RecordFailedLogin(ctx, "usr_missing", base, 5)
	wantCode(t, "RecordFailedLogin", err, userdb.ENOTFOUND)
	wantCode(t, "UnlockUser", s.UnlockUser(ctx, "usr_missing", base), userdb.ENOTFOUND)

	u := &userdb.User{AccountID: "acc_missing", Username: "orphan"}
	fillUser(u)
	wantCode(t, "CreateUser in a missing account", s.CreateUser(ctx, u), userdb.ENOTFOUND)
	_, err = s.FindUserByID(ctx, u.ID)
	wantCode(t, "FindUserByID after a failed create", err, userdb.ENOTFOUND)
}

func testUserCreateAndFind(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := &userdb.User{
		ID:                 userdb.NewID("usr"),
		AccountID:          userdb.DefaultAccountID,
		Username:           "ada",
		Email:              "ada@example.com",
		GivenName:          "Ada",
		MiddleName:         "King",
		Surname:            "Lovelace",
		FullName:           "Ada King Lovelace",
		Status:             userdb.StatusPending,
		PasswordHash:       "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		PasswordChangedAt:  ptr(at(time.Hour)),
		PasswordMustChange: true,
		PasswordTemporary:  true,
		LastFailedLoginAt:  ptr(at(2 * time.Hour)),
		FailedLogins:       2,
		CustomData:         map[string]any{"favourite": "engines"},
		CreatedAt:          at(time.Minute),
		UpdatedAt:          at(3 * time.Hour),
	}
	must(t, s.CreateUser(ctx, u))
	want := *u
	want.Version = 1

	got, err := s.FindUserByID(ctx, u.ID)
	must(t, err)
	wantUser(t, got, &want)
	got, err = s.FindUserByLogin(ctx, "ada")
	must(t, err)
	wantUser(t, got, &want)
	got, err = s.FindUserByLogin(ctx, "ada@example.com")
	must(t, err)
	wantUser(t, got, &want)
	got, err = s.FindUserByEmail(ctx, "ada@example.com")
	must(t, err)
	wantUser(t, got, &want)
	got, err = s.FindUserByUsername(ctx, "ada")
	must(t, err)
	wantUser(t, got, &want)
}

func testUserFindCaseInsensitive(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	alice := MustCreateUser(t, s, userdb.User{Username: "alice", Email: "alice@example.com"})
	zoe := MustCreateUser(t, s, userdb.User{Username: "Zoë", Email: "Zoe@Example.com"})
	tests := []struct {
		find  string
		login string
		want  *userdb.User
	}{
		{"login", "ALICE", alice},
		{"login", "Alice@Example.COM", alice},
		{"login", "zoë", zoe},
		{"login", "ZOË", zoe},
		{"login", "zoe@example.com", zoe},
		{"email", "Alice@Example.COM", alice},
		{"email", "ZOE@EXAMPLE.COM", zoe},
		{"username", "ALICE", alice},
		{"username", "ZOË", zoe},
	}
	for _, tt := range tests {
		find := s.FindUserByLogin
		switch tt.find {
		case "email":
			find = s.FindUserByEmail
		case "username":
			find = s.FindUserByUsername
		}
		got, err := find(ctx, tt.login)
		if err != nil {
			t.Errorf("find by %s %q: %v", tt.find, tt.login, err)
			continue
		}
		wantEqual(t, "find by "+tt.find+" "+tt.login, got.ID, tt.want.ID)
	}
}

// testUserFindUsernameThatIsAnotherEmail: when one user's username is
// another's email, a sign-in lookup finds the email's owner and a username
// lookup the username's.
func testUserFindUsernameThatIsAnotherEmail(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	owner := MustCreateUser(t, s, userdb.User{Username: "pat", Email: "pat@example.com"})
	other := MustCreateUser(t, s, userdb.User{Username: "Pat@Example.com", Email: "other@example.com"})
	got, err := s.FindUserByLogin(ctx, "pat@example.com")
	must(t, err)
	wantEqual(t, "FindUserByLogin", got.ID, owner.ID)
	got, err = s.FindUserByUsername(ctx, "pat@example.com")
	must(t, err)
	wantEqual(t, "FindUserByUsername", got.ID, other.ID)
}

func testUserUniqueCaseInsensitive(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	MustCreateUser(t, s, userdb.User{Username: "alice", Email: "alice@example.com"})
	MustCreateUser(t, s, userdb.User{Username: "Zoë", Email: "zoe@example.com"})
	bob := MustCreateUser(t, s, userdb.User{Username: "bob", Email: "bob@example.com"})
	other := MustCreateAccount(t, s, "other")

	tests := []struct {
		name string
		u    userdb.User
	}{
		{"same email", userdb.User{Username: "alice2", Email: "alice@example.com"}},
		{"email in another case", userdb.User{Username: "alice2", Email: "ALICE@Example.com"}},
		{"username in another case", userdb.User{Username: "ALICE", Email: "alice2@example.com"}},
		{"non-ASCII username in another case", userdb.User{Username: "ZOË", Email: "zoe2@example.com"}},
		{"email in another account", userdb.User{AccountID: other.ID, Username: "alice2", Email: "Alice@example.com"}},
		{"username in another account", userdb.User{AccountID: other.ID, Username: "Alice", Email: "alice2@example.com"}},
	}
	for _, tt := range tests {
		u := tt.u
		fillUser(&u)
		wantCode(t, tt.name, s.CreateUser(ctx, &u), userdb.ECONFLICT)
	}
	n, err := s.CountUsers(ctx, userdb.UserFilter{}, 0)
	must(t, err)
	wantEqual(t, "users after conflicts", n, 3)

	_, err = s.UpdateUser(ctx, bob.ID, userdb.UserUpdate{Email: ptr("ALICE@example.com")}, at(time.Hour))
	wantCode(t, "UpdateUser to a taken email", err, userdb.ECONFLICT)
	_, err = s.UpdateUser(ctx, bob.ID, userdb.UserUpdate{Username: ptr("Alice")}, at(time.Hour))
	wantCode(t, "UpdateUser to a taken username", err, userdb.ECONFLICT)
	got := MustFindUser(t, s, bob.ID)
	wantEqual(t, "bob's email", got.Email, "bob@example.com")
	wantEqual(t, "bob's username", got.Username, "bob")

	// Changing only the case of one's own email is no conflict.
	got, err = s.UpdateUser(ctx, bob.ID, userdb.UserUpdate{Email: ptr("Bob@Example.com")}, at(time.Hour))
	must(t, err)
	wantEqual(t, "bob's new email", got.Email, "Bob@Example.com")
}

func testUserRolesLoaded(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	editor := MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	admin, err := s.FindRoleByName(ctx, userdb.DefaultAccountID, userdb.RoleAdmin)
	must(t, err)
	u := MustCreateUser(t, s, userdb.User{Username: "ed", Email: "ed@example.com"})
	MustCreateUser(t, s, userdb.User{Username: "plain"})
	MustAddUserRole(t, s, u.ID, editor.ID)
	MustAddUserRole(t, s, u.ID, admin.ID)

	want := []string{"admin", "editor"}
	got := MustFindUser(t, s, u.ID)
	wantSet(t, "roles by id", got.Roles, want)
	got, err = s.FindUserByLogin(ctx, "ed")
	must(t, err)
	wantSet(t, "roles by login", got.Roles, want)
	got, err = s.FindUserByEmail(ctx, "ed@example.com")
	must(t, err)
	wantSet(t, "roles by email", got.Roles, want)
	for _, u := range allUsers(t, s, userdb.UserFilter{}) {
		if u.Username == "ed" {
			wantSet(t, "roles by FindUsers", u.Roles, want)
		} else {
			wantSet(t, "roles of "+u.Username, u.Roles, nil)
		}
	}
	updated, err := s.UpdateUser(ctx, u.ID, userdb.UserUpdate{GivenName: ptr("Ed")}, at(time.Hour))
	must(t, err)
	wantSet(t, "roles by UpdateUser", updated.Roles, want)
}

func testUserUpdate(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{
		Username:   "ada",
		GivenName:  "Ada",
		Surname:    "Lovelace",
		CustomData: map[string]any{"old": true},
	})
	other := MustCreateAccount(t, s, "other")
	changed, verified, login := at(time.Hour), at(2*time.Hour), at(3*time.Hour)
	data := map[string]any{
		"plan":  "pro",
		"seats": float64(5),
		"flags": map[string]any{"beta": true, "none": nil},
		"tags":  []any{"a", "日本", map[string]any{"deep": []any{float64(1), float64(2)}}},
	}
	now := at(4 * time.Hour)
	got, err := s.UpdateUser(ctx, u.ID, userdb.UserUpdate{
		AccountID:          &other.ID,
		Username:           ptr("augusta"),
		Email:              ptr("augusta@example.org"),
		GivenName:          ptr("Augusta"),
		MiddleName:         ptr("Ada"),
		Surname:            ptr("King"),
		Status:             ptr(userdb.StatusDisabled),
		PasswordHash:       ptr("$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$bmV3"),
		PasswordChangedAt:  &changed,
		PasswordMustChange: ptr(true),
		PasswordTemporary:  ptr(true),
		EmailVerifiedAt:    &verified,
		LastLoginAt:        &login,
		CustomData:         data,
	}, now)
	must(t, err)
	want := *u
	want.AccountID = other.ID
	want.Username, want.Email = "augusta", "augusta@example.org"
	want.GivenName, want.MiddleName, want.Surname = "Augusta", "Ada", "King"
	want.FullName = "Augusta Ada King"
	want.Status = userdb.StatusDisabled
	want.PasswordHash = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$bmV3"
	want.PasswordChangedAt, want.PasswordMustChange, want.PasswordTemporary = &changed, true, true
	want.EmailVerifiedAt, want.LastLoginAt = &verified, &login
	want.CustomData = data
	want.UpdatedAt, want.Version = now, 2
	wantUser(t, got, &want)
	wantUser(t, MustFindUser(t, s, u.ID), &want)

	// Fields left nil stay; the full name follows the parts.
	now = at(5 * time.Hour)
	got, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{Surname: ptr("Byron"), MiddleName: ptr("")}, now)
	must(t, err)
	want.Surname, want.MiddleName, want.FullName = "Byron", "", "Augusta Byron"
	want.UpdatedAt, want.Version = now, 3
	wantUser(t, got, &want)

	now = at(6 * time.Hour)
	got, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{ClearEmailVerified: true, PasswordMustChange: ptr(false)}, now)
	must(t, err)
	want.EmailVerifiedAt, want.PasswordMustChange = nil, false
	want.UpdatedAt, want.Version = now, 4
	wantUser(t, got, &want)
	wantUser(t, MustFindUser(t, s, u.ID), &want)
}

func testUserUpdateResetFailedLogins(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "unlucky"})
	for range 3 {
		_, _, err := s.RecordFailedLogin(ctx, u.ID, at(time.Hour), 3)
		must(t, err)
	}
	locked := MustFindUser(t, s, u.ID)
	wantEqual(t, "status after 3 failures", locked.Status, userdb.StatusLocked)

	got, err := s.UpdateUser(ctx, u.ID, userdb.UserUpdate{ResetFailedLogins: true, Status: ptr(userdb.StatusEnabled)}, at(2*time.Hour))
	must(t, err)
	wantEqual(t, "FailedLogins", got.FailedLogins, 0)
	wantTimePtr(t, "LockedAt", got.LockedAt, nil)
	wantEqual(t, "Status", got.Status, userdb.StatusEnabled)
	stored := MustFindUser(t, s, u.ID)
	wantEqual(t, "stored FailedLogins", stored.FailedLogins, 0)
	wantTimePtr(t, "stored LockedAt", stored.LockedAt, nil)
}

func testUserUpdateVersion(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "versioned", GivenName: "One"})
	wantEqual(t, "version after create", MustFindUser(t, s, u.ID).Version, 1)

	got, err := s.UpdateUser(ctx, u.ID, userdb.UserUpdate{GivenName: ptr("Two"), Version: ptr(int64(1))}, at(time.Hour))
	must(t, err)
	wantEqual(t, "version after update", got.Version, 2)

	_, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{GivenName: ptr("Stale"), Version: ptr(int64(1))}, at(2*time.Hour))
	wantCode(t, "UpdateUser with a stale version", err, userdb.ECONFLICT)
	stored := MustFindUser(t, s, u.ID)
	wantEqual(t, "GivenName after stale update", stored.GivenName, "Two")
	wantEqual(t, "Version after stale update", stored.Version, 2)
	wantTime(t, "UpdatedAt after stale update", stored.UpdatedAt, at(time.Hour))

	got, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{GivenName: ptr("Three")}, at(3*time.Hour))
	must(t, err)
	wantEqual(t, "version after unchecked update", got.Version, 3)

	// A sign-in's bookkeeping keeps the version and the update time.
	got, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{LastLoginAt: ptr(at(3 * time.Hour)), ResetFailedLogins: true,
		PasswordHash: ptr("rehashed"), KeepVersion: true}, at(3*time.Hour+time.Minute))
	must(t, err)
	wantEqual(t, "version after bookkeeping", got.Version, 3)
	wantTime(t, "UpdatedAt after bookkeeping", got.UpdatedAt, at(3*time.Hour))
	wantTime(t, "LastLoginAt after bookkeeping", *got.LastLoginAt, at(3*time.Hour))
	wantEqual(t, "PasswordHash after bookkeeping", got.PasswordHash, "rehashed")
	got, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{GivenName: ptr("Four"), Version: ptr(int64(3))}, at(4*time.Hour))
	must(t, err)
	wantEqual(t, "version after checked update", got.Version, 4)
}

// testUserUpdateVersionConcurrent has 20 writers update one user at the
// same time, each with the version they all read: exactly one succeeds, the
// others get ECONFLICT, and the stored user is the winner's.
func testUserUpdateVersionConcurrent(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	const n = 20
	u := MustCreateUser(t, s, userdb.User{Username: "contended", GivenName: "Zero"})
	names := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		names[i] = fmt.Sprintf("Writer%d", i)
		wg.Go(func() {
			_, errs[i] = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{GivenName: &names[i], Version: ptr(u.Version)}, at(time.Hour))
		})
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch userdb.ErrorCode(err) {
		case "":
			if winner != "" {
				t.Errorf("both %s and %s updated version %d", winner, names[i], u.Version)
			}
			winner = names[i]
		case userdb.ECONFLICT:
		default:
			t.Errorf("writer %d: %v, want success or %s", i, err, userdb.ECONFLICT)
		}
	}
	if winner == "" {
		t.Fatal("no writer succeeded")
	}
	stored := MustFindUser(t, s, u.ID)
	wantEqual(t, "GivenName", stored.GivenName, winner)
	wantEqual(t, "Version", stored.Version, u.Version+1)
}

// testUserTextWithNUL: a NUL character in text the caller typed is either
// stored as it is or refused as EINVALID (PostgreSQL cannot store it), never
// an internal error, and a refused write writes nothing.
func testUserTextWithNUL(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := userdb.User{Username: "nul\x00name", GivenName: "Ann\x00"}
	fillUser(&u)
	switch err := s.CreateUser(ctx, &u); userdb.ErrorCode(err) {
	case "":
		wantEqual(t, "GivenName", MustFindUser(t, s, u.ID).GivenName, "Ann\x00")
	case userdb.EINVALID:
		_, err := s.FindUserByID(ctx, u.ID)
		wantCode(t, "FindUserByID after a refused create", err, userdb.ENOTFOUND)
	default:
		t.Fatalf("CreateUser with a NUL: %v, want success or %s", err, userdb.EINVALID)
	}
	for _, login := range []string{"nobody\x00@example.com", "\x00"} {
		if _, err := s.FindUserByLogin(ctx, login); !userdb.IsCode(err, userdb.ENOTFOUND) && !userdb.IsCode(err, userdb.EINVALID) {
			t.Errorf("FindUserByLogin(%q): %v, want %s or %s", login, err, userdb.ENOTFOUND, userdb.EINVALID)
		}
	}
}

func testUserDelete(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	editor := MustCreateRole(t, s, userdb.DefaultAccountID, "editor")
	u := MustCreateUser(t, s, userdb.User{Username: "leaving"})
	stay := MustCreateUser(t, s, userdb.User{Username: "staying"})
	MustAddUserRole(t, s, u.ID, editor.ID)
	MustAddUserRole(t, s, stay.ID, editor.ID)
	ses := MustCreateSession(t, s, u.ID, at(time.Hour))
	staySes := MustCreateSession(t, s, stay.ID, at(time.Hour))
	tok := MustCreateToken(t, s, u.ID, userdb.TokenReset, at(48*time.Hour))
	must(t, s.AddPasswordHistory(ctx, u.ID, "old-hash", at(time.Hour), 5))
	MustCreateEvent(t, s, userdb.Event{Type: "user.created", Time: at(time.Minute), UserID: u.ID, AccountID: u.AccountID})
	MustCreateEvent(t, s, userdb.Event{Type: "user.login", Time: at(time.Hour), UserID: u.ID, AccountID: u.AccountID})

	must(t, s.DeleteUser(ctx, u.ID))

	_, err := s.FindUserByID(ctx, u.ID)
	wantCode(t, "FindUserByID", err, userdb.ENOTFOUND)
	_, err = s.FindUserByLogin(ctx, "leaving")
	wantCode(t, "FindUserByLogin", err, userdb.ENOTFOUND)
	_, err = s.FindSessionByID(ctx, ses.ID)
	wantCode(t, "FindSessionByID", err, userdb.ENOTFOUND)
	sessions, err := s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantEqual(t, "sessions left", len(sessions), 0)
	_, err = s.FindToken(ctx, tok.Kind, tok.TokenHash, at(time.Hour))
	wantCode(t, "FindToken", err, userdb.ENOTFOUND)
	history, err := s.FindPasswordHistory(ctx, u.ID, 10)
	must(t, err)
	wantEqual(t, "password history left", len(history), 0)
	n, err := s.CountUsers(ctx, userdb.UserFilter{Role: "editor"}, 0)
	must(t, err)
	wantEqual(t, "users with the role", n, 1)

	events, err := s.FindEvents(ctx, userdb.EventFilter{UserID: u.ID})
	must(t, err)
	wantEqual(t, "events of the deleted user", len(events), 2)

	_, err = s.FindSessionByID(ctx, staySes.ID)
	must(t, err)
	wantSet(t, "other user's roles", MustFindUser(t, s, stay.ID).Roles, []string{"editor"})
	wantCode(t, "DeleteUser twice", s.DeleteUser(ctx, u.ID), userdb.ENOTFOUND)
}

func testPasswordHistory(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "rotating"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	must(t, s.AddPasswordHistory(ctx, other.ID, "other-1", at(time.Minute), 3))
	for i, h := range []string{"h1", "h2", "h3", "h4", "h5"} {
		must(t, s.AddPasswordHistory(ctx, u.ID, h, at(time.Duration(i+1)*time.Hour), 3))
	}
	got, err := s.FindPasswordHistory(ctx, u.ID, 10)
	must(t, err)
	wantSeq(t, "history kept", got, []string{"h5", "h4", "h3"})
	got, err = s.FindPasswordHistory(ctx, u.ID, 2)
	must(t, err)
	wantSeq(t, "history limited", got, []string{"h5", "h4"})
	got, err = s.FindPasswordHistory(ctx, other.ID, 10)
	must(t, err)
	wantSeq(t, "other user's history", got, []string{"other-1"})
	got, err = s.FindPasswordHistory(ctx, "usr_missing", 10)
	must(t, err)
	wantEqual(t, "history of a missing user", len(got), 0)
}
