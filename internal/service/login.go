package service

import (
	"context"
	"strings"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/limit"
)

// errBadLogin is the one answer to every failed sign-in — unknown user, wrong
// password, locked, disabled or pending — so nobody can tell which it was.
var errBadLogin = userdb.Errorf(userdb.EUNAUTHORIZED, "Invalid username or password.")

// MaxPasswordBytes bounds what is ever handed to the hasher.
const MaxPasswordBytes = 1024

// Login is the result of a successful sign-in: what its answer needs.
type Login struct {
	User    *userdb.User
	Session *userdb.Session
	// Secret goes into the session cookie; only its hash is stored.
	Secret string
	// Roles are the user's roles with their details, in the order of
	// User.Roles, read in the sign-in's transaction.
	Roles []*userdb.Role
	// PasswordExpired tells the client to send the user to change it.
	PasswordExpired bool
	// AMR says how the user authenticated (RFC 8176), as the session
	// records it: "pwd" for a password, "fed" through an upstream provider.
	AMR []string
	// Pending, when not nil, is a sign-in that is not complete: Session is
	// nil, and the client must complete Pending.Stage (pending.go).
	Pending *Pending
	// RememberSecret, when set, goes into the remembered-device cookie
	// (the user asked to skip the second factor on this browser).
	RememberSecret string

	// ended is the user whose session the request carried and the
	// sign-in ended ("" for none): its cached sessions are forgotten once
	// the transaction has committed.
	ended string
}

// Login signs a user in by username or email and password, in one call: it
// verifies the password (a dummy hash for unknown users, so that every
// failure is the same EUNAUTHORIZED error at the same cost), counts a
// failure and locks the user at the threshold, and on success, in one
// transaction, records the sign-in, starts a session, ends the session the
// request carried (Meta.Session) and reads the user's roles.
func (s *Service) Login(ctx context.Context, login, password string) (*Login, error) {
	login = strings.TrimSpace(login)
	if login == "" || password == "" {
		return nil, userdb.Errorf(userdb.EINVALID, "Username (or email) and password are required.")
	}
	if len(password) > MaxPasswordBytes {
		return nil, userdb.FieldError("password", "Password must be at most %d bytes.", MaxPasswordBytes)
	}
	if err := s.loginAllowed(ctx, login); err != nil {
		return nil, err // refused before any hash is computed
	}
	if len(login) > userdb.MaxEmailLen {
		s.hasher.DummyVerify(ctx, password)
		s.loginFailed(ctx)
		return nil, errBadLogin
	}
	u, err := s.store.FindUserByLogin(ctx, login)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		s.hasher.DummyVerify(ctx, password)
		s.loginFailed(ctx)
		s.failUnknownLogin(ctx)
		return nil, errBadLogin
	} else if err != nil {
		return nil, err
	}
	if u, err = s.autoUnlock(ctx, u); err != nil {
		return nil, err
	}
	// Smart lockout: a browser the user signed in from before is neither
	// held by the lock nor counted toward it; its failures have a limit of
	// their own, so an attacker elsewhere cannot lock the owner out.
	known := s.knownDevice(ctx, u)
	if known {
		if err := s.limits.Check(ctx, limit.KnownDeviceFailures, deviceKey(ctx, u)); err != nil {
			return nil, err
		}
	}

	var ok, rehash bool
	if u.PasswordHash == "" {
		s.hasher.DummyVerify(ctx, password)
	} else if ok, rehash, err = s.hasher.Verify(ctx, password, u.PasswordHash); err != nil && !userdb.IsCode(err, userdb.EINTERNAL) {
		return nil, err // busy: the pool's queue is full
	} else if err != nil {
		s.log.Error("stored password hash unusable", "user", u.ID, "err", err)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, ctxErr // the caller went away: not a failed attempt
	}
	if !ok {
		s.loginFailed(ctx)
		if known {
			return nil, s.knownDeviceFailure(ctx, u)
		}
		return nil, s.failLogin(ctx, u)
	}
	if u.Status != userdb.StatusEnabled && (!known || u.Status != userdb.StatusLocked) {
		s.recordRefusal(ctx, "login.failed", u, map[string]any{"reason": strings.ToLower(string(u.Status))})
		return nil, s.refusedLogin(u) // the password was right: say what to do
	}
	acc, err := s.store.FindAccountByID(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	if acc.Status != userdb.StatusEnabled {
		s.recordRefusal(ctx, "login.failed", u, map[string]any{"reason": "account_disabled"})
		return nil, errAccountDisabled
	}
	if err := s.refuseIfConnectorRequired(ctx, u); err != nil {
		return nil, err
	}
	if s.temporaryExpired(u) {
		s.recordRefusal(ctx, "login.failed", u, map[string]any{"reason": "temporary_password_expired"})
		return nil, errTemporaryExpired // the password was right: say what to do
	}

	// A sign-in is not an edit: it keeps the version an administrator's
	// form was read at.
	// (The lock stays while it lasts: the owner's sign-in from a known
	// device does not reopen the door to the guesses that caused it.)
	up := userdb.UserUpdate{LastLoginAt: ptr(s.clock.Now()), ResetFailedLogins: u.Status == userdb.StatusEnabled, KeepVersion: true}
	if rehash {
		// Legacy or outdated hashes are upgraded while the plain password is at hand.
		h, err := s.hasher.Hash(ctx, password)
		if err != nil {
			return nil, err
		}
		up.PasswordHash = &h
	}
	details := map[string]any{}
	markWeak(&up, details, s.weakAtSignIn(ctx, u, password))
	stage, err := s.loginStage(ctx, u)
	if err != nil {
		return nil, err
	}
	if stage == "" && (s.PasswordExpired(u) || up.PasswordMustChange != nil) {
		// An expired, temporary or common password proves who the user is
		// but opens nothing except its own change (ASVS 2.1.6, 2.3.1): no
		// session until a new one is set. After a second factor, the same
		// stage follows (CompletePending).
		stage = userdb.PendingPasswordChange
	}
	if stage != "" {
		// Not signed in yet: the failure count and the last sign-in stay
		// as they are until the stage is complete, so a right password
		// does not clear the count of wrong second factors.
		return s.pendingLogin(ctx, u, stage, amrPassword, userdb.UserUpdate{
			PasswordHash: up.PasswordHash, PasswordMustChange: up.PasswordMustChange, KeepVersion: true}, details)
	}
	if rehash {
		details["rehashed"] = true
	}
	return s.finishLogin(ctx, u, up, amrPassword, details, nil)
}

