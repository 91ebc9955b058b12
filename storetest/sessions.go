package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var sessionTests = []test{
	{"NotFoundAndConflict", testSessionNotFound},
	{"CreateAndFind", testSessionCreateAndFind},
	{"FindByUserNewestFirst", testSessionsByUser},
	{"Touch", testTouchSessions},
	{"DeleteUserSessions", testDeleteUserSessions},
	{"DeleteExpired", testDeleteExpiredSessions},
	{"Remembered", testRememberedSessions},
}

func sessionIDs(sessions []*userdb.Session) []string {
	var ids []string
	for _, s := range sessions {
		ids = append(ids, s.ID)
	}
	return ids
}

func testSessionNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	ses := MustCreateSession(t, s, u.ID, at(time.Hour))
	_, hash := userdb.NewSecret()
	_, err := s.FindSessionByTokenHash(ctx, hash)
	wantCode(t, "FindSessionByTokenHash", err, userdb.ENOTFOUND)
	_, err = s.FindSessionByID(ctx, "ses_missing")
	wantCode(t, "FindSessionByID", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteSession", s.DeleteSession(ctx, "ses_missing"), userdb.ENOTFOUND)

	dup := *ses
	_, dup.TokenHash = userdb.NewSecret()
	wantCode(t, "CreateSession with a taken ID", s.CreateSession(ctx, &dup), userdb.ECONFLICT)

	must(t, s.DeleteSession(ctx, ses.ID))
	_, err = s.FindSessionByID(ctx, ses.ID)
	wantCode(t, "FindSessionByID after delete", err, userdb.ENOTFOUND)
	_, err = s.FindSessionByTokenHash(ctx, ses.TokenHash)
	wantCode(t, "FindSessionByTokenHash after delete", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteSession twice", s.DeleteSession(ctx, ses.ID), userdb.ENOTFOUND)
}

func wantSession(t *testing.T, got, want *userdb.Session) {
	t.Helper()
	p := "session " + want.ID + " "
	wantEqual(t, p+"ID", got.ID, want.ID)
	if !bytes.Equal(got.TokenHash, want.TokenHash) {
		t.Errorf("%sTokenHash = %x, want %x", p, got.TokenHash, want.TokenHash)
	}
	wantEqual(t, p+"UserID", got.UserID, want.UserID)
	wantTime(t, p+"CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(t, p+"LastSeenAt", got.LastSeenAt, want.LastSeenAt)
	wantTime(t, p+"ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	wantEqual(t, p+"IP", got.IP, want.IP)
	wantEqual(t, p+"UserAgent", got.UserAgent, want.UserAgent)
}

func testSessionCreateAndFind(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	_, hash := userdb.NewSecret()
	ses := &userdb.Session{
		ID:         userdb.NewID("ses"),
		TokenHash:  hash,
		UserID:     u.ID,
		CreatedAt:  at(time.Hour),
		LastSeenAt: at(2 * time.Hour),
		ExpiresAt:  at(30 * time.Hour),
		IP:         "2001:db8::1",
		UserAgent:  "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" ünïcode",
	}
	must(t, s.CreateSession(ctx, ses))
	MustCreateSession(t, s, u.ID, at(time.Hour))
	got, err := s.FindSessionByID(ctx, ses.ID)
	must(t, err)
	wantSession(t, got, ses)
	got, err = s.FindSessionByTokenHash(ctx, hash)
	must(t, err)
	wantSession(t, got, ses)
}

func testSessionsByUser(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	s1 := MustCreateSession(t, s, u.ID, at(1*time.Hour))
	s2 := MustCreateSession(t, s, u.ID, at(3*time.Hour))
	s3 := MustCreateSession(t, s, u.ID, at(2*time.Hour))
	MustCreateSession(t, s, other.ID, at(4*time.Hour))

	got, err := s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantSeq(t, "sessions newest first", sessionIDs(got), []string{s2.ID, s3.ID, s1.ID})
	if len(got) == 3 {
		wantSession(t, got[0], s2)
	}
	got, err = s.FindSessionsByUser(ctx, "usr_missing")
	must(t, err)
	wantEqual(t, "sessions of a missing user", len(got), 0)
}

func testTouchSessions(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	s1 := MustCreateSession(t, s, u.ID, at(time.Hour))
	s2 := MustCreateSession(t, s, u.ID, at(time.Hour))
	s3 := MustCreateSession(t, s, u.ID, at(time.Hour))
	lastSeen := func(id string) time.Time {
		t.Helper()
		ses, err := s.FindSessionByID(ctx, id)
		must(t, err)
		return ses.LastSeenAt
	}

	must(t, s.TouchSessions(ctx, map[string]time.Time{
		s1.ID:         at(2 * time.Hour),
		s2.ID:         at(30 * time.Minute), // earlier than it was: ignored
		"ses_missing": at(5 * time.Hour),
	}))
	wantTime(t, "touched", lastSeen(s1.ID), at(2*time.Hour))
	wantTime(t, "touched with an earlier time", lastSeen(s2.ID), at(time.Hour))
	wantTime(t, "not touched", lastSeen(s3.ID), at(time.Hour))

	must(t, s.TouchSessions(ctx, map[string]time.Time{s1.ID: at(90 * time.Minute), s3.ID: at(3 * time.Hour)}))
	wantTime(t, "touched again with an earlier time", lastSeen(s1.ID), at(2*time.Hour))
	wantTime(t, "touched later", lastSeen(s3.ID), at(3*time.Hour))
	must(t, s.TouchSessions(ctx, map[string]time.Time{}))
}

func testDeleteUserSessions(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	s1 := MustCreateSession(t, s, u.ID, at(time.Hour))
	s2 := MustCreateSession(t, s, u.ID, at(2*time.Hour))
	s3 := MustCreateSession(t, s, u.ID, at(3*time.Hour))
	o1 := MustCreateSession(t, s, other.ID, at(time.Hour))

	ended, err := s.DeleteUserSessions(ctx, u.ID, s2.ID)
	must(t, err)
	wantSet(t, "ended sessions", sessionIDs(ended), []string{s1.ID, s3.ID})
	for _, e := range ended {
		wantEqual(t, "ended session's user", e.UserID, u.ID)
	}
	left, err := s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantSeq(t, "sessions left", sessionIDs(left), []string{s2.ID})
	_, err = s.FindSessionByTokenHash(ctx, s1.TokenHash)
	wantCode(t, "FindSessionByTokenHash of an ended session", err, userdb.ENOTFOUND)
	_, err = s.FindSessionByID(ctx, o1.ID)
	must(t, err)

	ended, err = s.DeleteUserSessions(ctx, u.ID, "")
	must(t, err)
	wantSeq(t, "ended sessions without exception", sessionIDs(ended), []string{s2.ID})
	ended, err = s.DeleteUserSessions(ctx, u.ID, "")
	must(t, err)
	wantEqual(t, "ended sessions when none are left", len(ended), 0)
	_, err = s.FindSessionByID(ctx, o1.ID)
	must(t, err)
}

func testDeleteExpiredSessions(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	create := func(lastSeen, expires time.Duration) *userdb.Session {
		_, hash := userdb.NewSecret()
		ses := &userdb.Session{ID: userdb.NewID("ses"), TokenHash: hash, UserID: u.ID,
			CreatedAt: base, LastSeenAt: at(lastSeen), ExpiresAt: at(expires)}
		must(t, s.CreateSession(ctx, ses))
		return ses
	}
	expired := create(30*time.Minute, time.Hour)
	idle := create(30*time.Minute, 3*time.Hour)
	active := create(150*time.Minute, 5*time.Hour)

	n, err := s.DeleteExpiredSessions(ctx, at(2*time.Hour), time.Time{})
	must(t, err)
	wantEqual(t, "sessions past expiry", n, 1)
	left, err := s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantSet(t, "sessions left", sessionIDs(left), []string{idle.ID, active.ID})
	_, err = s.FindSessionByID(ctx, expired.ID)
	wantCode(t, "FindSessionByID of an expired session", err, userdb.ENOTFOUND)

	n, err = s.DeleteExpiredSessions(ctx, at(2*time.Hour), at(time.Hour))
	must(t, err)
	wantEqual(t, "idle sessions", n, 1)
	left, err = s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantSeq(t, "sessions left", sessionIDs(left), []string{active.ID})
}

// testRememberedSessions: a remembered session ("Keep me signed in") says
// so when read back, and the idle sweep leaves it alone; its absolute
// expiry still ends it.
func testRememberedSessions(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	create := func(remembered bool, expires time.Duration) *userdb.Session {
		_, hash := userdb.NewSecret()
		ses := &userdb.Session{ID: userdb.NewID("ses"), TokenHash: hash, UserID: u.ID,
			CreatedAt: base, LastSeenAt: base, ExpiresAt: at(expires), Remembered: remembered}
		must(t, s.CreateSession(ctx, ses))
		return ses
	}
	kept := create(true, 30*24*time.Hour)
	plain := create(false, 12*time.Hour)
	got, err := s.FindSessionByTokenHash(ctx, kept.TokenHash)
	must(t, err)
	wantEqual(t, "remembered", got.Remembered, true)
	got, err = s.FindSessionByID(ctx, plain.ID)
	must(t, err)
	wantEqual(t, "not remembered", got.Remembered, false)

	// Idle for two hours, with a 30-minute idle timeout: only the plain one goes.
	n, err := s.DeleteExpiredSessions(ctx, at(2*time.Hour), at(90*time.Minute))
	must(t, err)
	wantEqual(t, "idle sessions", n, 1)
	left, err := s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantSeq(t, "sessions left", sessionIDs(left), []string{kept.ID})
	wantEqual(t, "listed as remembered", left[0].Remembered, true)

	n, err = s.DeleteExpiredSessions(ctx, at(30*24*time.Hour), at(30*24*time.Hour-30*time.Minute))
	must(t, err)
	wantEqual(t, "remembered session past its expiry", n, 1)
}
