package web

import (
	"net/http"

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
	mux.HandleFunc("GET "+InvitationPath, p.invitation)
	mux.HandleFunc("POST "+InvitationPath, p.invitationPost)
	mux.HandleFunc("GET "+EmailChangePath, p.emailChange)
	mux.HandleFunc("POST "+EmailChangePath, p.emailChangePost)
	mux.HandleFunc("GET "+NotMePath, p.notMe)
	mux.HandleFunc("POST "+NotMePath, p.notMePost)

	mux.HandleFunc("GET "+ExpiredPath, p.signedIn(p.expired, true))
	mux.HandleFunc("POST "+ExpiredPath, p.signedIn(p.expiredPost, true))
	mux.HandleFunc("GET "+ProfilePath, p.signedIn(p.profile, false))
	mux.HandleFunc("POST "+ProfilePath, p.signedIn(p.profilePost, false))
	mux.HandleFunc("GET "+SessionsPath, p.signedIn(p.sessionList, false))
	mux.HandleFunc("POST "+SessionsPath, p.signedIn(p.sessionsPost, false))
	if p.apps != nil {
		mux.HandleFunc("GET "+AppsPath, p.signedIn(p.appList, false))
		mux.HandleFunc("POST "+AppsPath, p.signedIn(p.appsPost, false))
	}

	p.upstreamRoutes(mux)

	mux.HandleFunc("GET "+ui.AssetsPath+"{name}", p.look.ServeAsset)
}
