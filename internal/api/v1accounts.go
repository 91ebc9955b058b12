package api

import (
	"net/http"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// v1ListAccounts: GET /api/v1/accounts?q=&status=&cursor=&limit=, by name.
func (a *API) v1ListAccounts(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := userdb.AccountFilter{Query: q.str("q"), Status: q.status()}
	limit := q.limit()
	f.After, _ = q.nameCursor()
	if q.err != nil {
		httpx.Error(w, r, q.err)
		return
	}
	f.Limit = limit + 1 // one more tells whether a next page exists
	page, err := a.svc.AdminListAccounts(r.Context(), f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, next := page.Accounts, ""
	if len(list) > limit {
		list = list[:limit]
		next = nameCursor(list[limit-1].Name, list[limit-1].ID)
	}
	items := make([]AccountView, len(list))
	for i, acc := range list {
		items[i] = NewAccountView(acc)
	}
	httpx.JSON(w, http.StatusOK, Page{Items: items, Next: next, Total: &page.Total})
}

type v1AccountRequest struct {
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	Status      *string        `json:"status"`
	CustomData  map[string]any `json:"customData"`
}

// v1CreateAccount: POST /api/v1/accounts -> 201; the account gets its admin role.
func (a *API) v1CreateAccount(w http.ResponseWriter, r *http.Request) {
	var req v1AccountRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Status != nil {
		httpx.Error(w, r, userdb.FieldError("status", "A new account is ENABLED; disable it afterwards."))
		return
	}
	acc, err := a.svc.AdminCreateAccount(r.Context(), service.NewAccount{
		Name: deref(req.Name), Description: deref(req.Description), CustomData: req.CustomData,
	})
	writeAccount(w, r, http.StatusCreated, acc, err)
}

// v1GetAccount: GET /api/v1/accounts/{id} (id or name).
func (a *API) v1GetAccount(w http.ResponseWriter, r *http.Request) {
	acc, err := a.svc.AdminGetAccount(r.Context(), r.PathValue("id"))
	writeAccount(w, r, http.StatusOK, acc, err)
}

// v1UpdateAccount: PATCH /api/v1/accounts/{id}.
func (a *API) v1UpdateAccount(w http.ResponseWriter, r *http.Request) {
	var req v1AccountRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	up := userdb.AccountUpdate{Name: req.Name, Description: req.Description, CustomData: req.CustomData}
	if req.Status != nil {
		st, err := userdb.ParseStatus(*req.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		up.Status = &st
	}
	acc, err := a.svc.AdminUpdateAccount(r.Context(), r.PathValue("id"), up)
	writeAccount(w, r, http.StatusOK, acc, err)
}

// v1SetAccountStatus: POST /api/v1/accounts/{id}/enable and /disable.
func (a *API) v1SetAccountStatus(st userdb.Status) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acc, err := a.svc.AdminSetAccountStatus(r.Context(), r.PathValue("id"), st)
		writeAccount(w, r, http.StatusOK, acc, err)
	}
}

// v1DeleteAccount: DELETE /api/v1/accounts/{id}[?force=true] -> 204; without
// force an account with users is a 409.
func (a *API) v1DeleteAccount(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	force := q.bool("force")
	if q.err != nil {
		httpx.Error(w, r, q.err)
		return
	}
	noContent(w, r, a.svc.AdminDeleteAccount(r.Context(), r.PathValue("id"), force))
}

func writeAccount(w http.ResponseWriter, r *http.Request, status int, acc *userdb.Account, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, status, NewAccountView(acc))
}

