package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/passkey/passkeytest"
	"github.com/userdb/userdb/internal/service"
)

// The relying party of the test servers: server.base_url defaults from
// server.addr (localhost:8080).
const (
	testRPID   = "localhost"
	testOrigin = "http://localhost:8080"
)

// userCtx is a request of the signed-in u from an address.
func userCtx(u *userdb.User) context.Context {
	ctx := service.WithMeta(context.Background(), service.Meta{ActorID: u.ID, IP: "192.0.2.9"})
	return service.WithActor(ctx, service.UserActor(u))
}

// registerPasskey registers a for u through the service.
func registerPasskey(t *testing.T, e *env, u *userdb.User, a *passkeytest.Authenticator, name string) *service.FactorInfo {
	t.Helper()
	svc := inside.Service(e.srv)
	c, err := svc.BeginPasskeyRegistration(userCtx(u), u)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Register(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	f, err := svc.FinishPasskeyRegistration(userCtx(u), u, name, c.State, answer)
	if err != nil {
		t.Fatalf("registering %s: %v", name, err)
	}
	return f
}

// passkeyLogin signs in with a's assertion through the service.
func passkeyLogin(t *testing.T, e *env, a *passkeytest.Authenticator) (*service.Login, error) {
	t.Helper()
	svc := inside.Service(e.srv)
	ctx := service.WithMeta(context.Background(), service.Meta{IP: "192.0.2.10"})
	c, err := svc.BeginPasskeyLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := a.Assert(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	return svc.PasskeyLogin(ctx, c.State, answer)
}

// TestPasskeys: several named passkeys per user; a sign-in without a name
// with each, amr hwk or swk with mfa; an answer replayed, a passkey of
// another user claiming this one's handle, a wrong origin and a wrong
// relying party id are all refused the same way, and change nothing.
func TestPasskeys(t *testing.T) {
	e := newEnv(t)
	svc := inside.Service(e.srv)
	ann := e.addUser("ann@example.com", "a long enough secret")
	bob := e.addUser("bob@example.com", "a long enough secret")

	laptop := passkeytest.New(testOrigin, testRPID)
	phone := passkeytest.New(testOrigin, testRPID)
	phone.Synced = true
	registerPasskey(t, e, ann, laptop, "Laptop")
	e.clock.Add(time.Second) // listed oldest first
	registerPasskey(t, e, ann, phone, "Phone")
	bobs := passkeytest.New(testOrigin, testRPID)
	registerPasskey(t, e, bob, bobs, "Bob's key")
	list, err := svc.Passkeys(t.Context(), ann)
	if err != nil || len(list) != 2 || list[0].Name != "Laptop" || list[1].Name != "Phone" {
		t.Fatalf("ann's passkeys: %+v %v", list, err)
	}
	// The same authenticator cannot be registered twice.
	c, _ := svc.BeginPasskeyRegistration(userCtx(ann), ann)
	answer, _ := laptop.Register(c.Options)
	if _, err := svc.FinishPasskeyRegistration(userCtx(ann), ann, "Again", c.State, answer); err == nil {
		t.Error("a registered credential was registered again")
	}

	for _, tc := range []struct {
		a   *passkeytest.Authenticator
		amr []string
	}{{laptop, []string{"hwk", "mfa"}}, {phone, []string{"swk", "mfa"}}} {
		l, err := passkeyLogin(t, e, tc.a)
		if err != nil {
			t.Fatalf("sign-in: %v", err)
		}
		if l.User.ID != ann.ID || l.Session == nil || !slices.Equal(l.Session.AMR, tc.amr) {
			t.Errorf("signed in as %s, session %+v; want ann with amr %v", l.User.Email, l.Session, tc.amr)
		}
	}

	before := len(e.events("login.succeeded"))
	factorsBefore, _ := svc.Store().FindUserFactors(t.Context(), ann.ID)
	refused := func(what string, a *passkeytest.Authenticator, state, answer []byte) {
		t.Helper()
		ctx := service.WithMeta(context.Background(), service.Meta{IP: "192.0.2.11"})
		if answer == nil {
			c, err := svc.BeginPasskeyLogin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			state = []byte(c.State)
			if answer, err = a.Assert(c.Options); err != nil {
				t.Fatal(err)
			}
		}
		l, err := svc.PasskeyLogin(ctx, string(state), answer)
		if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED && userdb.ErrorCode(err) != userdb.EINVALID {
			t.Errorf("%s: %+v %v, want it refused", what, l, err)
		}
	}

	// A replay of a good answer.
	ctx := service.WithMeta(context.Background(), service.Meta{IP: "192.0.2.12"})
	c, _ = svc.BeginPasskeyLogin(ctx)
	answer, _ = laptop.Assert(c.Options)
	if _, err := svc.PasskeyLogin(ctx, c.State, answer); err != nil {
		t.Fatal(err)
	}
	before++
	refused("the same answer again", laptop, []byte(c.State), answer)

	// Bob's key claiming to be Ann's (her handle).
	bobs.Handle = []byte(ann.ID)
	refused("another user's credential with ann's handle", bobs, nil, nil)
	bobs.Handle = []byte(bob.ID)

	wrongOrigin := *laptop
	wrongOrigin.Origin = "http://evil.example:8080"
	refused("a wrong origin", &wrongOrigin, nil, nil)
	wrongRP := *laptop
	wrongRP.RPID = "evil.example"
	refused("a wrong relying party id", &wrongRP, nil, nil)
	unknown := passkeytest.New(testOrigin, testRPID)
	unknown.Handle = []byte(ann.ID)
	refused("an unknown credential", unknown, nil, nil)
	// A state sealed for a registration does not open for a sign-in.
	reg, _ := svc.BeginPasskeyRegistration(userCtx(ann), ann)
	c, _ = svc.BeginPasskeyLogin(ctx)
	answer, _ = laptop.Assert(c.Options)
	refused("a registration's state", laptop, []byte(reg.State), answer)

	if n := len(e.events("login.succeeded")); n != before {
		t.Errorf("%d sign-ins recorded, want %d", n, before)
	}
	factorsAfter, _ := svc.Store().FindUserFactors(t.Context(), ann.ID)
	for i := range factorsAfter {
		if factorsAfter[i].Counter != factorsBefore[i].Counter && factorsAfter[i].Name != "Laptop" {
			t.Errorf("factor %s changed by refused assertions", factorsAfter[i].Name)
		}
	}
	// Every refused assertion is an event; a state that does not open is
	// refused before any assertion is looked at.
	if n := len(e.events("login.failed")); n != 5 {
		t.Errorf("%d login.failed events for 5 refused assertions", n)
	}
	// And the user's own key still works.
	if _, err := passkeyLogin(t, e, laptop); err != nil {
		t.Errorf("ann's key after the refusals: %v", err)
	}
}

// TestPasskeyAsSecondFactor: a user with a password and a passkey signs in
// with the password, then completes the second-factor stage with the
// passkey (amr pwd+hwk+mfa). Another user's key, a wrong origin and a
// replay are refused and counted toward the lockout; nothing else changes.
// A passkey without user verification, the user's only kind of factor,
// signs in alone.
func TestPasskeyAsSecondFactor(t *testing.T) {
	e := newEnv(t)
	svc := inside.Service(e.srv)
	ann := e.addUser("ann@example.com", "a long enough secret")
	bob := e.addUser("bob@example.com", "a long enough secret")
	laptop := passkeytest.New(testOrigin, testRPID)
	registerPasskey(t, e, ann, laptop, "Laptop")
	bobs := passkeytest.New(testOrigin, testRPID)
	registerPasskey(t, e, bob, bobs, "Bob's key")

	// pending signs ann in with her password from a browser of its own.
	pending := func(device string) (context.Context, *service.Pending) {
		t.Helper()
		ctx := service.WithMeta(service.WithDevice(context.Background(), device), service.Meta{IP: "192.0.2.20"})
		l, err := svc.Login(ctx, "ann@example.com", "a long enough secret")
		if err != nil || l.Pending == nil || l.Pending.Stage != userdb.PendingMFA {
			t.Fatalf("password sign-in of a passkey holder: %+v %v, want the second-factor stage", l, err)
		}
		ctx = service.WithMeta(ctx, service.Meta{IP: "192.0.2.20", Pending: l.Pending.Secret})
		p, err := svc.FindPending(ctx, userdb.PendingMFA)
		if err != nil {
			t.Fatal(err)
		}
		return ctx, p
	}
	ctx, p := pending("dev-1")
	if m, err := svc.Methods(ctx, ann); err != nil || !slices.Contains(m, service.MethodWebAuthn) {
		t.Fatalf("methods %v %v, want webauthn among them", m, err)
	}
	assert := func(a *passkeytest.Authenticator) (string, []byte) {
		t.Helper()
		c, err := svc.BeginPasskeyMFA(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		answer, err := a.Assert(c.Options)
		if err != nil {
			t.Fatal(err)
		}
		return c.State, answer
	}
	refused := func(what string, state string, answer []byte, failures int) {
		t.Helper()
		l, err := svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodWebAuthn, State: state, Answer: answer})
		if userdb.ErrorCode(err) != userdb.EUNAUTHORIZED {
			t.Fatalf("%s: %+v %v, want it refused", what, l, err)
		}
		u, _ := svc.Store().FindUserByID(context.Background(), ann.ID)
		if u.FailedLogins != failures {
			t.Errorf("%s: %d failed sign-ins counted, want %d", what, u.FailedLogins, failures)
		}
	}
	state, answer := assert(bobs)
	refused("bob's key", state, answer, 1)
	wrongOrigin := *laptop
	wrongOrigin.Origin = "http://evil.example:8080"
	state, answer = assert(&wrongOrigin)
	refused("a wrong origin", state, answer, 2)

	state, answer = assert(laptop)
	l, err := svc.VerifyMFA(ctx, p, service.MFAProof{Method: service.MethodWebAuthn, State: state, Answer: answer})
	if err != nil {
		t.Fatalf("the passkey as second factor: %v", err)
	}
	if l.Session == nil || !slices.Equal(l.Session.AMR, []string{"pwd", "hwk", "mfa"}) {
		t.Fatalf("session %+v, want amr pwd hwk mfa", l.Session)
	}
	u, _ := svc.Store().FindUserByID(context.Background(), ann.ID)
	if u.FailedLogins != 0 {
		t.Errorf("%d failures after the sign-in", u.FailedLogins)
	}

	// The same answer in a new pending sign-in: a replay.
	ctx, p = pending("dev-1")
	refused("a replayed answer", state, answer, 1)

	// A passkey without user verification is one factor; with no other
	// kind of factor to ask for, it signs in alone, as before passkeys
	// counted as second factors.
	laptop.Verified = false
	l, err = passkeyLogin(t, e, laptop)
	if err != nil || l.Session == nil || !slices.Equal(l.Session.AMR, []string{"hwk"}) {
		t.Fatalf("an unverified passkey of a passkey-only user: %+v %v, want a session with amr hwk", l, err)
	}
}

// TestPasskeyMFAOverJSON: an SPA's sign-in of a passkey holder through
// the JSON API: /login names webauthn among the methods, POST
// /login/mfa/passkey gives the ceremony, and POST /login/mfa with the
// assertion signs in; another user's key is the one 401.
func TestPasskeyMFAOverJSON(t *testing.T) {
	e, laptop, bobs := twoPasskeyHolders(t)

	spa := e.client()
	r := spa.login("ann@example.com", "correct horse battery")
	body := r.json(t)
	if r.status != 200 || body["stage"] != "mfa" || !slices.Contains(body["methods"].([]any), any("webauthn")) {
		t.Fatalf("login of a passkey holder: %d %s", r.status, r.body)
	}
	assert := func(a *passkeytest.Authenticator) map[string]any {
		t.Helper()
		state, answer := passkeyCeremony(t, spa, "/login/mfa/passkey", a)
		return map[string]any{"method": "webauthn", "state": state, "answer": answer}
	}
	if r := spa.do("POST", "/login/mfa", assert(bobs)); r.status != 401 || !strings.Contains(string(r.body), "This passkey could not be verified.") {
		t.Fatalf("bob's key for ann: %d %s", r.status, r.body)
	}
	if r := spa.do("GET", "/me", nil); r.status != 401 {
		t.Fatalf("GET /me before the second factor: %d", r.status)
	}
	if r := spa.do("POST", "/login/mfa", assert(laptop)); r.status != 200 {
		t.Fatalf("ann's passkey: %d %s", r.status, r.body)
	}
	if r := spa.do("GET", "/me", nil); r.status != 200 || !strings.Contains(string(r.body), "ann@example.com") {
		t.Fatalf("GET /me after the passkey: %d %s", r.status, r.body)
	}
}

// TestPasskeyOneFactorUnderRequiredPolicy: a passkey that did not verify
// its user is one factor: a user of a role that requires two, with only
// passkeys, is sent to enrol an authenticator app, not signed in; a
// synced passkey's answer (counter 0) replayed is refused by its used
// challenge.
func TestPasskeyOneFactorUnderRequiredPolicy(t *testing.T) {
	e := newEnv(t)
	svc := inside.Service(e.srv)
	sys := service.WithActor(context.Background(), service.SystemActor())
	role, err := svc.Store().FindRoleByName(context.Background(), userdb.DefaultAccountID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.AdminSetMFAPolicy(sys, role.ID, userdb.MFARequired); err != nil {
		t.Fatal(err)
	}
	ann := e.addUser("ann@example.com", "a long enough secret", "admin")
	key := passkeytest.New(testOrigin, testRPID)
	key.Synced = true
	registerPasskey(t, e, ann, key, "Synced")
	key.Verified = false
	l, err := passkeyLogin(t, e, key)
	if err != nil || l.Session != nil || l.Pending == nil || l.Pending.Stage != service.PendingMFAEnrol {
		t.Fatalf("an unverified passkey under a required policy: %+v %v, want the enrolment stage", l, err)
	}

	// A verified synced passkey: two factors; its answer replayed is refused.
	key.Verified = true
	ctx := service.WithMeta(context.Background(), service.Meta{IP: "192.0.2.30"})
	c, err := svc.BeginPasskeyLogin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	answer, err := key.Assert(c.Options)
	if err != nil {
		t.Fatal(err)
	}
	if l, err := svc.PasskeyLogin(ctx, c.State, answer); err != nil || l.Session == nil {
		t.Fatalf("a verified synced passkey: %+v %v", l, err)
	}
	if l, err := svc.PasskeyLogin(ctx, c.State, answer); userdb.ErrorCode(err) != userdb.EUNAUTHORIZED {
		t.Fatalf("a synced passkey's answer replayed: %+v %v, want it refused", l, err)
	}
	f, err := svc.Store().FindUserFactors(context.Background(), ann.ID)
	if err != nil || len(f) != 1 || f[0].LastUsedAt == nil {
		t.Fatalf("the synced passkey's last use is not recorded: %+v %v", f, err)
	}
}

// TestReauthWithPasskey: a user with a password and a passkey confirms it
// is them with both (POST /me/reauth/passkey, then /me/reauth), and gets a
// fresh session whose amr has mfa; a password alone is not enough.
func TestReauthWithPasskey(t *testing.T) {
	e, laptop, _ := twoPasskeyHolders(t)
	c := e.client()
	if r := c.login("ann@example.com", "correct horse battery"); r.status != 200 {
		t.Fatalf("login: %d %s", r.status, r.body)
	}
	state, answer := passkeyCeremony(t, c, "/login/mfa/passkey", laptop)
	if r := c.do("POST", "/login/mfa", map[string]any{"method": "webauthn", "state": state, "answer": answer}); r.status != 200 {
		t.Fatalf("second factor: %d %s", r.status, r.body)
	}

	if r := c.do("POST", "/me/reauth", map[string]any{"password": "correct horse battery"}); r.status != 400 {
		t.Fatalf("reauth with the password alone: %d %s, want 400 asking for the second factor", r.status, r.body)
	}
	state, answer = passkeyCeremony(t, c, "/me/reauth/passkey", laptop)
	r := c.do("POST", "/me/reauth", map[string]any{"password": "correct horse battery", "method": "webauthn", "state": state, "answer": answer})
	if r.status != 200 {
		t.Fatalf("reauth with password and passkey: %d %s", r.status, r.body)
	}
	ann, err := inside.Service(e.srv).Store().FindUserByEmail(context.Background(), "ann@example.com")
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := inside.Service(e.srv).Store().FindSessionsByUser(context.Background(), ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	fresh := false
	for _, s := range sessions {
		fresh = fresh || slices.Equal(s.AMR, []string{"pwd", "hwk", "mfa"})
	}
	if !fresh {
		t.Fatalf("no session with amr pwd hwk mfa after the reauth: %+v", sessions)
	}
}

// passkeyCeremony asks c's server for a passkey ceremony at path and
// returns its state and a's answer.
func passkeyCeremony(t *testing.T, c *client, path string, a *passkeytest.Authenticator) (any, json.RawMessage) {
	t.Helper()
	r := c.do("POST", path, nil)
	if r.status != 200 {
		t.Fatalf("passkey ceremony: %d %s", r.status, r.body)
	}
	ceremony := r.json(t)
	options, _ := json.Marshal(ceremony["publicKey"])
	answer, err := a.Assert(options)
	if err != nil {
		t.Fatal(err)
	}
	return ceremony["state"], answer
}

// twoPasskeyHolders starts a server with Ann, whose passkey is laptop,
// and Bob, whose passkey is bobs, both with a password.
func twoPasskeyHolders(t *testing.T) (e *env, laptop, bobs *passkeytest.Authenticator) {
	t.Helper()
	e = newEnv(t)
	ann := e.addUser("ann@example.com", "correct horse battery")
	bob := e.addUser("bob@example.com", "correct horse battery")
	laptop = passkeytest.New(testOrigin, testRPID)
	registerPasskey(t, e, ann, laptop, "Laptop")
	bobs = passkeytest.New(testOrigin, testRPID)
	registerPasskey(t, e, bob, bobs, "Bob's key")
	return e, laptop, bobs
}
