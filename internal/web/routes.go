package web

import (
	"mime"
	"net/http"

	"github.com/userdb/userdb/internal/httpx"

	"github.com/userdb/userdb/internal/ui"
)

// Routes registers every page on mux. Each form posts to its own page's
// path; the cross-origin protection in front of mux refuses posts from
// other sites.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET "+HomePath+"{$}", p.home)
	if p.setupToken != "" {
		mux.HandleFunc("GET "+SetupPath, p.setup)
		mux.HandleFunc("POST "+SetupPath, p.setupPost)
	}
	mux.HandleFunc("GET "+SignInPath, p.signIn)
	mux.HandleFunc("POST "+SignInPath, p.signInPost)
	mux.HandleFunc("GET "+SignUpPath, p.signUp)
	mux.HandleFunc("POST "+SignUpPath, p.signUpPost)
	mux.HandleFunc("POST "+SignOutPath, p.signOut)

	mux.HandleFunc("GET "+VerifyPath, p.verify)
	mux.HandleFunc("POST "+VerifyPath, p.resendVerification)
	mux.HandleFunc("GET "+ForgotPath, p.forgot)
	mux.HandleFunc("POST "+ForgotPath, p.forgotPost)
	mux.HandleFunc("GET "+ResetPath, p.reset)
	mux.HandleFunc("POST "+ResetPath, p.resetPost)
	mux.HandleFunc("GET "+InvitationPath, p.jsonOr(p.invitation))
	mux.HandleFunc("POST "+InvitationPath, p.jsonOr(p.invitationPost))
	mux.HandleFunc("GET "+EmailChangePath, p.emailChange)
	mux.HandleFunc("POST "+EmailChangePath, p.emailChangePost)
	mux.HandleFunc("GET "+NotMePath, p.notMe)
	mux.HandleFunc("POST "+NotMePath, p.notMePost)

	mux.HandleFunc("GET "+ExpiredPath, p.expiredPage)
	mux.HandleFunc("POST "+ExpiredPath, p.expiredPagePost)
	mux.HandleFunc("GET "+ProfilePath, p.signedIn(p.profile, false))
	mux.HandleFunc("POST "+ProfilePath, p.signedIn(p.profilePost, false))
	mux.HandleFunc("GET "+SessionsPath, p.signedIn(p.sessionList, false))
	mux.HandleFunc("POST "+SessionsPath, p.signedIn(p.sessionsPost, false))
	if p.apps != nil {
		mux.HandleFunc("GET "+AppsPath, p.signedIn(p.appList, false))
		mux.HandleFunc("POST "+AppsPath, p.signedIn(p.appsPost, false))
	}

	p.mfaRoutes(mux)
	p.profileMFARoutes(mux)
	p.upstreamRoutes(mux)
	p.magicRoutes(mux)
	p.passkeyRoutes(mux)

	mux.HandleFunc("GET "+ui.AssetsPath+"{name}", p.look.ServeAsset)
}

// jsonOr hands the requests of JSON clients — a GET that does not want
// HTML, a post of JSON — to Options.InvitationJSON, and the rest to page.
func (p *Pages) jsonOr(page http.HandlerFunc) http.HandlerFunc {
	if p.json == nil {
		return page
	}
	return func(w http.ResponseWriter, r *http.Request) {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if (r.Method == http.MethodGet && !httpx.WantsHTML(r)) || (r.Method == http.MethodPost && ct == "application/json") {
			p.json(w, r)
			return
		}
		page(w, r)
	}
}
