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
}

// TestPasskeyReauthOnHostedPages: once ann's sign-in is too old for a
// change, the confirmation page offers her passkey (she has no app, so no
// code field) and its script's routes take the password typed on the page
// with the passkey. A wrong password, a missing one, Bob's key or a post
// from another site change nothing and say why; ann's own key and password
// give a fresh session, and the change goes through.
func TestPasskeyReauthOnHostedPages(t *testing.T) {
	e, laptop, bobs := twoPasskeyHolders(t)
	b := e.client()
	b.do("POST", "/signin", url.Values{"login": {"ann@example.com"}, "password": {"correct horse battery"}}, "Accept", browserAccept)
	state, cred := passkeyCeremony(t, b, "/signin/mfa/passkey/options", laptop)
	if r := b.do("POST", "/signin/mfa/passkey", map[string]any{"state": state, "credential": cred}); r.status != 200 {
		t.Fatalf("ann's passkey at sign-in: %d %s", r.status, r.body)
	}

	e.clock.Add(16 * time.Minute)
	newCodes := func() response {
		return b.do("POST", "/profile/mfa/recovery-codes", url.Values{}, "Accept", browserAccept)
	}
	if r := newCodes(); r.status != 303 || r.header.Get("Location") != "/profile/reauth?next=%2Fprofile" {
		t.Fatalf("new recovery codes from an old session: %d %q", r.status, r.header.Get("Location"))
	}
	page := string(b.do("GET", "/profile/reauth?next=%2Fprofile", nil, "Accept", browserAccept).body)
	for _, want := range []string{"Enter your password and use your passkey to go on.", `name="password"`,
		`id="passkey-reauth" data-next="/profile" hidden>Use your passkey</button>`, `<script src="/assets/passkeys.js?v=`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the confirmation page does not show %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `name="code"`) || strings.Contains(page, "Your second factor is a passkey: sign out") {
		t.Fatalf("the confirmation page asks a passkey holder for a code or to sign out:\n%s", page)
	}

	session := b.cookie("userdb")
	answer := func(a *passkeytest.Authenticator, password string) map[string]any {
		t.Helper()
		state, cred := passkeyCeremony(t, b, "/profile/reauth/passkey/options", a)
		return map[string]any{"state": state, "credential": cred, "password": password, "next": "/profile"}
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		header []string
		status int
		text   string
	}{
		{"a wrong password", answer(laptop, "wrong horse battery"), nil, 401, "password"},
		{"no password", answer(laptop, ""), nil, 400, "Enter your password."},
		{"bob's key", answer(bobs, "correct horse battery"), nil, 401, ""},
		{"a post from another site", answer(laptop, "correct horse battery"), []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, 403, ""},
	} {
		r := b.do("POST", "/profile/reauth/passkey", tc.body, tc.header...)
		if r.status != tc.status || !strings.Contains(string(r.body), tc.text) || b.cookie("userdb") != session {
			t.Fatalf("%s: %d %s, want %d with %q and the same session", tc.name, r.status, r.body, tc.status, tc.text)
		}
		if tc.status != 403 && r.json(t)["message"] == "" {
			t.Fatalf("%s: no message for the page: %s", tc.name, r.body)
		}
	}
	if r := newCodes(); r.status != 303 {
		t.Fatalf("new recovery codes after the refusals: %d, want to confirm first", r.status)
	}

	r := b.do("POST", "/profile/reauth/passkey", answer(laptop, "correct horse battery"))
	if r.status != 200 || r.json(t)["redirect"] != "/profile" || b.cookie("userdb") == session {
		t.Fatalf("ann's password and passkey: %d %s", r.status, r.body)
	}
	if r := newCodes(); r.status != 200 || !strings.Contains(string(r.body), "recovery codes") {
		t.Fatalf("new recovery codes after confirming: %d %s", r.status, r.body)
	}
}
