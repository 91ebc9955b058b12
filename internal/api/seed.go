package api

import (
	"net/http"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

type loginRequest struct {
	Login    string `json:"login"`
	Username string `json:"username"`
	Email    string `json:"email"`
	Password string `json:"password"`
	// Connection names a connector to sign in through instead: the answer
	// is {"redirect": URL} for the browser to follow (see connection.go).
	Connection string `json:"connection"`
	Next       string `json:"next"`
	// Remember keeps the session for sessions.remember_lifetime ("Keep me
	// signed in"); ignored when that is 0.
	Remember bool `json:"remember"`
}

func (req loginRequest) name() string {
	for _, s := range []string{req.Login, req.Username, req.Email} {
		if s != "" {
			return s
		}
	}
	return ""
}

// login: POST /login {login|username|email, password} -> {"account": ...} and a session cookie.
func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Connection != "" && req.Connection != "local" {
		httpx.JSON(w, http.StatusOK, map[string]string{"redirect": connectionURL(req.Connection, req.Next)})
		return
	}
	if p, err := a.strategy(w, r); err != nil {
		httpx.Error(w, r, err)
		return
	} else if p != nil {
		a.account(w, r, http.StatusOK, p.User)
		return
	}
	r = a.edge.WithMeta(r, "")
	if req.Remember {
		r = r.WithContext(service.KeepSignedIn(r.Context()))
	}
	l, err := a.svc.Login(r.Context(), req.name(), req.Password)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.loginAnswer(w, r, l)
}

// loginPage: GET /login sends a browser to the sign-in page with its next=;
// other clients are told to POST.
func (a *API) loginPage(w http.ResponseWriter, r *http.Request) {
	if !httpx.WantsHTML(r) {
		w.Header().Set("Allow", http.MethodPost)
		httpx.JSON(w, http.StatusMethodNotAllowed, httpx.ErrorBody{Status: 405, Message: "Sign in with POST."})
		return
	}
	toPage(w, r, a.opts.LoginPage, "next")
}

// logout: POST (or GET) /logout ends the session.
func (a *API) logout(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	if err := a.svc.Logout(r.Context(), p.User, p.Session); err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.edge.ClearSession(w, r)
	w.WriteHeader(http.StatusOK)
}

// me: GET /me -> {"account": ...}, the hottest route. A browser that
// asks for a page (Accept: text/html, no XHR header) is shown the profile
// page instead of JSON; the cheap Contains keeps JSON clients off the
// Accept parser.
func (a *API) me(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	if a.opts.ProfilePage != "" && strings.Contains(r.Header.Get("Accept"), "html") && httpx.WantsHTML(r) {
		http.Redirect(w, r, a.opts.ProfilePage, http.StatusFound)
		return
	}
	a.account(w, r, http.StatusOK, p.User)
}

type profileRequest struct {
	GivenName  *string        `json:"givenName"`
	MiddleName *string        `json:"middleName"`
	Surname    *string        `json:"surname"`
	CustomData map[string]any `json:"customData"`
}

