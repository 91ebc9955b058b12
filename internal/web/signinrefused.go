package web

import "github.com/userdb/userdb"

// signInData is the sign-in page's own data.
type signInData struct {
	// ResendLogin, when set, offers to send the verification link again to
	// the user who typed it: only after the right password (the service
	// says so with ReasonEmailNotVerified), so the offer tells nobody else
	// that the account exists. The form posts to the verify page's resend,
	// with its rate limits.
	ResendLogin string
}

// offerResend adds the "Send the link again" form to a sign-in refused
// because the email address is not verified.
func offerResend(v *view, err error, login string) {
	if userdb.ErrorReason(err) == userdb.ReasonEmailNotVerified {
		v.Data = signInData{ResendLogin: login}
	}
}
