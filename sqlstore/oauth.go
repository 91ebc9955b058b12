package sqlstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/userdb/userdb"
)

var _ userdb.OAuthStore = (*Store)(nil)

// jsonList encodes a list of strings for a JSON text column ("[]" for nil).
func jsonList(v []string) string {
	if len(v) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// nullBytes is nil (NULL) for an empty byte slice.
func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

const oauthClientColumns = `id, account_id, name, type, auth_method, secret_hash, jwks, grant_types, redirect_uris,
	post_logout_uris, scopes, default_scopes, access_token_ttl, id_token_ttl, refresh_token_ttl, token_format,
	first_party, created_at, updated_at`

func scanOAuthClient(sc scanner) (*userdb.OAuthClient, error) {
	var c userdb.OAuthClient
	var at, it, rt int64
	err := sc.Scan(&c.ID, &c.AccountID, &c.Name, &c.Type, &c.AuthMethod, &c.SecretHash, &c.JWKS,
		jsonDest{&c.GrantTypes}, jsonDest{&c.RedirectURIs}, jsonDest{&c.PostLogoutRedirectURIs},
		jsonDest{&c.Scopes}, jsonDest{&c.DefaultScopes}, &at, &it, &rt, &c.TokenFormat, &c.FirstParty,
		timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	c.AccessTokenTTL, c.IDTokenTTL, c.RefreshTokenTTL = time.Duration(at)*time.Second, time.Duration(it)*time.Second, time.Duration(rt)*time.Second
	return &c, nil
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// CreateOAuthClient stores a new client.
func (s *Store) CreateOAuthClient(ctx context.Context, c *userdb.OAuthClient) error {
	if err := requireTimes(namedTime{"createdAt", c.CreatedAt}); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	_, err := s.exec(ctx, "INSERT INTO oauth_clients ("+oauthClientColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.AccountID, c.Name, c.Type, c.AuthMethod, nullBytes(c.SecretHash), c.JWKS, jsonList(c.GrantTypes),
		jsonList(c.RedirectURIs), jsonList(c.PostLogoutRedirectURIs), jsonList(c.Scopes), jsonList(c.DefaultScopes),
		secs(c.AccessTokenTTL), secs(c.IDTokenTTL), secs(c.RefreshTokenTTL), c.TokenFormat, c.FirstParty,
		s.d.time(c.CreatedAt), s.d.time(c.UpdatedAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the client exists already"))
		return refine(err, userdb.ENOTFOUND, &userdb.Error{Code: userdb.ENOTFOUND, Field: "account", Message: "account not found"})
	}
	c.CreatedAt, c.UpdatedAt = storedTime(c.CreatedAt), storedTime(c.UpdatedAt)
	return nil
}

// FindOAuthClient returns the client with the id, or ENOTFOUND.
func (s *Store) FindOAuthClient(ctx context.Context, id string) (*userdb.OAuthClient, error) {
	rows, err := s.lookup(ctx, "SELECT "+oauthClientColumns+" FROM oauth_clients WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanOAuthClient)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(cs) == 0 {
		return nil, notFound("client")
	}
	return cs[0], nil
}

// FindOAuthClients lists an account's clients ("" for all) by name.
func (s *Store) FindOAuthClients(ctx context.Context, accountID string) ([]*userdb.OAuthClient, error) {
	var w where
	if accountID != "" {
		w.add("account_id = ?", accountID)
	}
	rows, err := s.query(ctx, "SELECT "+oauthClientColumns+" FROM oauth_clients"+w.sql()+" ORDER BY name, id", w.args...)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanOAuthClient)
	return cs, s.wrap(err)
}

// UpdateOAuthClient writes every field of c but its id, account and
// creation time.
func (s *Store) UpdateOAuthClient(ctx context.Context, c *userdb.OAuthClient) error {
	if err := requireTimes(namedTime{"updatedAt", c.UpdatedAt}); err != nil {
		return err
	}
	n, err := s.execCount(ctx, `UPDATE oauth_clients SET name = ?, type = ?, auth_method = ?, secret_hash = ?, jwks = ?,
		grant_types = ?, redirect_uris = ?, post_logout_uris = ?, scopes = ?, default_scopes = ?, access_token_ttl = ?,
		id_token_ttl = ?, refresh_token_ttl = ?, token_format = ?, first_party = ?, updated_at = ? WHERE id = ?`,
		c.Name, c.Type, c.AuthMethod, nullBytes(c.SecretHash), c.JWKS, jsonList(c.GrantTypes), jsonList(c.RedirectURIs),
		jsonList(c.PostLogoutRedirectURIs), jsonList(c.Scopes), jsonList(c.DefaultScopes), secs(c.AccessTokenTTL),
		secs(c.IDTokenTTL), secs(c.RefreshTokenTTL), c.TokenFormat, c.FirstParty, s.d.time(c.UpdatedAt), c.ID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("client")
	}
	c.UpdatedAt = storedTime(c.UpdatedAt)
	return nil
}

// DeleteOAuthClient deletes a client; its requests, tokens and consents go
// with it (foreign keys).
func (s *Store) DeleteOAuthClient(ctx context.Context, id string) error {
	n, err := s.execCount(ctx, "DELETE FROM oauth_clients WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("client")
	}
	return nil
}

// authParams are the columns of an authorization request that only the
// provider reads, kept as one JSON object.
type authParams struct {
	RedirectURI         string   `json:"redirect_uri"`
	Scopes              []string `json:"scopes"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	ResponseMode        string   `json:"response_mode,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	Prompt              []string `json:"prompt,omitempty"`
	MaxAge              *int64   `json:"max_age,omitempty"`
	LoginHint           string   `json:"login_hint,omitempty"`
	Connection          string   `json:"connection,omitempty"`
}

const authRequestColumns = `id, client_id, params, user_id, auth_time, amr, code_hash, code_expires_at, code_used_at,
	family_id, access_jti, created_at, expires_at`

func scanAuthRequest(sc scanner) (*userdb.OAuthAuthRequest, error) {
	var r userdb.OAuthAuthRequest
	var p authParams
	var authTime *time.Time
	err := sc.Scan(&r.ID, &r.ClientID, jsonDest{&p}, &r.UserID, nullTimeDest{&authTime}, jsonDest{&r.AMR}, &r.CodeHash,
		nullTimeDest{&r.CodeExpiresAt}, nullTimeDest{&r.CodeUsedAt}, &r.FamilyID, &r.AccessJTI,
		timeDest{&r.CreatedAt}, timeDest{&r.ExpiresAt})
	if err != nil {
		return nil, err
	}
	if authTime != nil {
		r.AuthTime = *authTime
	}
	r.RedirectURI, r.Scopes, r.State, r.Nonce, r.ResponseMode = p.RedirectURI, p.Scopes, p.State, p.Nonce, p.ResponseMode
	r.CodeChallenge, r.CodeChallengeMethod, r.Prompt, r.MaxAge, r.LoginHint = p.CodeChallenge, p.CodeChallengeMethod, p.Prompt, p.MaxAge, p.LoginHint
	r.Connection = p.Connection
	return &r, nil
}

// CreateOAuthAuthRequest stores a new authorization request.
func (s *Store) CreateOAuthAuthRequest(ctx context.Context, r *userdb.OAuthAuthRequest) error {
	if err := requireTimes(namedTime{"createdAt", r.CreatedAt}, namedTime{"expiresAt", r.ExpiresAt}); err != nil {
		return err
	}
	p, err := json.Marshal(authParams{RedirectURI: r.RedirectURI, Scopes: r.Scopes, State: r.State, Nonce: r.Nonce,
		ResponseMode: r.ResponseMode, CodeChallenge: r.CodeChallenge, CodeChallengeMethod: r.CodeChallengeMethod,
		Prompt: r.Prompt, MaxAge: r.MaxAge, LoginHint: r.LoginHint, Connection: r.Connection})
	if err != nil {
		return userdb.Internal(err)
	}
	_, err = s.exec(ctx, "INSERT INTO oauth_auth_requests (id, client_id, params, amr, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
		r.ID, r.ClientID, string(p), jsonList(r.AMR), s.d.time(r.CreatedAt), s.d.time(r.ExpiresAt))
	if err != nil {
		return refine(err, userdb.ENOTFOUND, notFound("client"))
	}
	r.CreatedAt, r.ExpiresAt = storedTime(r.CreatedAt), storedTime(r.ExpiresAt)
	return nil
}

func (s *Store) findAuthRequest(ctx context.Context, cond string, args ...any) (*userdb.OAuthAuthRequest, error) {
	rows, err := s.lookup(ctx, "SELECT "+authRequestColumns+" FROM oauth_auth_requests WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, scanAuthRequest)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(rs) == 0 {
		return nil, notFound("authorization request")
	}
	return rs[0], nil
}

// FindOAuthAuthRequest returns a request unexpired at now, or ENOTFOUND.
func (s *Store) FindOAuthAuthRequest(ctx context.Context, id string, now time.Time) (*userdb.OAuthAuthRequest, error) {
	return s.findAuthRequest(ctx, "id = ? AND expires_at > ?", id, s.d.time(now))
}

// CompleteOAuthAuthRequest records who signed in for the request.
func (s *Store) CompleteOAuthAuthRequest(ctx context.Context, id, userID string, authTime time.Time, amr []string) error {
	n, err := s.execCount(ctx, "UPDATE oauth_auth_requests SET user_id = ?, auth_time = ?, amr = ? WHERE id = ? AND code_hash IS NULL",
		userID, s.d.time(authTime), jsonList(amr), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("authorization request")
	}
	return nil
}

// SetOAuthCode records the hash of the request's code, once.
func (s *Store) SetOAuthCode(ctx context.Context, id string, codeHash []byte, expires time.Time) error {
	n, err := s.execCount(ctx, "UPDATE oauth_auth_requests SET code_hash = ?, code_expires_at = ? WHERE id = ? AND code_hash IS NULL",
		codeHash, s.d.time(expires), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("authorization request")
	}
	return nil
}

// ConsumeOAuthCode uses a code up in one UPDATE, so of concurrent calls
// exactly one changes the row. A code used before fails with ECONFLICT and
// returns its request, so that the caller can revoke what it issued.
func (s *Store) ConsumeOAuthCode(ctx context.Context, codeHash []byte, now time.Time) (*userdb.OAuthAuthRequest, error) {
	var r *userdb.OAuthAuthRequest
	err := s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, `UPDATE oauth_auth_requests SET code_used_at = ?
			WHERE code_hash = ? AND code_used_at IS NULL AND code_expires_at > ?`, tx.d.time(now), codeHash, tx.d.time(now))
		if err != nil {
			return err
		}
		if r, err = tx.findAuthRequest(ctx, "code_hash = ?", codeHash); err != nil {
			return err
		}
		if n == 0 {
			if r.CodeUsedAt != nil {
				return userdb.Errorf(userdb.ECONFLICT, "the code was used already")
			}
			return notFound("code")
		}
		return nil
	})
	if userdb.IsCode(err, userdb.ECONFLICT) {
		return r, err
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

// SetOAuthCodeGrant records what a code's exchange issued.
func (s *Store) SetOAuthCodeGrant(ctx context.Context, id, familyID, accessJTI string) error {
	_, err := s.exec(ctx, "UPDATE oauth_auth_requests SET family_id = ?, access_jti = ? WHERE id = ?", familyID, accessJTI, id)
	return err
}

const refreshColumns = `id, family_id, token_hash, client_id, user_id, scopes, auth_time, amr, access_jti, created_at,
	expires_at, used_at, revoked_at`

func scanRefresh(sc scanner) (*userdb.OAuthRefreshToken, error) {
	var t userdb.OAuthRefreshToken
	err := sc.Scan(&t.ID, &t.FamilyID, &t.TokenHash, &t.ClientID, &t.UserID, jsonDest{&t.Scopes}, timeDest{&t.AuthTime},
		jsonDest{&t.AMR}, &t.AccessJTI, timeDest{&t.CreatedAt}, timeDest{&t.ExpiresAt}, nullTimeDest{&t.UsedAt}, nullTimeDest{&t.RevokedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateOAuthRefreshToken stores a new refresh token.
func (s *Store) CreateOAuthRefreshToken(ctx context.Context, t *userdb.OAuthRefreshToken) error {
	if err := requireTimes(namedTime{"createdAt", t.CreatedAt}, namedTime{"expiresAt", t.ExpiresAt}, namedTime{"authTime", t.AuthTime}); err != nil {
		return err
	}
	if len(t.TokenHash) == 0 {
		return userdb.FieldError("tokenHash", "a refresh token needs a hash")
	}
	_, err := s.exec(ctx, "INSERT INTO oauth_refresh_tokens ("+refreshColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		t.ID, t.FamilyID, t.TokenHash, t.ClientID, t.UserID, jsonList(t.Scopes), s.d.time(t.AuthTime), jsonList(t.AMR),
		t.AccessJTI, s.d.time(t.CreatedAt), s.d.time(t.ExpiresAt), s.d.nullTime(t.UsedAt), s.d.nullTime(t.RevokedAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the refresh token exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("client or user"))
	}
	t.CreatedAt, t.ExpiresAt, t.AuthTime = storedTime(t.CreatedAt), storedTime(t.ExpiresAt), storedTime(t.AuthTime)
	return nil
}

// FindOAuthRefreshToken returns the token with the hash, or ENOTFOUND.
func (s *Store) FindOAuthRefreshToken(ctx context.Context, hash []byte) (*userdb.OAuthRefreshToken, error) {
	rows, err := s.lookup(ctx, "SELECT "+refreshColumns+" FROM oauth_refresh_tokens WHERE token_hash = ?", hash)
	if err != nil {
		return nil, err
	}
	ts, err := collect(rows, scanRefresh)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ts) == 0 {
		return nil, notFound("refresh token")
	}
	return ts[0], nil
}

// UseOAuthRefreshToken marks a token used in one UPDATE: of concurrent
// uses exactly one succeeds.
func (s *Store) UseOAuthRefreshToken(ctx context.Context, hash []byte, now time.Time) error {
	n, err := s.execCount(ctx, `UPDATE oauth_refresh_tokens SET used_at = ?
		WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?`, s.d.time(now), hash, s.d.time(now))
	if err != nil {
		return err
	}
	if n == 0 {
		return userdb.Errorf(userdb.ECONFLICT, "the refresh token is used, revoked or expired")
	}
	return nil
}

// revokeRefresh revokes the tokens matching cond and returns the access
// token ids they were issued with.
func (s *Store) revokeRefresh(ctx context.Context, now time.Time, cond string, args ...any) ([]string, error) {
	var jtis []string
	err := s.inTx(ctx, func(tx *Store) error {
		rows, err := tx.query(ctx, "SELECT access_jti FROM oauth_refresh_tokens WHERE revoked_at IS NULL AND "+cond, args...)
		if err != nil {
			return err
		}
		jtis, err = collect(rows, func(sc scanner) (string, error) {
			var j string
			return j, sc.Scan(&j)
		})
		if err != nil {
			return tx.wrap(err)
		}
		_, err = tx.exec(ctx, "UPDATE oauth_refresh_tokens SET revoked_at = ? WHERE revoked_at IS NULL AND "+cond,
			append([]any{tx.d.time(now)}, args...)...)
		return err
	})
	out := jtis[:0]
	for _, j := range jtis {
		if j != "" {
			out = append(out, j)
		}
	}
	return out, err
}

// RevokeOAuthFamily revokes every token of the family.
func (s *Store) RevokeOAuthFamily(ctx context.Context, familyID string, now time.Time) ([]string, error) {
	return s.revokeRefresh(ctx, now, "family_id = ?", familyID)
}

// RevokeUserOAuth revokes a user's refresh tokens, of one client or all.
func (s *Store) RevokeUserOAuth(ctx context.Context, userID, clientID string, now time.Time) ([]string, error) {
	if clientID == "" {
		return s.revokeRefresh(ctx, now, "user_id = ?", userID)
	}
	return s.revokeRefresh(ctx, now, "user_id = ? AND client_id = ?", userID, clientID)
}

// CreateOAuthAccessToken stores an opaque access token's record.
func (s *Store) CreateOAuthAccessToken(ctx context.Context, t *userdb.OAuthAccessToken) error {
	if err := requireTimes(namedTime{"createdAt", t.CreatedAt}, namedTime{"expiresAt", t.ExpiresAt}); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO oauth_access_tokens (id, token_hash, client_id, user_id, scopes, family_id, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, t.ID, t.TokenHash, t.ClientID, t.UserID, jsonList(t.Scopes), t.FamilyID,
		s.d.time(t.CreatedAt), s.d.time(t.ExpiresAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the access token exists already"))
		return refine(err, userdb.ENOTFOUND, notFound("client"))
	}
	t.CreatedAt, t.ExpiresAt = storedTime(t.CreatedAt), storedTime(t.ExpiresAt)
	return nil
}

// FindOAuthAccessToken returns an opaque token unexpired at now.
func (s *Store) FindOAuthAccessToken(ctx context.Context, hash []byte, now time.Time) (*userdb.OAuthAccessToken, error) {
	rows, err := s.lookup(ctx, `SELECT id, token_hash, client_id, user_id, scopes, family_id, created_at, expires_at
		FROM oauth_access_tokens WHERE token_hash = ? AND expires_at > ?`, hash, s.d.time(now))
	if err != nil {
		return nil, err
	}
	ts, err := collect(rows, func(sc scanner) (*userdb.OAuthAccessToken, error) {
		var t userdb.OAuthAccessToken
		err := sc.Scan(&t.ID, &t.TokenHash, &t.ClientID, &t.UserID, jsonDest{&t.Scopes}, &t.FamilyID, timeDest{&t.CreatedAt}, timeDest{&t.ExpiresAt})
		return &t, err
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ts) == 0 {
		return nil, notFound("access token")
	}
	return ts[0], nil
}

func scanConsent(sc scanner) (*userdb.OAuthConsent, error) {
	var c userdb.OAuthConsent
	err := sc.Scan(&c.UserID, &c.ClientID, jsonDest{&c.Scopes}, timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt})
	return &c, err
}

// SaveOAuthConsent creates or replaces a consent.
func (s *Store) SaveOAuthConsent(ctx context.Context, c *userdb.OAuthConsent) error {
	if err := requireTimes(namedTime{"createdAt", c.CreatedAt}); err != nil {
		return err
	}
	if c.UpdatedAt.IsZero() {
		c.UpdatedAt = c.CreatedAt
	}
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, "UPDATE oauth_consents SET scopes = ?, updated_at = ? WHERE user_id = ? AND client_id = ?",
			jsonList(c.Scopes), tx.d.time(c.UpdatedAt), c.UserID, c.ClientID)
		if err != nil || n > 0 {
			return err
		}
		_, err = tx.exec(ctx, "INSERT INTO oauth_consents (user_id, client_id, scopes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
			c.UserID, c.ClientID, jsonList(c.Scopes), tx.d.time(c.CreatedAt), tx.d.time(c.UpdatedAt))
		return refine(err, userdb.ENOTFOUND, notFound("user or client"))
	})
}

const consentColumns = "user_id, client_id, scopes, created_at, updated_at"

// FindOAuthConsent returns a user's consent to a client, or ENOTFOUND.
func (s *Store) FindOAuthConsent(ctx context.Context, userID, clientID string) (*userdb.OAuthConsent, error) {
	rows, err := s.lookup(ctx, "SELECT "+consentColumns+" FROM oauth_consents WHERE user_id = ? AND client_id = ?", userID, clientID)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanConsent)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(cs) == 0 {
		return nil, notFound("consent")
	}
	return cs[0], nil
}

// FindOAuthConsents lists a user's consents, newest first.
func (s *Store) FindOAuthConsents(ctx context.Context, userID string) ([]*userdb.OAuthConsent, error) {
	rows, err := s.query(ctx, "SELECT "+consentColumns+" FROM oauth_consents WHERE user_id = ? ORDER BY updated_at DESC, client_id", userID)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanConsent)
	return cs, s.wrap(err)
}

