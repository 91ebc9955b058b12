package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// Connectors (upstream identity providers) in the REST admin API. The
// client secret is write-only: answers say only whether one is set.

func (a *API) v1ConnectorRoutes() []route {
	return []route{
		{"GET", "/connectors", a.v1ListConnectors},
		{"POST", "/connectors", a.v1CreateConnector},
		{"GET", "/connectors/{id}", a.v1GetConnector},
		{"PATCH", "/connectors/{id}", a.v1UpdateConnector},
		{"DELETE", "/connectors/{id}", a.v1DeleteConnector},
	}
}

// ConnectorView is a connector as the admin API shows it.
type ConnectorView struct {
	ID              string           `json:"id"`
	Type            string           `json:"type"`
	Name            string           `json:"name"`
	Status          userdb.Status    `json:"status"`
	AccountID       string           `json:"accountId"`
	ClientID        string           `json:"clientId"`
	HasClientSecret bool             `json:"hasClientSecret"`
	Source          string           `json:"source"` // "config" (read only) or "api"
	CallbackURL     string           `json:"callbackUrl"`
	Settings        ConnectorOptions `json:"settings"`
	CreatedAt       *time.Time       `json:"createdAt,omitempty"`
	ModifiedAt      *time.Time       `json:"modifiedAt,omitempty"`
}

// ConnectorOptions are a connector's settings in the API's spelling.
type ConnectorOptions struct {
	IconURL        string            `json:"iconUrl,omitempty"`
	Issuer         string            `json:"issuer,omitempty"`
	AuthURL        string            `json:"authUrl,omitempty"`
	TokenURL       string            `json:"tokenUrl,omitempty"`
	UserInfoURL    string            `json:"userinfoUrl,omitempty"`
	Scopes         []string          `json:"scopes,omitempty"`
	Claims         ClaimsView        `json:"claims"`
	GroupRoles     map[string]string `json:"groupRoles,omitempty"`
	DefaultRoles   []string          `json:"defaultRoles,omitempty"`
	CreateUsers    bool              `json:"createUsers"`
	DomainAccounts map[string]string `json:"domainAccounts,omitempty"`
	Domains        []string          `json:"domains,omitempty"`
	Required       bool              `json:"required"`
	KeepTokens     bool              `json:"keepTokens"`
}

// ClaimsView is a claim map in the API's spelling.
type ClaimsView struct {
	Subject       string            `json:"subject,omitempty"`
	Email         string            `json:"email,omitempty"`
	EmailVerified string            `json:"emailVerified,omitempty"`
	Username      string            `json:"username,omitempty"`
	GivenName     string            `json:"givenName,omitempty"`
	Surname       string            `json:"surname,omitempty"`
	Name          string            `json:"name,omitempty"`
	Groups        string            `json:"groups,omitempty"`
	Attributes    map[string]string `json:"attributes,omitempty"`
}

func (o ConnectorOptions) settings() userdb.ConnectorSettings {
	c := o.Claims
	return userdb.ConnectorSettings{IconURL: o.IconURL, Issuer: o.Issuer, AuthURL: o.AuthURL, TokenURL: o.TokenURL,
		UserInfoURL: o.UserInfoURL, Scopes: o.Scopes, GroupRoles: o.GroupRoles, DefaultRoles: o.DefaultRoles,
		CreateUsers: o.CreateUsers, DomainAccounts: o.DomainAccounts, Domains: o.Domains, Required: o.Required,
		KeepTokens: o.KeepTokens,
		Claims: userdb.ClaimMap{Subject: c.Subject, Email: c.Email, EmailVerified: c.EmailVerified, Username: c.Username,
			GivenName: c.GivenName, Surname: c.Surname, Name: c.Name, Groups: c.Groups, Attributes: c.Attributes}}
}

