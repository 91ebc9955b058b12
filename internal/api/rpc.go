package api

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// The original library's admin RPC routes (controllers/users.js,
// accounts.js, roles.js): POST with a JSON body, answered in its shapes.
// Each is a thin adapter on the same authorized service methods as the
// REST API, so the same rules hold: an admin reaches its own account only.

// rpcRoute is one admin RPC route (always POST).
type rpcRoute struct {
	Path string
	h    http.HandlerFunc
}

func (a *API) rpcRoutes() []rpcRoute {
	return []rpcRoute{
		{"/users/list", a.rpcListUsers},
		{"/users/update", a.rpcUpdateUser},
		{"/users/remove", a.rpcRemoveUser},
		{"/users/change_account_status", a.rpcUserStatus},
		{"/users/reset_password", a.rpcResetPassword},
		{"/users/resend_invite", a.rpcResendInvite},
		{"/users/import", a.rpcImportUsers},
		{"/accounts/select_list", a.rpcAccountSelectList},
		{"/accounts/roles_for_account", a.rpcRolesForAccount},
		{"/accounts/list", a.rpcListAccounts},
		{"/accounts/update", a.rpcUpdateAccount},
		{"/accounts/remove", a.rpcRemoveAccount},
		{"/accounts/change_account_status", a.rpcAccountStatus},
		{"/roles/list", a.rpcListRoles},
		{"/roles/update", a.rpcUpdateRole},
		{"/roles/remove", a.rpcRemoveRole},
	}
}

// rpcMax bounds the rows of one listing; the original had no bound.
const rpcMax = 1000

// rpcList holds the listing options of the original's search functions.
type rpcList struct {
	AccountID    string          `json:"accountId"`
	Where        json.RawMessage `json:"where"`
	Offset       int             `json:"offset"`
	Limit        int             `json:"limit"`
	OrderBy      []string        `json:"orderby"`
	SearchString string          `json:"searchString"`
}

// window checks offset and limit and returns them (limit 0: rpcMax).
func (l *rpcList) window() (offset, limit int, err error) {
	if l.Offset < 0 {
		return 0, 0, userdb.FieldError("offset", "offset must not be negative.")
	}
	if l.Limit < 0 {
		return 0, 0, userdb.FieldError("limit", "limit must not be negative.")
	}
	limit = l.Limit
	if limit == 0 || limit > rpcMax {
		limit = rpcMax
	}
	return l.Offset, limit, nil
}

// search is the search string as literal text. The original took a LIKE
// pattern such as "%ann%": the one wildcard at each end is dropped, and any
// other character, % and _ included, matches itself.
func (l *rpcList) search() string {
	s := strings.TrimPrefix(strings.TrimSpace(l.SearchString), "%")
	return strings.TrimSuffix(s, "%")
}

// order reads orderby [field, "asc"|"desc"] through the allowed field names,
// looked up as sent ("accounts.name") and then without a "table." prefix;
// def applies when none is given.
func (l *rpcList) order(allowed map[string]string, def string) (string, bool, error) {
	if len(l.OrderBy) == 0 {
		return def, false, nil
	}
	field := l.OrderBy[0]
	key, ok := allowed[field]
	if i := strings.LastIndexByte(field, '.'); !ok && i >= 0 {
		key, ok = allowed[field[i+1:]]
	}
	if !ok {
		return "", false, userdb.FieldError("orderby", "Cannot order by %s.", quoteShort(l.OrderBy[0]))
	}
	desc := false
	if len(l.OrderBy) > 1 {
		switch strings.ToLower(l.OrderBy[1]) {
		case "asc", "":
		case "desc":
			desc = true
		default:
			return "", false, userdb.FieldError("orderby", "The order must be asc or desc.")
		}
	}
	return key, desc, nil
}

