package api

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/userdb/userdb"
)

// wantSameJSON fails unless appendJSON writes exactly what encoding/json
// writes for v.
func wantSameJSON(t *testing.T, v *UserView) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("encoding/json: %v", err)
	}
	got, ok := v.appendJSON(nil)
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("appendJSON (ok %v):\n%s\nencoding/json:\n%s", ok, got, want)
	}
}

func TestUserViewJSONIsEncodingJSON(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	created := time.Date(2026, 3, 1, 12, 0, 0, 123456789, time.UTC)
	changed := created.Add(time.Hour)
	u := &userdb.User{
		ID: "usr_1", AccountID: "acc_default", Username: "ann", Email: "ann@example.com",
		GivenName: "Ann", Surname: "Lee", FullName: "Ann Lee", Status: userdb.StatusEnabled,
		EmailVerifiedAt: &created, PasswordChangedAt: &changed, LastLoginAt: &changed,
		CreatedAt: created, UpdatedAt: changed, Roles: []string{"admin", "editor"},
		CustomData: map[string]any{"team": "blue", "n": 3.5, "tags": []any{"a", "<b>"}, "nested": map[string]any{"z": nil, "a": true}},
	}
	roles := []*userdb.Role{
		{ID: "rol_1", AccountID: "acc_default", Name: "admin", Description: "Administers the default account.", Status: userdb.StatusEnabled},
		{ID: "rol_2", AccountID: "acc_default", Name: "editor", Status: "", CustomData: map[string]any{"scope": "all"}},
	}
	acc := &userdb.Account{ID: "acc_default", Name: "de<fault>", Description: "The \u2028 default", Status: userdb.StatusEnabled,
		CustomData: map[string]any{"plan": "gold"}, CreatedAt: created, UpdatedAt: changed}
	for name, v := range map[string]*UserView{
		"plain":               NewUserView(u, acc, roles, false),
		"password expired":    NewUserView(u, acc, roles, true),
		"no roles":            NewUserView(&userdb.User{ID: "usr_2", CreatedAt: created, UpdatedAt: created}, nil, nil, false),
		"stormpath":           Stormpath("https://api.example/accounts", "https://api.example/groups")(NewUserView(u, acc, roles, false)).(*UserView),
		"zero times and nils": {ID: "usr_3"},
		"zone and nanoseconds": {ID: "usr_4", CreatedAt: time.Date(2026, 7, 1, 9, 30, 0, 1, paris),
			ModifiedAt: time.Date(1, 1, 1, 0, 0, 0, 0, time.FixedZone("odd", -(23*3600+59*60)))},
		"text to escape": {ID: "usr_5", Username: "\"quoted\" \\ back", Email: "<script>&amp;</script>",
			GivenName: "tab\tnew\nline\rcr\bbs\fff\x00nul\x1fus\x7fdel", MiddleName: "\u2028\u2029 separators",
			Surname: "bad \xff\xfe utf-8 \xe2\x82", FullName: "Zoë 日本 😀", Href: "h&h",
			Roles: []RoleView{{ID: "r", Name: "<admin>", Description: "\u00e9\u2028"}}, Groups: &GroupsView{Href: "g>"}},
	} {
		t.Run(name, func(t *testing.T) { wantSameJSON(t, v) })
	}
}

// TestUserViewJSONRefuses: what encoding/json cannot encode is left to it,
// so that it answers as it always did.
func TestUserViewJSONRefuses(t *testing.T) {
	for name, v := range map[string]*UserView{
		"year 10000":          {CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"negative year":       {ModifiedAt: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)},
		"NaN custom data":     {CustomData: map[string]any{"x": math.NaN()}},
		"role custom data":    {Roles: []RoleView{{CustomData: map[string]any{"f": func() {}}}}},
		"account custom data": {Accounts: []AccountRef{{CustomData: map[string]any{"c": make(chan int)}}}},
	} {
		if _, err := json.Marshal(v); err == nil {
			t.Fatalf("%s: encoding/json encodes it", name)
		}
		if _, ok := v.appendJSON(nil); ok {
			t.Errorf("%s: appendJSON encodes what encoding/json refuses", name)
		}
	}
}

func FuzzUserViewJSON(f *testing.F) {
	for _, s := range []string{"", "ann", "\"\\<>&", "\x00\x1f\x7f", "\u2028", "\xff", "é日😀", "\xe2\x80"} {
		f.Add(s, s+"x", int64(1700000000), 3)
	}
	f.Fuzz(func(t *testing.T, a, b string, unix int64, nanos int) {
		ts := time.Unix(unix%(250000*365*24*3600), int64(nanos)).UTC()
		v := &UserView{Href: a, ID: b, Email: a + b, GivenName: b, Status: userdb.Status(a),
			CustomData: map[string]any{a: b}, CreatedAt: ts, ModifiedAt: ts.In(time.FixedZone(b, nanos%(23*3600))),
			Roles: []RoleView{{Href: b, Name: a, Description: a + b}}, Accounts: []AccountRef{{ID: a, Name: b, CreatedDate: unix}}}
		want, err := json.Marshal(v)
		got, ok := v.appendJSON(nil)
		if (err == nil) != ok {
			t.Fatalf("encoding/json err %v, appendJSON ok %v", err, ok)
		}
		if ok && !bytes.Equal(got, want) {
			t.Fatalf("appendJSON:\n%s\nencoding/json:\n%s", got, want)
		}
	})
}