// NewConnectorView renders a connector; base is the server's public URL.
func NewConnectorView(c *userdb.Connector, base string) ConnectorView {
	s, cl := c.Settings, c.Settings.Claims
	v := ConnectorView{ID: c.ID, Type: c.Type, Name: c.Name, Status: c.Status, AccountID: c.AccountID, ClientID: c.ClientID,
		HasClientSecret: len(c.SealedSecret) > 0, Source: "api",
		CallbackURL: strings.TrimSuffix(base, "/") + upstreamStart + c.ID + "/callback",
		Settings: ConnectorOptions{IconURL: s.IconURL, Issuer: s.Issuer, AuthURL: s.AuthURL, TokenURL: s.TokenURL,
			UserInfoURL: s.UserInfoURL, Scopes: s.Scopes, GroupRoles: s.GroupRoles, DefaultRoles: s.DefaultRoles,
			CreateUsers: s.CreateUsers, DomainAccounts: s.DomainAccounts, Domains: s.Domains, Required: s.Required,
			KeepTokens: s.KeepTokens,
			Claims: ClaimsView{Subject: cl.Subject, Email: cl.Email, EmailVerified: cl.EmailVerified, Username: cl.Username,
				GivenName: cl.GivenName, Surname: cl.Surname, Name: cl.Name, Groups: cl.Groups, Attributes: cl.Attributes}}}
	if c.Source == "config" {
		v.Source = "config"
	} else {
		v.CreatedAt, v.ModifiedAt = &c.CreatedAt, &c.UpdatedAt
	}
	return v
}

func (a *API) connectorView(c *userdb.Connector) ConnectorView {
	return NewConnectorView(c, a.svc.Options().BaseURL)
}

func (a *API) v1ListConnectors(w http.ResponseWriter, r *http.Request) {
	list, err := a.svc.AdminConnectors(r.Context(), r.URL.Query().Get("account"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]ConnectorView, len(list))
	for i, c := range list {
		items[i] = a.connectorView(c)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"items": items, "total": len(items)})
}

type connectorInput struct {
	ID           string           `json:"id"`
	Type         string           `json:"type"`
	Name         string           `json:"name"`
	Account      string           `json:"account"`
	Status       string           `json:"status"`
	ClientID     string           `json:"clientId"`
	ClientSecret string           `json:"clientSecret"`
	Settings     ConnectorOptions `json:"settings"`
}

func (a *API) v1CreateConnector(w http.ResponseWriter, r *http.Request) {
	var in connectorInput
	if err := decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	disabled := false
	if in.Status != "" {
		st, err := userdb.ParseStatus(in.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		disabled = st == userdb.StatusDisabled
	}
	c, err := a.svc.AdminCreateConnector(r.Context(), service.NewConnector{ID: in.ID, Type: in.Type, Name: in.Name,
		Account: in.Account, Disabled: disabled, ClientID: in.ClientID, ClientSecret: in.ClientSecret, Settings: in.Settings.settings()})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusCreated, a.connectorView(c))
}

func (a *API) v1GetConnector(w http.ResponseWriter, r *http.Request) {
	c, err := a.svc.AdminFindConnector(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, a.connectorView(c))
}

// connectorPatch changes single fields; settings, when given, replace the
// settings whole.
type connectorPatch struct {
	Name         *string           `json:"name"`
	Status       *string           `json:"status"`
	ClientID     *string           `json:"clientId"`
	ClientSecret *string           `json:"clientSecret"`
	Settings     *ConnectorOptions `json:"settings"`
}

func (a *API) v1UpdateConnector(w http.ResponseWriter, r *http.Request) {
	var in connectorPatch
	if err := decode(r, &in); err != nil {
		httpx.Error(w, r, err)
		return
	}
	up := service.ConnectorUpdate{Name: in.Name, ClientID: in.ClientID, ClientSecret: in.ClientSecret}
	if in.Status != nil {
		st, err := userdb.ParseStatus(*in.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		up.Status = &st
	}
	if in.Settings != nil {
		s := in.Settings.settings()
		up.Settings = &s
	}
	c, err := a.svc.AdminUpdateConnector(r.Context(), r.PathValue("id"), up)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, a.connectorView(c))
}

func (a *API) v1DeleteConnector(w http.ResponseWriter, r *http.Request) {
	if err := a.svc.AdminDeleteConnector(r.Context(), r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
