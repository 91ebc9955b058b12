package profile_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/profile"
)

// schema declares one attribute of each type, one required, and one that
// users may edit.
func schema() *profile.Schema {
	return &profile.Schema{Attributes: []profile.Attribute{
		{Name: "nickname", Type: profile.String, MaxLength: 5, EditableBy: profile.EditableByUser},
		{Name: "age", Type: profile.Integer},
		{Name: "height", Type: profile.Number},
		{Name: "newsletter", Type: profile.Boolean},
		{Name: "birthdate", Type: profile.Date},
		{Name: "backup", Type: profile.Email},
		{Name: "homepage", Type: profile.URL},
		{Name: "color", Type: profile.Enum, Values: []string{"red", "green"}, MaxLength: 5},
		{Name: "employeeId", Type: profile.String, Required: true},
	}}
}

// check runs Check as an administrator setting one key (with employeeId set,
// as it is required).
func check(s *profile.Schema, key string, v any) error {
	data := map[string]any{"employeeId": "E1", key: v}
	return s.Check(data, []string{key}, false)
}

// fieldOf returns the field and code of an *userdb.Error.
func fieldOf(t *testing.T, err error) (string, string) {
	t.Helper()
	var e *userdb.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *userdb.Error", err)
	}
	return e.Field, e.Code
}

func TestCheckEachType(t *testing.T) {
	s := schema()
	cases := []struct {
		key  string
		good []any
		bad  []any
		msg  string
	}{
		{"nickname", []any{"", "Ann", "Zoë🙂!"}, []any{5.0, true, []any{"a"}, map[string]any{}}, "nickname must be text."},
		{"age", []any{0.0, 42.0, -7.0, float64(1 << 53)}, []any{"42", 4.5, float64(1<<53) * 4, true}, ""},
		{"height", []any{1.85, -0.5, 0.0, 1e300}, []any{"1.85", math.NaN(), math.Inf(1), math.Inf(-1), false}, "height must be a number."},
		{"newsletter", []any{true, false}, []any{"true", 1.0, "yes"}, "newsletter must be true or false."},
		{"birthdate", []any{"1990-01-31", "2000-02-29"}, []any{"31/01/1990", "1990-02-30", "1990-1-31", "1990-01-31T00:00:00Z", 19900131.0}, ""},
		{"backup", []any{"ann@example.com"}, []any{"ann", "ann@", "@example.com", 1.0}, ""},
		{"homepage", []any{"https://example.com/ann", "http://example.com"}, []any{"example.com", "ftp://example.com", "javascript:alert(1)", "https://", 1.0}, ""},
		{"color", []any{"red", "green"}, []any{"Red", "blue", "", 1.0}, ""},
	}
	for _, tc := range cases {
		for _, v := range tc.good {
			if err := check(s, tc.key, v); err != nil {
				t.Errorf("%s = %#v: %v", tc.key, v, err)
			}
		}
		for _, v := range tc.bad {
			err := check(s, tc.key, v)
			if err == nil {
				t.Errorf("%s = %#v accepted", tc.key, v)
				continue
			}
			field, code := fieldOf(t, err)
			if field != "customData."+tc.key || code != userdb.EINVALID {
				t.Errorf("%s = %#v: field %q code %q, want customData.%s invalid", tc.key, v, field, code, tc.key)
			}
			if tc.msg != "" && userdb.ErrorMessage(err) != tc.msg {
				t.Errorf("%s = %#v: message %q, want %q", tc.key, v, userdb.ErrorMessage(err), tc.msg)
			}
		}
	}
	// null is "not set": fine for an attribute that is not required.
	if err := check(s, "age", nil); err != nil {
		t.Errorf("age = null: %v", err)
	}
}

func TestCheckMaxLengthCountsCharacters(t *testing.T) {
	s := schema()
	for v, ok := range map[string]bool{"abcde": true, "ÅÄÖüé": true, "🙂🙂🙂🙂🙂": true, "abcdef": false, "ÅÄÖüéx": false} {
		err := check(s, "nickname", v)
		if (err == nil) != ok {
			t.Errorf("nickname %q (%d bytes): %v, want ok=%v", v, len(v), err, ok)
		}
		if err != nil && userdb.ErrorMessage(err) != "nickname must be at most 5 characters." {
			t.Errorf("nickname %q: %q", v, userdb.ErrorMessage(err))
		}
	}
	// An enum value is checked for length before membership, like any text.
	if err := check(s, "color", strings.Repeat("r", 6)); userdb.ErrorMessage(err) != "color must be at most 5 characters." {
		t.Errorf("long enum value: %v", err)
	}
}