// DeleteOAuthConsent deletes a consent; ENOTFOUND when there is none.
func (s *Store) DeleteOAuthConsent(ctx context.Context, userID, clientID string) error {
	n, err := s.execCount(ctx, "DELETE FROM oauth_consents WHERE user_id = ? AND client_id = ?", userID, clientID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("consent")
	}
	return nil
}

const deviceCodeColumns = "device_code_hash, user_code, client_id, scopes, state, user_id, auth_time, amr, created_at, expires_at"

func scanDeviceCode(sc scanner) (*userdb.OAuthDeviceCode, error) {
	var d userdb.OAuthDeviceCode
	var authTime *time.Time
	err := sc.Scan(&d.DeviceCodeHash, &d.UserCode, &d.ClientID, jsonDest{&d.Scopes}, &d.State, &d.UserID,
		nullTimeDest{&authTime}, jsonDest{&d.AMR}, timeDest{&d.CreatedAt}, timeDest{&d.ExpiresAt})
	if authTime != nil {
		d.AuthTime = *authTime
	}
	return &d, err
}

// CreateOAuthDeviceCode stores a new device authorization, pending.
func (s *Store) CreateOAuthDeviceCode(ctx context.Context, d *userdb.OAuthDeviceCode) error {
	if err := requireTimes(namedTime{"createdAt", d.CreatedAt}, namedTime{"expiresAt", d.ExpiresAt}); err != nil {
		return err
	}
	if d.State == "" {
		d.State = userdb.DevicePending
	}
	_, err := s.exec(ctx, "INSERT INTO oauth_device_codes (device_code_hash, user_code, client_id, scopes, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		d.DeviceCodeHash, d.UserCode, d.ClientID, jsonList(d.Scopes), d.State, s.d.time(d.CreatedAt), s.d.time(d.ExpiresAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the user code is taken"))
		return refine(err, userdb.ENOTFOUND, notFound("client"))
	}
	d.CreatedAt, d.ExpiresAt = storedTime(d.CreatedAt), storedTime(d.ExpiresAt)
	return nil
}

