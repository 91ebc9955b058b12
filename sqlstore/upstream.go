package sqlstore

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"

	"github.com/userdb/userdb"
)

const connectorColumns = `id, type, name, status, account_id, client_id, secret, settings, created_at, updated_at`

func scanConnector(sc scanner) (*userdb.Connector, error) {
	var c userdb.Connector
	var settings string
	err := sc.Scan(&c.ID, &c.Type, &c.Name, &c.Status, &c.AccountID, &c.ClientID, &c.SealedSecret, &settings,
		timeDest{&c.CreatedAt}, timeDest{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(settings), &c.Settings); err != nil {
		return nil, err
	}
	return &c, nil
}

func connectorSettings(c *userdb.Connector) (string, error) {
	b, err := json.Marshal(c.Settings)
	if err != nil {
		return "", userdb.Internal(err)
	}
	return string(b), nil
}

// CreateConnector stores a new connector; c's times are updated to match.
func (s *Store) CreateConnector(ctx context.Context, c *userdb.Connector) error {
	if err := requireTimes(namedTime{"createdAt", c.CreatedAt}, namedTime{"updatedAt", c.UpdatedAt}); err != nil {
		return err
	}
	if c.ID == "" {
		return userdb.FieldError("id", "a connector needs an id")
	}
	settings, err := connectorSettings(c)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, "INSERT INTO connectors ("+connectorColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		c.ID, c.Type, c.Name, string(c.Status), c.AccountID, c.ClientID, c.SealedSecret, settings,
		s.d.time(c.CreatedAt), s.d.time(c.UpdatedAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "A connector with the id %s exists already.", quote(c.ID)))
		return refine(err, userdb.ENOTFOUND, notFound("account"))
	}
	c.CreatedAt, c.UpdatedAt = storedTime(c.CreatedAt), storedTime(c.UpdatedAt)
	return nil
}

// FindConnector finds a stored connector by id.
func (s *Store) FindConnector(ctx context.Context, id string) (*userdb.Connector, error) {
	cs, err := s.findConnectors(ctx, "WHERE id = ?", id)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, notFound("connector")
	}
	return cs[0], nil
}

// FindConnectors lists the connectors of an account ("" for all) by id.
func (s *Store) FindConnectors(ctx context.Context, accountID string) ([]*userdb.Connector, error) {
	if accountID == "" {
		return s.findConnectors(ctx, "ORDER BY id")
	}
	return s.findConnectors(ctx, "WHERE account_id = ? ORDER BY id", accountID)
}

func (s *Store) findConnectors(ctx context.Context, where string, args ...any) ([]*userdb.Connector, error) {
	rows, err := s.lookup(ctx, "SELECT "+connectorColumns+" FROM connectors "+where, args...)
	if err != nil {
		return nil, err
	}
	cs, err := collect(rows, scanConnector)
	return cs, s.wrap(err)
}

// UpdateConnector replaces the stored connector c.ID, keeping its creation
// time (which c is updated to).
func (s *Store) UpdateConnector(ctx context.Context, c *userdb.Connector) error {
	if err := requireTimes(namedTime{"updatedAt", c.UpdatedAt}); err != nil {
		return err
	}
	settings, err := connectorSettings(c)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, `UPDATE connectors SET type = ?, name = ?, status = ?, account_id = ?, client_id = ?,
			secret = ?, settings = ?, updated_at = ? WHERE id = ?`,
			c.Type, c.Name, string(c.Status), c.AccountID, c.ClientID, c.SealedSecret, settings, tx.d.time(c.UpdatedAt), c.ID)
		if err != nil {
			return refine(err, userdb.ENOTFOUND, notFound("account"))
		}
		if n == 0 {
			return notFound("connector")
		}
		old, err := tx.FindConnector(ctx, c.ID)
		if err != nil {
			return err
		}
		c.CreatedAt, c.UpdatedAt = old.CreatedAt, old.UpdatedAt
		return nil
	})
}

