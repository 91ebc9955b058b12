package web

import (
	"errors"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/ui"
)

// EmailChangePath is where the link of the email-change email lands.
const EmailChangePath = "/email-change"

// emailChangeData is the confirmation page's own data.
type emailChangeData struct {
	Token, NewEmail string
}

// emailChange shows what the email-change link would do and asks to
// confirm it. Opening the link changes nothing (mail scanners and link
// previews open links too); the change is the form's POST.
func (p *Pages) emailChange(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sptoken")
	addr, err := p.svc.CheckEmailChangeToken(r.Context(), token)
	if err != nil {
		p.badLink(w, r, err, ProfilePath, msg("link-profile"))
		return
	}
	v := p.newView(r, "emailchange")
	v.Data = emailChangeData{Token: token, NewEmail: addr}
	p.render(w, r, http.StatusOK, v)
}

// emailChangePost uses the link up and changes the address. It needs no
// session: the link was sent to the new address at the request of the
// signed-in user, who gave their password for it.
func (p *Pages) emailChangePost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	if _, err := p.svc.ConfirmEmailChange(r.Context(), r.PostFormValue("sptoken")); err != nil {
		if isTokenError(err) {
			p.badLink(w, r, err, ProfilePath, msg("link-profile"))
			return
		}
		if userdb.IsCode(err, userdb.ECONFLICT) {
			p.message(w, r, http.StatusConflict, ui.Message{Title: msg("address-unusable-title"),
				Text: userdb.ErrorMessage(err), Kind: "error", Link: ProfilePath, LinkText: msg("link-profile")})
			return
		}
		p.fail(w, r, err)
		return
	}
	setFlash(w, r, flashEmailChanged)
	ui.Redirect(w, r, ProfilePath)
}

// renameField returns err naming field to instead of from, so that the
// service's error shows at the page's field of another name.
func renameField(err error, from, to string) error {
	var e *userdb.Error
	if errors.As(err, &e) && e.Field == from {
		c := *e
		c.Field = to
		return &c
	}
	return err
}
