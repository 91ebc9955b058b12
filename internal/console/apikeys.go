package console

import (
	"fmt"
	"net/http"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// apiKeysPath is the API keys page.
const apiKeysPath = Prefix + "api-keys"

// apiKeysData is the API keys page.
type apiKeysData struct {
	Keys     []keyRow
	Accounts []ui.Option // super-admins: where a new key belongs
	Roles    []ui.Option
	// Secret is the new key's secret, shown on the page that answers its
	// creation and never again.
	Secret  string
	NewName string
	// ExpiryHint explains the expiry field (api_keys.max_lifetime).
	ExpiryHint string
}

type keyRow struct {
	*userdb.APIKey
	AccountName string
	State       string // active, expired or revoked
	// InactiveAt is when the key stops working unless used before (nil:
	// never, or not active).
	InactiveAt *time.Time
}

// apiKeys lists the API keys with the form to create one.
func (c *Console) apiKeys(w http.ResponseWriter, r *http.Request, me *admin) {
	v := c.newView(r, me, "apikeys", "apikeys", "API keys")
	c.showAPIKeys(w, r, me, http.StatusOK, v, nil)
}

func (c *Console) showAPIKeys(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view, d *apiKeysData) {
	if d == nil {
		d = &apiKeysData{}
	}
	names, accounts, err := c.accountNames(r, me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	d.ExpiryHint = "The key stops working at the start of this day (UTC). Empty: until you revoke it."
	if longest := c.svc.Options().APIKeyMaxLifetime; longest > 0 {
		d.ExpiryHint = fmt.Sprintf("The key stops working at the start of this day (UTC), at most %d days from now. Empty: in %[1]d days.", int(longest.Hours()/24))
	}
	if me.Super {
		d.Accounts = append([]ui.Option{{Value: "", Label: "None: a global super-admin key"}}, accounts[1:]...)
	}
	if d.Roles, err = c.roleOptions(r, me, "", ""); err != nil {
		c.fail(w, r, me, err)
		return
	}
	keys, err := c.svc.AdminListAPIKeys(r.Context(), "")
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	for _, k := range keys {
		row := keyRow{APIKey: k, AccountName: names[k.AccountID]}
		row.State, row.InactiveAt = c.svc.APIKeyState(k)
		if k.AccountID == "" {
			row.AccountName = "All (global)"
		}
		d.Keys = append(d.Keys, row)
	}
	v.Data = d
	c.render(w, r, status, v)
}

// apiKeysPost creates a key (showing its secret once) or revokes one.
func (c *Console) apiKeysPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "apikeys", "apikeys", "API keys")
	switch r.PostFormValue("intent") {
	case "create":
		n := service.NewAPIKey{Name: ui.FormValue(r, "name"), Roles: r.PostForm["roles"]}
		if me.Super {
			n.Account = ui.FormValue(r, "account")
		}
		if n.Name == "" {
			v.Invalid("name", msg("name-required"))
		}
		if s := ui.FormValue(r, "expires"); s != "" {
			t, err := time.Parse("2006-01-02", s)
			if err != nil {
				v.Invalid("expires", msg("bad-expiry"))
			}
			n.ExpiresAt = &t
		}
		if len(v.Errors) > 0 {
			c.showAPIKeys(w, r, me, http.StatusBadRequest, v, nil)
			return
		}
		k, secret, err := c.svc.AdminCreateAPIKey(r.Context(), n)
		if err != nil {
			if s := ui.FormStatus(err); s >= 500 {
				c.fail(w, r, me, err)
				return
			}
			if fieldOf(err) == "expiresAt" {
				v.Invalid("expires", userdb.ErrorMessage(err))
			} else {
				v.setError(r, err, "name", "account", "roles")
			}
			c.showAPIKeys(w, r, me, ui.FormStatus(err), v, nil)
			return
		}
		// The secret is shown in the answer to this post and nowhere else:
		// no redirect (it would have to carry it), no caching (no-store).
		fresh := c.newView(r, me, "apikeys", "apikeys", "API keys")
		c.showAPIKeys(w, r, me, http.StatusCreated, fresh, &apiKeysData{Secret: secret, NewName: k.Name})
	case "revoke":
		if err := c.svc.AdminRevokeAPIKey(r.Context(), r.PostFormValue("id")); err != nil {
			c.fail(w, r, me, err)
			return
		}
		setFlash(w, r, "apikey-revoked")
		ui.Redirect(w, r, apiKeysPath)
	default:
		v.Error = msg("unknown-action")
		c.showAPIKeys(w, r, me, http.StatusBadRequest, v, nil)
	}
}
