package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var connectorTests = []test{
	{"CreateFindUpdateDelete", testConnectorCRUD},
	{"NotFoundAndConflict", testConnectorNotFound},
	{"ListByAccount", testConnectorsByAccount},
}

var identityTests = []test{
	{"LinkAndFind", testIdentityLink},
	{"OneUserPerIdentity", testIdentityConflict},
	{"UnlinkOnlyOwn", testIdentityUnlink},
	{"GoneWithUserAndConnector", testIdentityCascade},
}

var upstreamFlowTests = []test{
	{"FindAndConsume", testFlowConsume},
	{"ConcurrentConsume", testFlowConcurrent},
	{"ExpiredAndSwept", testFlowExpired},
}

func newConnector(id, accountID string) *userdb.Connector {
	return &userdb.Connector{
		ID: id, Type: userdb.ConnectorOIDC, Name: "Acme SSO", Status: userdb.StatusEnabled,
		AccountID: accountID, ClientID: "client-" + id, SealedSecret: []byte{0, 1, 2, 0xff},
		Settings: userdb.ConnectorSettings{
			Issuer: "https://sso.example.com", Scopes: []string{"openid", "email"},
			Claims:       userdb.ClaimMap{Groups: "roles", Attributes: map[string]string{"department": "dept"}},
			DefaultRoles: []string{"member"}, CreateUsers: true, Domains: []string{"example.com"},
		},
		CreatedAt: base, UpdatedAt: base,
	}
}

func testConnectorCRUD(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	c := newConnector("acme", userdb.DefaultAccountID)
	must(t, s.CreateConnector(ctx, c))
	got, err := s.FindConnector(ctx, "acme")
	must(t, err)
	wantEqual(t, "Name", got.Name, "Acme SSO")
	wantEqual(t, "ClientID", got.ClientID, "client-acme")
	wantEqual(t, "Status", got.Status, userdb.StatusEnabled)
	if !bytes.Equal(got.SealedSecret, c.SealedSecret) {
		t.Errorf("SealedSecret = %x, want %x", got.SealedSecret, c.SealedSecret)
	}
	wantSeq(t, "Scopes", got.Settings.Scopes, []string{"openid", "email"})
	wantEqual(t, "Claims.Groups", got.Settings.Claims.Groups, "roles")
	wantEqual(t, "Claims.Attributes[department]", got.Settings.Claims.Attributes["department"], "dept")
	wantEqual(t, "CreateUsers", got.Settings.CreateUsers, true)
	wantTime(t, "CreatedAt", got.CreatedAt, base)

	got.Name, got.Status, got.SealedSecret = "Acme", userdb.StatusDisabled, nil
	got.Settings.CreateUsers = false
	got.UpdatedAt = at(time.Hour)
	must(t, s.UpdateConnector(ctx, got))
	wantTime(t, "CreatedAt after update", got.CreatedAt, base)
	again, err := s.FindConnector(ctx, "acme")
	must(t, err)
	wantEqual(t, "Name after update", again.Name, "Acme")
	wantEqual(t, "Status after update", again.Status, userdb.StatusDisabled)
	wantEqual(t, "CreateUsers after update", again.Settings.CreateUsers, false)
	wantEqual(t, "SealedSecret after update", len(again.SealedSecret), 0)
	wantTime(t, "UpdatedAt", again.UpdatedAt, at(time.Hour))

	must(t, s.DeleteConnector(ctx, "acme"))
	_, err = s.FindConnector(ctx, "acme")
	wantCode(t, "FindConnector after delete", err, userdb.ENOTFOUND)
}

func testConnectorNotFound(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	_, err := s.FindConnector(ctx, "nope")
	wantCode(t, "FindConnector", err, userdb.ENOTFOUND)
	wantCode(t, "UpdateConnector", s.UpdateConnector(ctx, newConnector("nope", userdb.DefaultAccountID)), userdb.ENOTFOUND)
	wantCode(t, "DeleteConnector", s.DeleteConnector(ctx, "nope"), userdb.ENOTFOUND)
	wantCode(t, "CreateConnector in a missing account", s.CreateConnector(ctx, newConnector("x", "acc_missing")), userdb.ENOTFOUND)
	must(t, s.CreateConnector(ctx, newConnector("acme", userdb.DefaultAccountID)))
	wantCode(t, "CreateConnector twice", s.CreateConnector(ctx, newConnector("acme", userdb.DefaultAccountID)), userdb.ECONFLICT)
}

