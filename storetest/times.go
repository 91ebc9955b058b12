package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var timeTests = []test{
	{"RoundTripUTC", testTimesRoundTrip},
	{"CompareAsInstants", testTimesCompareAsInstants},
}

// india is a zone east of UTC with a half-hour offset, so that a store that
// drops or misreads the zone is off by an amount no rounding explains.
var india = time.FixedZone("IST", 5*3600+1800)

// local returns the base time plus d, with nanoseconds, in the India zone.
func local(d time.Duration) time.Time {
	return base.Add(d + 123456789*time.Nanosecond).In(india)
}

func testTimesRoundTrip(t *testing.T, s userdb.Store) {
	ctx := t.Context()

	a := &userdb.Account{ID: userdb.NewID("acc"), Name: "zoned", Status: userdb.StatusEnabled, CreatedAt: local(time.Hour), UpdatedAt: local(2 * time.Hour)}
	must(t, s.CreateAccount(ctx, a))
	gotAccount, err := s.FindAccountByID(ctx, a.ID)
	must(t, err)
	wantTime(t, "Account.CreatedAt", gotAccount.CreatedAt, a.CreatedAt)
	wantTime(t, "Account.UpdatedAt", gotAccount.UpdatedAt, a.UpdatedAt)
	gotAccount, err = s.UpdateAccount(ctx, a.ID, userdb.AccountUpdate{Description: ptr("d")}, local(3*time.Hour))
	must(t, err)
	wantTime(t, "Account.UpdatedAt after update", gotAccount.UpdatedAt, local(3*time.Hour))

	u := MustCreateUser(t, s, userdb.User{
		Username:          "zoned",
		PasswordChangedAt: ptr(local(time.Hour)),
		LastLoginAt:       ptr(local(2 * time.Hour)),
		LastFailedLoginAt: ptr(local(3 * time.Hour)),
		CreatedAt:         local(4 * time.Hour),
		UpdatedAt:         local(5 * time.Hour),
	})
	got := MustFindUser(t, s, u.ID)
	wantTimePtr(t, "User.PasswordChangedAt", got.PasswordChangedAt, u.PasswordChangedAt)
	wantTimePtr(t, "User.EmailVerifiedAt", got.EmailVerifiedAt, nil)
	wantTimePtr(t, "User.LastLoginAt", got.LastLoginAt, u.LastLoginAt)
	wantTimePtr(t, "User.LastFailedLoginAt", got.LastFailedLoginAt, u.LastFailedLoginAt)
	wantTimePtr(t, "User.LockedAt", got.LockedAt, nil)
	wantTime(t, "User.CreatedAt", got.CreatedAt, u.CreatedAt)
	wantTime(t, "User.UpdatedAt", got.UpdatedAt, u.UpdatedAt)

	got, err = s.UpdateUser(ctx, u.ID, userdb.UserUpdate{EmailVerifiedAt: ptr(local(6 * time.Hour))}, local(7*time.Hour))
	must(t, err)
	wantTimePtr(t, "User.EmailVerifiedAt after update", got.EmailVerifiedAt, ptr(local(6*time.Hour)))
	wantTime(t, "User.UpdatedAt after update", got.UpdatedAt, local(7*time.Hour))
	_, _, err = s.RecordFailedLogin(ctx, u.ID, local(8*time.Hour), 1)
	must(t, err)
	got = MustFindUser(t, s, u.ID)
	wantTimePtr(t, "User.EmailVerifiedAt", got.EmailVerifiedAt, ptr(local(6*time.Hour)))
	wantTimePtr(t, "User.LockedAt after lockout", got.LockedAt, ptr(local(8*time.Hour)))
	wantTimePtr(t, "User.LastFailedLoginAt after lockout", got.LastFailedLoginAt, ptr(local(8*time.Hour)))

	r := &userdb.Role{ID: userdb.NewID("rol"), AccountID: a.ID, Name: "zoned", Status: userdb.StatusEnabled, CreatedAt: local(time.Hour), UpdatedAt: local(2 * time.Hour)}
	must(t, s.CreateRole(ctx, r))
	gotRole, err := s.FindRoleByID(ctx, r.ID)
	must(t, err)
	wantTime(t, "Role.CreatedAt", gotRole.CreatedAt, r.CreatedAt)
	wantTime(t, "Role.UpdatedAt", gotRole.UpdatedAt, r.UpdatedAt)

	_, hash := userdb.NewSecret()
	ses := &userdb.Session{ID: userdb.NewID("ses"), TokenHash: hash, UserID: u.ID, CreatedAt: local(time.Hour), LastSeenAt: local(2 * time.Hour), ExpiresAt: local(48 * time.Hour)}
	must(t, s.CreateSession(ctx, ses))
	gotSession, err := s.FindSessionByID(ctx, ses.ID)
	must(t, err)
	wantTime(t, "Session.CreatedAt", gotSession.CreatedAt, ses.CreatedAt)
	wantTime(t, "Session.LastSeenAt", gotSession.LastSeenAt, ses.LastSeenAt)
	wantTime(t, "Session.ExpiresAt", gotSession.ExpiresAt, ses.ExpiresAt)
	must(t, s.TouchSessions(ctx, map[string]time.Time{ses.ID: local(3 * time.Hour)}))
	gotSession, err = s.FindSessionByID(ctx, ses.ID)
	must(t, err)
	wantTime(t, "Session.LastSeenAt after touch", gotSession.LastSeenAt, local(3*time.Hour))

	_, hash = userdb.NewSecret()
	tok := &userdb.OneTimeToken{TokenHash: hash, Kind: userdb.TokenVerify, UserID: u.ID, CreatedAt: local(time.Hour), ExpiresAt: local(2 * time.Hour)}
	must(t, s.CreateToken(ctx, tok))
	gotToken, err := s.FindToken(ctx, tok.Kind, tok.TokenHash, local(90*time.Minute))
	must(t, err)
	wantTime(t, "OneTimeToken.CreatedAt", gotToken.CreatedAt, tok.CreatedAt)
	wantTime(t, "OneTimeToken.ExpiresAt", gotToken.ExpiresAt, tok.ExpiresAt)
	wantTimePtr(t, "OneTimeToken.ConsumedAt", gotToken.ConsumedAt, nil)
	gotToken, err = s.ConsumeToken(ctx, tok.Kind, tok.TokenHash, local(100*time.Minute))
	must(t, err)
	wantTimePtr(t, "OneTimeToken.ConsumedAt after consume", gotToken.ConsumedAt, ptr(local(100*time.Minute)))

	_, hash = userdb.NewSecret()
	k := &userdb.APIKey{ID: userdb.NewID("key"), Name: "zoned", KeyHash: hash, CreatedAt: local(time.Hour), ExpiresAt: ptr(local(48 * time.Hour))}
	must(t, s.CreateAPIKey(ctx, k))
	gotKey, err := s.FindAPIKeyByID(ctx, k.ID)
	must(t, err)
	wantTime(t, "APIKey.CreatedAt", gotKey.CreatedAt, k.CreatedAt)
	wantTimePtr(t, "APIKey.ExpiresAt", gotKey.ExpiresAt, k.ExpiresAt)
	wantTimePtr(t, "APIKey.LastUsedAt", gotKey.LastUsedAt, nil)
	wantTimePtr(t, "APIKey.RevokedAt", gotKey.RevokedAt, nil)
	must(t, s.TouchAPIKey(ctx, k.ID, local(2*time.Hour)))
	must(t, s.RevokeAPIKey(ctx, k.ID, local(3*time.Hour)))
	gotKey, err = s.FindAPIKeyByID(ctx, k.ID)
	must(t, err)
	wantTimePtr(t, "APIKey.LastUsedAt after touch", gotKey.LastUsedAt, ptr(local(2*time.Hour)))
	wantTimePtr(t, "APIKey.RevokedAt after revoke", gotKey.RevokedAt, ptr(local(3*time.Hour)))

	e := MustCreateEvent(t, s, userdb.Event{Type: "user.zoned", Time: local(time.Hour), UserID: u.ID})
	events, err := s.FindEvents(ctx, userdb.EventFilter{UserID: u.ID})
	must(t, err)
	if len(events) != 1 {
		t.Fatalf("found %d events, want 1", len(events))
	}
	wantTime(t, "Event.Time", events[0].Time, e.Time)

	m := &userdb.OutboxEmail{To: "zoned@example.com", Subject: "s", Text: "t", Kind: "test", CreatedAt: local(time.Hour), NextAttemptAt: local(2 * time.Hour)}
	must(t, s.EnqueueEmail(ctx, m))
	emails, err := s.FindEmails(ctx, 10)
	must(t, err)
	if len(emails) != 1 {
		t.Fatalf("found %d emails, want 1", len(emails))
	}
	wantTime(t, "OutboxEmail.CreatedAt", emails[0].CreatedAt, m.CreatedAt)
	wantTime(t, "OutboxEmail.NextAttemptAt", emails[0].NextAttemptAt, m.NextAttemptAt)
	wantTimePtr(t, "OutboxEmail.SentAt", emails[0].SentAt, nil)
	must(t, s.MarkEmailSent(ctx, m.ID, local(3*time.Hour)))
	emails, err = s.FindEmails(ctx, 10)
	must(t, err)
	wantTimePtr(t, "OutboxEmail.SentAt after sending", emails[0].SentAt, ptr(local(3*time.Hour)))
}