// DeleteConnector deletes a connector and the identities linked through it.
func (s *Store) DeleteConnector(ctx context.Context, id string) error {
	return s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, "DELETE FROM connectors WHERE id = ?", id)
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("connector")
		}
		_, err = tx.exec(ctx, "DELETE FROM identities WHERE connector_id = ?", id)
		return err
	})
}

const identityColumns = `id, user_id, connector_id, issuer, subject, email, tokens, created_at, last_login_at`

func scanIdentity(sc scanner) (*userdb.Identity, error) {
	var x userdb.Identity
	err := sc.Scan(&x.ID, &x.UserID, &x.ConnectorID, &x.Issuer, &x.Subject, &x.Email, &x.SealedTokens,
		timeDest{&x.CreatedAt}, timeDest{&x.LastLoginAt})
	if err != nil {
		return nil, err
	}
	return &x, nil
}

// identityKey is the unique key of an identity: issuer and subject, hashed
// so that long issuers fit every database's index.
func identityKey(issuer, subject string) []byte {
	h := sha256.New()
	h.Write([]byte(issuer))
	h.Write([]byte{0})
	h.Write([]byte(subject))
	return h.Sum(nil)
}

// CreateIdentity links an upstream identity to its user.
func (s *Store) CreateIdentity(ctx context.Context, x *userdb.Identity) error {
	if err := requireTimes(namedTime{"createdAt", x.CreatedAt}, namedTime{"lastLoginAt", x.LastLoginAt}); err != nil {
		return err
	}
	if x.ID == "" || x.Issuer == "" || x.Subject == "" {
		return userdb.FieldError("subject", "an identity needs an id, an issuer and a subject")
	}
	if len(x.Email) > userdb.MaxEmailLen {
		x.Email = ""
	}
	_, err := s.exec(ctx, "INSERT INTO identities (key_hash, "+identityColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		identityKey(x.Issuer, x.Subject), x.ID, x.UserID, x.ConnectorID, x.Issuer, x.Subject, x.Email, x.SealedTokens,
		s.d.time(x.CreatedAt), s.d.time(x.LastLoginAt))
	if err != nil {
		err = refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "This identity is linked to a user already."))
		return refine(err, userdb.ENOTFOUND, notFound("user"))
	}
	x.CreatedAt, x.LastLoginAt = storedTime(x.CreatedAt), storedTime(x.LastLoginAt)
	return nil
}

// FindIdentity finds the identity of an issuer's subject.
func (s *Store) FindIdentity(ctx context.Context, issuer, subject string) (*userdb.Identity, error) {
	rows, err := s.lookup(ctx, "SELECT "+identityColumns+" FROM identities WHERE key_hash = ?", identityKey(issuer, subject))
	if err != nil {
		return nil, err
	}
	xs, err := collect(rows, scanIdentity)
	if err != nil {
		return nil, s.wrap(err)
	}
	// The hash is the index; the columns settle it.
	for _, x := range xs {
		if x.Issuer == issuer && x.Subject == subject {
			return x, nil
		}
	}
	return nil, notFound("identity")
}

// FindIdentitiesByUser lists a user's identities, oldest first.
func (s *Store) FindIdentitiesByUser(ctx context.Context, userID string) ([]*userdb.Identity, error) {
	rows, err := s.lookup(ctx, "SELECT "+identityColumns+" FROM identities WHERE user_id = ? ORDER BY created_at, id", userID)
	if err != nil {
		return nil, err
	}
	xs, err := collect(rows, scanIdentity)
	return xs, s.wrap(err)
}

// UpdateIdentityLogin records a sign-in through an identity.
func (s *Store) UpdateIdentityLogin(ctx context.Context, id, email string, sealedTokens []byte, now time.Time) error {
	if len(email) > userdb.MaxEmailLen {
		email = ""
	}
	n, err := s.execCount(ctx, "UPDATE identities SET email = ?, tokens = ?, last_login_at = ? WHERE id = ?",
		email, sealedTokens, s.d.time(now), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("identity")
	}
	return nil
}

