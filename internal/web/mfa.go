package web

import (
	"net/http"
	"slices"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// Paths of the second factor at sign-in: the challenge, and the enrolment
// of a user who must add a factor before any session (mfaenrol.go).
const (
	MFAPath      = "/signin/mfa"
	MFAEnrolPath = "/signin/mfa/enrol"
	// The routes the pages' script calls for a passkey as the second
	// factor (JSON in and out, like the passkey sign-in's).
	MFAPasskeyOptionsPath = "/signin/mfa/passkey/options"
	MFAPasskeyPath        = "/signin/mfa/passkey"
)

// challengeData is the challenge page's own data.
type challengeData struct {
	// Recovery asks for a recovery code instead of the app's code;
	// HasRecovery offers to switch to one (the user has codes left).
	Recovery, HasRecovery bool
	// TOTP: the user has an authenticator app; Passkey: a passkey, which
	// the pages' script asks for (mfaPasskey).
	TOTP, Passkey bool
	// RememberDays offers "remember this device" for that many days (0:
	// not offered).
	RememberDays int
}

func (p *Pages) mfaRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+MFAPath, p.mfaChallenge)
	mux.HandleFunc("POST "+MFAPath, p.mfaChallengePost)
	mux.HandleFunc("GET "+MFAEnrolPath, p.mfaEnrol)
	mux.HandleFunc("POST "+MFAEnrolPath, p.mfaEnrolPost)
	if p.svc.PasskeysEnabled() {
		mux.HandleFunc("POST "+MFAPasskeyOptionsPath, p.mfaPasskeyOptions)
		mux.HandleFunc("POST "+MFAPasskeyPath, p.mfaPasskey)
	}
}

// mfaChallenge asks a user whose password was right for the code of the
// authenticator app (or, with method=recovery_code, a recovery code).
func (p *Pages) mfaChallenge(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	r, pd, ok := p.pending(w, r, userdb.PendingMFA, next)
	if !ok {
		return
	}
	v := p.newView(r, "mfa")
	p.renderChallenge(w, r, http.StatusOK, v, pd, next, r.URL.Query().Get("method") == service.MethodRecovery)
}

func (p *Pages) renderChallenge(w http.ResponseWriter, r *http.Request, status int, v *view, pd *service.Pending, next string, recovery bool) {
	methods, err := p.svc.Methods(r.Context(), pd.User)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	v.Next = p.keepNext(next)
	v.Data = challengeData{Recovery: recovery, HasRecovery: slices.Contains(methods, service.MethodRecovery),
		TOTP:         slices.Contains(methods, service.MethodTOTP),
		Passkey:      slices.Contains(methods, service.MethodWebAuthn) && p.svc.PasskeysEnabled(),
		RememberDays: int(p.svc.RememberDeviceFor() / (24 * time.Hour))}
	p.render(w, r, status, v)
}

// mfaChallengePost completes the sign-in with the code, or cancels it
// (intent cancel). A wrong or used code keeps the page, with a message,
// and counts toward the lockout (service.VerifyMFA); a sign-in that expired
// meanwhile goes back to the sign-in page.
func (p *Pages) mfaChallengePost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	next := r.PostFormValue("next")
	if r.PostFormValue("intent") == "cancel" {
		p.cancelPending(w, r, next)
		return
	}
	r, pd, ok := p.pending(w, r, userdb.PendingMFA, next)
	if !ok {
		return
	}
	recovery := r.PostFormValue("method") == service.MethodRecovery
	method := service.MethodTOTP
	if recovery {
		method = service.MethodRecovery
	}
	l, err := p.svc.VerifyMFA(r.Context(), pd, service.MFAProof{Method: method, Code: ui.FormValue(r, "code"),
		Remember: r.PostFormValue("remember") == "true"})
	if err != nil {
		if service.IsPendingGone(err) {
			p.pendingFailed(w, r, err, next)
			return
		}
		v := p.newView(r, "mfa")
		codeError(v, r, err, recovery)
		p.renderChallenge(w, r, ui.FormStatus(err), v, pd, next, recovery)
		return
	}
	p.signedInTo(w, r, l, next)
}

// codeError shows a refused code at the code field: a wrong or used code
// says what to do about it, in words for the kind of code asked for.
func codeError(v *view, r *http.Request, err error, recovery bool) {
	switch {
	case !userdb.IsCode(err, userdb.EUNAUTHORIZED):
		v.setError(r, err, "code")
	case recovery:
		v.Invalid("code", msg("recovery-code-refused"))
	default:
		v.Invalid("code", msg("code-refused"))
	}
}

// mfaPasskeyOptions: POST /signin/mfa/passkey/options -> the ceremony of
// the pending sign-in's passkey.
func (p *Pages) mfaPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	r = p.edge.WithMeta(r, "")
	pd, err := p.svc.FindPending(r.Context(), userdb.PendingMFA)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	c, err := p.svc.BeginPasskeyMFA(r.Context(), pd)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// mfaPasskey: POST /signin/mfa/passkey {state, credential, next, remember}
// completes the sign-in with the passkey's assertion -> {"redirect": where
// to go} and the session cookie. A refused passkey is the JSON error the
// script shows, counted toward the lockout like a wrong code.
func (p *Pages) mfaPasskey(w http.ResponseWriter, r *http.Request) {
	var a passkeyAnswer
	if err := httpx.Decode(r, &a); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = p.edge.WithMeta(r, "")
	pd, err := p.svc.FindPending(r.Context(), userdb.PendingMFA)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	l, err := p.svc.VerifyMFA(r.Context(), pd, service.MFAProof{Method: service.MethodWebAuthn,
		State: a.State, Answer: a.Credential, Remember: a.Remember})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"redirect": p.afterSignIn(w, r, l, a.Next)})
}