func TestCheckRequired(t *testing.T) {
	s := schema()
	for name, data := range map[string]map[string]any{
		"missing": {"nickname": "Ann"},
		"null":    {"nickname": "Ann", "employeeId": nil},
	} {
		err := s.Check(data, []string{"nickname"}, false)
		if field, code := fieldOf(t, err); field != "customData.employeeId" || code != userdb.EINVALID || userdb.ErrorMessage(err) != "employeeId is required." {
			t.Errorf("%s: %v", name, err)
		}
	}
	// Required holds whatever the change is about: removing it is refused.
	if err := s.Check(map[string]any{}, []string{"employeeId"}, false); err == nil {
		t.Error("removing a required attribute accepted")
	}
	if err := s.Check(map[string]any{"employeeId": "E2"}, []string{"employeeId"}, false); err != nil {
		t.Errorf("setting the required attribute: %v", err)
	}
}

func TestCheckEditableBy(t *testing.T) {
	s := schema()
	data := map[string]any{"employeeId": "E1", "nickname": "Ann"}
	if err := s.Check(data, []string{"nickname"}, true); err != nil {
		t.Errorf("a user edits a user attribute: %v", err)
	}
	err := s.Check(data, []string{"employeeId", "nickname"}, true)
	if field, code := fieldOf(t, err); field != "customData.employeeId" || code != userdb.EFORBIDDEN {
		t.Errorf("a user edits an admin attribute: %v", err)
	}
	// An attribute with no editable_by is the administrators'.
	if err := s.Check(map[string]any{"employeeId": "E1", "age": 3.0}, []string{"age"}, true); userdb.ErrorCode(err) != userdb.EFORBIDDEN {
		t.Errorf("a user edits an attribute without editable_by: %v", err)
	}
	// Administrators edit everything; keys the user does not change are not
	// the user's concern.
	if err := s.Check(data, []string{"employeeId", "nickname"}, false); err != nil {
		t.Errorf("an administrator edits both: %v", err)
	}
}

func TestCheckUnknownKeysAndFreeForm(t *testing.T) {
	s := schema()
	data := map[string]any{"employeeId": "E1", "shoeSize": 42.0}
	err := s.Check(data, []string{"shoeSize"}, false)
	if field, code := fieldOf(t, err); field != "customData.shoeSize" || code != userdb.EINVALID || userdb.ErrorMessage(err) != "shoeSize is not a known attribute." {
		t.Errorf("unknown key: %v", err)
	}
	// A key from before the schema may be removed.
	if err := s.Check(map[string]any{"employeeId": "E1"}, []string{"shoeSize"}, false); err != nil {
		t.Errorf("removing an undeclared key: %v", err)
	}
	// Unchanged undeclared keys stay.
	if err := s.Check(data, []string{"employeeId"}, false); err != nil {
		t.Errorf("an unchanged undeclared key: %v", err)
	}
	// Free-form: undeclared keys are anyone's, declared ones are still checked.
	s.FreeForm = true
	if err := s.Check(data, []string{"shoeSize"}, true); err != nil {
		t.Errorf("free-form undeclared key: %v", err)
	}
	if err := check(s, "age", "old"); err == nil {
		t.Error("free-form: a declared attribute of the wrong type accepted")
	}
	// No schema at all: anything goes (the original's free customData).
	for _, none := range []*profile.Schema{nil, {}} {
		if err := none.Check(map[string]any{"x": []any{1.0}}, []string{"x"}, true); err != nil {
			t.Errorf("no schema: %v", err)
		}
	}
}

func TestCheckNamesEveryBadField(t *testing.T) {
	s := schema()
	data := map[string]any{"birthdate": "soon", "color": "blue", "shoeSize": 9.0, "age": 3.0}
	err := s.Check(data, []string{"age", "birthdate", "color", "shoeSize"}, false)
	field, code := fieldOf(t, err)
	if code != userdb.EINVALID || field != "customData.birthdate" {
		t.Fatalf("field %q code %q: %v", field, code, err)
	}
	want := "birthdate must be a date written YYYY-MM-DD. color must be one of [red green]. employeeId is required. shoeSize is not a known attribute."
	if got := userdb.ErrorMessage(err); got != want {
		t.Errorf("message\n%q, want\n%q", got, want)
	}
}

func TestFromText(t *testing.T) {
	s := schema()
	for _, tc := range []struct {
		name, text string
		want       any
	}{
		{"age", "42", 42.0},
		{"age", " 7 ", 7.0},
		{"age", "forty", "forty"}, // stays text, so Check names the field
		{"height", "1.85", 1.85},
		{"height", "NaN", "NaN"}, // parses, but JSON holds no NaN
		{"height", "-Infinity", "-Infinity"},
		{"newsletter", "Yes", true},
		{"newsletter", "off", false},
		{"newsletter", "maybe", "maybe"},
		{"birthdate", "1990-01-31", "1990-01-31"},
		{"nickname", "007", "007"}, // text attributes stay text
		{"undeclared", "12", "12"},
	} {
		if got := s.FromText(tc.name, tc.text); got != tc.want {
			t.Errorf("FromText(%s, %q) = %#v, want %#v", tc.name, tc.text, got, tc.want)
		}
	}
	var none *profile.Schema
	if got := none.FromText("age", "42"); got != "42" {
		t.Errorf("no schema: %#v", got)
	}
	if err := check(s, "age", s.FromText("age", "forty")); err == nil {
		t.Error("text that is not a number accepted as one")
	}
}
