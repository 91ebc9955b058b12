package console

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// accountsPath is the accounts page (super-admins; an admin sees its own).
const accountsPath = Prefix + "accounts"

var accountStatusOptions = []ui.Option{{Value: "", Label: "Any status"}, {Value: "ENABLED", Label: "Enabled"}, {Value: "DISABLED", Label: "Disabled"}}

// accountsData is the accounts page.
type accountsData struct {
	Accounts []*userdb.Account
	Statuses []ui.Option
	Filtered bool
}

// accounts lists the accounts, with a search and the form to add one.
func (c *Console) accounts(w http.ResponseWriter, r *http.Request, me *admin) {
	c.showAccounts(w, r, me, http.StatusOK, c.newView(r, me, "accounts", "accounts", "Accounts"))
}

func (c *Console) showAccounts(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	q := r.URL.Query()
	f := userdb.AccountFilter{Query: strings.TrimSpace(q.Get("q")), Limit: maxAccountChoices}
	d := &accountsData{Statuses: accountStatusOptions}
	v.Input.Set("q", f.Query)
	if s := q.Get("status"); s != "" {
		f.Status = userdb.Status(strings.ToUpper(s))
		if f.Status != userdb.StatusEnabled && f.Status != userdb.StatusDisabled {
			v.Invalid("status", msg("bad-status"))
			f.Status = ""
		}
		v.Input.Set("status", s)
	}
	d.Filtered = f.Query != "" || f.Status != ""
	page, err := c.svc.AdminListAccounts(r.Context(), f)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	d.Accounts = page.Accounts
	v.Data = d
	if len(v.Errors) > 0 && status == http.StatusOK {
		status = http.StatusBadRequest
	}
	c.render(w, r, status, v)
}

// accountsPost creates an account.
func (c *Console) accountsPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "accounts", "accounts", "Accounts")
	n := service.NewAccount{Name: ui.FormValue(r, "name"), Description: ui.FormValue(r, "description")}
	if n.Name == "" {
		v.Invalid("name", msg("account-name-required"))
		c.showAccounts(w, r, me, http.StatusBadRequest, v)
		return
	}
	a, err := c.svc.AdminCreateAccount(r.Context(), n)
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "name", "description")
		c.showAccounts(w, r, me, ui.FormStatus(err), v)
		return
	}
	setFlash(w, r, "account-created")
	ui.Redirect(w, r, accountPath(a.ID))
}

func accountPath(id string) string { return accountsPath + "/" + url.PathEscape(id) }

// accountData is an account's page.
type accountData struct {
	Account  *userdb.Account
	UsersURL string
	RolesURL string
	Default  bool
}

// account shows an account with the form to edit it.
func (c *Console) account(w http.ResponseWriter, r *http.Request, me *admin) {
	c.showAccount(w, r, me, http.StatusOK, c.newView(r, me, "account", "accounts", "Account"))
}

func (c *Console) showAccount(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	a, err := c.svc.AdminGetAccount(r.Context(), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	v.SetValue("name", a.Name)
	v.SetValue("description", a.Description)
	v.Title = a.Name
	v.Data = &accountData{Account: a, Default: a.ID == userdb.DefaultAccountID,
		UsersURL: withParams(usersPath, nil, "account", a.ID), RolesURL: withParams(rolesPath, nil, "account", a.ID)}
	c.render(w, r, status, v)
}

// accountPost saves an account, or enables or disables it.
func (c *Console) accountPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "account", "accounts", "Account")
	id := r.PathValue("id")
	var err error
	flashKey := ""
	switch r.PostFormValue("intent") {
	case "save":
		name := ui.FormValue(r, "name")
		if name == "" {
			v.Invalid("name", msg("account-name-required"))
			c.showAccount(w, r, me, http.StatusBadRequest, v)
			return
		}
		_, err = c.svc.AdminUpdateAccount(r.Context(), id, userdb.AccountUpdate{Name: &name, Description: ptr(ui.FormValue(r, "description"))})
		flashKey = "account-saved"
	case "enable":
		_, err = c.svc.AdminSetAccountStatus(r.Context(), id, userdb.StatusEnabled)
		flashKey = "account-enabled"
	case "disable":
		_, err = c.svc.AdminSetAccountStatus(r.Context(), id, userdb.StatusDisabled)
		flashKey = "account-disabled"
	default:
		v.Error = msg("unknown-action")
		c.showAccount(w, r, me, http.StatusBadRequest, v)
		return
	}
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 || s == http.StatusNotFound {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "name", "description")
		c.showAccount(w, r, me, ui.FormStatus(err), v)
		return
	}
	setFlash(w, r, flashKey)
	ui.Redirect(w, r, accountPath(id))
}