func testConnectorsByAccount(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	other := MustCreateAccount(t, s, "other")
	must(t, s.CreateConnector(ctx, newConnector("zeta", userdb.DefaultAccountID)))
	must(t, s.CreateConnector(ctx, newConnector("alpha", other.ID)))
	must(t, s.CreateConnector(ctx, newConnector("beta", userdb.DefaultAccountID)))
	ids := func(cs []*userdb.Connector) []string {
		out := []string{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	all, err := s.FindConnectors(ctx, "")
	must(t, err)
	wantSeq(t, "all connectors", ids(all), []string{"alpha", "beta", "zeta"})
	mine, err := s.FindConnectors(ctx, userdb.DefaultAccountID)
	must(t, err)
	wantSeq(t, "the default account's connectors", ids(mine), []string{"beta", "zeta"})
	theirs, err := s.FindConnectors(ctx, other.ID)
	must(t, err)
	wantSeq(t, "the other account's connectors", ids(theirs), []string{"alpha"})
}

func newIdentity(userID, connectorID, subject string, created time.Time) *userdb.Identity {
	return &userdb.Identity{ID: userdb.NewID("idn"), UserID: userID, ConnectorID: connectorID,
		Issuer: "https://sso.example.com", Subject: subject, Email: "someone@example.com",
		CreatedAt: created, LastLoginAt: created}
}

func testIdentityLink(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	a := newIdentity(u.ID, "acme", "248289761001", base)
	must(t, s.CreateIdentity(ctx, a))
	b := newIdentity(u.ID, "github", "1234", at(time.Minute))
	b.Issuer = "https://github.com"
	must(t, s.CreateIdentity(ctx, b))

	got, err := s.FindIdentity(ctx, "https://sso.example.com", "248289761001")
	must(t, err)
	wantEqual(t, "UserID", got.UserID, u.ID)
	wantEqual(t, "ConnectorID", got.ConnectorID, "acme")
	_, err = s.FindIdentity(ctx, "https://github.com", "248289761001")
	wantCode(t, "FindIdentity of another issuer's subject", err, userdb.ENOTFOUND)
	_, err = s.FindIdentity(ctx, "https://sso.example.com", "24828976100")
	wantCode(t, "FindIdentity of a prefix of the subject", err, userdb.ENOTFOUND)

	list, err := s.FindIdentitiesByUser(ctx, u.ID)
	must(t, err)
	if len(list) != 2 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("FindIdentitiesByUser = %v, want [%s %s]", list, a.ID, b.ID)
	}

	must(t, s.UpdateIdentityLogin(ctx, a.ID, "new@example.com", []byte("sealed"), at(time.Hour)))
	got, err = s.FindIdentity(ctx, a.Issuer, a.Subject)
	must(t, err)
	wantEqual(t, "Email after login", got.Email, "new@example.com")
	wantEqual(t, "SealedTokens after login", string(got.SealedTokens), "sealed")
	wantTime(t, "LastLoginAt", got.LastLoginAt, at(time.Hour))
	wantTime(t, "CreatedAt", got.CreatedAt, base)
	wantCode(t, "UpdateIdentityLogin of a missing identity", s.UpdateIdentityLogin(ctx, "idn_none", "", nil, base), userdb.ENOTFOUND)
	wantCode(t, "CreateIdentity for a missing user", s.CreateIdentity(ctx, newIdentity("usr_none", "acme", "x", base)), userdb.ENOTFOUND)
}

// testIdentityConflict: an issuer's subject belongs to one user only, even
// when two links race.
func testIdentityConflict(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u1 := MustCreateUser(t, s, userdb.User{Username: "one"})
	u2 := MustCreateUser(t, s, userdb.User{Username: "two"})
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, u := range []*userdb.User{u1, u2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.CreateIdentity(ctx, newIdentity(u.ID, "acme", "same-subject", base))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			wantCode(t, "the losing CreateIdentity", err, userdb.ECONFLICT)
		}
	}
	wantEqual(t, "links that succeeded", ok, 1)
}

func testIdentityUnlink(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "owner"})
	other := MustCreateUser(t, s, userdb.User{Username: "other"})
	x := newIdentity(u.ID, "acme", "sub", base)
	must(t, s.CreateIdentity(ctx, x))
	wantCode(t, "DeleteIdentity by another user", s.DeleteIdentity(ctx, other.ID, x.ID), userdb.ENOTFOUND)
	must(t, s.DeleteIdentity(ctx, u.ID, x.ID))
	wantCode(t, "DeleteIdentity twice", s.DeleteIdentity(ctx, u.ID, x.ID), userdb.ENOTFOUND)
	_, err := s.FindIdentity(ctx, x.Issuer, x.Subject)
	wantCode(t, "FindIdentity after unlink", err, userdb.ENOTFOUND)
	// The subject is free again.
	must(t, s.CreateIdentity(ctx, newIdentity(other.ID, "acme", "sub", base)))
}

