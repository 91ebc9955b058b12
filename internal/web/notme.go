package web

import (
	"github.com/userdb/userdb/internal/ui"
	"net/http"

	"github.com/userdb/userdb"
)

// NotMePath is where the "This wasn't me" link of a new-device notice
// lands. The link only shows a button: mail scanners open links, and
// opening one must change nothing.
const NotMePath = "/not-me"

// notMe asks the user to confirm that the sign-in was not theirs.
func (p *Pages) notMe(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sptoken")
	if err := p.svc.CheckNotMe(r.Context(), token); err != nil {
		p.badLink(w, r, err, SignInPath, msg("link-go-signin"))
		return
	}
	v := p.newView(r, "notme")
	v.Data = token
	p.render(w, r, http.StatusOK, v)
}

// notMePost secures the account: every session ends, the password stops
// working, and a reset link goes to the user's address.
func (p *Pages) notMePost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	if err := p.svc.NotMe(r.Context(), r.PostFormValue("sptoken")); err != nil {
		if userdb.IsCode(err, userdb.EINVALID) {
			p.badLink(w, r, err, SignInPath, msg("link-go-signin"))
			return
		}
		p.fail(w, r, err)
		return
	}
	p.message(w, r, http.StatusOK, ui.Message{
		Title: msg("notme-done-title"), Kind: "success", Text: msg("notme-done"),
		Link: ForgotPath, LinkText: msg("notme-done-link"),
	})
}