func (s *Store) findDevice(ctx context.Context, cond string, args ...any) (*userdb.OAuthDeviceCode, error) {
	rows, err := s.lookup(ctx, "SELECT "+deviceCodeColumns+" FROM oauth_device_codes WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	ds, err := collect(rows, scanDeviceCode)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(ds) == 0 {
		return nil, notFound("device code")
	}
	return ds[0], nil
}

// FindOAuthDeviceCode finds a device authorization by its device code.
func (s *Store) FindOAuthDeviceCode(ctx context.Context, hash []byte) (*userdb.OAuthDeviceCode, error) {
	return s.findDevice(ctx, "device_code_hash = ?", hash)
}

// FindOAuthUserCode finds a pending, unexpired authorization by user code.
func (s *Store) FindOAuthUserCode(ctx context.Context, userCode string, now time.Time) (*userdb.OAuthDeviceCode, error) {
	return s.findDevice(ctx, "user_code = ? AND state = ? AND expires_at > ?", userCode, userdb.DevicePending, s.d.time(now))
}

// DecideOAuthUserCode approves or denies a pending authorization, once.
func (s *Store) DecideOAuthUserCode(ctx context.Context, userCode string, approve bool, userID string, authTime time.Time, amr []string, now time.Time) error {
	state := userdb.DeviceDenied
	if approve {
		state = userdb.DeviceApproved
	}
	n, err := s.execCount(ctx, `UPDATE oauth_device_codes SET state = ?, user_id = ?, auth_time = ?, amr = ?
		WHERE user_code = ? AND state = ? AND expires_at > ?`, state, userID, s.d.time(authTime), jsonList(amr),
		userCode, userdb.DevicePending, s.d.time(now))
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("device code")
	}
	return nil
}

