package web

import "github.com/userdb/userdb/internal/ui"

// The hosted pages' words live in two places, both ready for translation:
// the text of each page in its template (a translation is a copy of the
// templates directory), and the messages the Go code shows — page titles,
// flashes, field messages, the message pages — in this one catalogue,
// looked up by key. Messages from the service (userdb.Error) are shown as
// the service wrote them. English is shipped.
var catalogue = ui.Catalogue{
	// Page titles ("title-" and the page's template name).
	"title-signin":      "Sign in",
	"title-notme":       "Secure your account",
	"title-signup":      "Create your account",
	"title-verify":      "Verify your email",
	"title-forgot":      "Reset your password",
	"title-reset":       "Choose a new password",
	"title-expired":     "Your password has expired",
	"title-profile":     "Your profile",
	"title-sessions":    "Your sessions",
	"title-apps":        "Connected applications",
	"title-invitation":  "Welcome to %s", // the product name
	"title-emailchange": "Confirm your new email address",
	"title-setup":       "Create the first administrator",
	"title-signinemail": "Sign in by email",
	"title-signinlink":  "Sign in on this browser?",
	// The second factor's pages.
	"title-mfa":           "Two-step verification",
	"title-mfaenrol":      "Set up an authenticator app",
	"title-recoverycodes": "Save your recovery codes",
	"title-reauth":        "Confirm it is you",

	// Flash messages, shown once after a form post redirects (see flash.go).
	flashSignedOut:       "You have signed out.",
	flashSetupDone:       "You are the first administrator. The admin console is in the menu above.",
	flashRegistered:      "Almost done! We have sent you an email with a link to verify your address.",
	flashVerifySent:      "If an account is waiting for verification, we have sent it a new link. Check your email.",
	flashResetSent:       "Check your email. If an account matches what you entered, we have sent it a link to choose a new password.",
	flashPasswordReset:   "Your password has been reset. Sign in with your new password.",
	flashPasswordChanged: "Your password has been changed. Your other sessions have been signed out.",
	flashExpiredChanged:  "Your password has been changed. Sign in with your new password.",
	flashProfileSaved:    "Your profile has been saved.",
	flashWelcome:         "Welcome! Your account is ready.",
	flashSessionEnded:    "The session has been signed out.",
	flashSessionsEnded:   "All your other sessions have been signed out.",
	flashAppRemoved:      "The application has been removed; it must ask again to use your account.",
	flashEmailChangeSent: "Almost done: open the link we have sent to the new address to confirm it. Your email address stays the same until then.",
	flashEmailChanged:    "Your email address has been changed and verified.",
	flashPasskeyAdded:    "Your passkey has been added. You can sign in with it, no password needed.",
	flashPasskeyRemoved:  "The passkey has been removed.",
	flashSignInExpired:   "Your sign-in has expired. Please sign in again.",
	flashFactorAdded:     "Your authenticator app has been added. Sign-ins will ask for its code.",
	flashFactorRemoved:   "The authenticator app has been removed.",
	flashReauthenticated: "Thank you. You can make the change now.",

	// Field messages and messages above a form.
	"enter-login":            "Enter your email address or username.",
	"enter-password":         "Enter your password.",
	"enter-current-password": "Enter your current password.",
	"choose-password":        "Choose a password.",
	"passwords-differ":       "The passwords do not match.",
	"correct-fields":         "Please correct the fields marked below.",
	"internal-form":          "Something went wrong on our side. Please try again.",
	"verify-failed":          "%s Ask for a new one below.", // the service's message first
	"enter-email":            "Enter your email address.",
	"enter-code":             "Enter the code from the email.",
	"stage-unsupported":      "This sign-in needs a step these pages cannot take yet: sign in through your application.",
	"code-refused":           "That code did not work. Codes change every 30 seconds and each works once: enter the one your app shows now, or wait for the next.",
	"recovery-code-refused":  "That recovery code did not work. Each recovery code works once.",
	"enrolment-restart":      "This set-up has expired. Please start again.",
	"codes-continue":         "Continue",
	"codes-back":             "Back to your profile",

	// The message pages and their links.
	"error-title":                "Something went wrong",
	"internal":                   "Something went wrong on our side. Please try again in a moment.",
	"internal-plain":             "An internal error occurred.", // when not even a page can be rendered
	"notfound-title":             "Page not found",
	"notfound":                   "There is nothing here.",
	"notfound-json":              "Not found.",
	"method-not-allowed-title":   "Not allowed here",
	"method-not-allowed":         "This address does not take that kind of request.",
	"link-go-home":               "Go to the start page",
	"form-unreadable-title":      "The form could not be read",
	"form-unreadable":            "The form could not be read.",
	"form-unreadable-retry":      "Please go back and try again.",
	"no-attributes":              "There are no profile attributes to save.",
	"bad-link-title":             "This link no longer works",
	"bad-link":                   "%s Links in our emails work once and only for a while.", // the service's message first
	"link-incomplete-title":      "This link is incomplete",
	"invitation-link-incomplete": "Open the link from your invitation email again, or ask whoever invited you for a new one.",
	"address-unusable-title":     "This address cannot be used",
	"notme-done-title":           "Your account is secured",
	"notme-done":                 "Every session of your account has ended and your password no longer works. We have emailed you a link to choose a new one.",
	"notme-done-link":            "Send the link again",
	"verified-title":             "Email verified",
	"verified":                   "Thank you: your email address is verified and your account is ready.",
	"link-signin":                "Sign in",
	"link-go-signin":             "Go to sign in",
	"link-back-signin":           "Back to sign in",
	"link-new-link":              "Ask for a new link",
	"link-profile":               "Go to your profile",
	"magic-link-bad-title":       "This sign-in link no longer works",
	"link-new-magic":             "Email me a new link",

	// Values shown in the profile's attributes, and the sessions list's
	// devices (ui.AgentKeys).
	"not-set":         "Not set",
	"yes":             "Yes",
	"no":              "No",
	"device-unknown":  "Unknown device",
	"browser-unknown": "Unknown browser",
	"device-on":       "%s on %s", // browser, system
}

// msg looks a message of the hosted pages up.
var msg = catalogue.Msg