// finishLogin completes a sign-in of u in one transaction: first (when not
// nil) runs in it, then u is updated by up, a session with amr starts, the
// device is remembered, login.succeeded is recorded with details and the
// user's roles are read.
func (s *Service) finishLogin(ctx context.Context, u *userdb.User, up userdb.UserUpdate, amr []string, details map[string]any, first func(tx userdb.Store) error) (*Login, error) {
	var res *Login
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if first != nil {
			if err := first(tx); err != nil {
				return err
			}
		}
		u2, err := tx.UpdateUser(ctx, u.ID, up, s.clock.Now())
		if err != nil {
			return err
		}
		res, err = s.startSession(ctx, tx, u2, amr)
		if err != nil {
			return err
		}
		if err := s.rememberDevice(ctx, tx, u2, u.LastLoginAt != nil); err != nil {
			return err
		}
		details["session"] = res.Session.ID
		if len(amr) > 0 && (len(amr) > 1 || amr[0] != "pwd") {
			details["amr"] = amr
		}
		if err := s.record(ctx, tx, "login.succeeded", u2, details); err != nil {
			return err
		}
		res.Roles, err = heldRoles(ctx, tx, u2)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.sessions.forgetUser(u.ID) // the cached copy has stale login times
	s.started(res)
	res.PasswordExpired = s.PasswordExpired(res.User)
	return res, nil
}

// heldRoles returns the roles u has, with their details, in the order of
// u.Roles, read through st.
func heldRoles(ctx context.Context, st userdb.Store, u *userdb.User) ([]*userdb.Role, error) {
	if len(u.Roles) == 0 {
		return nil, nil
	}
	all, err := st.FindRoles(ctx, u.AccountID)
	if err != nil {
		return nil, err
	}
	return pickRoles(all, u.Roles), nil
}