// UseOAuthDeviceCode turns an approved authorization into a used one, once.
func (s *Store) UseOAuthDeviceCode(ctx context.Context, hash []byte) error {
	n, err := s.execCount(ctx, "UPDATE oauth_device_codes SET state = ? WHERE device_code_hash = ? AND state = ?",
		userdb.DeviceUsed, hash, userdb.DeviceApproved)
	if err != nil {
		return err
	}
	if n == 0 {
		return userdb.Errorf(userdb.ECONFLICT, "the device code is not approved or was used")
	}
	return nil
}

// CreateOAuthSigningKey stores a new key; ECONFLICT when its Seq is taken.
func (s *Store) CreateOAuthSigningKey(ctx context.Context, k *userdb.OAuthSigningKey) error {
	if err := requireTimes(namedTime{"createdAt", k.CreatedAt}, namedTime{"activeAt", k.ActiveAt}); err != nil {
		return err
	}
	_, err := s.exec(ctx, "INSERT INTO oauth_signing_keys (id, seq, algorithm, private_key, created_at, active_at, retired_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		k.ID, k.Seq, k.Algorithm, k.PrivateKey, s.d.time(k.CreatedAt), s.d.time(k.ActiveAt), s.d.nullTime(k.RetiredAt))
	if err != nil {
		return refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "another key took that place"))
	}
	k.CreatedAt, k.ActiveAt, k.RetiredAt = storedTime(k.CreatedAt), storedTime(k.ActiveAt), storedTimePtr(k.RetiredAt)
	return nil
}

