package console

import (
	"github.com/userdb/userdb/internal/ui"
	"net/http"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// connectorsPath is the page of the upstream identity providers.
const connectorsPath = Prefix + "connectors"

func init() {
	for k, v := range map[string]string{
		"connector-created":  "The connector has been created. Register its callback URL at the provider.",
		"connector-enabled":  "The connector has been enabled: its button is on the sign-in page.",
		"connector-disabled": "The connector has been disabled.",
		"connector-deleted":  "The connector has been deleted, and its users' linked identities with it.",
		"connector-id":       "Choose an id: lower-case letters, digits and dashes.",
	} {
		catalogue[k] = v
	}
	for _, k := range []string{"connector-created", "connector-enabled", "connector-disabled", "connector-deleted"} {
		flashKinds[k] = "success"
	}
}

// connectorsData is the connectors page.
type connectorsData struct {
	Connectors []connectorRow
	Accounts   []ui.Option // super-admins: whose the new connector is
	Types      []ui.Option
}

type connectorRow struct {
	*userdb.Connector
	AccountName string
	CallbackURL string // to register at the provider
}

// connectors lists the connectors with the form to add one. Settings
// beyond the form's (claims, roles from groups, domains...) are edited
// through the admin API or `userdb connector update`.
func (c *Console) connectors(w http.ResponseWriter, r *http.Request, me *admin) {
	c.showConnectors(w, r, me, http.StatusOK, c.newView(r, me, "connectors", "connectors", "Connectors"))
}

func (c *Console) showConnectors(w http.ResponseWriter, r *http.Request, me *admin, status int, v *view) {
	names, accounts, err := c.accountNames(r, me)
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	list, err := c.svc.AdminConnectors(r.Context(), "")
	if err != nil {
		c.fail(w, r, me, err)
		return
	}
	d := &connectorsData{}
	if me.Super {
		d.Accounts = accounts
	}
	for _, t := range userdb.ConnectorTypes {
		d.Types = append(d.Types, ui.Option{Value: t, Label: t})
	}
	for _, x := range list {
		d.Connectors = append(d.Connectors, connectorRow{Connector: x, CallbackURL: c.svc.ConnectorCallbackURL(x.ID),
			AccountName: names[x.AccountID]})
	}
	v.Data = d
	c.render(w, r, status, v)
}

// connectorsPost adds a connector, enables or disables one, or deletes one.
func (c *Console) connectorsPost(w http.ResponseWriter, r *http.Request, me *admin) {
	if !c.parseForm(w, r, me) {
		return
	}
	v := c.newView(r, me, "connectors", "connectors", "Connectors")
	id := ui.FormValue(r, "id")
	switch r.PostFormValue("intent") {
	case "create":
		n := service.NewConnector{ID: id, Type: ui.FormValue(r, "type"), Name: ui.FormValue(r, "name"),
			ClientID: ui.FormValue(r, "clientId"), ClientSecret: r.PostFormValue("clientSecret"),
			Settings: userdb.ConnectorSettings{Issuer: ui.FormValue(r, "issuer"), CreateUsers: r.PostFormValue("createUsers") != ""}}
		if me.Super {
			n.Account = ui.FormValue(r, "account")
		}
		for _, d := range strings.Fields(strings.ReplaceAll(ui.FormValue(r, "domains"), ",", " ")) {
			n.Settings.Domains = append(n.Settings.Domains, strings.ToLower(d))
		}
		if id == "" {
			v.Invalid("id", msg("connector-id"))
			c.showConnectors(w, r, me, http.StatusBadRequest, v)
			return
		}
		if _, err := c.svc.AdminCreateConnector(r.Context(), n); err != nil {
			if ui.FormStatus(err) >= 500 {
				c.fail(w, r, me, err)
				return
			}
			v.setError(r, err, "id", "type", "name", "clientId", "issuer", "account", "domains")
			c.showConnectors(w, r, me, ui.FormStatus(err), v)
			return
		}
		setFlash(w, r, "connector-created")
	case "enable", "disable":
		st, key := userdb.StatusEnabled, "connector-enabled"
		if r.PostFormValue("intent") == "disable" {
			st, key = userdb.StatusDisabled, "connector-disabled"
		}
		if _, err := c.svc.AdminUpdateConnector(r.Context(), id, service.ConnectorUpdate{Status: &st}); err != nil {
			c.fail(w, r, me, err)
			return
		}
		setFlash(w, r, key)
	case "delete":
		if err := c.svc.AdminDeleteConnector(r.Context(), id); err != nil {
			c.fail(w, r, me, err)
			return
		}
		setFlash(w, r, "connector-deleted")
	default:
		v.Error = msg("unknown-action")
		c.showConnectors(w, r, me, http.StatusBadRequest, v)
		return
	}
	ui.Redirect(w, r, connectorsPath)
}