// pickRoles returns the roles of list named in names, in the order of names.
func pickRoles(list []*userdb.Role, names []string) []*userdb.Role {
	out := make([]*userdb.Role, 0, len(names))
	for _, name := range names {
		for _, r := range list {
			if r.Name == name {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// failLogin counts a failed attempt atomically and locks the user at the
// threshold (an admin's status such as DISABLED is left alone).
func (s *Service) failLogin(ctx context.Context, u *userdb.User) error {
	if err := s.countFailure(ctx, u, "login.failed", "bad_password"); err != nil {
		return err
	}
	return errBadLogin
}

// countFailure counts a wrong password of u toward the lockout, atomically,
// and records it as an event of typ.
func (s *Service) countFailure(ctx context.Context, u *userdb.User, typ, reason string) error {
	var locked bool
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		count, lk, err := tx.RecordFailedLogin(ctx, u.ID, s.clock.Now(), s.opts.LockAfter)
		if err != nil {
			return err
		}
		locked = lk
		if err := s.record(ctx, tx, typ, u, map[string]any{"reason": reason, "failures": count}); err != nil {
			return err
		}
		if lk {
			return s.record(ctx, tx, "user.locked", u, map[string]any{"failures": count})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if locked {
		s.sessions.forgetUser(u.ID)
	}
	return nil
}

// failUnknownLogin records a failed sign-in of an unknown user through the
// same transaction and statements as failLogin (the counter's lookup finds
// no row), so that the two cost the same time.
func (s *Service) failUnknownLogin(ctx context.Context) {
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if _, _, err := tx.RecordFailedLogin(ctx, unknownUserID, s.clock.Now(), s.opts.LockAfter); !userdb.IsCode(err, userdb.ENOTFOUND) {
			return err
		}
		return s.record(ctx, tx, "login.failed", nil, map[string]any{"reason": "unknown_user", "failures": 0})
	})
	if err != nil {
		s.log.Warn("recording a failed sign-in", "err", err)
	}
}

// unknownUserID is an id no user has (NewID ids are 20 characters).
const unknownUserID = "usr_none"

// autoUnlock unlocks a user whose lock has outlived UnlockAfter, at the next
// attempt (the original's reenableLockedAccountsAfterSeconds).
func (s *Service) autoUnlock(ctx context.Context, u *userdb.User) (*userdb.User, error) {
	if u.Status != userdb.StatusLocked || s.opts.UnlockAfter <= 0 || u.LockedAt == nil {
		return u, nil
	}
	if s.clock.Now().Before(u.LockedAt.Add(s.opts.UnlockAfter)) {
		return u, nil
	}
	err := s.unlock(ctx, u, "auto")
	if err != nil && !userdb.IsCode(err, userdb.ECONFLICT) {
		return nil, err // ECONFLICT: someone else unlocked it just now
	}
	return s.store.FindUserByID(ctx, u.ID)
}

func (s *Service) unlock(ctx context.Context, u *userdb.User, how string) error {
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.UnlockUser(ctx, u.ID, s.clock.Now()); err != nil {
			return err
		}
		return s.record(ctx, tx, "user.unlocked", u, map[string]any{"by": how})
	})
	if err == nil {
		s.sessions.forgetUser(u.ID)
	}
	return err
}

// startSession creates a session for u through st, and ends the session
// the request carried (Meta.Session), whoever it belonged to: every
// sign-in gets a new session id, so a session planted in the browser
// before it does not survive it. Call started once st has committed.
func (s *Service) startSession(ctx context.Context, st userdb.Store, u *userdb.User, amr []string) (*Login, error) {
	ended, err := s.endCarriedSession(ctx, st)
	if err != nil {
		return nil, err
	}
	secret, hash := userdb.NewSecret()
	now := s.clock.Now()
	m := MetaFrom(ctx)
	sess := &userdb.Session{
		ID: userdb.NewID("ses"), TokenHash: hash, UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(s.opts.SessionLifetime),
		IP: m.IP, UserAgent: truncate(m.UserAgent, 512),
		AMR: amr,
	}
	if m.Remember && s.opts.RememberLifetime > 0 {
		// "Keep me signed in", as Keycloak's remember-me: a lifetime of its
		// own, and no idle timeout shorter than it.
		// (Never shorter than a plain session's.)
		sess.ExpiresAt, sess.Remembered = now.Add(max(s.opts.RememberLifetime, s.opts.SessionLifetime)), true
	}
	if err := st.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return &Login{User: u, Session: sess, Secret: secret, AMR: amr, ended: ended}, nil
}

// endCarriedSession ends, through st, the session whose cookie the request
// carried, recording its end as a logout of its user, and returns that
// user's id ("" when the cookie named no session).
func (s *Service) endCarriedSession(ctx context.Context, st userdb.Store) (string, error) {
	secret := MetaFrom(ctx).Session
	if secret == "" || len(secret) > maxSecretLen {
		return "", nil
	}
	old, err := st.FindSessionByTokenHash(ctx, userdb.HashSecret(secret))
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if err := st.DeleteSession(ctx, old.ID); userdb.IsCode(err, userdb.ENOTFOUND) {
		return "", nil // ended meanwhile
	} else if err != nil {
		return "", err
	}
	owner, err := st.FindUserByID(ctx, old.UserID)
	if err != nil {
		return "", err
	}
	return owner.ID, s.record(ctx, st, "logout", owner, map[string]any{"session": old.ID})
}

// started forgets the cached sessions of the user whose session a sign-in
// ended, once the sign-in has committed.
func (s *Service) started(l *Login) {
	if l != nil && l.ended != "" {
		s.sessions.forgetUser(l.ended)
	}
}

// How a session's user authenticated (RFC 8176), recorded on the session
// for ID tokens and step-up checks.
var (
	amrPassword  = []string{"pwd"}
	amrFederated = []string{"fed"}
	amrEmail     = []string{"email"}
)

// PasswordExpired reports whether u must change its password before going on.
func (s *Service) PasswordExpired(u *userdb.User) bool {
	if u.PasswordMustChange {
		return true
	}
	if s.opts.PasswordMaxAge <= 0 || u.PasswordHash == "" {
		return false
	}
	changed := u.CreatedAt
	if u.PasswordChangedAt != nil {
		changed = *u.PasswordChangedAt
	}
	return !s.clock.Now().Before(changed.Add(s.opts.PasswordMaxAge))
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, u *userdb.User, sess *userdb.Session) error {
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteSession(ctx, sess.ID); err != nil {
			return err
		}
		return s.record(ctx, tx, "logout", u, map[string]any{"session": sess.ID})
	})
	s.sessions.forgetUser(u.ID)
	if userdb.IsCode(err, userdb.ENOTFOUND) {
		return nil // already gone: logging out twice is fine
	}
	return err
}

