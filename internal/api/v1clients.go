package api

import (
	"net/http"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/oauth"
)

// ClientView is the JSON of an OAuth client (never its secret's hash).
// Lifetimes are in seconds; 0 is the server's default.
type ClientView struct {
	ID                     string    `json:"id"`
	AccountID              string    `json:"account_id"`
	Name                   string    `json:"name"`
	Type                   string    `json:"type"`
	AuthMethod             string    `json:"authMethod"`
	GrantTypes             []string  `json:"grantTypes"`
	RedirectURIs           []string  `json:"redirectUris"`
	PostLogoutRedirectURIs []string  `json:"postLogoutRedirectUris"`
	Scopes                 []string  `json:"scopes"`
	DefaultScopes          []string  `json:"defaultScopes"`
	AccessTokenTTL         int64     `json:"accessTokenTtl"`
	IDTokenTTL             int64     `json:"idTokenTtl"`
	RefreshTokenTTL        int64     `json:"refreshTokenTtl"`
	TokenFormat            string    `json:"tokenFormat"`
	FirstParty             bool      `json:"firstParty"`
	HasJWKS                bool      `json:"hasJwks"`
	CreatedAt              time.Time `json:"createdAt"`
	ModifiedAt             time.Time `json:"modifiedAt"`
	// Secret is in the answer that made it only.
	Secret string `json:"secret,omitempty"`
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// NewClientView builds the view of a client.
func NewClientView(c *userdb.OAuthClient) ClientView {
	return ClientView{ID: c.ID, AccountID: c.AccountID, Name: c.Name, Type: c.Type, AuthMethod: c.AuthMethod,
		GrantTypes: nonNil(c.GrantTypes), RedirectURIs: nonNil(c.RedirectURIs), PostLogoutRedirectURIs: nonNil(c.PostLogoutRedirectURIs),
		Scopes: nonNil(c.Scopes), DefaultScopes: nonNil(c.DefaultScopes), AccessTokenTTL: int64(c.AccessTokenTTL / time.Second),
		IDTokenTTL: int64(c.IDTokenTTL / time.Second), RefreshTokenTTL: int64(c.RefreshTokenTTL / time.Second),
		TokenFormat: c.TokenFormat, FirstParty: c.FirstParty, HasJWKS: c.JWKS != "", CreatedAt: c.CreatedAt, ModifiedAt: c.UpdatedAt}
}

// v1ClientRequest is the body of POST and PATCH /clients: absent fields
// keep their value (or take the defaults).
type v1ClientRequest struct {
	Account                *string   `json:"account"`
	Name                   *string   `json:"name"`
	Type                   *string   `json:"type"`
	AuthMethod             *string   `json:"authMethod"`
	JWKS                   *string   `json:"jwks"`
	GrantTypes             *[]string `json:"grantTypes"`
	RedirectURIs           *[]string `json:"redirectUris"`
	PostLogoutRedirectURIs *[]string `json:"postLogoutRedirectUris"`
	Scopes                 *[]string `json:"scopes"`
	DefaultScopes          *[]string `json:"defaultScopes"`
	AccessTokenTTL         *int64    `json:"accessTokenTtl"`
	IDTokenTTL             *int64    `json:"idTokenTtl"`
	RefreshTokenTTL        *int64    `json:"refreshTokenTtl"`
	TokenFormat            *string   `json:"tokenFormat"`
	FirstParty             *bool     `json:"firstParty"`
}

func (req v1ClientRequest) input() (oauth.ClientInput, error) {
	in := oauth.ClientInput{Account: req.Account, Name: req.Name, Type: req.Type, AuthMethod: req.AuthMethod, JWKS: req.JWKS,
		GrantTypes: req.GrantTypes, RedirectURIs: req.RedirectURIs, PostLogoutRedirectURIs: req.PostLogoutRedirectURIs,
		Scopes: req.Scopes, DefaultScopes: req.DefaultScopes, TokenFormat: req.TokenFormat, FirstParty: req.FirstParty}
	for _, f := range []struct {
		name string
		v    *int64
		dst  **time.Duration
	}{{"accessTokenTtl", req.AccessTokenTTL, &in.AccessTokenTTL}, {"idTokenTtl", req.IDTokenTTL, &in.IDTokenTTL}, {"refreshTokenTtl", req.RefreshTokenTTL, &in.RefreshTokenTTL}} {
		if f.v == nil {
			continue
		}
		if *f.v < 0 || *f.v > int64(userdb.MaxTokenTTL/time.Second) {
			return in, userdb.FieldError(f.name, "%s must be a number of seconds between 0 and %d.", f.name, int64(userdb.MaxTokenTTL/time.Second))
		}
		d := time.Duration(*f.v) * time.Second
		*f.dst = &d
	}
	return in, nil
}

// readClient reads and checks the body of POST and PATCH /clients.
func readClient(r *http.Request) (oauth.ClientInput, error) {
	var req v1ClientRequest
	if err := decode(r, &req); err != nil {
		return oauth.ClientInput{}, err
	}
	return req.input()
}

// provider returns the OAuth provider, or answers 404 when it is off.
func (a *API) provider(w http.ResponseWriter, r *http.Request) (*oauth.Provider, bool) {
	if a.opts.OAuth == nil {
		httpx.Error(w, r, userdb.Errorf(userdb.ENOTFOUND, "The OAuth provider is off."))
		return nil, false
	}
	return a.opts.OAuth, true
}

// v1ListClients: GET /api/v1/clients[?account=] -> a page of clients.
func (a *API) v1ListClients(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	list, err := p.Clients(r.Context(), a.svc, r.URL.Query().Get("account"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	views := make([]ClientView, len(list))
	for i, c := range list {
		views[i] = NewClientView(c)
	}
	n := len(views)
	httpx.JSON(w, http.StatusOK, Page{Items: views, Total: &n})
}

// v1CreateClient: POST /api/v1/clients -> 201 with the secret, shown once.
func (a *API) v1CreateClient(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	in, err := readClient(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, secret, err := p.CreateClient(r.Context(), a.svc, in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := NewClientView(c)
	v.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusCreated, v)
}

// v1GetClient: GET /api/v1/clients/{id}.
func (a *API) v1GetClient(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	c, err := p.Client(r.Context(), a.svc, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, NewClientView(c))
}

// v1UpdateClient: PATCH /api/v1/clients/{id}; a client switched to a
// secret gets one, in this answer only.
func (a *API) v1UpdateClient(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	in, err := readClient(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, secret, err := p.UpdateClient(r.Context(), a.svc, r.PathValue("id"), in)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := NewClientView(c)
	if v.Secret = secret; secret != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	httpx.JSON(w, http.StatusOK, v)
}

// v1RotateClientSecret: POST /api/v1/clients/{id}/rotate-secret -> the new
// secret, shown once.
func (a *API) v1RotateClientSecret(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	c, secret, err := p.RotateSecret(r.Context(), a.svc, r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	v := NewClientView(c)
	v.Secret = secret
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusOK, v)
}

// v1DeleteClient: DELETE /api/v1/clients/{id} -> 204.
func (a *API) v1DeleteClient(w http.ResponseWriter, r *http.Request) {
	p, ok := a.provider(w, r)
	if !ok {
		return
	}
	noContent(w, r, p.DeleteClient(r.Context(), a.svc, r.PathValue("id")))
}
