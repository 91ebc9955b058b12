package oauth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// opaquePrefix starts opaque access tokens, so they are told from JWTs and
// from refresh tokens at a glance.
const opaquePrefix = "udb_at_"

// accessClaims are the claims of a JWT access token: Okta's (cid, scp,
// uid), the user's roles and account, and the standard ones. aud is one
// string, as Okta's verifier expects.
type accessClaims struct {
	Issuer   string   `json:"iss"`
	Subject  string   `json:"sub"`
	Audience string   `json:"aud"`
	Expiry   int64    `json:"exp"`
	IssuedAt int64    `json:"iat"`
	JTI      string   `json:"jti"`
	ClientID string   `json:"cid"`
	Scopes   []string `json:"scp"`
	UserID   string   `json:"uid,omitempty"`
	Roles    []string `json:"roles,omitempty"`
	Account  string   `json:"account,omitempty"`
}

// minted is an access token as issued.
type minted struct {
	token string
	jti   string
	ttl   time.Duration
}

// mintAccess issues an access token for the client, and for u unless it is
// the client's own (client credentials).
func (p *Provider) mintAccess(ctx context.Context, c *userdb.OAuthClient, u *userdb.User, scopes []string, familyID string) (minted, error) {
	now := p.clock.Now()
	ttl := p.accessTTL(c)
	jti := userdb.NewID("at")
	if c.TokenFormat == userdb.TokenFormatOpaque {
		secret, hash := userdb.NewSecret()
		t := &userdb.OAuthAccessToken{ID: jti, TokenHash: hash, ClientID: c.ID, Scopes: scopes, FamilyID: familyID,
			CreatedAt: now, ExpiresAt: now.Add(ttl)}
		if u != nil {
			t.UserID = u.ID
		}
		if err := p.store.CreateOAuthAccessToken(ctx, t); err != nil {
			return minted{}, err
		}
		return minted{token: opaquePrefix + secret, jti: jti, ttl: ttl}, nil
	}
	claims := accessClaims{Issuer: p.issuer, Subject: c.ID, Audience: p.set.Audience, IssuedAt: now.Unix(),
		Expiry: now.Add(ttl).Unix(), JTI: jti, ClientID: c.ID, Scopes: scopes}
	if u != nil {
		claims.Subject, claims.UserID, claims.Roles, claims.Account = u.ID, u.ID, u.Roles, u.AccountID
	}
	payload, err := jsonv2.Marshal(claims)
	if err != nil {
		return minted{}, err
	}
	if err := p.keys.ensure(ctx); err != nil {
		return minted{}, err
	}
	k, err := p.keys.current()
	if err != nil {
		return minted{}, err
	}
	jws, err := k.signer.Sign(payload)
	if err != nil {
		return minted{}, err
	}
	tok, err := jws.CompactSerialize()
	return minted{token: tok, jti: jti, ttl: ttl}, err
}

// grant is what a token response is issued for.
type grant struct {
	client   *userdb.OAuthClient
	user     *userdb.User
	scopes   []string // of this access token
	authTime time.Time
	amr      []string
	// familyID continues a refresh-token family ("" starts one when
	// offline_access was granted); familyScopes are its scopes.
	familyID     string
	familyScopes []string
}

// issued says what a response holds.
type issued struct {
	jti      string
	familyID string
}

// refreshRequest adapts a grant to op.IDTokenRequest for the ID token of a
// refresh or device grant.
type refreshRequest struct{ g grant }

func (r refreshRequest) GetAMR() []string       { return r.g.amr }
func (r refreshRequest) GetAudience() []string  { return []string{r.g.client.ID} }
func (r refreshRequest) GetAuthTime() time.Time { return r.g.authTime }
func (r refreshRequest) GetClientID() string    { return r.g.client.ID }
func (r refreshRequest) GetScopes() []string    { return r.g.scopes }
func (r refreshRequest) GetSubject() string     { return r.g.user.ID }

