package console

import (
	"net/http"

	"github.com/userdb/userdb/internal/ui"
)

// The console's words live in two places, both ready for translation: the
// text of each page in its template (a translation is a copy of the
// templates directory), and the messages the Go code shows — flashes,
// field messages, titles — in this one catalogue, looked up by key.
// Messages from the service (userdb.Error) are shown as the service wrote
// them.
var catalogue = ui.Catalogue{
	// Flash messages, shown once after a form post redirects.
	"user-created":          "The user has been created.",
	"user-invited":          "The user has been created and an invitation email is on its way.",
	"user-saved":            "The user's profile has been saved.",
	"roles-saved":           "The user's roles have been saved.",
	"user-enabled":          "The user has been enabled.",
	"user-disabled":         "The user has been disabled and signed out everywhere.",
	"user-unlocked":         "The user has been unlocked.",
	"reset-sent":            "A password reset email is on its way to the user.",
	"invite-resent":         "A new invitation email is on its way to the user.",
	"password-expired":      "The user must choose a new password at the next sign-in.",
	"sessions-ended":        "The user has been signed out everywhere.",
	"mfa-reset":             "The user's second factors have been removed, and the user told by email.",
	"user-deleted":          "The user has been deleted.",
	"account-created":       "The account has been created, with its admin role.",
	"account-saved":         "The account has been saved.",
	"account-enabled":       "The account has been enabled.",
	"account-disabled":      "The account has been disabled; its users cannot sign in.",
	"role-created":          "The role has been created.",
	"role-saved":            "The role has been saved.",
	"role-deleted":          "The role has been deleted and taken from every user who had it.",
	"apikey-revoked":        "The API key has been revoked; it stops working at once.",
	"client-saved":          "The client has been saved.",
	"client-deleted":        "The client has been deleted; its tokens stop working.",
	"form-unreadable":       "The form could not be read. Please go back and try again.",
	"unknown-action":        "The form asked for something the console does not do.",
	"form-unreadable-title": "The form could not be read",

	// Field messages.
	"email-taken":           "Another user already has this email address as their email or username.",
	"email-required":        "Enter the user's email address.",
	"password-or-invite":    "Enter a password, or choose to send an invitation.",
	"custom-data-json":      "Custom data must be a JSON object, such as {\"team\": \"blue\"}.",
	"confirm-delete":        "Tick the box to confirm the deletion.",
	"bad-date":              "Enter a date such as 2026-03-01.",
	"bad-status":            "Choose a status from the list.",
	"bad-sort":              "Choose a sort order from the list.",
	"name-required":         "Enter a name.",
	"account-name-required": "Enter the account's name.",
	"bad-expiry":            "Enter a date in the future, such as 2027-01-31.",
	"bad-cursor":            "This page of results is no longer available; start again from the first page.",
	"bad-limit":             "Choose how many to show per page from the list.",

	// Page titles of the fixed pages.
	"forbidden-title": "You do not have access",
	"forbidden":       "The admin console is for administrators. Your account does not have an administrator role.",
	"notfound-title":  "Not found",
	"notfound":        "There is nothing here, or you do not have access to it.",
	"error-title":     "Something went wrong",
	"internal":        "Something went wrong on our side. Please try again in a moment.",

	// Devices in a user's session list (ui.AgentKeys).
	"device-unknown":  "Unknown device",
	"browser-unknown": "Unknown browser",
	"device-on":       "%s on %s", // browser, system
}

// msg looks a message of the console up.
var msg = catalogue.Msg

// flashes carry a flash message across a redirect. The cookie holds only
// a key of flashKinds, so nobody can make a page say something else by
// setting it.
var flashes = ui.Flashes{Cookie: "userdb_admin_flash", Path: Prefix, Kinds: flashKinds, Text: msg}

// flashKinds are the flash messages' keys, each with its alert style.
var flashKinds = map[string]string{
	"user-created": "success", "user-invited": "success", "user-saved": "success", "roles-saved": "success",
	"user-enabled": "success", "user-disabled": "success", "user-unlocked": "success", "reset-sent": "success",
	"invite-resent": "success", "password-expired": "success", "sessions-ended": "success", "user-deleted": "success", "mfa-reset": "success",
	"account-created": "success", "account-saved": "success", "account-enabled": "success", "account-disabled": "success",
	"role-created": "success", "role-saved": "success", "role-deleted": "success", "apikey-revoked": "success",
	"client-saved": "success", "client-deleted": "success",
}

// setFlash shows the message of key on the next page the browser renders.
func setFlash(w http.ResponseWriter, r *http.Request, key string) { flashes.Set(w, r, key) }
