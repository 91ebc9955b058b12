package web

import "net/http"

// invitation is where an invitation email's link lands: the invited user
// chooses a password and is then signed in.
func (p *Pages) invitation(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sptoken")
	if token == "" {
		p.message(w, r, http.StatusBadRequest, message{
			Title: "This link is incomplete", Kind: "error",
			Text: "Open the link from your invitation email again, or ask whoever invited you for a new one.",
		})
		return
	}
	v := p.newView(r, "invitation", "Welcome to "+p.brand.ProductName)
	v.setValue("sptoken", token)
	p.render(w, r, http.StatusOK, v)
}

// invitationPost accepts the invitation with the chosen password and signs
// the user in.
func (p *Pages) invitationPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = withMeta(r, "")
	v := p.newView(r, "invitation", "Welcome to "+p.brand.ProductName)
	password, ok := confirmed(r, v)
	if !ok {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	l, err := p.svc.AcceptInvitation(r.Context(), r.PostFormValue("sptoken"), password)
	if err != nil {
		if isTokenError(err) {
			p.badLink(w, r, err, SignInPath, "Go to sign in")
			return
		}
		v.setError(r, err, "password")
		p.render(w, r, formStatus(err), v)
		return
	}
	p.rotateSession(r)
	p.sessions.SetSession(w, r, l)
	setFlash(w, r, flashWelcome)
	redirect(w, r, ProfilePath)
}
