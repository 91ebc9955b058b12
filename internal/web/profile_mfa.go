package web

import (
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// The profile's "Two-step verification" section and its forms. Every
// change goes through the service's own method, which asks for a recent
// second factor (service.ErrStepUp) or sign-in (ErrReauth) first; the
// pages then send the user to confirm it is them (ReauthPath) and back.
const (
	ProfileTOTPPath         = "/profile/mfa/totp"
	ProfileFactorRemovePath = "/profile/mfa/remove"
	RecoveryCodesPath       = "/profile/mfa/recovery-codes"
	ReauthPath              = "/profile/reauth"
	// The routes the confirmation page's script calls for a passkey as
	// the second factor (JSON in and out, like the challenge's).
	ReauthPasskeyOptionsPath = "/profile/reauth/passkey/options"
	ReauthPasskeyPath        = "/profile/reauth/passkey"
)

// mfaSection is what the profile shows of the user's second factors.
type mfaSection struct {
	// Offered: the policy lets the user add a factor (it is not off).
	Offered bool
	// Factors are the authenticator apps (and passkeys, when the passkeys'
	// own section is not shown).
	Factors   []service.FactorInfo
	CodesLeft int
	// Required: the policy requires a factor and the user has none; until
	// GraceUntil (nil: no grace) the user may still sign in without one.
	Required   bool
	GraceUntil *time.Time
}

func (p *Pages) profileMFARoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST "+ProfileTOTPPath, p.signedIn(p.profileTOTPPost, false))
	mux.HandleFunc("POST "+ProfileFactorRemovePath, p.signedIn(p.factorRemove, false))
	mux.HandleFunc("POST "+RecoveryCodesPath, p.signedIn(p.recoveryCodesPost, false))
	mux.HandleFunc("GET "+ReauthPath, p.signedIn(p.reauth, false))
	mux.HandleFunc("POST "+ReauthPath, p.signedIn(p.reauthPost, false))
	if p.svc.PasskeysEnabled() {
		mux.HandleFunc("POST "+ReauthPasskeyOptionsPath, p.signedIn(p.reauthPasskeyOptions, false))
		mux.HandleFunc("POST "+ReauthPasskeyPath, p.signedIn(p.reauthPasskey, false))
	}
}

// mfaSectionOf describes u's second factors for the profile.
func (p *Pages) mfaSectionOf(r *http.Request, u *userdb.User) (mfaSection, error) {
	st, err := p.svc.MFAStatusOf(r.Context(), u)
	if err != nil {
		return mfaSection{}, err
	}
	s := mfaSection{Offered: st.Policy != userdb.MFAOff, CodesLeft: st.RecoveryCodesLeft,
		Required: st.EnrolRequired, GraceUntil: st.GraceUntil}
	for _, f := range st.Factors {
		if f.Kind == string(userdb.FactorWebAuthn) && p.svc.PasskeysEnabled() {
			continue // listed with the passkeys
		}
		s.Factors = append(s.Factors, f)
	}
	return s, nil
}

// profileTOTPPost adds an authenticator app: intent begin shows a new key,
// intent confirm takes its first code and shows the recovery codes when
// the user gets new ones.
func (p *Pages) profileTOTPPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	v := p.newView(r, "mfaenrol")
	v.User = me.User
	d := &enrolData{Action: ProfileTOTPPath}
	switch r.PostFormValue("intent") {
	case "begin":
		en, err := p.svc.BeginTOTP(r.Context(), me.User)
		if p.confirmFirst(w, r, err) {
			return
		}
		p.enrolmentBegun(w, r, v, d, en, err)
	case "confirm":
		done, err := p.svc.ConfirmTOTP(r.Context(), me.User, r.PostFormValue("factor_id"), ui.FormValue(r, "code"))
		if p.confirmFirst(w, r, err) {
			return
		}
		if err != nil {
			p.enrolmentRefused(w, r, v, d, err)
			return
		}
		setFlash(w, r, flashFactorAdded)
		p.showCodes(w, r, done.RecoveryCodes, ProfilePath, msg("codes-back"))
	default:
		p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("form-unreadable")})
	}
}

// factorRemove removes one of the user's factors.
func (p *Pages) factorRemove(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	p.removeFactor(w, r, me, flashFactorRemoved)
}

// removeFactor removes the factor the form names (an authenticator app or
// a passkey) and comes back to the profile with the flash; a refusal (the
// last factor a policy requires) shows the profile with the message.
func (p *Pages) removeFactor(w http.ResponseWriter, r *http.Request, me *edge.Principal, flash string) {
	if !p.parseForm(w, r) {
		return
	}
	err := p.svc.RemoveFactor(r.Context(), me.User, r.PostFormValue("id"))
	if err != nil {
		p.profileRefused(w, r, me, err)
		return
	}
	setFlash(w, r, flash)
	ui.Redirect(w, r, ProfilePath)
}

