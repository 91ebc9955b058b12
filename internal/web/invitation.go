package web

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// invitationData is the welcome page's own data.
type invitationData struct {
	Token string
	User  *userdb.User // the invited user, for the address and the username
	// Attributes are the custom attributes the user may fill in.
	Attributes []attrField
}

// invitation is where an invitation email's link lands: the invited user
// checks the names the administrator entered, fills in the profile,
// chooses a password and is then signed in. A link that no longer works
// says so here, before the user types anything.
func (p *Pages) invitation(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sptoken")
	if token == "" {
		p.message(w, r, http.StatusBadRequest, ui.Message{
			Title: msg("link-incomplete-title"), Kind: "error",
			Text: msg("invitation-link-incomplete"),
		})
		return
	}
	u, err := p.svc.CheckInvitation(r.Context(), token)
	if err != nil {
		p.badLink(w, r, err, SignInPath, msg("link-go-signin"))
		return
	}
	v := p.newView(r, "invitation", p.look.Brand.ProductName)
	p.renderInvitation(w, r, http.StatusOK, v, token, u, false)
}

// renderInvitation renders the welcome page for the invited user u; with
// posted set the fields show what was typed, else what is stored.
func (p *Pages) renderInvitation(w http.ResponseWriter, r *http.Request, status int, v *view, token string, u *userdb.User, posted bool) {
	fillNames(v, u)
	d := invitationData{Token: token, User: u}
	if s := p.schema(r); s != nil {
		for _, a := range attrFields(v, s, u, posted) {
			if !a.ReadOnly {
				d.Attributes = append(d.Attributes, a)
			}
		}
	}
	v.Data = d
	p.render(w, r, status, v)
}

// invitationPost saves the profile and the chosen password, using the
// invitation up, and signs the user in. A form with a mistake comes back
// with a message at each field at fault, and the link still works.
func (p *Pages) invitationPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	token := r.PostFormValue("sptoken")
	v := p.newView(r, "invitation", p.look.Brand.ProductName)
	update := service.ProfileUpdate{GivenName: ptr(ui.FormValue(r, "givenName")), Surname: ptr(ui.FormValue(r, "surname"))}
	fields := []string{"givenName", "surname", "password"}
	if s := p.schema(r); s != nil {
		if changes := attrChanges(r, v, s); len(changes) > 0 {
			update.CustomData = changes
		}
		fields = append(fields, attrNames(s)...)
	}
	password, _ := confirmed(r, v)
	status := http.StatusBadRequest
	if len(v.Errors) == 0 {
		l, err := p.svc.AcceptInvitation(r.Context(), token, password, update)
		if err == nil {
			p.edge.SetSession(w, r, l)
			setFlash(w, r, flashWelcome)
			ui.Redirect(w, r, ProfilePath)
			return
		}
		if isTokenError(err) {
			p.badLink(w, r, err, SignInPath, msg("link-go-signin"))
			return
		}
		v.setError(r, err, fields...)
		status = ui.FormStatus(err)
	} else if len(v.Errors) > 1 {
		v.Error = msg("correct-fields")
	}
	// The form comes back for the user the link is for, if it still works.
	u, err := p.svc.CheckInvitation(r.Context(), token)
	if err != nil {
		p.badLink(w, r, err, SignInPath, msg("link-go-signin"))
		return
	}
	p.renderInvitation(w, r, status, v, token, u, true)
}
