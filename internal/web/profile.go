package web

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// profileData is the profile page's own data.
type profileData struct {
	// AdminMFA asks an administrator without a second factor to add one.
	AdminMFA *ui.AdminMFANotice
	// Attributes are the custom attributes of the schema; none when custom
	// data is free-form (no editor for it then).
	Attributes []attrField
	// Editable says at least one attribute can be changed by the user.
	Editable bool
	// Passkeys are the user's passkeys (passkeys.go).
	Passkeys []service.FactorInfo
	// MFA is the two-step verification section (profile_mfa.go).
	MFA mfaSection
}

// profile shows the signed-in user's account: names and custom attributes
// to edit, and forms to change the email address and the password.
func (p *Pages) profile(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	v := p.newView(r, "profile")
	p.renderProfile(w, r, http.StatusOK, v, me.User, "")
}

// renderProfile renders the profile page of u. posted names the form that
// was posted and failed ("" for none): its fields keep what was typed, the
// others show what is stored.
func (p *Pages) renderProfile(w http.ResponseWriter, r *http.Request, status int, v *view, u *userdb.User, posted string) {
	v.User = u
	if posted != "names" {
		fillNames(v, u)
	}
	d := profileData{}
	if s := p.schema(r); s != nil {
		d.Attributes = attrFields(v, s, u, posted == "attributes")
		for _, a := range d.Attributes {
			d.Editable = d.Editable || !a.ReadOnly
		}
	}
	by, err := p.svc.AdminMFADeadline(r.Context(), u)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d.AdminMFA = ui.NewAdminMFANotice(by, ProfilePath)
	if d.Passkeys, err = p.passkeysOf(r, u); err != nil {
		p.fail(w, r, err)
		return
	}
	if d.MFA, err = p.mfaSectionOf(r, u); err != nil {
		p.fail(w, r, err)
		return
	}
	v.Data = d
	p.render(w, r, status, v)
}

// profilePost saves one of the profile page's forms, told apart by their
// "intent" field. A failed form comes back with a message at each field at
// fault and what was typed (never a password); a saved one redirects back
// with a flash message.
func (p *Pages) profilePost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	v := p.newView(r, "profile")
	intent := r.PostFormValue("intent")
	switch intent {
	case "names":
		_, err := p.svc.UpdateProfile(r.Context(), me.User, service.ProfileUpdate{
			GivenName: ptr(ui.FormValue(r, "givenName")), MiddleName: ptr(ui.FormValue(r, "middleName")),
			Surname: ptr(ui.FormValue(r, "surname")),
		})
		if err != nil {
			v.setError(r, err, "givenName", "middleName", "surname")
			p.renderProfile(w, r, ui.FormStatus(err), v, me.User, intent)
			return
		}
		setFlash(w, r, flashProfileSaved)
	case "attributes":
		s := p.schema(r)
		if s == nil {
			p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("no-attributes")})
			return
		}
		changes := attrChanges(r, v, s)
		if len(v.Errors) > 0 {
			v.Error = msg("correct-fields")
			p.renderProfile(w, r, http.StatusBadRequest, v, me.User, intent)
			return
		}
		if _, err := p.svc.UpdateProfile(r.Context(), me.User, service.ProfileUpdate{CustomData: changes}); err != nil {
			v.setError(r, err, attrNames(s)...)
			p.renderProfile(w, r, ui.FormStatus(err), v, me.User, intent)
			return
		}
		setFlash(w, r, flashProfileSaved)
	case "email":
		err := p.svc.RequestEmailChange(r.Context(), me.User, ui.FormValue(r, "newEmail"), r.PostFormValue("emailPassword"))
		if err != nil {
			v.setError(r, renameField(err, "currentPassword", "emailPassword"), "newEmail", "emailPassword")
			p.renderProfile(w, r, ui.FormStatus(err), v, me.User, intent)
			return
		}
		setFlash(w, r, flashEmailChangeSent)
	case "password":
		current := r.PostFormValue("currentPassword")
		if current == "" {
			v.Invalid("currentPassword", msg("enter-current-password"))
		}
		password, ok := confirmed(r, v)
		if !ok || current == "" {
			p.renderProfile(w, r, http.StatusBadRequest, v, me.User, intent)
			return
		}
		if err := p.svc.ChangePassword(r.Context(), me.User, me.Session, current, password); err != nil {
			v.setError(r, err, "currentPassword", "password")
			p.renderProfile(w, r, ui.FormStatus(err), v, me.User, intent)
			return
		}
		setFlash(w, r, flashPasswordChanged)
	default:
		p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("form-unreadable")})
		return
	}
	ui.Redirect(w, r, ProfilePath)
}

// fillNames shows the stored names in the fields the form did not post.
func fillNames(v *view, u *userdb.User) {
	for name, value := range map[string]string{
		"givenName": u.GivenName, "middleName": u.MiddleName, "surname": u.Surname,
	} {
		if _, posted := v.Input[name]; !posted {
			v.SetValue(name, value)
		}
	}
}

func ptr[T any](v T) *T { return &v }