// FindOAuthSigningKeys lists the keys not retired at now, by Seq.
func (s *Store) FindOAuthSigningKeys(ctx context.Context, now time.Time) ([]*userdb.OAuthSigningKey, error) {
	rows, err := s.query(ctx, `SELECT id, seq, algorithm, private_key, created_at, active_at, retired_at FROM oauth_signing_keys
		WHERE retired_at IS NULL OR retired_at > ? ORDER BY seq`, s.d.time(now))
	if err != nil {
		return nil, err
	}
	ks, err := collect(rows, func(sc scanner) (*userdb.OAuthSigningKey, error) {
		var k userdb.OAuthSigningKey
		err := sc.Scan(&k.ID, &k.Seq, &k.Algorithm, &k.PrivateKey, timeDest{&k.CreatedAt}, timeDest{&k.ActiveAt}, nullTimeDest{&k.RetiredAt})
		return &k, err
	})
	return ks, s.wrap(err)
}

// RetireOAuthSigningKey sets when a key leaves the key set; an earlier
// retirement stays.
func (s *Store) RetireOAuthSigningKey(ctx context.Context, id string, at time.Time) error {
	n, err := s.execCount(ctx, "UPDATE oauth_signing_keys SET retired_at = ? WHERE id = ? AND (retired_at IS NULL OR retired_at > ?)",
		s.d.time(at), id, s.d.time(at))
	if err != nil {
		return err
	}
	if n == 0 {
		if ok, err := s.exists(ctx, "SELECT 1 FROM oauth_signing_keys WHERE id = ?", id); err != nil || ok {
			return err
		}
		return notFound("signing key")
	}
	return nil
}