// testTimesCompareAsInstants checks that comparisons with times given in
// different zones compare instants, not wall clocks or strings.
func testTimesCompareAsInstants(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	pacific := time.FixedZone("PST", -8*3600)
	u := MustCreateUser(t, s, userdb.User{Username: "zoned", CreatedAt: at(time.Hour).In(india)})

	tok := MustCreateToken(t, s, u.ID, userdb.TokenVerify, at(2*time.Hour).In(india))
	if _, err := s.FindToken(ctx, tok.Kind, tok.TokenHash, at(90*time.Minute).In(pacific)); err != nil {
		t.Errorf("FindToken before expiry, other zone: %v", err)
	}
	_, err := s.FindToken(ctx, tok.Kind, tok.TokenHash, at(150*time.Minute))
	wantCode(t, "FindToken after expiry, UTC", err, userdb.ENOTFOUND)
	_, err = s.FindToken(ctx, tok.Kind, tok.TokenHash, at(150*time.Minute).In(pacific))
	wantCode(t, "FindToken after expiry, other zone", err, userdb.ENOTFOUND)

	for _, tt := range []struct {
		name string
		f    userdb.UserFilter
		want int
	}{
		{"created after, earlier instant", userdb.UserFilter{CreatedAfter: ptr(at(30 * time.Minute).In(pacific))}, 1},
		{"created after, later instant", userdb.UserFilter{CreatedAfter: ptr(at(90 * time.Minute).In(pacific))}, 0},
		{"created before, later instant", userdb.UserFilter{CreatedBefore: ptr(at(90 * time.Minute).In(pacific))}, 1},
		{"created before, earlier instant", userdb.UserFilter{CreatedBefore: ptr(at(30 * time.Minute).In(india))}, 0},
	} {
		n, err := s.CountUsers(ctx, tt.f, 0)
		must(t, err)
		wantEqual(t, tt.name, n, tt.want)
	}
}
