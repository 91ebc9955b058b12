package service

import (
	"context"
	"slices"
	"strings"

	"github.com/userdb/userdb"
)

// Connector administration. A connector belongs to an account: that
// account's admins manage it, super-admins manage all. Picking accounts by
// email domain reaches other accounts, so only super-admins set it.
// Connectors of the configuration file are listed but read only.

var (
	errNoConnector   = userdb.Errorf(userdb.ENOTFOUND, "No such connector.")
	errConfiguredRO  = userdb.Errorf(userdb.ECONFLICT, "This connector is defined in the configuration file; change it there.")
	errDomainAccount = &userdb.Error{Code: userdb.EFORBIDDEN, Field: "domainAccounts", Message: "Only a super-admin can send new users to accounts by email domain."}
)

// NewConnector describes a connector to create.
type NewConnector struct {
	ID, Type, Name string
	Account        string // id or name; "" for the actor's own (the default account for super-admins)
	Disabled       bool
	ClientID       string
	ClientSecret   string
	Settings       userdb.ConnectorSettings
}

// ConnectorUpdate changes a connector; nil fields stay.
type ConnectorUpdate struct {
	Name         *string
	Status       *userdb.Status
	ClientID     *string
	ClientSecret *string
	// Settings replace the connector's settings whole.
	Settings *userdb.ConnectorSettings
}

// AdminConnectors lists the connectors the actor may see: every one for a
// super-admin (account, an id or name, narrows), its account's for an admin.
func (s *Service) AdminConnectors(ctx context.Context, account string) ([]*userdb.Connector, error) {
	sc, err := s.adminScope(ctx, "connector.list")
	if err != nil {
		return nil, err
	}
	accountID := ""
	if strings.TrimSpace(account) != "" {
		acc, err := s.findAccount(ctx, account)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			return nil, errNoAccount
		} else if err != nil {
			return nil, err
		}
		accountID = acc.ID
	}
	if !sc.super {
		if accountID != "" && accountID != sc.account {
			return nil, s.deny(ctx, errNoAccount, "connector.list", target{id: accountID})
		}
		accountID = sc.account
	}
	return s.connectors(ctx, accountID)
}

// AdminFindConnector finds a connector the actor may see.
func (s *Service) AdminFindConnector(ctx context.Context, id string) (*userdb.Connector, error) {
	_, c, err := s.adminConnector(ctx, "connector.read", id)
	return c, err
}

func (s *Service) adminConnector(ctx context.Context, action, id string) (scope, *userdb.Connector, error) {
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return sc, nil, err
	}
	c, err := s.connector(ctx, strings.TrimSpace(id))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return sc, nil, errNoConnector
	} else if err != nil {
		return sc, nil, err
	}
	if !sc.in(c.AccountID) {
		return sc, nil, s.deny(ctx, errNoConnector, action, target{id: c.ID, accountID: c.AccountID})
	}
	return sc, c, nil
}