// issue makes the token response of a user grant: the access token, a
// refresh token when offline_access was granted or a family goes on, and an ID token when openid was. idReq is the authorization
// request for a code (its nonce goes in the ID token), nil otherwise.
func (p *Provider) issue(ctx context.Context, g grant, idReq op.IDTokenRequest, code string) (*oidc.AccessTokenResponse, issued, error) {
	var iss issued
	now := p.clock.Now()
	wantRefresh := g.familyID != "" || (slices.Contains(g.scopes, userdb.ScopeOfflineAccess) && g.client.HasGrant(userdb.GrantRefreshToken))
	if wantRefresh && g.familyID == "" {
		g.familyID = userdb.NewID("fam")
		g.familyScopes = g.scopes
	}
	at, err := p.mintAccess(ctx, g.client, g.user, g.scopes, g.familyID)
	if err != nil {
		return nil, iss, oidc.ErrServerError().WithParent(err)
	}
	iss.jti, iss.familyID = at.jti, g.familyID
	resp := &oidc.AccessTokenResponse{AccessToken: at.token, TokenType: oidc.BearerToken,
		ExpiresIn: uint64(at.ttl.Seconds()), Scope: g.scopes}
	if wantRefresh {
		secret, hash := userdb.NewSecret()
		rt := &userdb.OAuthRefreshToken{ID: userdb.NewID("rt"), FamilyID: g.familyID, TokenHash: hash, ClientID: g.client.ID,
			UserID: g.user.ID, Scopes: g.familyScopes, AuthTime: g.authTime, AMR: g.amr, AccessJTI: at.jti,
			CreatedAt: now, ExpiresAt: now.Add(p.refreshTTL(g.client))}
		if rt.AuthTime.IsZero() {
			rt.AuthTime = now
		}
		if err := p.store.CreateOAuthRefreshToken(ctx, rt); err != nil {
			return nil, iss, oidc.ErrServerError().WithParent(err)
		}
		resp.RefreshToken = secret
	}
	if slices.Contains(g.scopes, userdb.ScopeOpenID) {
		if idReq == nil {
			idReq = refreshRequest{g}
		}
		ctx = op.ContextWithIssuer(ctx, p.issuer)
		id, err := op.CreateIDToken(ctx, p.issuer, idReq, (&opClient{c: g.client, p: p}).IDTokenLifetime(), at.token, code,
			&storage{p: p}, &opClient{c: g.client, p: p})
		if err != nil {
			return nil, iss, oidc.ErrServerError().WithParent(err)
		}
		resp.IDToken = id
	}
	return resp, iss, nil
}

// activeUser returns the user of a grant if it may still have tokens: it
// exists, is enabled, and so is its account.
func (p *Provider) activeUser(ctx context.Context, id string) (*userdb.User, error) {
	gone := oidc.ErrInvalidGrant().WithDescription("the user cannot sign in")
	u, err := p.store.FindUserByID(ctx, id)
	if err != nil {
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, gone
		}
		return nil, oidc.ErrServerError().WithParent(err)
	}
	if u.Status != userdb.StatusEnabled {
		return nil, gone
	}
	acc, err := p.store.FindAccountByID(ctx, u.AccountID)
	if err != nil || acc.Status != userdb.StatusEnabled {
		return nil, gone
	}
	return u, nil
}

// revokeIssued revokes a refresh-token family and the access tokens issued
// with it, and one more access token by its id.
func (p *Provider) revokeIssued(ctx context.Context, familyID, jti string) {
	now := p.clock.Now()
	var jtis []string
	if familyID != "" {
		var err error
		if jtis, err = p.store.RevokeOAuthFamily(ctx, familyID, now); err != nil {
			p.log.Error("oauth: revoking a token family", "err", err)
		}
	}
	if jti != "" && !slices.Contains(jtis, jti) {
		jtis = append(jtis, jti)
	}
	added := false
	for _, j := range jtis {
		r := &userdb.OAuthRevocation{Kind: userdb.RevokeTokenID, Key: j, RevokedAt: now, ExpiresAt: now.Add(p.longestToken())}
		if err := p.store.AddOAuthRevocation(ctx, r); err != nil {
			p.log.Error("oauth: recording a revocation", "err", err)
			continue
		}
		p.revoked.add(r)
		added = true
	}
	// Committed (each on its own): the other nodes may read them now.
	if added && p.publish != nil {
		p.publish(RevocationsChanged)
	}
}

