package api

import (
	"net/http"

	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
)

// passwordlessRoutes registers sign-in by email beside the login endpoint:
//
//	POST {login}/email       {email}                -> {"sent": true, "expires_in": seconds}
//	POST {login}/email/code  {code}                 -> {"account": ...} and a session cookie
//	POST {login}/email/link  {sptoken, confirm}     -> {"account": ...} and a session cookie
//
// The request sets a cookie that binds the link and the code to this
// browser; the code works only with it, and a link without it answers 409
// until sent again with "confirm": true.
func (a *API) passwordlessRoutes(mux *http.ServeMux) {
	login := a.opts.Endpoints[EpLogin]
	if !login.Enabled || login.URI == "" || !a.svc.Options().MagicLinkEnabled {
		return
	}
	mux.HandleFunc("POST "+login.URI+"/email", a.magicRequest)
	mux.HandleFunc("POST "+login.URI+"/email/code", a.magicCode)
	mux.HandleFunc("POST "+login.URI+"/email/link", a.magicLink)
}

// magicRequest: POST /login/email {email} -> always 200 when well-formed.
func (a *API) magicRequest(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Email    string `json:"email"`
		Login    string `json:"login"`
		Username string `json:"username"`
		Next     string `json:"next"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = a.edge.WithMeta(r, "")
	old, _ := a.edge.SignInNonce(r)
	name := loginRequest{Login: req.Login, Username: req.Username, Email: req.Email}.name()
	nonce, err := a.svc.RequestMagicLink(r.Context(), name, old)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	ttl := a.svc.MagicLinkTTL()
	a.edge.SetSignInNonce(w, r, nonce, req.Next, ttl)
	httpx.JSON(w, http.StatusOK, map[string]any{"sent": true, "expires_in": int(ttl.Seconds())})
}

// magicCode: POST /login/email/code {code} -> {"account": ...}.
func (a *API) magicCode(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Code string `json:"code"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = a.edge.WithMeta(r, "")
	nonce, _ := a.edge.SignInNonce(r)
	l, err := a.svc.SignInWithEmailCode(r.Context(), nonce, req.Code)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.loginAnswer(w, r, l)
}

// magicLink: POST /login/email/link {sptoken, confirm} -> {"account": ...};
// 409 for a link asked for in another browser, unless confirm is true.
func (a *API) magicLink(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token   string `json:"sptoken"`
		Confirm bool   `json:"confirm"`
	}
	if err := decode(r, &req); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = a.edge.WithMeta(r, "")
	nonce, _ := a.edge.SignInNonce(r)
	l, err := a.svc.SignInWithMagicLink(r.Context(), req.Token, nonce, req.Confirm)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.loginAnswer(w, r, l)
}

// loginAnswer answers a sign-in of POST /login or without a password: the
// session cookie and {"account": ...}; or, when a stage is still due, the
// pending sign-in's cookie and what the stage asks (pendingAnswer).
func (a *API) loginAnswer(w http.ResponseWriter, r *http.Request, l *service.Login) {
	if l.Pending != nil {
		a.pendingAnswer(w, r, l, nil) // a second factor is still due
		return
	}
	a.edge.SetSession(w, r, l)
	acc, err := a.svc.Account(r.Context(), l.User.AccountID)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	a.writeView(w, http.StatusOK, true, NewUserView(l.User, acc, l.Roles, l.PasswordExpired))
}
