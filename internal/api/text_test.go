package api

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/userdb/userdb"
)

// TestDecodeRefusesNUL: a NUL anywhere in a JSON body — a field, a pointer,
// a list, custom data at any depth, raw JSON kept for later — is a 400
// naming where it is; text without one decodes.
func TestDecodeRefusesNUL(t *testing.T) {
	for body, field := range map[string]string{
		`{"email":"a\u0000@example.com"}`:                   "email",
		`{"givenName":"A\u0000"}`:                           "givenName",
		`{"roles":["admin",{"name":"x\u0000"}]}`:            "roles",
		`{"customData":{"team":{"name":["ok","b\u0000"]}}}`: "customData.team.name",
		`{"customData":{"k\u0000":1}}`:                      "customData",
		`{"id":"x","customData":{"a":"fine"}}`:              "",
		`{"roles":["a\\u0000b"]}`:                           "", // the six characters \u0000, no NUL
	} {
		var req rpcUser
		r := httptest.NewRequest("POST", "/users/update", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		err := decode(r, &req)
		if field == "" {
			if err != nil {
				t.Errorf("%s: %v", body, err)
			}
			continue
		}
		var e *userdb.Error
		if !userdb.IsCode(err, userdb.EINVALID) || !errorAs(err, &e) || e.Field != field {
			t.Errorf("%s: %v, want a 400 naming %s", body, err, field)
		}
	}
	var where rpcList
	r := httptest.NewRequest("POST", "/roles/list", strings.NewReader(`{"where":{"account_id":"\u0000"}}`))
	if err := decode(r, &where); userdb.ErrorCode(err) != userdb.EINVALID {
		t.Errorf("raw where with a NUL: %v", err)
	}
}

func TestNULInURL(t *testing.T) {
	for target, field := range map[string]string{
		"/api/v1/users?q=a%00b":            "q",
		"/api/v1/users?account=x&q=%00":    "q",
		"/api/v1/users?a%00=1":             "query",
		"/api/v1/users?q=O%27Brien%25_%3B": "",
	} {
		err := nulInURL(httptest.NewRequest("GET", target, nil))
		var e *userdb.Error
		if field == "" && err != nil || field != "" && (!errorAs(err, &e) || e.Field != field) {
			t.Errorf("%s: %v, want field %q", target, err, field)
		}
	}
}

func errorAs(err error, e **userdb.Error) bool { return errors.As(err, e) }
