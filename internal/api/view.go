package api

import (
	"time"

	"github.com/userdb/userdb"
)

// UserView is the JSON of a user as the API shows it. Field names follow the
// original library's (its database columns and react-stormpath's account);
// nothing secret is ever in it.
type UserView struct {
	Href              string         `json:"href,omitempty"`
	ID                string         `json:"id"`
	AccountID         string         `json:"account_id"`
	Accounts          []AccountRef   `json:"accounts"`
	Username          string         `json:"username"`
	Email             string         `json:"email"`
	GivenName         string         `json:"givenName"`
	MiddleName        string         `json:"middleName"`
	Surname           string         `json:"surname"`
	FullName          string         `json:"fullName"`
	Status            userdb.Status  `json:"status"`
	EmailVerified     bool           `json:"emailVerified"`
	CustomData        map[string]any `json:"customData"`
	Roles             []RoleView     `json:"roles"`
	Groups            *GroupsView    `json:"groups,omitempty"`
	CreatedAt         time.Time      `json:"createdAt"`
	ModifiedAt        time.Time      `json:"modifiedAt"`
	CreatedDate       int64          `json:"created_date"`
	UpdatedDate       int64          `json:"updated_date"`
	PasswordUpdatedOn int64          `json:"password_updated_on"`
	LastLoginOn       int64          `json:"last_login_on"`
	PasswordExpired   bool           `json:"password_expired,omitempty"`
}

// AccountRef is the user's account inside a UserView. The original joined
// the account's row into every user (database-drivers/knex.js, findUserById
// and friends: `.join('accounts', ...)`), so its users carried
// `accounts: [{id, name, ...}]` and its admin routes and React tables read
// `accounts[0].id` and `accounts[0].name`; the fields are that row's columns.
type AccountRef struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData"`
	CreatedDate int64          `json:"created_date"`
	UpdatedDate int64          `json:"updated_date"`
}

// RoleView is the JSON of a role.
type RoleView struct {
	Href        string         `json:"href,omitempty"`
	ID          string         `json:"id"`
	AccountID   string         `json:"account_id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData"`
}

// GroupsView is the Stormpath "groups" collection of an account.
type GroupsView struct {
	Href  string     `json:"href"`
	Items []RoleView `json:"items"`
}

// accountBody is the {"account": ...} envelope of the seed-compatible API.
// It encodes to the same bytes as a map with the one key, in less time.
type accountBody struct {
	Account any `json:"account"`
}

// Transformer shapes a user's JSON, as the original's transformer option
// did. It may modify and return v, or return anything that encodes to JSON.
type Transformer func(v *UserView) any

// NoTransform shows users as they are (the "none" transformer).
func NoTransform(v *UserView) any { return v }

// Stormpath returns the "stormpath" transformer: href on the account and
// its roles as groups.items, as react-stormpath expects.
func Stormpath(accountsHref, groupsHref string) Transformer {
	return func(v *UserView) any {
		v.Href = accountsHref + "/" + v.ID
		items := make([]RoleView, len(v.Roles))
		for i, r := range v.Roles {
			r.Href = groupsHref + "/" + r.ID
			if r.Status == "" {
				r.Status = userdb.StatusEnabled
			}
			items[i] = r
		}
		v.Groups = &GroupsView{Href: v.Href + "/groups", Items: items}
		if v.Status == "" {
			v.Status = userdb.StatusEnabled
		}
		return v
	}
}

// NewUserView builds the view of u with its account (nil: none known, an
// empty list) and the details of its roles.
func NewUserView(u *userdb.User, acc *userdb.Account, roles []*userdb.Role, passwordExpired bool) *UserView {
	v := &UserView{
		ID: u.ID, AccountID: u.AccountID, Accounts: []AccountRef{}, Username: u.Username, Email: u.Email,
		GivenName: u.GivenName, MiddleName: u.MiddleName, Surname: u.Surname, FullName: u.FullName,
		Status: u.Status, EmailVerified: u.EmailVerifiedAt != nil, CustomData: u.CustomData,
		CreatedAt: u.CreatedAt, ModifiedAt: u.UpdatedAt,
		CreatedDate: u.CreatedAt.Unix(), UpdatedDate: u.UpdatedAt.Unix(),
		PasswordExpired: passwordExpired, Roles: []RoleView{},
	}
	if v.CustomData == nil {
		v.CustomData = map[string]any{}
	}
	if acc != nil {
		cd := acc.CustomData
		if cd == nil {
			cd = map[string]any{}
		}
		v.Accounts = []AccountRef{{ID: acc.ID, Name: acc.Name, Description: acc.Description, Status: acc.Status,
			CustomData: cd, CreatedDate: acc.CreatedAt.Unix(), UpdatedDate: acc.UpdatedAt.Unix()}}
	}
	if u.PasswordChangedAt != nil {
		v.PasswordUpdatedOn = u.PasswordChangedAt.Unix()
	}
	if u.LastLoginAt != nil {
		v.LastLoginOn = u.LastLoginAt.Unix()
	}
	for _, name := range u.Roles {
		for _, r := range roles {
			if r.Name == name {
				v.Roles = append(v.Roles, NewRoleView(r))
				break
			}
		}
	}
	return v
}

// NewRoleView builds the view of a role.
func NewRoleView(r *userdb.Role) RoleView {
	cd := r.CustomData
	if cd == nil {
		cd = map[string]any{}
	}
	return RoleView{ID: r.ID, AccountID: r.AccountID, Name: r.Name, Description: r.Description, Status: r.Status, CustomData: cd}
}

// SessionView is the JSON of a session in the caller's session list.
type SessionView struct {
	ID         string    `json:"id"`
	CreatedAt  time.Time `json:"createdAt"`
	LastSeenAt time.Time `json:"lastSeenAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	IP         string    `json:"ip"`
	UserAgent  string    `json:"userAgent"`
	Current    bool      `json:"current"`
	// Remembered: "Keep me signed in" (sessions.remember_lifetime).
	Remembered bool `json:"remembered"`
}