// AddOAuthRevocation appends a revocation.
func (s *Store) AddOAuthRevocation(ctx context.Context, r *userdb.OAuthRevocation) error {
	if err := requireTimes(namedTime{"revokedAt", r.RevokedAt}, namedTime{"expiresAt", r.ExpiresAt}); err != nil {
		return err
	}
	id, err := s.insertID(ctx, "INSERT INTO oauth_revocations (kind, subject, revoked_at, expires_at) VALUES (?, ?, ?, ?)",
		r.Kind, r.Key, s.d.time(r.RevokedAt), s.d.time(r.ExpiresAt))
	if err != nil {
		return err
	}
	r.ID, r.RevokedAt, r.ExpiresAt = id, storedTime(r.RevokedAt), storedTime(r.ExpiresAt)
	return nil
}

// FindOAuthRevocations lists unexpired revocations after afterID.
func (s *Store) FindOAuthRevocations(ctx context.Context, afterID int64, now time.Time, limit int) ([]*userdb.OAuthRevocation, error) {
	rows, err := s.lookup(ctx, `SELECT id, kind, subject, revoked_at, expires_at FROM oauth_revocations
		WHERE id > ? AND expires_at > ? ORDER BY id LIMIT ?`, afterID, s.d.time(now), limit)
	if err != nil {
		return nil, err
	}
	rs, err := collect(rows, func(sc scanner) (*userdb.OAuthRevocation, error) {
		var r userdb.OAuthRevocation
		err := sc.Scan(&r.ID, &r.Kind, &r.Key, timeDest{&r.RevokedAt}, timeDest{&r.ExpiresAt})
		return &r, err
	})
	return rs, s.wrap(err)
}

// DeleteExpiredOAuth removes what can no longer matter at now.
func (s *Store) DeleteExpiredOAuth(ctx context.Context, now time.Time) (int, error) {
	t := s.d.time(now)
	var total int64
	for _, q := range []string{
		"DELETE FROM oauth_auth_requests WHERE expires_at <= ? AND (code_expires_at IS NULL OR code_expires_at <= ?)",
		"DELETE FROM oauth_refresh_tokens WHERE expires_at <= ? AND expires_at <= ?",
		"DELETE FROM oauth_access_tokens WHERE expires_at <= ? AND expires_at <= ?",
		"DELETE FROM oauth_device_codes WHERE expires_at <= ? AND expires_at <= ?",
		"DELETE FROM oauth_signing_keys WHERE retired_at <= ? AND retired_at <= ?",
		"DELETE FROM oauth_revocations WHERE expires_at <= ? AND expires_at <= ?",
	} {
		n, err := s.execCount(ctx, q, t, t)
		if err != nil {
			return int(total), err
		}
		total += n
	}
	return int(total), nil
}
