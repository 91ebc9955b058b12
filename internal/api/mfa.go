package api

import (
	"encoding/json"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/qr"
	"github.com/userdb/userdb/internal/service"
)

// The JSON API of second factors (README: Multi-factor sign-in):
//
//	POST /login                  -> {"mfa_required": true, "stage": "mfa", "methods": [...], "expires_in": 300}
//	                                and the pending cookie, when a second factor is due
//	POST /login/mfa              {method, code, remember} -> {"account": ...} and the session cookie
//	POST /login/mfa/passkey      -> {publicKey, state}: a ceremony for the user's own passkeys; then
//	POST /login/mfa              {"method": "webauthn", state, answer, remember} completes it
//	POST /login/mfa/enrol        (stage mfa_enrol) -> {factor_id, secret, otpauth_uri, qr}
//	POST /login/mfa/enrol/confirm {factor_id, code} -> {"account", "recovery_codes"} and the session cookie
//	DELETE /login/mfa            ends the pending sign-in
//	GET  /me/mfa                 -> {policy, factors, recovery_codes_left, enrol_required}
//	POST /me/mfa/totp            -> {factor_id, secret, otpauth_uri, qr}
//	POST /me/mfa/totp/confirm    {factor_id, code} -> {factor, recovery_codes}
//	DELETE /me/mfa/factors/{id}
//	POST /me/mfa/recovery-codes  -> {recovery_codes}
//	POST /me/reauth              {password, code} -> {"account": ...} and a new session cookie
//	POST /me/reauth/passkey      -> {publicKey, state}; then POST /me/reauth {password, method: "webauthn", state, answer}

// mfaRoutes registers the routes above under the login and me endpoints.
func (a *API) mfaRoutes(mux *http.ServeMux) {
	if login := a.opts.Endpoints[EpLogin]; login.Enabled && login.URI != "" {
		mux.HandleFunc("POST "+login.URI+"/mfa", a.verifyMFA)
		mux.HandleFunc("DELETE "+login.URI+"/mfa", a.cancelPending)
		mux.HandleFunc("POST "+login.URI+"/mfa/passkey", a.beginPasskeyMFA)
		mux.HandleFunc("POST "+login.URI+"/mfa/enrol", a.pendingEnrol)
		mux.HandleFunc("POST "+login.URI+"/mfa/enrol/confirm", a.pendingEnrolConfirm)
	}
	if me := a.opts.Endpoints[EpMe]; me.Enabled && me.URI != "" {
		mux.HandleFunc("GET "+me.URI+"/mfa", a.authedRead(a.mfaStatus))
		mux.HandleFunc("POST "+me.URI+"/mfa/totp", a.authed(a.beginTOTP))
		mux.HandleFunc("POST "+me.URI+"/mfa/totp/confirm", a.authed(a.confirmTOTP))
		mux.HandleFunc("DELETE "+me.URI+"/mfa/factors/{id}", a.authed(a.removeFactor))
		mux.HandleFunc("POST "+me.URI+"/mfa/recovery-codes", a.authed(a.regenerateCodes))
		mux.HandleFunc("POST "+me.URI+"/reauth", a.authed(a.reauth))
		mux.HandleFunc("POST "+me.URI+"/reauth/passkey", a.authed(a.beginPasskeyReauth))
	}
}

// pendingAnswer answers a sign-in that stopped at a stage: the pending
// cookie, and what the client must do next. The session cookie the
// request carried stays until the sign-in completes.
func (a *API) pendingAnswer(w http.ResponseWriter, r *http.Request, l *service.Login, extra map[string]any) {
	p := l.Pending
	a.edge.SetPending(w, r, p)
	body := map[string]any{"stage": string(p.Stage), "expires_in": int(p.ExpiresAt.Sub(p.CreatedAt).Seconds())}
	for k, v := range extra {
		body[k] = v // what the completed stage gave (recovery codes), kept when another stage follows
	}
	switch p.Stage {
	case userdb.PendingMFA:
		methods, err := a.svc.Methods(r.Context(), p.User)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		body["mfa_required"], body["methods"] = true, methods
		body["remember_device"] = a.svc.RememberDeviceFor() > 0
	case service.PendingMFAEnrol:
		body["mfa_enrol_required"], body["methods"] = true, []string{service.MethodTOTP}
	case userdb.PendingPasswordChange:
		body["password_change_required"] = true
	}
	httpx.JSON(w, http.StatusOK, body)
}

// signedIn answers a completed sign-in: the cookies and {"account": ...}.
func (a *API) signedIn(w http.ResponseWriter, r *http.Request, l *service.Login, extra map[string]any) {
	a.edge.SetRemembered(w, r, l.RememberSecret, a.svc.RememberDeviceFor())
	if l.Pending != nil {
		a.pendingAnswer(w, r, l, extra) // another stage follows
		return
	}
	a.edge.ClearPending(w, r)
	a.edge.SetSession(w, r, l)
	v, err := a.userView(r, l.User)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if extra == nil {
		a.writeView(w, http.StatusOK, true, v)
		return
	}
	extra["account"] = a.opts.Transformer(v)
	httpx.JSON(w, http.StatusOK, extra)
}

// pending finds the request's pending sign-in at stage; a refusal clears
// its cookie.
func (a *API) pending(w http.ResponseWriter, r *http.Request, stage userdb.PendingStage) (*http.Request, *service.Pending, bool) {
	r = a.edge.WithMeta(r, "")
	p, err := a.svc.FindPending(r.Context(), stage)
	if err != nil {
		if userdb.IsCode(err, userdb.EUNAUTHORIZED) {
			a.edge.ClearPending(w, r)
		}
		httpx.Error(w, r, err)
		return r, nil, false
	}
	return r, p, true
}

