package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var oauthTests = []test{
	{"ClientCRUD", testOAuthClients},
	{"ClientTenancy", testOAuthClientTenancy},
	{"CodeSingleUse", testOAuthCodeSingleUse},
	{"RefreshRotation", testOAuthRefresh},
	{"RefreshConcurrentUse", testOAuthRefreshConcurrent},
	{"Consents", testOAuthConsents},
	{"DeviceCodes", testOAuthDeviceCodes},
	{"SigningKeys", testOAuthSigningKeys},
	{"Revocations", testOAuthRevocations},
	{"SessionAMR", testSessionAMR},
	{"Expiry", testOAuthExpiry},
}

// MustCreateOAuthClient creates a confidential client of the account.
func MustCreateOAuthClient(tb testing.TB, s userdb.Store, accountID, name string) *userdb.OAuthClient {
	tb.Helper()
	_, hash := userdb.NewSecret()
	c := &userdb.OAuthClient{
		ID: userdb.NewID("cli"), AccountID: accountID, Name: name, Type: userdb.ClientConfidential,
		AuthMethod: userdb.AuthSecretBasic, SecretHash: hash,
		GrantTypes:   []string{userdb.GrantAuthorizationCode, userdb.GrantRefreshToken},
		RedirectURIs: []string{"https://app.example.com/callback"}, Scopes: []string{"openid", "email"},
		TokenFormat: userdb.TokenFormatJWT, AccessTokenTTL: time.Hour, CreatedAt: base,
	}
	if err := s.CreateOAuthClient(tb.Context(), c); err != nil {
		tb.Fatalf("CreateOAuthClient: %v", err)
	}
	return c
}