// DeleteIdentity unlinks one of a user's identities.
func (s *Store) DeleteIdentity(ctx context.Context, userID, id string) error {
	n, err := s.execCount(ctx, "DELETE FROM identities WHERE id = ? AND user_id = ?", id, userID)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("identity")
	}
	return nil
}

const flowColumns = `hash, kind, data, created_at, expires_at, consumed_at`

func scanFlow(sc scanner) (*userdb.UpstreamFlow, error) {
	var f userdb.UpstreamFlow
	err := sc.Scan(&f.Hash, &f.Kind, &f.Data, timeDest{&f.CreatedAt}, timeDest{&f.ExpiresAt}, nullTimeDest{&f.ConsumedAt})
	if err != nil {
		return nil, err
	}
	return &f, nil
}

// CreateUpstreamFlow stores a flow; its times are updated to match.
func (s *Store) CreateUpstreamFlow(ctx context.Context, f *userdb.UpstreamFlow) error {
	if err := requireTimes(namedTime{"createdAt", f.CreatedAt}, namedTime{"expiresAt", f.ExpiresAt}); err != nil {
		return err
	}
	if len(f.Hash) == 0 || f.Kind == "" {
		return userdb.FieldError("hash", "a flow needs a hash and a kind")
	}
	_, err := s.exec(ctx, "INSERT INTO upstream_flows ("+flowColumns+") VALUES (?, ?, ?, ?, ?, ?)",
		f.Hash, f.Kind, f.Data, s.d.time(f.CreatedAt), s.d.time(f.ExpiresAt), s.d.nullTime(f.ConsumedAt))
	if err != nil {
		return refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the flow exists already"))
	}
	f.CreatedAt, f.ExpiresAt, f.ConsumedAt = storedTime(f.CreatedAt), storedTime(f.ExpiresAt), storedTimePtr(f.ConsumedAt)
	return nil
}

// FindUpstreamFlow returns an unused, unexpired flow of the kind.
func (s *Store) FindUpstreamFlow(ctx context.Context, kind string, hash []byte, now time.Time) (*userdb.UpstreamFlow, error) {
	return s.findFlow(ctx, "hash = ? AND kind = ? AND consumed_at IS NULL AND expires_at > ?", hash, kind, s.d.time(now))
}

func (s *Store) findFlow(ctx context.Context, cond string, args ...any) (*userdb.UpstreamFlow, error) {
	rows, err := s.lookup(ctx, "SELECT "+flowColumns+" FROM upstream_flows WHERE "+cond, args...)
	if err != nil {
		return nil, err
	}
	fs, err := collect(rows, scanFlow)
	if err != nil {
		return nil, s.wrap(err)
	}
	if len(fs) == 0 {
		return nil, notFound("flow")
	}
	return fs[0], nil
}

// ConsumeUpstreamFlow uses a flow up. As with ConsumeToken, the check and
// the use are one UPDATE, so exactly one of concurrent calls wins.
func (s *Store) ConsumeUpstreamFlow(ctx context.Context, kind string, hash []byte, now time.Time) (*userdb.UpstreamFlow, error) {
	var f *userdb.UpstreamFlow
	err := s.inTx(ctx, func(tx *Store) error {
		n, err := tx.execCount(ctx, `UPDATE upstream_flows SET consumed_at = ?
			WHERE hash = ? AND kind = ? AND consumed_at IS NULL AND expires_at > ?`,
			tx.d.time(now), hash, kind, tx.d.time(now))
		if err != nil {
			return err
		}
		if n == 0 {
			return notFound("flow")
		}
		f, err = tx.findFlow(ctx, "hash = ?", hash)
		return err
	})
	return f, err
}

// DeleteExpiredUpstreamFlows removes flows that expired before now.
func (s *Store) DeleteExpiredUpstreamFlows(ctx context.Context, now time.Time) (int, error) {
	n, err := s.execCount(ctx, "DELETE FROM upstream_flows WHERE expires_at < ?", s.d.time(now))
	return int(n), err
}
