package web

import (
	"errors"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/ui"
)

// reset is where the forgot-password email's link lands: a form to choose
// a new password, if the link is still good.
func (p *Pages) reset(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("sptoken")
	u, err := p.svc.ResetTokenUser(r.Context(), token)
	if err != nil {
		p.badLink(w, r, err, ForgotPath, msg("link-new-link"))
		return
	}
	v := p.newView(r, "reset")
	v.SetValue("sptoken", token)
	// For password managers; a failed post shows what it posted back.
	v.SetValue("username", u.Username)
	p.render(w, r, http.StatusOK, v)
}

// resetPost sets the new password. Every session of the user ends, so the
// user signs in again with it.
func (p *Pages) resetPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	r = p.edge.WithMeta(r, "")
	v := p.newView(r, "reset")
	password, ok := confirmed(r, v)
	if !ok {
		p.render(w, r, http.StatusBadRequest, v)
		return
	}
	if _, err := p.svc.ResetPassword(r.Context(), r.PostFormValue("sptoken"), password); err != nil {
		if isTokenError(err) {
			p.badLink(w, r, err, ForgotPath, msg("link-new-link"))
			return
		}
		v.setError(r, err, "password")
		p.render(w, r, ui.FormStatus(err), v)
		return
	}
	p.edge.ClearSession(w, r)
	setFlash(w, r, flashPasswordReset)
	ui.Redirect(w, r, SignInPath)
}

// confirmed returns the new password of a form with password and
// confirmPassword fields, or notes on v that the two differ.
func confirmed(r *http.Request, v *view) (string, bool) {
	password := r.PostFormValue("password")
	if password == "" {
		v.Invalid("password", msg("choose-password"))
		return "", false
	}
	if password != r.PostFormValue("confirmPassword") {
		v.Invalid("confirmPassword", msg("passwords-differ"))
		return "", false
	}
	return password, true
}

// isTokenError reports whether err is about the link's token.
func isTokenError(err error) bool {
	var e *userdb.Error
	return errors.As(err, &e) && e.Field == "sptoken"
}

// badLink answers an email link that is unknown, used or expired.
func (p *Pages) badLink(w http.ResponseWriter, r *http.Request, err error, retry, retryText string) {
	if !userdb.IsCode(err, userdb.EINVALID) {
		p.fail(w, r, err)
		return
	}
	p.message(w, r, http.StatusBadRequest, ui.Message{
		Title: msg("bad-link-title"),
		Text:  msg("bad-link", userdb.ErrorMessage(err)),
		Link:  retry, LinkText: retryText,
	})
}