// where reads the original's `where` object: equality conditions on
// columns, each a string, with an optional "table." prefix. allowed maps the
// columns a listing filters on to the names they are returned under; any
// other condition is a 400 rather than silently dropped.
func (l *rpcList) where(allowed map[string]string) (map[string]string, error) {
	out := map[string]string{}
	if len(l.Where) == 0 || string(l.Where) == "null" {
		return out, nil
	}
	var w map[string]any
	if err := json.Unmarshal(l.Where, &w); err != nil {
		return nil, userdb.FieldError("where", "where must be an object of column: value.")
	}
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var names []string
	for _, v := range allowed {
		if !slices.Contains(names, v) {
			names = append(names, v)
		}
	}
	slices.Sort(names)
	for _, k := range keys {
		col := k
		if i := strings.LastIndexByte(col, '.'); i >= 0 {
			col = col[i+1:]
		}
		name, ok := allowed[col]
		switch {
		case !ok && len(names) == 0:
			return nil, userdb.FieldError("where", "This listing takes no where conditions.")
		case !ok:
			return nil, userdb.FieldError("where", "where cannot filter on %s; it takes %s.", quoteShort(k), strings.Join(names, ", "))
		}
		v, ok := w[k].(string)
		if !ok {
			return nil, userdb.FieldError("where", "where.%s must be a string.", col)
		}
		if prev, seen := out[name]; seen && prev != v {
			return nil, userdb.FieldError("where", "where names two values of %s.", name)
		}
		out[name] = v
	}
	return out, nil
}

// account returns the account a listing is about: accountId or
// where.account_id, which must agree when both are given.
func (l *rpcList) account(where map[string]string) (string, error) {
	w, top := where["account_id"], strings.TrimSpace(l.AccountID)
	if w != "" && top != "" && w != top {
		return "", userdb.FieldError("where", "accountId and where.account_id name different accounts.")
	}
	return cmp.Or(w, top), nil
}

var rpcAccountColumn = map[string]string{"account_id": "account_id", "accountId": "account_id"}

var rpcUserColumns = map[string]string{"account_id": "account_id", "accountId": "account_id", "status": "status"}

// rpcUserSorts are the orders of /users/list. The original's UsersTable
// (react/admin/UsersTable.js:24-38) sends "accounts.name", "roles.name" and
// "users.status" for its Account, Roles and Status columns; knex.js:180
// ordered the joined rows by them. A user with several roles sorts by the
// first of their names.
var rpcUserSorts = map[string]string{
	"fullName": userdb.SortGivenName, "givenName": userdb.SortGivenName, "surname": userdb.SortSurname,
	"email": userdb.SortEmail, "username": userdb.SortUsername,
	"created": userdb.SortCreated, "createdAt": userdb.SortCreated, "created_date": userdb.SortCreated,
	"accounts.name": userdb.SortAccount, "accounts": userdb.SortAccount,
	"roles.name": userdb.SortRole, "roles": userdb.SortRole,
	"status": userdb.SortStatus,
}

// rpcListSorts are the orders of /accounts/list and /roles/list: the
// columns of the original's AccountsTable and RolesTable.
var rpcListSorts = map[string]string{
	"name": userdb.SortName, "description": userdb.SortDescription, "status": userdb.SortStatus,
}

// rpcListUsers: POST /users/list {accountId, where: {account_id, status},
// offset, limit, orderby, searchString} -> {"total": N, "users": [...]},
// with "totalCapped": true when the count stopped at userdb.CountLimit.
func (a *API) rpcListUsers(w http.ResponseWriter, r *http.Request) {
	var req rpcList
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	offset, limit, err := req.window()
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	where, err := req.where(rpcUserColumns)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	f := userdb.UserFilter{Query: req.search()}
	if f.AccountID, err = req.account(where); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if st := where["status"]; st != "" {
		if f.Status, err = userdb.ParseStatus(st); err != nil {
			httpx.Error(w, r, userdb.FieldError("where", "where.status must be one of PENDING, ENABLED, DISABLED, LOCKED."))
			return
		}
	}
	if f.Sort, f.Desc, err = req.order(rpcUserSorts, userdb.SortGivenName); err != nil {
		httpx.Error(w, r, err)
		return
	}
	f.Offset, f.Limit = offset, limit
	page, err := a.svc.AdminListUsers(r.Context(), f)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	users, total, capped := page.Users, page.Total, page.TotalCapped
	views := make([]any, len(users))
	for i, u := range users {
		if views[i], err = a.view(r, u); err != nil {
			httpx.Error(w, r, err)
			return
		}
	}
	body := map[string]any{"total": total, "users": views}
	if capped {
		body["totalCapped"] = true // the count stopped: at least total
	}
	httpx.JSON(w, http.StatusOK, body)
}

