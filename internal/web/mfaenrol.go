package web

import (
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/qr"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui"
)

// Adding an authenticator app, the same page in two places: at sign-in,
// for a user who must add a factor before any session (stage mfa_enrol),
// and on the profile. The page first explains, and a post begins (a new
// key is a change, so no GET makes one); then it shows the key as a QR
// code and as text, and takes the first code; then the recovery codes,
// once. The key travels back in the form only to show the same QR code
// again after a mistyped code: the service checks codes against the key
// it stored, never against the form.

// enrolData is the enrolment page's own data.
type enrolData struct {
	// Action is where the page's forms post; Pending says it is the
	// sign-in's stage (with a way to cancel the sign-in).
	Action  string
	Pending bool
	// Started: a key was made, shown by QR (an inline PNG) and Secret (in
	// groups of four), and waits for its first code. URI and FactorID go
	// back with the form.
	Started  bool
	FactorID string
	URI      string
	QR       template.URL
	Secret   string
}

// codesData is the data of the page that shows new recovery codes, once.
type codesData struct {
	Codes []string
	// Continue is where the page's button goes; ContinueText its words.
	Continue, ContinueText string
}

// mfaEnrol explains to a user at the enrolment stage what comes, with the
// button that begins.
func (p *Pages) mfaEnrol(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	r, _, ok := p.pending(w, r, service.PendingMFAEnrol, next)
	if !ok {
		return
	}
	v := p.newView(r, "mfaenrol")
	v.Next = p.keepNext(next)
	p.renderEnrolment(w, r, http.StatusOK, v, &enrolData{Action: MFAEnrolPath, Pending: true})
}

// mfaEnrolPost begins the enrolment at sign-in (intent begin), or confirms
// it with the first code (intent confirm: the sign-in completes and the
// recovery codes are shown). The page's "Cancel" posts to the challenge's
// path, which ends a pending sign-in of any stage.
func (p *Pages) mfaEnrolPost(w http.ResponseWriter, r *http.Request) {
	if !p.parseForm(w, r) {
		return
	}
	next, intent := r.PostFormValue("next"), r.PostFormValue("intent")
	r, pd, ok := p.pending(w, r, service.PendingMFAEnrol, next)
	if !ok {
		return
	}
	v := p.newView(r, "mfaenrol")
	v.Next = p.keepNext(next)
	d := &enrolData{Action: MFAEnrolPath, Pending: true}
	switch intent {
	case "begin":
		en, err := p.svc.BeginTOTPPending(r.Context(), pd)
		p.enrolmentBegun(w, r, v, d, en, err)
	case "confirm":
		done, err := p.svc.ConfirmTOTPPending(r.Context(), pd, r.PostFormValue("factor_id"), ui.FormValue(r, "code"))
		if service.IsPendingGone(err) {
			p.pendingFailed(w, r, err, next)
			return
		}
		if err != nil {
			p.enrolmentRefused(w, r, v, d, err)
			return
		}
		to := p.afterSignIn(w, r, done.Login, next)
		p.showCodes(w, r, done.RecoveryCodes, to, msg("codes-continue"))
	default:
		p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("form-unreadable")})
	}
}

// renderEnrolment renders the enrolment page; a started one carries an
// inline image.
func (p *Pages) renderEnrolment(w http.ResponseWriter, r *http.Request, status int, v *view, d *enrolData) {
	v.Data, v.InlineImages = d, d.Started
	p.render(w, r, status, v)
}

// enrolmentBegun shows the new key of en (or why there is none).
func (p *Pages) enrolmentBegun(w http.ResponseWriter, r *http.Request, v *view, d *enrolData, en *service.TOTPEnrolment, err error) {
	if err == nil {
		d.FactorID = en.FactorID
		if err := d.show(en.URI); err != nil {
			p.fail(w, r, userdb.Errorf(userdb.EINTERNAL, "showing a new TOTP key: %v", err))
			return
		}
	}
	if err != nil {
		if userdb.ErrorCode(err) == userdb.EINTERNAL {
			p.fail(w, r, err)
			return
		}
		v.setError(r, err)
		p.renderEnrolment(w, r, ui.FormStatus(err), v, d)
		return
	}
	v.Focus = "code"
	p.renderEnrolment(w, r, http.StatusOK, v, d)
}

// enrolmentRefused shows the page again after a refused first code: the
// same key, from the form, with the message at the code; or, when the
// enrolment is gone (or the form is not one of ours), the start again.
func (p *Pages) enrolmentRefused(w http.ResponseWriter, r *http.Request, v *view, d *enrolData, err error) {
	if userdb.ErrorCode(err) == userdb.EINTERNAL {
		p.fail(w, r, err)
		return
	}
	v.setError(r, err, "code")
	if v.Error == "" {
		d.FactorID = r.PostFormValue("factor_id")
		if d.show(r.PostFormValue("uri")) != nil {
			v.Error, d.Started = msg("enrolment-restart"), false
		}
	}
	p.renderEnrolment(w, r, ui.FormStatus(err), v, d)
}

// totpSecret is the key of an otpauth URI as the service writes it: base32.
var totpSecret = regexp.MustCompile(`^[A-Z2-7]{16,128}$`)

// show sets d to show the key of the otpauth URI uri.
func (d *enrolData) show(uri string) error {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "otpauth" || u.Host != "totp" || !totpSecret.MatchString(u.Query().Get("secret")) {
		return userdb.Errorf(userdb.EINVALID, "not a TOTP key")
	}
	img, err := qr.DataURI(uri)
	if err != nil {
		return err
	}
	// A PNG that qr made: html/template would refuse a data: URL.
	d.QR = template.URL(img)
	d.Started, d.URI, d.Secret = true, uri, groupsOf4(u.Query().Get("secret"))
	return nil
}

// groupsOf4 spaces a key for reading and typing: authenticator apps ignore
// the spaces.
func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// showCodes shows new recovery codes, once: the page is the answer to the
// post that made them, and nobody caches it (ui.Render). Without codes
// (the user has some left from before) the browser goes straight on.
func (p *Pages) showCodes(w http.ResponseWriter, r *http.Request, codes []string, to, text string) {
	if len(codes) == 0 {
		ui.Redirect(w, r, to)
		return
	}
	v := p.newView(r, "recoverycodes")
	v.Data = codesData{Codes: codes, Continue: to, ContinueText: text}
	p.render(w, r, http.StatusOK, v)
}