func testIdentityCascade(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	must(t, s.CreateConnector(ctx, newConnector("acme", userdb.DefaultAccountID)))
	u := MustCreateUser(t, s, userdb.User{Username: "gone"})
	v := MustCreateUser(t, s, userdb.User{Username: "stays"})
	must(t, s.CreateIdentity(ctx, newIdentity(u.ID, "acme", "u", base)))
	keep := newIdentity(v.ID, "github", "v", base)
	keep.Issuer = "https://github.com"
	must(t, s.CreateIdentity(ctx, keep))
	must(t, s.CreateIdentity(ctx, newIdentity(v.ID, "acme", "v", base)))
	must(t, s.DeleteUser(ctx, u.ID))
	_, err := s.FindIdentity(ctx, "https://sso.example.com", "u")
	wantCode(t, "identity of a deleted user", err, userdb.ENOTFOUND)
	must(t, s.DeleteConnector(ctx, "acme"))
	list, err := s.FindIdentitiesByUser(ctx, v.ID)
	must(t, err)
	if len(list) != 1 || list[0].ID != keep.ID {
		t.Fatalf("identities after deleting their connector = %v, want only %s", list, keep.ID)
	}
}

func newFlow(kind string, expires time.Time) (*userdb.UpstreamFlow, []byte) {
	_, hash := userdb.NewSecret()
	return &userdb.UpstreamFlow{Hash: hash, Kind: kind, Data: []byte("sealed data"), CreatedAt: base, ExpiresAt: expires}, hash
}

func testFlowConsume(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	f, hash := newFlow("auth", at(10*time.Minute))
	must(t, s.CreateUpstreamFlow(ctx, f))
	wantCode(t, "CreateUpstreamFlow twice", s.CreateUpstreamFlow(ctx, f), userdb.ECONFLICT)
	got, err := s.FindUpstreamFlow(ctx, "auth", hash, at(time.Minute))
	must(t, err)
	wantEqual(t, "Data", string(got.Data), "sealed data")
	_, err = s.FindUpstreamFlow(ctx, "link", hash, at(time.Minute))
	wantCode(t, "FindUpstreamFlow of another kind", err, userdb.ENOTFOUND)
	_, err = s.ConsumeUpstreamFlow(ctx, "link", hash, at(time.Minute))
	wantCode(t, "ConsumeUpstreamFlow of another kind", err, userdb.ENOTFOUND)
	got, err = s.ConsumeUpstreamFlow(ctx, "auth", hash, at(2*time.Minute))
	must(t, err)
	wantTimePtr(t, "ConsumedAt", got.ConsumedAt, ptrTime(at(2*time.Minute)))
	_, err = s.ConsumeUpstreamFlow(ctx, "auth", hash, at(3*time.Minute))
	wantCode(t, "ConsumeUpstreamFlow twice", err, userdb.ENOTFOUND)
	_, err = s.FindUpstreamFlow(ctx, "auth", hash, at(3*time.Minute))
	wantCode(t, "FindUpstreamFlow after use", err, userdb.ENOTFOUND)
}

func ptrTime(t time.Time) *time.Time { return &t }

func testFlowConcurrent(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	f, hash := newFlow("auth", at(10*time.Minute))
	must(t, s.CreateUpstreamFlow(ctx, f))
	const n = 10
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.ConsumeUpstreamFlow(ctx, "auth", hash, at(time.Minute))
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		if err == nil {
			won++
		} else {
			wantCode(t, "a losing ConsumeUpstreamFlow", err, userdb.ENOTFOUND)
		}
	}
	wantEqual(t, "callers that consumed the flow", won, 1)
}

func testFlowExpired(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	old, oldHash := newFlow("auth", at(10*time.Minute))
	must(t, s.CreateUpstreamFlow(ctx, old))
	fresh, freshHash := newFlow("link", at(time.Hour))
	must(t, s.CreateUpstreamFlow(ctx, fresh))
	_, err := s.FindUpstreamFlow(ctx, "auth", oldHash, at(10*time.Minute))
	wantCode(t, "FindUpstreamFlow at its expiry", err, userdb.ENOTFOUND)
	_, err = s.ConsumeUpstreamFlow(ctx, "auth", oldHash, at(11*time.Minute))
	wantCode(t, "ConsumeUpstreamFlow after its expiry", err, userdb.ENOTFOUND)
	n, err := s.DeleteExpiredUpstreamFlows(ctx, at(11*time.Minute))
	must(t, err)
	wantEqual(t, "flows swept", n, 1)
	_, err = s.FindUpstreamFlow(ctx, "link", freshHash, at(11*time.Minute))
	must(t, err)
}