// Sessions lists a user's sessions, newest first.
func (s *Service) Sessions(ctx context.Context, userID string) ([]*userdb.Session, error) {
	list, err := s.store.FindSessionsByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	// Show last-seen times that are still waiting in the batch.
	s.sessions.seenMu.Lock()
	for _, x := range list {
		if t, ok := s.sessions.seen[x.ID]; ok && t.After(x.LastSeenAt) {
			x.LastSeenAt = t
		}
	}
	s.sessions.seenMu.Unlock()
	return list, nil
}

// EndSession ends one of u's sessions by its public id. Another user's
// session is reported as not found.
func (s *Service) EndSession(ctx context.Context, u *userdb.User, id string) error {
	sess, err := s.store.FindSessionByID(ctx, id)
	if err != nil {
		return err
	}
	if sess.UserID != u.ID {
		return userdb.Errorf(userdb.ENOTFOUND, "No such session.")
	}
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.DeleteSession(ctx, id); err != nil {
			return err
		}
		return s.record(ctx, tx, "session.ended", u, map[string]any{"session": id})
	})
	s.sessions.forgetUser(u.ID)
	return err
}

// EndOtherSessions ends all of u's sessions but exceptID ("" ends all) and
// returns how many ended.
func (s *Service) EndOtherSessions(ctx context.Context, u *userdb.User, exceptID string) (int, error) {
	if err := s.Reauth(ctx); err != nil { // mfa.go
		return 0, err
	}
	var n int
	err := s.store.Tx(ctx, func(tx userdb.Store) error {
		ended, err := s.endSessions(ctx, tx, u, exceptID, "sign_out_everywhere")
		n = ended
		return err
	})
	if err == nil {
		// Again after the commit: the other nodes, told inside the
		// transaction, could have read the sessions and the revocations
		// before it committed.
		s.sessions.forgetUser(u.ID)
	}
	return n, err
}

// endSessions ends u's sessions but exceptID through st and records it.
func (s *Service) endSessions(ctx context.Context, st userdb.Store, u *userdb.User, exceptID, reason string) (int, error) {
	ended, err := st.DeleteUserSessions(ctx, u.ID, exceptID)
	if err != nil {
		return 0, err
	}
	s.sessions.forgetUser(u.ID)
	if s.revoke != nil {
		if err := s.revoke(ctx, st, u.ID); err != nil {
			return 0, err
		}
	}
	if len(ended) == 0 {
		return 0, nil
	}
	ids := make([]string, len(ended))
	for i, x := range ended {
		ids[i] = x.ID
	}
	return len(ended), s.record(ctx, st, "session.ended", u, map[string]any{"sessions": ids, "reason": reason})
}

// unlockExpiredLocks unlocks every user locked for longer than UnlockAfter
// (or every locked user when all is set) and returns how many it unlocked.
func (s *Service) unlockExpiredLocks(ctx context.Context, all bool) (int, error) {
	until := s.clock.Now().Add(-s.opts.UnlockAfter)
	if all {
		until = s.clock.Now().Add(time.Hour * 24 * 365 * 100)
	}
	ids, err := s.store.FindLockedUsers(ctx, until)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		u, err := s.store.FindUserByID(ctx, id)
		if userdb.IsCode(err, userdb.ENOTFOUND) {
			continue
		} else if err != nil {
			return n, err
		}
		err = s.unlock(ctx, u, "unlock-all")
		if err == nil {
			n++
		} else if !userdb.IsCode(err, userdb.ECONFLICT) {
			return n, err
		}
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