// recoveryCodesPost replaces the user's recovery codes and shows the new
// ones, once.
func (p *Pages) recoveryCodesPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	codes, err := p.svc.RegenerateRecoveryCodes(r.Context(), me.User)
	if err != nil {
		p.profileRefused(w, r, me, err)
		return
	}
	p.showCodes(w, r, codes, ProfilePath, msg("codes-back"))
}

// profileRefused answers a change of the profile's section that the
// service refused: to confirm it is them first, the profile with the
// message (the last factor a policy requires), or the error page.
func (p *Pages) profileRefused(w http.ResponseWriter, r *http.Request, me *edge.Principal, err error) {
	if p.confirmFirst(w, r, err) {
		return
	}
	if userdb.IsCode(err, userdb.EINTERNAL) {
		p.fail(w, r, err)
		return
	}
	v := p.newView(r, "profile")
	v.Error = userdb.ErrorMessage(err)
	p.renderProfile(w, r, ui.FormStatus(err), v, me.User, "")
}

// confirmFirst sends the user to confirm it is them when err asks for a
// recent sign-in or second factor, coming back to the profile (the form
// is posted again from there: a sign-in cannot repeat a post).
func (p *Pages) confirmFirst(w http.ResponseWriter, r *http.Request, err error) bool {
	if !errors.Is(err, service.ErrStepUp) && !errors.Is(err, service.ErrReauth) {
		return false
	}
	ui.Redirect(w, r, ReauthPath+p.nextQuery(ProfilePath))
	return true
}

// reauthData is the data of the page where a signed-in user confirms it is
// them: Code asks for a code of a second factor too; Passkey offers the
// user's passkey instead (the pages' script, with the password typed on
// the page). A user whose only factor is a passkey gets no code field.
type reauthData struct{ Code, Passkey bool }

// reauth asks the signed-in user for the password again, and the code of a
// second factor when the user has one.
func (p *Pages) reauth(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	v := p.newView(r, "reauth")
	v.Next = p.keepNext(r.URL.Query().Get("next"))
	p.renderReauth(w, r, http.StatusOK, v, me.User)
}

func (p *Pages) renderReauth(w http.ResponseWriter, r *http.Request, status int, v *view, u *userdb.User) {
	methods, err := p.svc.Methods(r.Context(), u)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	code := slices.ContainsFunc(methods, func(m string) bool { return m != service.MethodWebAuthn })
	v.User, v.Data = u, reauthData{Code: code,
		Passkey: slices.Contains(methods, service.MethodWebAuthn) && p.svc.PasskeysEnabled()}
	p.render(w, r, status, v)
}

// reauthPost signs the user in again (service.Reauthenticate: a new
// session, whose start is now and whose amr has the second factor) and
// goes back to next=.
func (p *Pages) reauthPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	v := p.newView(r, "reauth")
	v.Next = p.keepNext(r.PostFormValue("next"))
	password := r.PostFormValue("password")
	if password == "" {
		v.Invalid("password", msg("enter-password"))
		p.renderReauth(w, r, http.StatusBadRequest, v, me.User)
		return
	}
	l, err := p.svc.Reauthenticate(r.Context(), me.User, password, service.MFAProof{Code: ui.FormValue(r, "code")})
	if err != nil {
		v.setError(r, err, "password", "code")
		p.renderReauth(w, r, ui.FormStatus(err), v, me.User)
		return
	}
	setFlash(w, r, flashReauthenticated)
	p.signedInTo(w, r, l, v.Next)
}

// reauthPasskeyOptions: POST /profile/reauth/passkey/options -> the
// ceremony of the signed-in user's own passkeys.
func (p *Pages) reauthPasskeyOptions(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	c, err := p.svc.BeginPasskeyReauth(r.Context(), me.User)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// reauthPasskey: POST /profile/reauth/passkey {password, state, credential,
// next} signs the user in again with the password and the passkey's
// assertion -> {"redirect": next} and the new session cookie. A refusal
// (wrong password, another user's key) is the JSON error the script shows;
// the session stays as it was.
func (p *Pages) reauthPasskey(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	var a passkeyAnswer
	if err := httpx.Decode(r, &a); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if a.Password == "" {
		httpx.Error(w, r, &userdb.Error{Code: userdb.EINVALID, Field: "password", Message: msg("enter-password")})
		return
	}
	l, err := p.svc.Reauthenticate(r.Context(), me.User, a.Password, service.MFAProof{Method: service.MethodWebAuthn,
		State: a.State, Answer: a.Credential})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	setFlash(w, r, flashReauthenticated)
	httpx.JSON(w, http.StatusOK, map[string]string{"redirect": p.afterSignIn(w, r, l, a.Next)})
}
