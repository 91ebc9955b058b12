package web

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/api"
	"github.com/userdb/userdb/internal/service"
)

// profile shows the signed-in user's account: names to edit and a form to
// change the password.
func (p *Pages) profile(w http.ResponseWriter, r *http.Request, me *api.Principal) {
	v := p.newView(r, "profile", "Your profile")
	v.User = me.User
	fillNames(v, me.User)
	p.render(w, r, http.StatusOK, v)
}

// profilePost saves one of the profile page's two forms, told apart by
// their "intent" field.
func (p *Pages) profilePost(w http.ResponseWriter, r *http.Request, me *api.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	v := p.newView(r, "profile", "Your profile")
	v.User = me.User
	switch r.PostFormValue("intent") {
	case "names":
		_, err := p.svc.UpdateProfile(r.Context(), me.User, service.ProfileUpdate{
			GivenName: ptr(formValue(r, "givenName")), MiddleName: ptr(formValue(r, "middleName")),
			Surname: ptr(formValue(r, "surname")),
		})
		if err != nil {
			v.setError(r, err, "givenName", "middleName", "surname")
			p.render(w, r, formStatus(err), v)
			return
		}
		setFlash(w, r, flashProfileSaved)
	case "password":
		fillNames(v, me.User)
		current := r.PostFormValue("currentPassword")
		if current == "" {
			v.invalid("currentPassword", "Enter your current password.")
		}
		password, ok := confirmed(r, v)
		if !ok || current == "" {
			p.render(w, r, http.StatusBadRequest, v)
			return
		}
		if err := p.svc.ChangePassword(r.Context(), me.User, me.Session, current, password); err != nil {
			v.setError(r, err, "currentPassword", "password")
			p.render(w, r, formStatus(err), v)
			return
		}
		setFlash(w, r, flashPasswordChanged)
	default:
		p.fail(w, r, userdb.Errorf(userdb.EINVALID, "The form could not be read."))
		return
	}
	redirect(w, r, ProfilePath)
}

// fillNames shows the stored names in the fields the form did not post.
func fillNames(v *view, u *userdb.User) {
	for name, value := range map[string]string{
		"givenName": u.GivenName, "middleName": u.MiddleName, "surname": u.Surname,
	} {
		if _, posted := v.form[name]; !posted {
			v.setValue(name, value)
		}
	}
}

func ptr[T any](v T) *T { return &v }