// updateMe: POST /me changes the caller's names and custom data.
func (a *API) updateMe(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	var req profileRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	u, err := a.svc.UpdateProfile(r.Context(), p.User, service.ProfileUpdate{
		GivenName: req.GivenName, MiddleName: req.MiddleName, Surname: req.Surname, CustomData: req.CustomData,
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.account(w, r, http.StatusOK, u)
}

type registerRequest struct {
	Username   string         `json:"username"`
	Email      string         `json:"email"`
	GivenName  string         `json:"givenName"`
	MiddleName string         `json:"middleName"`
	Surname    string         `json:"surname"`
	FullName   string         `json:"fullName"`
	Password   string         `json:"password"`
	CustomData map[string]any `json:"customData"`
}

// register: POST /register -> 201 {"account": ...}; signed in unless the
// email must be verified first.
func (a *API) register(w http.ResponseWriter, r *http.Request) {
	var req registerRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = a.edge.WithMeta(r, "")
	u, l, err := a.svc.Register(r.Context(), service.NewUser{
		Username: req.Username, Email: req.Email, GivenName: req.GivenName, MiddleName: req.MiddleName,
		Surname: req.Surname, FullName: req.FullName, Password: req.Password, CustomData: req.CustomData,
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if l != nil {
		a.edge.SetSession(w, r, l)
	}
	a.account(w, r, http.StatusCreated, u)
}

// verify: GET /verify?sptoken= verifies the email -> {"account": ...}. A
// browser following the email's link is sent to the verification page.
func (a *API) verify(w http.ResponseWriter, r *http.Request) {
	if a.opts.VerifyPage != "" && httpx.WantsHTML(r) {
		toPage(w, r, a.opts.VerifyPage, "sptoken")
		return
	}
	r = a.edge.WithMeta(r, "")
	u, err := a.svc.VerifyOrCheckInvitation(r.Context(), r.URL.Query().Get("sptoken"))
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.account(w, r, http.StatusOK, u)
}

// resendVerification: POST /verify {login|username|email} -> always 200.
func (a *API) resendVerification(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = a.edge.WithMeta(r, "")
	if err := a.svc.ResendVerification(r.Context(), req.name()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, struct{}{})
}

// forgot: POST /forgot {email|username|login} (or GET with the same in the
// query) -> always 200 when well-formed. A POST whose body names no one is
// read from its query, as the original read both (index.js:250-253).
func (a *API) forgot(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	req := loginRequest{Login: q.Get("login"), Username: q.Get("username"), Email: q.Get("email")}
	if r.Method != http.MethodGet {
		var body loginRequest
		if r.ContentLength != 0 {
			if err := decode(r, &body); err != nil {
				httpx.Error(w, r, err)
				return
			}
		}
		if body.name() != "" {
			req = body
		}
	}
	r = a.edge.WithMeta(r, "")
	if err := a.svc.Forgot(r.Context(), req.name()); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, struct{}{})
}

// checkResetToken: GET /change?sptoken= -> 200 if the token is good, else
// 400. A browser following the email's link is sent to the reset page.
func (a *API) checkResetToken(w http.ResponseWriter, r *http.Request) {
	if a.opts.ResetPage != "" && httpx.WantsHTML(r) {
		toPage(w, r, a.opts.ResetPage, "sptoken")
		return
	}
	if err := a.svc.CheckResetOrInvitation(r.Context(), r.URL.Query().Get("sptoken")); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, struct{}{})
}

type changeRequest struct {
	SPToken  string `json:"sptoken"`
	Password string `json:"password"`
}

// change: POST /change {sptoken, password} sets the password from a reset link.
func (a *API) change(w http.ResponseWriter, r *http.Request) {
	var req changeRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.SPToken == "" {
		req.SPToken = r.URL.Query().Get("sptoken")
	}
	r = a.edge.WithMeta(r, "")
	_, l, err := a.svc.ResetOrAcceptInvitation(r.Context(), req.SPToken, req.Password)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	if l != nil { // an accepted invitation signs the user in
		a.edge.SetSession(w, r, l)
	}
	httpx.JSON(w, http.StatusOK, struct{}{})
}

// welcomeRequest is what an application's own welcome page posts to
// /invitation: the token of the invitation's link, the password, and the
// profile the user filled in (names, custom data the user may edit).
type welcomeRequest struct {
	SPToken    string         `json:"sptoken"`
	Password   string         `json:"password"`
	GivenName  *string        `json:"givenName"`
	MiddleName *string        `json:"middleName"`
	Surname    *string        `json:"surname"`
	CustomData map[string]any `json:"customData"`
}

// Invitation answers /invitation to JSON clients, the welcome flow of a
// single-page application (the original README's "Account Verification
// Flow in a SPA", whose /welcome and /welcomed an application had to write
// itself): GET ?sptoken= checks the invitation without using it and
// answers {"account": user} to fill in the form; POST {sptoken, password,
// givenName, middleName, surname, customData} sets them, verifies the
// email, enables the user and signs it in: {"account": user} and the
// session cookie. The hosted page hands JSON clients here.
func (a *API) Invitation(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		u, err := a.svc.CheckInvitation(r.Context(), r.URL.Query().Get("sptoken"))
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		a.account(w, r, http.StatusOK, u)
		return
	}
	var req welcomeRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = a.edge.WithMeta(r, "")
	l, err := a.svc.AcceptInvitation(r.Context(), req.SPToken, req.Password, service.ProfileUpdate{
		GivenName: req.GivenName, MiddleName: req.MiddleName, Surname: req.Surname, CustomData: req.CustomData,
	})
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.edge.SetSession(w, r, l)
	a.account(w, r, http.StatusOK, l.User)
}

type passwordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	Password        string `json:"password"`
}

