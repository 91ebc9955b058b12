package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var txTests = []test{
	{"Ping", testPing},
	{"RollbackOnError", testTxRollback},
	{"Commit", testTxCommit},
	{"Nested", testTxNested},
}

// errRollback is what the suite's transactions return to roll back.
var errRollback = errors.New("storetest: roll back")

func testPing(t *testing.T, s userdb.Store) {
	must(t, s.Ping(t.Context()))
}

// writeUser creates u through tx together with a role membership, a session,
// an event and an email about it, and checks that tx reads its own writes.
func writeUser(t *testing.T, ctx context.Context, tx userdb.Store, u *userdb.User) error {
	t.Helper()
	fillUser(u)
	if err := tx.CreateUser(ctx, u); err != nil {
		return err
	}
	admin, err := tx.FindRoleByName(ctx, userdb.DefaultAccountID, userdb.RoleAdmin)
	if err != nil {
		return err
	}
	if err := tx.AddUserRole(ctx, u.ID, admin.ID); err != nil {
		return err
	}
	_, hash := userdb.NewSecret()
	ses := &userdb.Session{ID: userdb.NewID("ses"), TokenHash: hash, UserID: u.ID, CreatedAt: base, LastSeenAt: base, ExpiresAt: at(time.Hour)}
	if err := tx.CreateSession(ctx, ses); err != nil {
		return err
	}
	if err := tx.CreateEvent(ctx, &userdb.Event{Type: "user.created", Time: base, UserID: u.ID}); err != nil {
		return err
	}
	m := &userdb.OutboxEmail{To: u.Email, Subject: "Welcome", Text: "Hi", Kind: "account-welcome", UserID: u.ID, CreatedAt: base, NextAttemptAt: base}
	if err := tx.EnqueueEmail(ctx, m); err != nil {
		return err
	}
	got, err := tx.FindUserByID(ctx, u.ID)
	if err != nil {
		t.Errorf("reading a user created in the same transaction: %v", err)
		return err
	}
	wantSet(t, "roles read in the transaction", got.Roles, []string{userdb.RoleAdmin})
	return nil
}

// wantWritten checks whether writeUser's writes for u are all there or all
// gone.
func wantWritten(t *testing.T, s userdb.Store, u *userdb.User, written bool) {
	t.Helper()
	ctx := t.Context()
	_, err := s.FindUserByID(ctx, u.ID)
	if written {
		must(t, err)
	} else {
		wantCode(t, "FindUserByID", err, userdb.ENOTFOUND)
	}
	want := 0
	if written {
		want = 1
	}
	n, err := s.CountUsers(ctx, userdb.UserFilter{Query: u.Username, Role: userdb.RoleAdmin}, 0)
	must(t, err)
	wantEqual(t, "admins named "+u.Username, n, want)
	sessions, err := s.FindSessionsByUser(ctx, u.ID)
	must(t, err)
	wantEqual(t, "sessions of "+u.Username, len(sessions), want)
	events, err := s.FindEvents(ctx, userdb.EventFilter{UserID: u.ID})
	must(t, err)
	wantEqual(t, "events of "+u.Username, len(events), want)
	emails, err := s.FindEmails(ctx, 100)
	must(t, err)
	found := 0
	for _, m := range emails {
		if m.UserID == u.ID {
			found++
		}
	}
	wantEqual(t, "emails to "+u.Username, found, want)
}

func testTxRollback(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := &userdb.User{Username: "ghost"}
	err := s.Tx(ctx, func(tx userdb.Store) error {
		if err := writeUser(t, ctx, tx, u); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx returned %v, want the error fn returned", err)
	}
	wantWritten(t, s, u, false)

	// The store is usable after a rollback and the names are free.
	MustCreateUser(t, s, userdb.User{Username: "ghost"})
}

func testTxCommit(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := &userdb.User{Username: "kept"}
	must(t, s.Tx(ctx, func(tx userdb.Store) error { return writeUser(t, ctx, tx, u) }))
	wantWritten(t, s, u, true)

	// A failed write inside fn, returned as fn's error, rolls back the rest.
	v := &userdb.User{Username: "partial"}
	err := s.Tx(ctx, func(tx userdb.Store) error {
		if err := writeUser(t, ctx, tx, v); err != nil {
			return err
		}
		dup := &userdb.User{Username: "kept"}
		fillUser(dup)
		return tx.CreateUser(ctx, dup)
	})
	wantCode(t, "Tx with a conflicting write", err, userdb.ECONFLICT)
	wantWritten(t, s, v, false)
}

func testTxNested(t *testing.T, s userdb.Store) {
	// A store that opened a second transaction for the inner Tx could wait
	// forever for itself; the timeout turns that into a failure.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	outer, inner := &userdb.User{Username: "outer"}, &userdb.User{Username: "inner"}
	err := s.Tx(ctx, func(tx userdb.Store) error {
		if err := writeUser(t, ctx, tx, outer); err != nil {
			return err
		}
		if err := tx.Tx(ctx, func(tx userdb.Store) error {
			if _, err := tx.FindUserByID(ctx, outer.ID); err != nil {
				t.Errorf("inner Tx cannot read the outer one's writes: %v", err)
			}
			return writeUser(t, ctx, tx, inner)
		}); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Tx returned %v, want the error fn returned", err)
	}
	wantWritten(t, s, outer, false)
	wantWritten(t, s, inner, false)

	outer, inner = &userdb.User{Username: "outer2"}, &userdb.User{Username: "inner2"}
	must(t, s.Tx(ctx, func(tx userdb.Store) error {
		if err := writeUser(t, ctx, tx, outer); err != nil {
			return err
		}
		return tx.Tx(ctx, func(tx userdb.Store) error { return writeUser(t, ctx, tx, inner) })
	}))
	wantWritten(t, s, outer, true)
	wantWritten(t, s, inner, true)
}
