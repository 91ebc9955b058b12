package server

import (
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
)

// UserView is a user as the JSON API shows it (the body of /me and /login,
// and the users of the admin RPC routes): field names follow the original
// library's and react-stormpath's. A transformer receives it, and may change
// and return it, or return anything else that encodes to JSON. Nothing
// secret is ever in it.
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

// AccountRef is the user's account in a UserView: a list of one, as the
// original library joined it into every user.
type AccountRef struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData"`
	CreatedDate int64          `json:"created_date"`
	UpdatedDate int64          `json:"updated_date"`
}

// RoleView is a role of a UserView.
type RoleView struct {
	Href        string         `json:"href,omitempty"`
	ID          string         `json:"id"`
	AccountID   string         `json:"account_id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Status      userdb.Status  `json:"status"`
	CustomData  map[string]any `json:"customData"`
}

// GroupsView is the Stormpath "groups" collection of a UserView.
type GroupsView struct {
	Href  string     `json:"href"`
	Items []RoleView `json:"items"`
}

// WithTransformer shapes user JSON with a Go function instead of the
// configured transformer (the original's transformer option).
func WithTransformer(t func(*UserView) any) Option {
	return func(o *options) { o.transformer = transformer(t) }
}

// transformer adapts a program's transformer to the API's own view, which
// it copies: the program's function sees only exported types.
func transformer(t func(*UserView) any) api.Transformer {
	return func(v *api.UserView) any {
		out := &UserView{
			Href: v.Href, ID: v.ID, AccountID: v.AccountID, Accounts: accountRefs(v.Accounts), Username: v.Username, Email: v.Email,
			GivenName: v.GivenName, MiddleName: v.MiddleName, Surname: v.Surname, FullName: v.FullName,
			Status: v.Status, EmailVerified: v.EmailVerified, CustomData: v.CustomData,
			Roles: roleViews(v.Roles), CreatedAt: v.CreatedAt, ModifiedAt: v.ModifiedAt,
			CreatedDate: v.CreatedDate, UpdatedDate: v.UpdatedDate, PasswordUpdatedOn: v.PasswordUpdatedOn,
			LastLoginOn: v.LastLoginOn, PasswordExpired: v.PasswordExpired,
		}
		if v.Groups != nil {
			out.Groups = &GroupsView{Href: v.Groups.Href, Items: roleViews(v.Groups.Items)}
		}
		return t(out)
	}
}

func roleViews(rs []api.RoleView) []RoleView {
	out := make([]RoleView, len(rs))
	for i, r := range rs {
		out[i] = RoleView(r)
	}
	return out
}

func accountRefs(as []api.AccountRef) []AccountRef {
	if as == nil {
		return nil
	}
	out := make([]AccountRef, len(as))
	for i, a := range as {
		out[i] = AccountRef(a)
	}
	return out
}
