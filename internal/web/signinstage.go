package web

import (
	"net/http"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// A sign-in whose password (or link, or passkey) was right may still have
// a stage to complete before it gets a session (service.Pending): the
// browser then holds the pending cookie and goes to the page of that
// stage, carrying next= along, and on to next= once the stage is done.

// pendingPath is the page that takes a pending sign-in's stage, "" for a
// stage these pages do not take.
func pendingPath(stage userdb.PendingStage) string {
	switch stage {
	case userdb.PendingMFA:
		return MFAPath
	case service.PendingMFAEnrol:
		return MFAEnrolPath
	case userdb.PendingPasswordChange:
		return ExpiredPath // expired.go
	}
	return ""
}

// afterSignIn sets the cookies of a sign-in and returns where the browser
// goes next: the page of the stage it stopped at, the page that changes an
// expired password, or next= (checked). A stage without a page keeps the
// pending cookie and goes to the sign-in page, which says so.
func (p *Pages) afterSignIn(w http.ResponseWriter, r *http.Request, l *service.Login, next string) string {
	if l.Pending != nil {
		p.edge.SetPending(w, r, l.Pending)
		to := pendingPath(l.Pending.Stage)
		if to == "" {
			to = SignInPath
		}
		return to + p.nextQuery(next)
	}
	p.edge.ClearPending(w, r)
	p.edge.SetSession(w, r, l)
	p.edge.SetRemembered(w, r, l.RememberSecret, p.svc.RememberDeviceFor())
	if l.PasswordExpired {
		return ExpiredPath + p.nextQuery(next)
	}
	return p.returnTo(next)
}

// signedInTo sets the cookies of a sign-in and sends the browser on
// (afterSignIn).
func (p *Pages) signedInTo(w http.ResponseWriter, r *http.Request, l *service.Login, next string) {
	ui.Redirect(w, r, p.afterSignIn(w, r, l, next))
}

// pending finds the request's pending sign-in at stage. When there is none
// that may go on (expired, used, from another browser), the browser is sent
// back to the sign-in page with a message, its cookie cleared, and ok is
// false. r comes back carrying the request's metadata for the service.
func (p *Pages) pending(w http.ResponseWriter, r *http.Request, stage userdb.PendingStage, next string) (*http.Request, *service.Pending, bool) {
	r = p.edge.WithMeta(r, "")
	pd, err := p.svc.FindPending(r.Context(), stage)
	if err != nil {
		p.pendingFailed(w, r, err, next)
		return r, nil, false
	}
	return r, pd, true
}

// pendingFailed answers an error that ends a pending sign-in: gone, back
// to sign in with a message; anything else, the error page.
func (p *Pages) pendingFailed(w http.ResponseWriter, r *http.Request, err error, next string) {
	if !userdb.IsCode(err, userdb.EUNAUTHORIZED) {
		p.fail(w, r, err)
		return
	}
	p.edge.ClearPending(w, r)
	setFlash(w, r, flashSignInExpired)
	ui.Redirect(w, r, SignInPath+p.nextQuery(next))
}

// cancelPending ends the request's pending sign-in ("Cancel" on a stage's
// page) and goes back to the sign-in page.
func (p *Pages) cancelPending(w http.ResponseWriter, r *http.Request, next string) {
	r = p.edge.WithMeta(r, "")
	if err := p.svc.CancelPending(r.Context()); err != nil {
		p.fail(w, r, err)
		return
	}
	p.edge.ClearPending(w, r)
	ui.Redirect(w, r, SignInPath+p.nextQuery(next))
}
