package server_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb/internal/passkey/passkeytest"
)

// TestPasskeyMFAOnHostedPages: a passkey holder without an authenticator
// app signs in with the password on the hosted page and is asked for the
// passkey there (the pages' script calls the challenge's passkey routes);
// another user's key is refused, the user's own signs in and goes on to
// next=.
func TestPasskeyMFAOnHostedPages(t *testing.T) {
	e, laptop, bobs := twoPasskeyHolders(t)

	b := e.client()
	r := b.do("POST", "/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}, "next": {"/profile/sessions"}}, "Accept", browserAccept)
	if r.status != 303 || r.header.Get("Location") != "/signin/mfa?next=%2Fprofile%2Fsessions" {
		t.Fatalf("the password: %d %q", r.status, r.header.Get("Location"))
	}
	page := string(b.do("GET", "/signin/mfa?next=%2Fprofile%2Fsessions", nil, "Accept", browserAccept).body)
	for _, want := range []string{"Confirm it is you with your passkey.", `id="passkey-mfa" data-next="/profile/sessions" hidden>Use your passkey</button>`, `<script src="/assets/passkeys.js?v=`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the challenge does not show %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `name="code"`) {
		t.Fatal("a user without an app is asked for its code")
	}

	answer := func(a *passkeytest.Authenticator) map[string]any {
		t.Helper()
		state, cred := passkeyCeremony(t, b, "/signin/mfa/passkey/options", a)
		return map[string]any{"state": state, "credential": cred, "next": "/profile/sessions"}
	}
	if r := b.do("POST", "/signin/mfa/passkey", answer(bobs)); r.status != 401 || b.cookie("userdb") != "" {
		t.Fatalf("bob's key for ann: %d %s", r.status, r.body)
	}
	r = b.do("POST", "/signin/mfa/passkey", answer(laptop))
	if r.status != 200 || r.json(t)["redirect"] != "/profile/sessions" || b.cookie("userdb") == "" || b.cookie("userdb_pending") != "" {
		t.Fatalf("ann's passkey: %d %s", r.status, r.body)
	}
	if r := b.do("GET", "/me", nil); r.status != 200 || !strings.Contains(string(r.body), "ann@example.com") {
		t.Fatalf("GET /me after the passkey: %d %s", r.status, r.body)
	}

	// Re-authentication takes no passkey yet: once the sign-in is too old
	// for a change, the page says to sign in again with it rather than ask
	// for a code ann does not have.
	e.clock.Add(16 * time.Minute)
	r = b.do("POST", "/profile/mfa/recovery-codes", url.Values{}, "Accept", browserAccept)
	if r.status != 303 || r.header.Get("Location") != "/profile/reauth?next=%2Fprofile" {
		t.Fatalf("new recovery codes from an old session: %d %q", r.status, r.header.Get("Location"))
	}
	page = string(b.do("GET", "/profile/reauth?next=%2Fprofile", nil, "Accept", browserAccept).body)
	if !strings.Contains(page, "Your second factor is a passkey: sign out, then sign in again") || strings.Contains(page, `name="code"`) {
		t.Fatalf("the confirmation page of a passkey holder:\n%s", page)
	}
}