// v1ListRoles: GET /api/v1/roles?account=&cursor=&limit=, by name.
func (a *API) v1ListRoles(w http.ResponseWriter, r *http.Request) {
	q := &query{r: r}
	f := userdb.RoleFilter{AccountID: q.str("account")}
	limit := q.limit()
	f.AfterName, f.AfterID = q.nameCursor()
	if q.err != nil {
		httpx.Error(w, r, q.err)
		return
	}
	f.Limit = limit + 1
	page, err := a.svc.AdminListRoles(r.Context(), f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, next := page.Roles, ""
	if len(list) > limit {
		list = list[:limit]
		next = nameCursor(list[limit-1].Name, list[limit-1].ID)
	}
	items := make([]RoleView, len(list))
	for i, role := range list {
		items[i] = NewRoleView(role)
	}
	httpx.JSON(w, http.StatusOK, Page{Items: items, Next: next, Total: &page.Total})
}

type v1RoleRequest struct {
	Account     string         `json:"account"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	Status      *string        `json:"status"`
	CustomData  map[string]any `json:"customData"`
}

// v1CreateRole: POST /api/v1/roles {account, name, description} -> 201.
func (a *API) v1CreateRole(w http.ResponseWriter, r *http.Request) {
	var req v1RoleRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Status != nil {
		httpx.Error(w, r, userdb.FieldError("status", "A new role is ENABLED; change it with PATCH."))
		return
	}
	if req.CustomData != nil {
		httpx.Error(w, r, userdb.FieldError("customData", "A new role has no custom data; set it with PATCH."))
		return
	}
	role, err := a.svc.AdminCreateRole(r.Context(), req.Account, deref(req.Name), deref(req.Description))
	writeRole(w, r, http.StatusCreated, role, err)
}

// v1GetRole: GET /api/v1/roles/{id}.
func (a *API) v1GetRole(w http.ResponseWriter, r *http.Request) {
	role, err := a.svc.AdminGetRole(r.Context(), r.PathValue("id"))
	writeRole(w, r, http.StatusOK, role, err)
}

// v1UpdateRole: PATCH /api/v1/roles/{id}.
func (a *API) v1UpdateRole(w http.ResponseWriter, r *http.Request) {
	var req v1RoleRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Account != "" {
		httpx.Error(w, r, userdb.FieldError("account", "A role cannot move to another account."))
		return
	}
	up := userdb.RoleUpdate{Name: req.Name, Description: req.Description, CustomData: req.CustomData}
	if req.Status != nil {
		st, err := userdb.ParseStatus(*req.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		up.Status = &st
	}
	role, err := a.svc.AdminUpdateRole(r.Context(), r.PathValue("id"), up)
	writeRole(w, r, http.StatusOK, role, err)
}

// v1DeleteRole: DELETE /api/v1/roles/{id} -> 204.
func (a *API) v1DeleteRole(w http.ResponseWriter, r *http.Request) {
	noContent(w, r, a.svc.AdminDeleteRole(r.Context(), r.PathValue("id")))
}

func writeRole(w http.ResponseWriter, r *http.Request, status int, role *userdb.Role, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, status, NewRoleView(role))
}

// v1Events: GET /api/v1/events?user=&account=&type=&since=&until=&cursor=&limit=,
// newest first.
func (a *API) v1Events(w http.ResponseWriter, r *http.Request) {
	f, err := eventFilter(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	list, err := a.svc.AdminEvents(r.Context(), f)
	writeEvents(w, r, list, f.Limit, err)
}

// v1ListAPIKeys: GET /api/v1/api-keys?account=, newest first.
func (a *API) v1ListAPIKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := a.svc.AdminListAPIKeys(r.Context(), r.URL.Query().Get("account"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]APIKeyView, len(keys))
	for i, k := range keys {
		state, inactive := a.svc.APIKeyState(k)
		items[i] = NewAPIKeyView(k, state, inactive)
	}
	n := len(items)
	httpx.JSON(w, http.StatusOK, Page{Items: items, Total: &n})
}

type v1APIKeyRequest struct {
	Name      string   `json:"name"`
	Account   string   `json:"account"`
	Roles     []string `json:"roles"`
	ExpiresAt string   `json:"expiresAt"` // RFC 3339; "" never expires (or api_keys.max_lifetime)
	// ManageKeys lets the key create and revoke keys itself.
	ManageKeys bool `json:"manageKeys"`
}

// v1CreateAPIKey: POST /api/v1/api-keys -> 201 with the secret, shown only here.
func (a *API) v1CreateAPIKey(w http.ResponseWriter, r *http.Request) {
	var req v1APIKeyRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	n := service.NewAPIKey{Name: req.Name, Account: req.Account, Roles: req.Roles, ManageKeys: req.ManageKeys}
	if req.ExpiresAt != "" {
		t, err := time.Parse(time.RFC3339Nano, req.ExpiresAt)
		if err != nil {
			httpx.Error(w, r, userdb.FieldError("expiresAt", "expiresAt must be a time such as 2027-01-01T00:00:00Z."))
			return
		}
		t = t.UTC()
		n.ExpiresAt = &t
	}
	k, secret, err := a.svc.AdminCreateAPIKey(r.Context(), n)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	state, inactive := a.svc.APIKeyState(k)
	v := NewAPIKeyView(k, state, inactive)
	v.Secret = secret
	httpx.JSON(w, http.StatusCreated, v)
}

// v1RevokeAPIKey: DELETE /api/v1/api-keys/{id} -> 204.
func (a *API) v1RevokeAPIKey(w http.ResponseWriter, r *http.Request) {
	noContent(w, r, a.svc.AdminRevokeAPIKey(r.Context(), r.PathValue("id")))
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
