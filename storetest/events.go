package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var eventTests = []test{
	{"IncreasingIDs", testEventIDs},
	{"FindEvents", testFindEvents},
	{"RoundTrip", testEventRoundTrip},
}

func eventIDs(events []*userdb.Event) []int64 {
	var ids []int64
	for _, e := range events {
		ids = append(ids, e.ID)
	}
	return ids
}

func testEventIDs(t *testing.T, s userdb.Store) {
	var last int64
	for i := range 5 {
		e := MustCreateEvent(t, s, userdb.Event{Type: "test.event", Time: at(time.Duration(i) * time.Minute)})
		if e.ID <= last {
			t.Errorf("event %d has ID %d, not above the previous %d", i, e.ID, last)
		}
		last = e.ID
	}
}

func testFindEvents(t *testing.T, s userdb.Store) {
	a := MustCreateAccount(t, s, "account-a")
	b := MustCreateAccount(t, s, "account-b")
	u1 := MustCreateUser(t, s, userdb.User{AccountID: a.ID, Username: "u1"})
	u2 := MustCreateUser(t, s, userdb.User{AccountID: a.ID, Username: "u2"})
	u3 := MustCreateUser(t, s, userdb.User{AccountID: b.ID, Username: "u3"})
	ev := func(typ string, u *userdb.User, accountID string, minute int) int64 {
		e := userdb.Event{Type: typ, AccountID: accountID, Time: at(time.Duration(minute) * time.Minute)}
		if u != nil {
			e.UserID = u.ID
		}
		return MustCreateEvent(t, s, e).ID
	}
	e1 := ev("user.created", u1, a.ID, 1)
	e2 := ev("user.login", u1, a.ID, 2)
	e3 := ev("user.login_failed", u2, a.ID, 3)
	e4 := ev("account.created", nil, b.ID, 4)
	e5 := ev("user.login", u3, b.ID, 5)
	e6 := ev("session.ended", u1, a.ID, 6)
	e7 := ev("users.imported", nil, "", 7)

	tests := []struct {
		name string
		f    userdb.EventFilter
		want []int64
	}{
		{"all newest first", userdb.EventFilter{}, []int64{e7, e6, e5, e4, e3, e2, e1}},
		{"user", userdb.EventFilter{UserID: u1.ID}, []int64{e6, e2, e1}},
		{"account", userdb.EventFilter{AccountID: a.ID}, []int64{e6, e3, e2, e1}},
		{"exact type", userdb.EventFilter{Type: "user.login"}, []int64{e5, e2}},
		{"exact type with underscore", userdb.EventFilter{Type: "user.login_failed"}, []int64{e3}},
		{"type prefix", userdb.EventFilter{Type: "user."}, []int64{e5, e3, e2, e1}},
		{"type prefix of nothing", userdb.EventFilter{Type: "role."}, nil},
		{"user and type prefix", userdb.EventFilter{UserID: u1.ID, Type: "user."}, []int64{e2, e1}},
		{"since", userdb.EventFilter{Since: ptr(at(330 * time.Second))}, []int64{e7, e6}},
		{"until", userdb.EventFilter{Until: ptr(at(150 * time.Second))}, []int64{e2, e1}},
		{"time range", userdb.EventFilter{Since: ptr(at(150 * time.Second)), Until: ptr(at(330 * time.Second))}, []int64{e5, e4, e3}},
		{"before id", userdb.EventFilter{BeforeID: e5}, []int64{e4, e3, e2, e1}},
		{"before id and limit", userdb.EventFilter{BeforeID: e5, Limit: 2}, []int64{e4, e3}},
		{"limit", userdb.EventFilter{Limit: 3}, []int64{e7, e6, e5}},
		{"account and limit", userdb.EventFilter{AccountID: a.ID, Limit: 1}, []int64{e6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.FindEvents(t.Context(), tt.f)
			must(t, err)
			wantSeq(t, "event IDs", eventIDs(got), tt.want)
		})
	}
}

func testEventRoundTrip(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	u := MustCreateUser(t, s, userdb.User{Username: "someone"})
	details := map[string]any{
		"reason":  "bad password",
		"attempt": float64(3),
		"ok":      false,
		"nested":  map[string]any{"list": []any{"a", float64(1), nil}, "name": "Zoë 日本"},
	}
	e := MustCreateEvent(t, s, userdb.Event{
		Type:      "user.login_failed",
		Time:      at(time.Hour),
		ActorID:   u.ID,
		UserID:    u.ID,
		AccountID: userdb.DefaultAccountID,
		IP:        "198.51.100.7",
		UserAgent: "curl/8.0",
		Details:   details,
	})
	plain := MustCreateEvent(t, s, userdb.Event{Type: "system.started", Time: at(2 * time.Hour)})

	got, err := s.FindEvents(ctx, userdb.EventFilter{})
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("found %d events, want 2", len(got))
	}
	wantEqual(t, "ID", got[1].ID, e.ID)
	wantEqual(t, "Type", got[1].Type, e.Type)
	wantTime(t, "Time", got[1].Time, e.Time)
	wantEqual(t, "ActorID", got[1].ActorID, e.ActorID)
	wantEqual(t, "UserID", got[1].UserID, e.UserID)
	wantEqual(t, "AccountID", got[1].AccountID, e.AccountID)
	wantEqual(t, "IP", got[1].IP, e.IP)
	wantEqual(t, "UserAgent", got[1].UserAgent, e.UserAgent)
	wantData(t, "Details", got[1].Details, details)

	wantEqual(t, "system event ID", got[0].ID, plain.ID)
	wantEqual(t, "system event UserID", got[0].UserID, "")
	wantEqual(t, "system event AccountID", got[0].AccountID, "")
	wantData(t, "system event Details", got[0].Details, nil)
}
