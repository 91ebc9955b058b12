package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/connector"
	"github.com/userdb/userdb/internal/seal"
	"github.com/userdb/userdb/internal/service"
)

// upstreams adapts internal/connector to the service: it opens each
// connector once per version of its data and secret, so discovery and
// the provider's keys are fetched once, not at every sign-in.
type upstreams struct {
	opts connector.Options

	mu   sync.Mutex
	open map[string]cachedConnector // by connector id
}

type cachedConnector struct {
	version [32]byte
	conn    connector.Connector
}

var _ service.Upstream = (*upstreams)(nil)

func newUpstreams(timeout time.Duration, transport http.RoundTripper) *upstreams {
	return &upstreams{opts: connector.Options{Timeout: timeout, Transport: transport}, open: map[string]cachedConnector{}}
}

// get returns the opened connector of c, opening it again when c changed.
func (u *upstreams) get(c *userdb.Connector, secret string) (connector.Connector, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d\x00%s\x00", c.Type, c.ClientID, secret, c.UpdatedAt.UnixNano(), c.Source)
	fmt.Fprintf(h, "%+v", c.Settings)
	var v [32]byte
	copy(v[:], h.Sum(nil))
	u.mu.Lock()
	defer u.mu.Unlock()
	if x, ok := u.open[c.ID]; ok && x.version == v {
		return x.conn, nil
	}
	conn, err := connector.Open(c, secret, u.opts)
	if err != nil {
		return nil, &service.UpstreamFault{Reason: "misconfigured", Err: err}
	}
	u.open[c.ID] = cachedConnector{version: v, conn: conn}
	return conn, nil
}

func (u *upstreams) AuthCodeURL(ctx context.Context, c *userdb.Connector, secret string, a service.UpstreamAuth) (string, error) {
	conn, err := u.get(c, secret)
	if err != nil {
		return "", err
	}
	s, err := conn.AuthCodeURL(ctx, connector.Auth(a))
	return s, fault(err)
}

func (u *upstreams) Exchange(ctx context.Context, c *userdb.Connector, secret string, a service.UpstreamAuth, code string) (*service.UpstreamIdentity, error) {
	conn, err := u.get(c, secret)
	if err != nil {
		return nil, err
	}
	id, err := conn.Exchange(ctx, connector.Auth(a), code)
	if err != nil {
		return nil, fault(err)
	}
	return &service.UpstreamIdentity{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified,
		Username: id.Username, GivenName: id.GivenName, Surname: id.Surname, Name: id.Name, Groups: id.Groups,
		Attributes: id.Attributes, Tokens: id.Tokens}, nil
}

// Check runs a connector's own check (discovery) when it has one.
func (u *upstreams) Check(ctx context.Context, c *userdb.Connector, secret string) error {
	conn, err := u.get(c, secret)
	if err != nil {
		return err
	}
	if ch, ok := conn.(connector.Checker); ok {
		return fault(ch.Check(ctx))
	}
	return nil
}

// fault turns a connector's error into the service's.
func fault(err error) error {
	if err == nil {
		return nil
	}
	var e *connector.Error
	if errors.As(err, &e) {
		return &service.UpstreamFault{Reason: e.Kind.String(), Upstream: e.Upstream, Err: e.Err}
	}
	return &service.UpstreamFault{Reason: "misconfigured", Err: err}
}

// configuredConnectors turns the configuration's connectors into the
// service's, their secrets sealed like stored ones.
func configuredConnectors(ctx context.Context, st userdb.Store, box *seal.Box, list []config.ConnectorConfig) ([]*userdb.Connector, error) {
	var out []*userdb.Connector
	for i, cc := range list {
		key := "upstream.connectors[" + strconv.Itoa(i) + "]"
		account := cc.Account
		if account == "" {
			account = userdb.DefaultAccountName
		}
		acc, err := st.FindAccountByName(ctx, account)
		if err != nil {
			return nil, fmt.Errorf("config: %s.account: %q: %w", key, account, err)
		}
		c := &userdb.Connector{ID: cc.ID, Type: cc.Type, Name: cc.Name, Status: userdb.StatusEnabled, AccountID: acc.ID,
			ClientID: cc.ClientID, Source: "config",
			Settings: userdb.ConnectorSettings{IconURL: cc.IconURL, Issuer: cc.Issuer, AuthURL: cc.AuthURL, TokenURL: cc.TokenURL,
				UserInfoURL: cc.UserInfoURL, Scopes: cc.Scopes, GroupRoles: cc.GroupRoles, DefaultRoles: cc.DefaultRoles,
				CreateUsers: cc.CreateUsers, DomainAccounts: cc.DomainAccounts, Domains: cc.Domains, Required: cc.Required,
				KeepTokens: cc.KeepTokens,
				Claims: userdb.ClaimMap{Subject: cc.Claims.Subject, Email: cc.Claims.Email, EmailVerified: cc.Claims.EmailVerified,
					Username: cc.Claims.Username, GivenName: cc.Claims.GivenName, Surname: cc.Claims.Surname, Name: cc.Claims.Name,
					Groups: cc.Claims.Groups, Attributes: cc.Claims.Attributes}}}
		if cc.Disabled {
			c.Status = userdb.StatusDisabled
		}
		if c.Name == "" {
			c.Name = cc.ID
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("config: %s: %s", key, userdb.ErrorMessage(err))
		}
		if cc.ClientSecret != "" {
			if c.SealedSecret, err = box.Seal([]byte(cc.ClientSecret), []byte("connector:"+c.ID)); err != nil {
				return nil, err
			}
		}
		out = append(out, c)
	}
	return out, nil
}