// rpcUser is the user object the original's admin pages send.
type rpcUser struct {
	ID         string            `json:"id"`
	AccountID  string            `json:"account_id"`
	Username   *string           `json:"username"`
	Email      *string           `json:"email"`
	GivenName  *string           `json:"givenName"`
	MiddleName *string           `json:"middleName"`
	Surname    *string           `json:"surname"`
	FullName   *string           `json:"fullName"`
	Status     string            `json:"status"`
	Password   string            `json:"password"`
	CustomData map[string]any    `json:"customData"`
	Roles      []json.RawMessage `json:"roles"`
}

// roleNames reads roles given as names or as role objects with a name.
// nil (no "roles" key) means the roles stay as they are.
func (u *rpcUser) roleNames() ([]string, error) {
	if u.Roles == nil {
		return nil, nil
	}
	names := []string{}
	for _, raw := range u.Roles {
		var name string
		if err := json.Unmarshal(raw, &name); err != nil {
			var obj struct {
				Name string `json:"name"`
			}
			if err := json.Unmarshal(raw, &obj); err != nil || obj.Name == "" {
				return nil, userdb.FieldError("roles", "roles must be role names or objects with a name.")
			}
			name = obj.Name
		}
		names = append(names, name)
	}
	return names, nil
}

// names fills given and surname from a full name when they are missing, as
// the original did.
func (u *rpcUser) names() {
	if u.FullName == nil || (u.GivenName != nil && *u.GivenName != "" && u.Surname != nil && *u.Surname != "") {
		return
	}
	parts := strings.Fields(*u.FullName)
	if len(parts) == 0 {
		return
	}
	given, surname := parts[0], strings.Join(parts[1:], " ")
	u.GivenName, u.Surname = &given, &surname
}

