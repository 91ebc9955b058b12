package web

import (
	"context"
	"github.com/userdb/userdb/internal/ui"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/oauth"
)

// AppsPath lists the applications a user has allowed to use the account.
const AppsPath = "/profile/apps"

// Apps are the OAuth clients a user has consented to (the OAuth provider).
type Apps interface {
	Consents(ctx context.Context, userID string) ([]oauth.Consent, error)
	RevokeConsent(ctx context.Context, userID, clientID string) error
}

// appList shows the applications the user has allowed.
func (p *Pages) appList(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	list, err := p.apps.Consents(r.Context(), me.User.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v := p.newView(r, "apps")
	v.User, v.Data = me.User, list
	p.render(w, r, http.StatusOK, v)
}

// appsPost withdraws the consent to one application; the application's
// refresh tokens for the user stop working at once.
func (p *Pages) appsPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	if r.PostFormValue("intent") != "remove" {
		p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("form-unreadable")})
		return
	}
	if err := p.apps.RevokeConsent(r.Context(), me.User.ID, r.PostFormValue("client")); err != nil {
		p.fail(w, r, err)
		return
	}
	setFlash(w, r, flashAppRemoved)
	ui.Redirect(w, r, AppsPath)
}
