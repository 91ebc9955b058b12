package web

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// The passkey routes the pages' script calls (JSON in and out; single-page
// apps may call them too), and the profile's form that removes one.
const (
	PasskeyOptionsPath   = "/signin/passkey/options"
	PasskeySignInPath    = "/signin/passkey"
	PasskeysPath         = "/profile/passkeys"
	PasskeyAddOptionPath = "/profile/passkeys/options"
	PasskeyRemovePath    = "/profile/passkeys/remove"
)

//go:embed static/passkeys.js
var passkeysJS []byte

// passkeysScript is the pages' script, at a URL that changes with it.
var passkeysScript = ui.NewFile(ui.AssetsPath+"passkeys.js", "text/javascript; charset=utf-8", passkeysJS)

func (p *Pages) passkeyRoutes(mux *http.ServeMux) {
	if !p.svc.PasskeysEnabled() {
		return
	}
	mux.Handle("GET "+ui.AssetsPath+"passkeys.js", passkeysScript)
	mux.HandleFunc("POST "+PasskeyOptionsPath, p.passkeyOptions)
	mux.HandleFunc("POST "+PasskeySignInPath, p.passkeySignIn)
	mux.HandleFunc("POST "+PasskeyAddOptionPath, p.signedIn(p.passkeyAddOptions, false))
	mux.HandleFunc("POST "+PasskeysPath, p.signedIn(p.passkeyAdd, false))
	mux.HandleFunc("POST "+PasskeyRemovePath, p.signedIn(p.passkeyRemove, false))
}

// passkeyOptions: POST /signin/passkey/options -> {"publicKey": {...}, "state": "..."}.
func (p *Pages) passkeyOptions(w http.ResponseWriter, r *http.Request) {
	c, err := p.svc.BeginPasskeyLogin(p.edge.WithMeta(r, "").Context())
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// passkeyAnswer is what the script posts: the ceremony's state and the
// browser's credential (its toJSON()).
type passkeyAnswer struct {
	State      string          `json:"state"`
	Credential json.RawMessage `json:"credential"`
	Next       string          `json:"next"`
	Name       string          `json:"name"`
	// Remember: "remember this device" was ticked (the second factor).
	Remember bool `json:"remember"`
	// Password: the one typed on the page confirming it is the user
	// (re-authentication takes both).
	Password string `json:"password"`
}

// passkeySignIn: POST /signin/passkey {state, credential, next} ->
// {"redirect": where to go} and the session cookie (or the pending
// sign-in's, when a second factor is still needed).
func (p *Pages) passkeySignIn(w http.ResponseWriter, r *http.Request) {
	var a passkeyAnswer
	if err := httpx.Decode(r, &a); err != nil {
		httpx.Error(w, r, err)
		return
	}
	r = p.edge.WithMeta(r, "")
	l, err := p.svc.PasskeyLogin(r.Context(), a.State, a.Credential)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, map[string]string{"redirect": p.afterSignIn(w, r, l, a.Next)})
}

// passkeyAddOptions: POST /profile/passkeys/options -> the ceremony.
func (p *Pages) passkeyAddOptions(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	c, err := p.svc.BeginPasskeyRegistration(r.Context(), me.User)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	httpx.JSON(w, http.StatusOK, c)
}

// passkeyAdd: POST /profile/passkeys {name, state, credential} -> the new
// passkey; the profile shows a flash when the script goes back to it.
func (p *Pages) passkeyAdd(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	var a passkeyAnswer
	if err := httpx.Decode(r, &a); err != nil {
		httpx.Error(w, r, err)
		return
	}
	f, err := p.svc.FinishPasskeyRegistration(r.Context(), me.User, a.Name, a.State, a.Credential)
	if err != nil {
		httpx.Error(w, r, err)
		return
	}
	setFlash(w, r, flashPasskeyAdded)
	httpx.JSON(w, http.StatusCreated, f)
}

// passkeyRemove: the profile's form that removes a passkey.
func (p *Pages) passkeyRemove(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	p.removeFactor(w, r, me, flashPasskeyRemoved)
}

// passkeyScriptURL is the script's URL when passkeys are on.
func passkeyScriptURL(p *Pages) string {
	if !p.svc.PasskeysEnabled() {
		return ""
	}
	return passkeysScript.URL
}

// passkeysOf lists u's passkeys for the profile page (none when passkeys
// are off).
func (p *Pages) passkeysOf(r *http.Request, u *userdb.User) ([]service.FactorInfo, error) {
	if !p.svc.PasskeysEnabled() {
		return nil, nil
	}
	return p.svc.Passkeys(r.Context(), u)
}