// rpcUpdateUser: POST /users/update {id?, ...user} -> the user. Without an id
// it creates the user: PENDING (the default) gets an invitation, any other
// status needs a password. With an id, roles (when sent) replace the user's
// roles and customData replaces the user's custom data.
func (a *API) rpcUpdateUser(w http.ResponseWriter, r *http.Request) {
	var req rpcUser
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	req.names()
	roles, err := req.roleNames()
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	var u *userdb.User
	if req.ID == "" {
		u, err = a.rpcCreateUser(r, &req, roles)
	} else {
		u, err = a.rpcChangeUser(r, &req, roles)
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.rawUser(w, r, u)
}

func (a *API) rpcCreateUser(r *http.Request, req *rpcUser, roles []string) (*userdb.User, error) {
	st := userdb.StatusPending
	if req.Status != "" {
		var err error
		if st, err = userdb.ParseStatus(req.Status); err != nil {
			return nil, err
		}
	}
	if st != userdb.StatusPending && req.Password == "" {
		return nil, userdb.FieldError("password", "New user: if status is not PENDING, then a password field is required.")
	}
	return a.svc.AdminCreateUser(r.Context(), service.NewUser{
		Account: req.AccountID, Username: deref(req.Username), Email: deref(req.Email),
		GivenName: deref(req.GivenName), MiddleName: deref(req.MiddleName), Surname: deref(req.Surname),
		FullName: deref(req.FullName), Password: req.Password, Status: st, Roles: roles,
		CustomData: req.CustomData, Invite: st == userdb.StatusPending,
	})
}

func (a *API) rpcChangeUser(r *http.Request, req *rpcUser, roles []string) (*userdb.User, error) {
	ctx := r.Context()
	cur, err := a.svc.AdminGetUser(ctx, req.ID)
	if err != nil {
		return nil, err
	}
	p := service.ProfileUpdate{
		Username: req.Username, Email: req.Email, GivenName: req.GivenName,
		MiddleName: req.MiddleName, Surname: req.Surname,
	}
	if req.Status != "" {
		st, err := userdb.ParseStatus(req.Status)
		if err != nil {
			return nil, err
		}
		if st != cur.Status {
			p.Status = &st
		}
	}
	if req.CustomData != nil {
		// The original replaced custom data whole: keys not sent go.
		p.CustomData = map[string]any{}
		for k := range cur.CustomData {
			p.CustomData[k] = nil
		}
		for k, v := range req.CustomData {
			p.CustomData[k] = v
		}
	}
	u := cur
	if p.Username != nil || p.Email != nil || p.GivenName != nil || p.MiddleName != nil ||
		p.Surname != nil || p.Status != nil || p.CustomData != nil {
		if u, err = a.svc.AdminUpdateUser(ctx, cur.ID, p); err != nil {
			return nil, err
		}
	}
	if roles != nil && !sameSet(roles, u.Roles) {
		if u, err = a.svc.AdminSetRoles(ctx, cur.ID, roles); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// sameSet reports whether two lists of names hold the same names.
func sameSet(x, y []string) bool {
	x, y = slices.Clone(x), slices.Clone(y)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

type rpcUserID struct {
	UserID    string `json:"userId"`
	NewStatus string `json:"newStatus"`
}

func decodeUserID(r *http.Request) (rpcUserID, error) {
	var req rpcUserID
	if err := decode(r, &req); err != nil {
		return req, err
	}
	if strings.TrimSpace(req.UserID) == "" {
		return req, userdb.FieldError("userId", "userId is required.")
	}
	return req, nil
}

// rpcRemoveUser: POST /users/remove {userId} -> {}.
func (a *API) rpcRemoveUser(w http.ResponseWriter, r *http.Request) {
	req, err := decodeUserID(r)
	if err == nil {
		err = a.svc.AdminDeleteUser(r.Context(), req.UserID)
	}
	empty(w, r, err)
}

// rpcUserStatus: POST /users/change_account_status {userId, newStatus} -> the user.
func (a *API) rpcUserStatus(w http.ResponseWriter, r *http.Request) {
	req, err := decodeUserID(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	// The original saved any newStatus, resetting the failed sign-ins when
	// ENABLED (controllers/users.js:182-210). ENABLED unlocks a LOCKED user
	// the same way; LOCKED and PENDING are refused: a lock comes from failed
	// sign-ins (DISABLED is the administrator's lock), and PENDING would
	// leave the user without a way in (/users/resend_invite invites again).
	st, err := userdb.ParseStatus(req.NewStatus)
	switch {
	case err != nil:
		httpx.Error(w, r, userdb.FieldError("newStatus", "newStatus must be ENABLED or DISABLED."))
		return
	case st == userdb.StatusLocked:
		httpx.Error(w, r, userdb.FieldError("newStatus", "newStatus LOCKED is not set by hand: users are locked by failed sign-ins; use DISABLED."))
		return
	case st == userdb.StatusPending:
		httpx.Error(w, r, userdb.FieldError("newStatus", "newStatus PENDING is not set by hand: use /users/resend_invite to invite the user again."))
		return
	}
	var u *userdb.User
	if st == userdb.StatusEnabled {
		u, err = a.svc.AdminGetUser(r.Context(), req.UserID)
		if err == nil && u.Status == userdb.StatusLocked {
			u, err = a.svc.AdminUnlockUser(r.Context(), req.UserID)
		} else if err == nil {
			u, err = a.svc.AdminSetUserStatus(r.Context(), req.UserID, st)
		}
	} else {
		u, err = a.svc.AdminSetUserStatus(r.Context(), req.UserID, st)
	}
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.rawUser(w, r, u)
}

// rpcResetPassword: POST /users/reset_password {userId} -> {}; the user gets the reset email.
func (a *API) rpcResetPassword(w http.ResponseWriter, r *http.Request) {
	req, err := decodeUserID(r)
	if err == nil {
		err = a.svc.AdminSendPasswordReset(r.Context(), req.UserID)
	}
	empty(w, r, err)
}

// rpcResendInvite: POST /users/resend_invite {userId} -> {}.
func (a *API) rpcResendInvite(w http.ResponseWriter, r *http.Request) {
	req, err := decodeUserID(r)
	if err == nil {
		err = a.svc.AdminResendInvitation(r.Context(), req.UserID)
	}
	empty(w, r, err)
}

type rpcOption struct {
	Label string      `json:"label"`
	Value string      `json:"value"`
	Roles []rpcOption `json:"roles,omitempty"`
}

// rpcAccountSelectList: POST /accounts/select_list {q} -> {"options":
// [{label, value, roles: [{label, value}]}], "complete": bool}. An admin
// gets its own account.
func (a *API) rpcAccountSelectList(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Q string `json:"q"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	accounts, err := a.svc.AdminListAccounts(r.Context(), userdb.AccountFilter{Query: req.Q})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	roles, err := a.svc.AdminListRoles(r.Context(), userdb.RoleFilter{})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	byAccount := map[string][]rpcOption{}
	for _, role := range roles.Roles {
		byAccount[role.AccountID] = append(byAccount[role.AccountID], rpcOption{Label: role.Name, Value: role.ID})
	}
	options := make([]rpcOption, len(accounts.Accounts))
	for i, acc := range accounts.Accounts {
		options[i] = rpcOption{Label: acc.Name, Value: acc.ID, Roles: byAccount[acc.ID]}
		if options[i].Roles == nil {
			options[i].Roles = []rpcOption{}
		}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"options": options, "complete": req.Q == ""})
}

// rpcRolesForAccount: POST /accounts/roles_for_account {accountId} -> [roles].
func (a *API) rpcRolesForAccount(w http.ResponseWriter, r *http.Request) {
	var req struct {
		AccountID string `json:"accountId"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := []RoleView{}
	if strings.TrimSpace(req.AccountID) != "" {
		roles, err := a.svc.AdminListRoles(r.Context(), userdb.RoleFilter{AccountID: req.AccountID})
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		for _, role := range roles.Roles {
			items = append(items, NewRoleView(role))
		}
	}
	httpx.JSON(w, http.StatusOK, items)
}

// rpcListAccounts: POST /accounts/list {offset, limit, orderby, searchString}
// -> {"total": N, "accounts": [...]}. An admin gets its own account.
func (a *API) rpcListAccounts(w http.ResponseWriter, r *http.Request) {
	var req rpcList
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	offset, limit, err := req.window()
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sort, desc, err := req.order(rpcListSorts, userdb.SortName)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if _, err := req.where(nil); err != nil {
		httpx.Error(w, r, err)
		return
	}
	page, err := a.svc.AdminListAccounts(r.Context(), userdb.AccountFilter{Query: req.search(), Sort: sort, Desc: desc, Offset: offset, Limit: limit})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]AccountView, len(page.Accounts))
	for i, acc := range page.Accounts {
		items[i] = NewAccountView(acc)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"total": page.Total, "accounts": items})
}

type rpcAccount struct {
	ID          string         `json:"id"`
	AccountID   string         `json:"accountId"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	Status      string         `json:"status"`
	CustomData  map[string]any `json:"customData"`
}

// rpcUpdateAccount: POST /accounts/update {id?, name, description, status,
// customData} -> the account; without an id it creates one, with its admin role.
func (a *API) rpcUpdateAccount(w http.ResponseWriter, r *http.Request) {
	var req rpcAccount
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	var st *userdb.Status
	if req.Status != "" {
		s, err := userdb.ParseStatus(req.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		st = &s
	}
	var acc *userdb.Account
	var err error
	if req.ID == "" {
		n := service.NewAccount{Name: deref(req.Name), Description: deref(req.Description), CustomData: req.CustomData}
		if st != nil {
			n.Status = *st
		}
		acc, err = a.svc.AdminCreateAccount(r.Context(), n)
	} else {
		acc, err = a.svc.AdminUpdateAccount(r.Context(), req.ID, userdb.AccountUpdate{
			Name: req.Name, Description: req.Description, Status: st, CustomData: req.CustomData,
		})
	}
	writeAccount(w, r, http.StatusOK, acc, err)
}

func decodeAccountID(r *http.Request) (rpcAccount, error) {
	var req rpcAccount
	if err := decode(r, &req); err != nil {
		return req, err
	}
	if strings.TrimSpace(req.AccountID) == "" {
		return req, userdb.FieldError("accountId", "accountId is required.")
	}
	return req, nil
}

// rpcRemoveAccount: POST /accounts/remove {accountId} -> {}; like the
// original, the account's users go with it.
func (a *API) rpcRemoveAccount(w http.ResponseWriter, r *http.Request) {
	req, err := decodeAccountID(r)
	if err == nil {
		err = a.svc.AdminDeleteAccount(r.Context(), req.AccountID, true)
	}
	empty(w, r, err)
}

// rpcAccountStatus: POST /accounts/change_account_status {accountId, status} -> {}.
func (a *API) rpcAccountStatus(w http.ResponseWriter, r *http.Request) {
	req, err := decodeAccountID(r)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	st, err := userdb.ParseStatus(req.Status)
	if err != nil || (st != userdb.StatusEnabled && st != userdb.StatusDisabled) {
		httpx.Error(w, r, userdb.FieldError("status", "status must be ENABLED or DISABLED."))
		return
	}
	_, err = a.svc.AdminSetAccountStatus(r.Context(), req.AccountID, st)
	empty(w, r, err)
}

// rpcListRoles: POST /roles/list {where: {account_id}, accountId, offset,
// limit, orderby, searchString} -> {"total": N, "roles": [...]}.
func (a *API) rpcListRoles(w http.ResponseWriter, r *http.Request) {
	var req rpcList
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	offset, limit, err := req.window()
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	sort, desc, err := req.order(rpcListSorts, userdb.SortName)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	where, err := req.where(rpcAccountColumn)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	account, err := req.account(where)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	page, err := a.svc.AdminListRoles(r.Context(), userdb.RoleFilter{
		AccountID: account, Query: req.search(), Sort: sort, Desc: desc, Offset: offset, Limit: limit,
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	items := make([]RoleView, len(page.Roles))
	for i, role := range page.Roles {
		items[i] = NewRoleView(role)
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"total": page.Total, "roles": items})
}

type rpcRole struct {
	ID          string         `json:"id"`
	RoleID      string         `json:"roleId"`
	AccountID   string         `json:"account_id"`
	Name        *string        `json:"name"`
	Description *string        `json:"description"`
	Status      string         `json:"status"`
	CustomData  map[string]any `json:"customData"`
}

// rpcUpdateRole: POST /roles/update {id?, name, description, status,
// customData, account_id} -> the role; without an id it creates one in
// account_id (the caller's own account by default).
func (a *API) rpcUpdateRole(w http.ResponseWriter, r *http.Request) {
	var req rpcRole
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	up := userdb.RoleUpdate{Name: req.Name, Description: req.Description, CustomData: req.CustomData}
	if req.Status != "" {
		st, err := userdb.ParseStatus(req.Status)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		up.Status = &st
	}
	ctx := r.Context()
	id := req.ID
	if id == "" {
		role, err := a.svc.AdminCreateRole(ctx, req.AccountID, deref(req.Name), deref(req.Description))
		if err != nil || (up.Status == nil && up.CustomData == nil) {
			writeRole(w, r, http.StatusOK, role, err)
			return
		}
		id, up.Name, up.Description = role.ID, nil, nil
	} else if req.AccountID != "" {
		cur, err := a.svc.AdminGetRole(ctx, id)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		if cur.AccountID != req.AccountID {
			httpx.Error(w, r, userdb.FieldError("account_id", "A role cannot move to another account."))
			return
		}
	}
	role, err := a.svc.AdminUpdateRole(ctx, id, up)
	writeRole(w, r, http.StatusOK, role, err)
}

// rpcRemoveRole: POST /roles/remove {roleId} -> {}.
func (a *API) rpcRemoveRole(w http.ResponseWriter, r *http.Request) {
	var req rpcRole
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if strings.TrimSpace(req.RoleID) == "" {
		httpx.Error(w, r, userdb.FieldError("roleId", "roleId is required."))
		return
	}
	empty(w, r, a.svc.AdminDeleteRole(r.Context(), req.RoleID))
}

// rawUser answers with the user's JSON itself, as the original's admin
// routes did (not wrapped in {"account": ...}).
func (a *API) rawUser(w http.ResponseWriter, r *http.Request, u *userdb.User) {
	v, err := a.userView(r, u)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.writeView(w, http.StatusOK, false, v)
}

// empty answers 200 {}, or err.
func empty(w http.ResponseWriter, r *http.Request, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, struct{}{})
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	if r := []rune(s); len(r) > 40 {
		s = string(r[:40]) + "…"
	}
	return strconv.Quote(s)
}