// AdminCreateConnector creates a connector, its client secret sealed with
// the instance key.
func (s *Service) AdminCreateConnector(ctx context.Context, n NewConnector) (*userdb.Connector, error) {
	const action = "connector.create"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return nil, err
	}
	account := strings.TrimSpace(n.Account)
	if account == "" {
		account = sc.account
	}
	acc, err := s.findAccount(ctx, account)
	if err != nil {
		return nil, err
	}
	if !sc.in(acc.ID) {
		return nil, s.deny(ctx, errNoAccount, action, target{id: account})
	}
	now := s.clock.Now()
	c := &userdb.Connector{ID: strings.TrimSpace(n.ID), Type: strings.TrimSpace(n.Type), Name: strings.TrimSpace(n.Name),
		Status: userdb.StatusEnabled, AccountID: acc.ID, ClientID: strings.TrimSpace(n.ClientID),
		Settings: n.Settings, CreatedAt: now, UpdatedAt: now}
	if n.Disabled {
		c.Status = userdb.StatusDisabled
	}
	for _, x := range s.configured {
		if x.ID == c.ID {
			return nil, userdb.Errorf(userdb.ECONFLICT, "A connector with the id %s exists already.", quote(c.ID))
		}
	}
	if err := s.checkConnector(ctx, sc, action, c); err != nil {
		return nil, err
	}
	if c.SealedSecret, err = s.sealSecret(c.ID, n.ClientSecret); err != nil {
		return nil, err
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.CreateConnector(ctx, c); err != nil {
			return err
		}
		return s.recordConnector(ctx, tx, "connector.created", c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AdminUpdateConnector changes a connector.
func (s *Service) AdminUpdateConnector(ctx context.Context, id string, up ConnectorUpdate) (*userdb.Connector, error) {
	const action = "connector.update"
	sc, c, err := s.adminConnector(ctx, action, id)
	if err != nil {
		return nil, err
	}
	if c.Source == "config" {
		return nil, errConfiguredRO
	}
	next := *c
	if up.Name != nil {
		next.Name = strings.TrimSpace(*up.Name)
	}
	if up.Status != nil {
		next.Status = *up.Status
	}
	if up.ClientID != nil {
		next.ClientID = strings.TrimSpace(*up.ClientID)
	}
	if up.Settings != nil {
		next.Settings = *up.Settings
	}
	if err := s.checkConnector(ctx, sc, action, &next); err != nil {
		return nil, err
	}
	if up.ClientSecret != nil {
		if next.SealedSecret, err = s.sealSecret(next.ID, *up.ClientSecret); err != nil {
			return nil, err
		}
	}
	next.UpdatedAt = s.clock.Now()
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.UpdateConnector(ctx, &next); err != nil {
			return err
		}
		return s.recordConnector(ctx, tx, "connector.updated", &next)
	})
	if err != nil {
		return nil, err
	}
	return &next, nil
}

// AdminDeleteConnector deletes a connector and unlinks its identities.
func (s *Service) AdminDeleteConnector(ctx context.Context, id string) error {
	_, c, err := s.adminConnector(ctx, "connector.delete", id)
	if err != nil {
		return err
	}
	if c.Source == "config" {
		return errConfiguredRO
	}
	return s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteConnector(ctx, c.ID); err != nil {
			return err
		}
		return s.recordConnector(ctx, tx, "connector.deleted", c)
	})
}

// checkConnector validates a connector about to be written by the actor.
func (s *Service) checkConnector(ctx context.Context, sc scope, action string, c *userdb.Connector) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if len(c.Settings.DomainAccounts) > 0 && !sc.super {
		return s.deny(ctx, errDomainAccount, action, target{id: c.ID, accountID: c.AccountID})
	}
	for domain, account := range c.Settings.DomainAccounts {
		if _, err := s.findAccount(ctx, account); err != nil {
			return &userdb.Error{Code: userdb.EINVALID, Field: "domainAccounts", Message: "No account named " + quote(account) + " (for " + domain + ")."}
		}
	}
	if slices.Contains(c.Settings.DefaultRoles, s.opts.SuperAdminRole) {
		return userdb.FieldError("defaultRoles", "A connector cannot give the %s role.", s.opts.SuperAdminRole)
	}
	if _, err := s.resolveRoles(ctx, c.AccountID, c.Settings.DefaultRoles); err != nil {
		return &userdb.Error{Code: userdb.EINVALID, Field: "defaultRoles", Message: userdb.ErrorMessage(err)}
	}
	return nil
}

// sealSecret encrypts a client secret for the connector id ("" stays empty:
// public clients and Apple's pre-made secrets in the id token flow).
func (s *Service) sealSecret(id, secret string) ([]byte, error) {
	if secret == "" {
		return nil, nil
	}
	if len(secret) > 1024 {
		return nil, userdb.FieldError("clientSecret", "The client secret must be at most 1024 bytes.")
	}
	if s.sealer == nil {
		return nil, userdb.Errorf(userdb.EINTERNAL, "internal error")
	}
	return s.sealer.Seal([]byte(secret), []byte("connector:"+id))
}

func (s *Service) recordConnector(ctx context.Context, st userdb.Store, typ string, c *userdb.Connector) error {
	m := MetaFrom(ctx)
	return st.CreateEvent(ctx, &userdb.Event{Type: typ, Time: s.clock.Now(), ActorID: m.ActorID, AccountID: c.AccountID,
		IP: m.IP, UserAgent: truncate(m.UserAgent, 512), Details: map[string]any{"connector": c.ID, "type": c.Type}})
}
