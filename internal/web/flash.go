package web

import (
	"net/http"

	"github.com/userdb/userdb/internal/ui"
)

// The flash messages, by key: each is a key of the catalogue too.
const (
	flashSignedOut       = "signed-out"
	flashRegistered      = "registered"
	flashVerifySent      = "verification-sent"
	flashResetSent       = "reset-sent"
	flashPasswordReset   = "password-reset"
	flashPasswordChanged = "password-changed"
	flashExpiredChanged  = "expired-changed"
	flashProfileSaved    = "profile-saved"
	flashWelcome         = "welcome"
	flashSessionEnded    = "session-ended"
	flashSessionsEnded   = "sessions-ended"
	flashEmailChangeSent = "email-change-sent"
	flashEmailChanged    = "email-changed"
	flashAppRemoved      = "app-removed"
	flashSetupDone       = "setup-done"
	flashPasskeyAdded    = "passkey-added"
	flashPasskeyRemoved  = "passkey-removed"
	flashSignInExpired   = "signin-expired"
	flashFactorAdded     = "factor-added"
	flashFactorRemoved   = "factor-removed"
	flashReauthenticated = "reauthenticated"
)

// flashKinds are the flash messages, by key, with their alert style; the
// text of each is the catalogue's message of the key.
var flashKinds = map[string]string{
	flashSignedOut: "info", flashRegistered: "success", flashVerifySent: "success", flashResetSent: "success",
	flashPasswordReset: "success", flashPasswordChanged: "success", flashExpiredChanged: "success",
	flashProfileSaved: "success", flashWelcome: "success", flashSessionEnded: "success",
	flashSessionsEnded: "success", flashEmailChangeSent: "success", flashEmailChanged: "success",
	flashAppRemoved: "success", flashPasskeyAdded: "success", flashPasskeyRemoved: "success",
	flashSetupDone: "success", flashSignInExpired: "error", flashFactorAdded: "success",
	flashFactorRemoved: "success", flashReauthenticated: "success",
}

// flashes carry the flash messages across redirects: the cookie holds
// only the key of one of the fixed messages above, so nobody can make a
// page say something else by setting it.
var flashes = ui.Flashes{Cookie: "userdb_flash", Path: "/", Kinds: flashKinds, Text: msg}

// setFlash shows the message of key on the next page the browser renders.
func setFlash(w http.ResponseWriter, r *http.Request, key string) { flashes.Set(w, r, key) }