// expired: POST /expired {password} sets a new password in place of an
// expired (or temporary) one, for one of two callers (ASVS 2.1.6):
//   - a sign-in with that password, which answered
//     {"password_change_required": true} and the pending cookie: the
//     answer is {"account": ...} and a session, as POST /login's;
//   - a signed-in user who also gives {currentPassword}: every session
//     ends, as the original's /expired signed the user out.
func (a *API) expired(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if a.edge.HasPending(r) {
		r, p, ok := a.pending(w, r, userdb.PendingPasswordChange) // mfa.go
		if !ok {
			return
		}
		l, err := a.svc.ChangePendingPassword(r.Context(), p, req.Password)
		if err != nil {
			httpx.Error(w, r, err)
			return
		}
		a.signedIn(w, r, l, nil)
		return
	}
	a.authed(func(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
		if err := a.svc.ChangeExpiredPassword(r.Context(), p.User, req.CurrentPassword, req.Password); err != nil {
			httpx.Error(w, r, err)
			return
		}
		a.edge.ClearSession(w, r)
		httpx.JSON(w, http.StatusOK, struct{}{})
	})(w, r)
}

// changePassword: POST /me/password {currentPassword, password}; the
// caller's other sessions end.
func (a *API) changePassword(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	var req passwordRequest
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if err := a.svc.ChangePassword(r.Context(), p.User, p.Session, req.CurrentPassword, req.Password); err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, struct{}{})
}

// checkPasswordResponse is {good, error}, error null when the password
// is good, as the original answered (controllers/users.js:174-180).
type checkPasswordResponse struct {
	Good  bool    `json:"good"`
	Error *string `json:"error"`
}

// checkPassword: POST /users/check_password {password} -> {"good": bool, "error": "..."}.
// A request without a password is malformed (400); an empty one is judged
// by the policy like any other (a strength meter sends it as the field is
// cleared).
func (a *API) checkPassword(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Password *string `json:"password"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if req.Password == nil {
		httpx.Error(w, r, userdb.FieldError("password", "Field password is required: send the password to check."))
		return
	}
	var ids []string
	if p, err := a.edge.Authenticate(r); err == nil {
		ids = []string{p.User.Email, p.User.Username}
	}
	if err := a.svc.CheckPassword(*req.Password, ids...); err != nil {
		if !userdb.IsCode(err, userdb.EINVALID) {
			httpx.Error(w, r, err)
			return
		}
		msg := userdb.ErrorMessage(err)
		httpx.JSON(w, http.StatusOK, checkPasswordResponse{Error: &msg})
		return
	}
	httpx.JSON(w, http.StatusOK, checkPasswordResponse{Good: true})
}

// listSessions: GET /me/sessions -> {"sessions": [...]}, the current one flagged.
func (a *API) listSessions(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	list, err := a.svc.Sessions(r.Context(), p.User.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	out := make([]SessionView, len(list))
	for i, s := range list {
		out[i] = SessionView{ID: s.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, ExpiresAt: s.ExpiresAt,
			IP: s.IP, UserAgent: s.UserAgent, Current: s.ID == p.Session.ID, Remembered: s.Remembered}
	}
	httpx.JSON(w, http.StatusOK, map[string]any{"sessions": out})
}

// endSession: DELETE /me/sessions/{id}.
func (a *API) endSession(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	id := r.PathValue("id")
	if err := a.svc.EndSession(r.Context(), p.User, id); err != nil {
		httpx.Error(w, r, err)
		return
	}
	if id == p.Session.ID {
		a.edge.ClearSession(w, r)
	}
	w.WriteHeader(http.StatusNoContent)
}

// endOtherSessions: DELETE /me/sessions signs out everywhere else.
func (a *API) endOtherSessions(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	n, err := a.svc.EndOtherSessions(r.Context(), p.User, p.Session.ID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]int{"ended": n})
}

// reportCompromised: POST /me/compromised — the signed-in user says the
// account was stolen. Every session ends (this one too), the password
// stops working and a reset link is emailed.
func (a *API) reportCompromised(w http.ResponseWriter, r *http.Request, p *edge.Principal) {
	if err := a.svc.ReportCompromised(r.Context(), p.User); err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.edge.ClearSession(w, r)
	httpx.JSON(w, http.StatusAccepted, map[string]string{"status": "secured"})
}