type mfaRequest struct {
	Method   string `json:"method"`
	Code     string `json:"code"`
	Remember bool   `json:"remember"`
	FactorID string `json:"factor_id"`
	Password string `json:"password"`
	// State and Answer complete a passkey ceremony (method webauthn).
	State  string          `json:"state"`
	Answer json.RawMessage `json:"answer"`
}

// verifyMFA: POST /login/mfa completes a pending sign-in with a code.
func (a *API) verifyMFA(w http.ResponseWriter, r *http.Request) {
	var req mfaRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r, p, ok := a.pending(w, r, userdb.PendingMFA)
	if !ok {
		return
	}
	l, err := a.svc.VerifyMFA(r.Context(), p, service.MFAProof{Method: req.Method, Code: req.Code, Remember: req.Remember,
		State: req.State, Answer: req.Answer})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.signedIn(w, r, l, nil)
}

// beginPasskeyMFA: POST /login/mfa/passkey starts the passkey ceremony of a
// pending sign-in at the second-factor stage.
func (a *API) beginPasskeyMFA(w http.ResponseWriter, r *http.Request) {
	r, p, ok := a.pending(w, r, userdb.PendingMFA)
	if !ok {
		return
	}
	c, err := a.svc.BeginPasskeyMFA(r.Context(), p)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// cancelPending: DELETE /login/mfa ends the pending sign-in.
func (a *API) cancelPending(w http.ResponseWriter, r *http.Request) {
	r = a.edge.WithMeta(r, "")
	if err := a.svc.CancelPending(r.Context()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.edge.ClearPending(w, r)
	w.WriteHeader(http.StatusNoContent)
}

// enrolment is the answer to the start of a TOTP enrolment, with the QR
// code inline.
type enrolment struct {
	*service.TOTPEnrolment
	QR string `json:"qr"`
}

func (a *API) answerEnrolment(w http.ResponseWriter, r *http.Request, en *service.TOTPEnrolment, err error) {
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	img, err := qr.DataURI(en.URI)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusOK, enrolment{TOTPEnrolment: en, QR: img})
}

// pendingEnrol: POST /login/mfa/enrol starts the enrolment a user must
// complete before any session.
func (a *API) pendingEnrol(w http.ResponseWriter, r *http.Request) {
	r, p, ok := a.pending(w, r, service.PendingMFAEnrol)
	if !ok {
		return
	}
	en, err := a.svc.BeginTOTPPending(r.Context(), p)
	a.answerEnrolment(w, r, en, err)
}

// pendingEnrolConfirm: POST /login/mfa/enrol/confirm confirms it and signs in.
func (a *API) pendingEnrolConfirm(w http.ResponseWriter, r *http.Request) {
	var req mfaRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r, p, ok := a.pending(w, r, service.PendingMFAEnrol)
	if !ok {
		return
	}
	done, err := a.svc.ConfirmTOTPPending(r.Context(), p, req.FactorID, req.Code)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	a.signedIn(w, r, done.Login, map[string]any{"recovery_codes": done.RecoveryCodes})
}

func (a *API) mfaStatus(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	st, err := a.svc.MFAStatusOf(r.Context(), p.User)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, st)
}

func (a *API) beginTOTP(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	en, err := a.svc.BeginTOTP(r.Context(), p.User)
	a.answerEnrolment(w, r, en, err)
}

func (a *API) confirmTOTP(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	var req mfaRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	done, err := a.svc.ConfirmTOTP(r.Context(), p.User, req.FactorID, req.Code)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusOK, done)
}

func (a *API) removeFactor(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	if err := a.svc.RemoveFactor(r.Context(), p.User, r.PathValue("id")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) regenerateCodes(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	codes, err := a.svc.RegenerateRecoveryCodes(r.Context(), p.User)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	httpx.JSON(w, http.StatusOK, map[string]any{"recovery_codes": codes})
}

// reauth: POST /me/reauth {password, code} signs the caller in again (a
// new session whose start is now), for the operations that need a recent
// sign-in or second factor.
func (a *API) reauth(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	var req mfaRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	l, err := a.svc.Reauthenticate(r.Context(), p.User, req.Password, service.MFAProof{Method: req.Method, Code: req.Code,
		State: req.State, Answer: req.Answer})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.signedIn(w, r, l, nil)
}

// beginPasskeyReauth: POST /me/reauth/passkey starts the passkey ceremony
// of a re-authentication (then POST /me/reauth {password, method:
// "webauthn", state, answer}).
func (a *API) beginPasskeyReauth(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	c, err := a.svc.BeginPasskeyReauth(r.Context(), p.User)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// v1UserFactors: GET /api/v1/users/{id}/factors.
func (a *API) v1UserFactors(w http.ResponseWriter, r *http.Request) {
	st, err := a.svc.AdminUserFactors(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, st)
}

// v1ResetUserFactors: DELETE /api/v1/users/{id}/factors.
func (a *API) v1ResetUserFactors(w http.ResponseWriter, r *http.Request) {
	n, err := a.svc.AdminResetMFA(r.Context(), r.PathValue("id"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]int{"removed": n})
}

// v1SetMFAPolicy: PUT /api/v1/accounts/{id}/mfa-policy and
// /api/v1/roles/{id}/mfa-policy {policy}.
func (a *API) v1SetMFAPolicy(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Policy *string `json:"policy"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Policy == nil {
		httpx.Error(w, r, userdb.FieldError("policy", "Field policy is required: off, optional, required, or \"\" for the default."))
		return
	}
	if err := a.svc.AdminSetMFAPolicy(r.Context(), r.PathValue("id"), userdb.MFAPolicy(*req.Policy)); err != nil {
		httpx.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