// accessInfo is what an access token says, once checked.
type accessInfo struct {
	jti      string
	clientID string
	userID   string
	subject  string
	scopes   []string
	roles    []string
	account  string
	aud      string
	iat, exp int64
}

func (a *accessInfo) introspection(issuer string) *oidc.IntrospectionResponse {
	r := &oidc.IntrospectionResponse{Active: true, Scope: a.scopes, ClientID: a.clientID, TokenType: oidc.BearerToken,
		Expiration: oidc.FromTime(time.Unix(a.exp, 0)), IssuedAt: oidc.FromTime(time.Unix(a.iat, 0)),
		Subject: a.subject, Issuer: issuer, JWTID: a.jti}
	if a.aud != "" {
		r.Audience = oidc.Audience{a.aud}
	}
	if a.userID != "" {
		r.Claims = map[string]any{"uid": a.userID}
	}
	return r
}

var errInactive = errors.New("oauth: the token is not active")

// checkAccess checks an access token: a JWT by its signature, issuer,
// expiry and the revocations in memory (no database read); an opaque token
// by its record.
func (p *Provider) checkAccess(ctx context.Context, token string) (*accessInfo, error) {
	now := p.clock.Now()
	if rest, ok := strings.CutPrefix(token, opaquePrefix); ok {
		t, err := p.store.FindOAuthAccessToken(ctx, userdb.HashSecret(rest), now)
		if err != nil {
			return nil, errInactive
		}
		a := &accessInfo{jti: t.ID, clientID: t.ClientID, userID: t.UserID, subject: t.UserID, scopes: t.Scopes,
			iat: t.CreatedAt.Unix(), exp: t.ExpiresAt.Unix()}
		if a.subject == "" {
			a.subject = t.ClientID
		}
		if p.revoked.isRevoked(a) {
			return nil, errInactive
		}
		return a, nil
	}
	if len(token) > 8<<10 || p.keys.ensure(ctx) != nil {
		return nil, errInactive
	}
	payload, err := p.keys.verify(token)
	if err != nil {
		return nil, errInactive
	}
	var c accessClaims
	if err := jsonv2.Unmarshal(payload, &c); err != nil || c.Issuer != p.issuer || c.JTI == "" || c.ClientID == "" {
		return nil, errInactive
	}
	if now.Unix() >= c.Expiry {
		return nil, errInactive
	}
	a := &accessInfo{jti: c.JTI, clientID: c.ClientID, userID: c.UserID, subject: c.Subject, scopes: c.Scopes,
		roles: c.Roles, account: c.Account, aud: c.Audience, iat: c.IssuedAt, exp: c.Expiry}
	if p.revoked.isRevoked(a) {
		return nil, errInactive
	}
	return a, nil
}

// requestMeta is who sent a request, for its events: the op package
// passes only the context on to the grants.
type requestMeta struct{ ip, userAgent string }

type requestKey struct{}

func withRequestMeta(r *http.Request) context.Context {
	return context.WithValue(r.Context(), requestKey{}, requestMeta{ip: httpx.ClientIP(r), userAgent: r.UserAgent()})
}

// record writes an event of a request, with its client's address and
// browser, in the next batch.
func (p *Provider) record(ctx context.Context, e *userdb.Event) {
	if m, ok := ctx.Value(requestKey{}).(requestMeta); ok {
		e.IP, e.UserAgent = m.ip, truncate(m.userAgent, 512)
	}
	if e.Time.IsZero() {
		e.Time = p.clock.Now()
	}
	p.events.add(e)
}