func testOAuthClients(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	_, err := s.FindOAuthClient(ctx, "cli_missing")
	wantCode(t, "FindOAuthClient", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteOAuthClient", s.DeleteOAuthClient(ctx, "cli_missing"), userdb.ENOTFOUND)
	wantCode(t, "UpdateOAuthClient", s.UpdateOAuthClient(ctx, &userdb.OAuthClient{ID: "cli_missing", UpdatedAt: base}), userdb.ENOTFOUND)
	bad := userdb.OAuthClient{ID: userdb.NewID("cli"), AccountID: "acc_missing", Name: "x", CreatedAt: base}
	wantCode(t, "CreateOAuthClient for a missing account", s.CreateOAuthClient(ctx, &bad), userdb.ENOTFOUND)

	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "Web app")
	dup := *c
	wantCode(t, "CreateOAuthClient with a taken id", s.CreateOAuthClient(ctx, &dup), userdb.ECONFLICT)

	got, err := s.FindOAuthClient(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "Name", got.Name, "Web app")
	wantSet(t, "GrantTypes", got.GrantTypes, c.GrantTypes)
	wantSet(t, "RedirectURIs", got.RedirectURIs, c.RedirectURIs)
	wantEqual(t, "AccessTokenTTL", got.AccessTokenTTL, time.Hour)
	if !bytes.Equal(got.SecretHash, c.SecretHash) {
		t.Errorf("SecretHash = %x, want %x", got.SecretHash, c.SecretHash)
	}
	wantTime(t, "CreatedAt", got.CreatedAt, base)

	got.Name, got.FirstParty, got.SecretHash, got.Type, got.AuthMethod = "Renamed", true, nil, userdb.ClientPublic, userdb.AuthNone
	got.PostLogoutRedirectURIs, got.UpdatedAt = []string{"https://app.example.com/bye"}, at(time.Hour)
	if err := s.UpdateOAuthClient(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.FindOAuthClient(ctx, c.ID)
	wantEqual(t, "Name after update", again.Name, "Renamed")
	wantEqual(t, "FirstParty after update", again.FirstParty, true)
	wantEqual(t, "SecretHash after update", len(again.SecretHash), 0)
	wantSet(t, "PostLogoutRedirectURIs", again.PostLogoutRedirectURIs, []string{"https://app.example.com/bye"})
	wantTime(t, "UpdatedAt", again.UpdatedAt, at(time.Hour))

	if err := s.DeleteOAuthClient(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindOAuthClient(ctx, c.ID)
	wantCode(t, "FindOAuthClient after delete", err, userdb.ENOTFOUND)
}

func testOAuthClientTenancy(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	a := MustCreateAccount(t, s, "tenant-a")
	b := MustCreateAccount(t, s, "tenant-b")
	ca := MustCreateOAuthClient(t, s, a.ID, "A app")
	cb := MustCreateOAuthClient(t, s, b.ID, "B app")
	list, err := s.FindOAuthClients(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != ca.ID {
		t.Errorf("clients of account A = %v, want only %s", list, ca.ID)
	}
	all, _ := s.FindOAuthClients(ctx, "")
	if len(all) != 2 {
		t.Errorf("all clients: %d, want 2", len(all))
	}
	_ = cb
}

func newAuthRequest(t *testing.T, s userdb.Store, clientID string) *userdb.OAuthAuthRequest {
	t.Helper()
	max := int64(300)
	r := &userdb.OAuthAuthRequest{
		ID: userdb.NewID("are"), ClientID: clientID, RedirectURI: "https://app.example.com/callback",
		Scopes: []string{"openid"}, State: "st", Nonce: "n", CodeChallenge: "abc", CodeChallengeMethod: "S256",
		Prompt: []string{"login"}, MaxAge: &max, LoginHint: "ada", Connection: "corp", CreatedAt: base, ExpiresAt: at(10 * time.Minute),
	}
	if err := s.CreateOAuthAuthRequest(t.Context(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func testOAuthCodeSingleUse(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "app")
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	r := newAuthRequest(t, s, c.ID)
	_, err := s.FindOAuthAuthRequest(ctx, r.ID, at(11*time.Minute))
	wantCode(t, "FindOAuthAuthRequest after expiry", err, userdb.ENOTFOUND)
	got, err := s.FindOAuthAuthRequest(ctx, r.ID, base)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "CodeChallenge", got.CodeChallenge, "abc")
	wantEqual(t, "LoginHint", got.LoginHint, "ada")
	wantEqual(t, "Connection", got.Connection, "corp")
	if got.MaxAge == nil || *got.MaxAge != 300 {
		t.Errorf("MaxAge = %v, want 300", got.MaxAge)
	}
	wantSet(t, "Prompt", got.Prompt, []string{"login"})

	if err := s.CompleteOAuthAuthRequest(ctx, r.ID, u.ID, at(time.Second), []string{"pwd"}); err != nil {
		t.Fatal(err)
	}
	_, hash := userdb.NewSecret()
	if err := s.SetOAuthCode(ctx, r.ID, hash, at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "SetOAuthCode twice", s.SetOAuthCode(ctx, r.ID, hash, at(time.Minute)), userdb.ENOTFOUND)
	wantCode(t, "CompleteOAuthAuthRequest after the code", s.CompleteOAuthAuthRequest(ctx, r.ID, u.ID, base, nil), userdb.ENOTFOUND)

	// Many exchanges at once: exactly one wins, the rest see a used code.
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins, reused := 0, 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := s.ConsumeOAuthCode(ctx, hash, at(2*time.Second))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				wins++
				if req.UserID != u.ID || req.AuthTime.IsZero() {
					t.Errorf("consumed request has user %q, auth time %v", req.UserID, req.AuthTime)
				}
			case userdb.IsCode(err, userdb.ECONFLICT) && req != nil && req.ID == r.ID:
				reused++
			default:
				t.Errorf("ConsumeOAuthCode: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 || reused != n-1 {
		t.Errorf("%d exchanges won, %d saw reuse; want 1 and %d", wins, reused, n-1)
	}
	if err := s.SetOAuthCodeGrant(ctx, r.ID, "fam_1", "jti_1"); err != nil {
		t.Fatal(err)
	}
	req, err := s.ConsumeOAuthCode(ctx, hash, at(3*time.Second))
	wantCode(t, "ConsumeOAuthCode again", err, userdb.ECONFLICT)
	if req == nil || req.FamilyID != "fam_1" || req.AccessJTI != "jti_1" {
		t.Errorf("reused code's request = %+v, want family fam_1 and jti_1", req)
	}
	_, other := userdb.NewSecret()
	_, err = s.ConsumeOAuthCode(ctx, other, base)
	wantCode(t, "ConsumeOAuthCode of an unknown code", err, userdb.ENOTFOUND)

	// An expired code is not found, not reused.
	r2 := newAuthRequest(t, s, c.ID)
	_, h2 := userdb.NewSecret()
	s.SetOAuthCode(ctx, r2.ID, h2, at(time.Minute))
	_, err = s.ConsumeOAuthCode(ctx, h2, at(2*time.Minute))
	wantCode(t, "ConsumeOAuthCode after expiry", err, userdb.ENOTFOUND)
}

func mustRefresh(t *testing.T, s userdb.Store, c *userdb.OAuthClient, userID, family, jti string) (*userdb.OAuthRefreshToken, []byte) {
	t.Helper()
	_, hash := userdb.NewSecret()
	rt := &userdb.OAuthRefreshToken{ID: userdb.NewID("rt"), FamilyID: family, TokenHash: hash, ClientID: c.ID, UserID: userID,
		Scopes: []string{"openid", "offline_access"}, AuthTime: base, AMR: []string{"pwd"}, AccessJTI: jti,
		CreatedAt: base, ExpiresAt: at(24 * time.Hour)}
	if err := s.CreateOAuthRefreshToken(t.Context(), rt); err != nil {
		t.Fatal(err)
	}
	return rt, hash
}

func testOAuthRefresh(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "app")
	c2 := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "other")
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	_, h1 := mustRefresh(t, s, c, u.ID, "fam_a", "jti_1")
	_, h2 := mustRefresh(t, s, c, u.ID, "fam_a", "jti_2")
	_, h3 := mustRefresh(t, s, c2, u.ID, "fam_b", "jti_3")
	got, err := s.FindOAuthRefreshToken(ctx, h1)
	if err != nil {
		t.Fatal(err)
	}
	wantSet(t, "Scopes", got.Scopes, []string{"openid", "offline_access"})
	wantSet(t, "AMR", got.AMR, []string{"pwd"})
	_, missing := userdb.NewSecret()
	_, err = s.FindOAuthRefreshToken(ctx, missing)
	wantCode(t, "FindOAuthRefreshToken", err, userdb.ENOTFOUND)

	if err := s.UseOAuthRefreshToken(ctx, h1, at(time.Minute)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "UseOAuthRefreshToken twice", s.UseOAuthRefreshToken(ctx, h1, at(time.Minute)), userdb.ECONFLICT)
	wantCode(t, "UseOAuthRefreshToken expired", s.UseOAuthRefreshToken(ctx, h2, at(25*time.Hour)), userdb.ECONFLICT)
	used, _ := s.FindOAuthRefreshToken(ctx, h1)
	wantTimePtr(t, "UsedAt", used.UsedAt, ptrTime(at(time.Minute)))

	jtis, err := s.RevokeOAuthFamily(ctx, "fam_a", at(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantSet(t, "revoked family's access tokens", jtis, []string{"jti_1", "jti_2"})
	wantCode(t, "UseOAuthRefreshToken revoked", s.UseOAuthRefreshToken(ctx, h2, at(time.Hour)), userdb.ECONFLICT)
	if other, _ := s.FindOAuthRefreshToken(ctx, h3); other.RevokedAt != nil {
		t.Error("revoking a family revoked another family's token")
	}
	jtis, err = s.RevokeUserOAuth(ctx, u.ID, "", at(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	wantSet(t, "revoked user's access tokens", jtis, []string{"jti_3"})
	wantCode(t, "UseOAuthRefreshToken after the user's revocation", s.UseOAuthRefreshToken(ctx, h3, at(2*time.Hour)), userdb.ECONFLICT)
}

func testOAuthRefreshConcurrent(t *testing.T, s userdb.Store) {
	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "app")
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	_, h := mustRefresh(t, s, c, u.ID, "fam", "")
	const n = 8
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := s.UseOAuthRefreshToken(t.Context(), h, at(time.Second))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if !userdb.IsCode(err, userdb.ECONFLICT) {
				t.Errorf("UseOAuthRefreshToken: %v", err)
			}
		}()
	}
	wg.Wait()
	if ok != 1 {
		t.Errorf("%d concurrent uses succeeded, want 1", ok)
	}
}

func testOAuthConsents(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "app")
	c2 := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "app2")
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	_, err := s.FindOAuthConsent(ctx, u.ID, c.ID)
	wantCode(t, "FindOAuthConsent", err, userdb.ENOTFOUND)
	wantCode(t, "DeleteOAuthConsent", s.DeleteOAuthConsent(ctx, u.ID, c.ID), userdb.ENOTFOUND)
	wantCode(t, "SaveOAuthConsent of a missing user", s.SaveOAuthConsent(ctx, &userdb.OAuthConsent{UserID: "usr_missing", ClientID: c.ID, CreatedAt: base}), userdb.ENOTFOUND)
	if err := s.SaveOAuthConsent(ctx, &userdb.OAuthConsent{UserID: u.ID, ClientID: c.ID, Scopes: []string{"openid"}, CreatedAt: base}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOAuthConsent(ctx, &userdb.OAuthConsent{UserID: u.ID, ClientID: c2.ID, Scopes: []string{"openid"}, CreatedAt: at(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveOAuthConsent(ctx, &userdb.OAuthConsent{UserID: u.ID, ClientID: c.ID, Scopes: []string{"openid", "email"}, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindOAuthConsent(ctx, u.ID, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantSet(t, "consented scopes", got.Scopes, []string{"openid", "email"})
	wantTime(t, "consent CreatedAt kept", got.CreatedAt, base)
	list, _ := s.FindOAuthConsents(ctx, u.ID)
	if len(list) != 2 || list[0].ClientID != c.ID {
		t.Errorf("consents = %v, want app (newest) then app2", list)
	}
	if err := s.DeleteOAuthConsent(ctx, u.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.FindOAuthConsent(ctx, u.ID, c.ID)
	wantCode(t, "FindOAuthConsent after delete", err, userdb.ENOTFOUND)
}

func testOAuthDeviceCodes(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "tv")
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	_, h := userdb.NewSecret()
	d := &userdb.OAuthDeviceCode{DeviceCodeHash: h, UserCode: "BCDF-GHJK", ClientID: c.ID, Scopes: []string{"openid"}, CreatedAt: base, ExpiresAt: at(10 * time.Minute)}
	if err := s.CreateOAuthDeviceCode(ctx, d); err != nil {
		t.Fatal(err)
	}
	_, h2 := userdb.NewSecret()
	dup := &userdb.OAuthDeviceCode{DeviceCodeHash: h2, UserCode: "BCDF-GHJK", ClientID: c.ID, CreatedAt: base, ExpiresAt: at(time.Minute)}
	wantCode(t, "CreateOAuthDeviceCode with a taken user code", s.CreateOAuthDeviceCode(ctx, dup), userdb.ECONFLICT)
	_, err := s.FindOAuthUserCode(ctx, "BCDF-GHJK", at(11*time.Minute))
	wantCode(t, "FindOAuthUserCode after expiry", err, userdb.ENOTFOUND)
	got, err := s.FindOAuthUserCode(ctx, "BCDF-GHJK", base)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "State", got.State, userdb.DevicePending)
	wantCode(t, "UseOAuthDeviceCode while pending", s.UseOAuthDeviceCode(ctx, h), userdb.ECONFLICT)
	if err := s.DecideOAuthUserCode(ctx, "BCDF-GHJK", true, u.ID, at(time.Second), []string{"pwd"}, at(time.Second)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "DecideOAuthUserCode twice", s.DecideOAuthUserCode(ctx, "BCDF-GHJK", false, u.ID, base, nil, at(time.Second)), userdb.ENOTFOUND)
	got, _ = s.FindOAuthDeviceCode(ctx, h)
	wantEqual(t, "State after approval", got.State, userdb.DeviceApproved)
	wantEqual(t, "UserID", got.UserID, u.ID)
	if err := s.UseOAuthDeviceCode(ctx, h); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "UseOAuthDeviceCode twice", s.UseOAuthDeviceCode(ctx, h), userdb.ECONFLICT)
}

func testOAuthSigningKeys(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	k1 := &userdb.OAuthSigningKey{ID: "k1", Seq: 1, Algorithm: "RS256", PrivateKey: []byte("sealed-1"), CreatedAt: base, ActiveAt: base}
	if err := s.CreateOAuthSigningKey(ctx, k1); err != nil {
		t.Fatal(err)
	}
	race := &userdb.OAuthSigningKey{ID: "k1b", Seq: 1, Algorithm: "RS256", PrivateKey: []byte("x"), CreatedAt: base, ActiveAt: base}
	wantCode(t, "CreateOAuthSigningKey with a taken seq", s.CreateOAuthSigningKey(ctx, race), userdb.ECONFLICT)
	k2 := &userdb.OAuthSigningKey{ID: "k2", Seq: 2, Algorithm: "ES256", PrivateKey: []byte("sealed-2"), CreatedAt: at(time.Hour), ActiveAt: at(time.Hour + time.Minute)}
	if err := s.CreateOAuthSigningKey(ctx, k2); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireOAuthSigningKey(ctx, "k1", at(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "RetireOAuthSigningKey", s.RetireOAuthSigningKey(ctx, "missing", base), userdb.ENOTFOUND)
	keys, err := s.FindOAuthSigningKeys(ctx, at(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].ID != "k1" || keys[1].ID != "k2" || string(keys[1].PrivateKey) != "sealed-2" {
		t.Fatalf("keys before k1 retires = %v", keys)
	}
	wantTime(t, "ActiveAt", keys[1].ActiveAt, at(time.Hour+time.Minute))
	keys, _ = s.FindOAuthSigningKeys(ctx, at(4*time.Hour))
	if len(keys) != 1 || keys[0].ID != "k2" {
		t.Errorf("keys after k1 retired = %v, want only k2", keys)
	}
}

func testOAuthRevocations(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	r1 := &userdb.OAuthRevocation{Kind: userdb.RevokeTokenID, Key: "jti_1", RevokedAt: base, ExpiresAt: at(time.Hour)}
	r2 := &userdb.OAuthRevocation{Kind: userdb.RevokeUser, Key: "usr_1", RevokedAt: at(time.Second), ExpiresAt: at(2 * time.Hour)}
	for _, r := range []*userdb.OAuthRevocation{r1, r2} {
		if err := s.AddOAuthRevocation(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if r2.ID <= r1.ID {
		t.Errorf("ids %d then %d, want rising", r1.ID, r2.ID)
	}
	list, err := s.FindOAuthRevocations(ctx, 0, base, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Key != "jti_1" || list[1].Kind != userdb.RevokeUser {
		t.Errorf("revocations = %v", list)
	}
	list, _ = s.FindOAuthRevocations(ctx, r1.ID, base, 10)
	if len(list) != 1 || list[0].ID != r2.ID {
		t.Errorf("revocations after the first = %v", list)
	}
	list, _ = s.FindOAuthRevocations(ctx, 0, at(90*time.Minute), 10)
	if len(list) != 1 || list[0].ID != r2.ID {
		t.Errorf("unexpired revocations = %v, want only the user's", list)
	}
}

func testSessionAMR(t *testing.T, s userdb.Store) {
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	_, hash := userdb.NewSecret()
	ss := &userdb.Session{ID: userdb.NewID("ses"), TokenHash: hash, UserID: u.ID, CreatedAt: base, ExpiresAt: at(time.Hour), AMR: []string{"pwd", "otp"}}
	if err := s.CreateSession(t.Context(), ss); err != nil {
		t.Fatal(err)
	}
	got, err := s.FindSessionByTokenHash(t.Context(), hash)
	if err != nil {
		t.Fatal(err)
	}
	wantSet(t, "AMR", got.AMR, []string{"pwd", "otp"})
}

func testOAuthExpiry(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	c := MustCreateOAuthClient(t, s, userdb.DefaultAccountID, "app")
	u := MustCreateUser(t, s, userdb.User{Username: "ada"})
	r := newAuthRequest(t, s, c.ID)
	_, h := mustRefresh(t, s, c, u.ID, "fam", "")
	s.AddOAuthRevocation(ctx, &userdb.OAuthRevocation{Kind: userdb.RevokeTokenID, Key: "j", RevokedAt: base, ExpiresAt: at(time.Hour)})
	n, err := s.DeleteExpiredOAuth(ctx, at(48*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Errorf("DeleteExpiredOAuth removed %d rows, want at least 3", n)
	}
	_, err = s.FindOAuthAuthRequest(ctx, r.ID, base)
	wantCode(t, "request after cleanup", err, userdb.ENOTFOUND)
	_, err = s.FindOAuthRefreshToken(ctx, h)
	wantCode(t, "refresh token after cleanup", err, userdb.ENOTFOUND)
}
