package api

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// The user JSON is on the hottest paths (GET /me, POST /login), where
// encoding/json spent a third of the handler's CPU finding its way through
// the struct by reflection. appendJSON writes the same bytes by hand:
// fields in the struct's order, omitempty where the tags say so, strings
// escaped as encoding/json escapes them (HTML characters too), times in
// RFC 3339 with nanoseconds. Custom data, whose shape is anyone's, still
// goes through encoding/json. viewjson_test.go compares the two on many
// views, and FuzzUserViewJSON on any text.

// appendJSON appends v as encoding/json would encode it. ok is false when
// v holds something encoding/json refuses or writes otherwise (a time
// outside the years 0-9999, custom data it cannot encode): the caller then
// encodes v with encoding/json, which says why.
func (v *UserView) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, '{')
	if v.Href != "" {
		b = appendKey(b, "href", true)
		b = appendString(b, v.Href)
	}
	b = appendKey(b, "id", v.Href == "")
	b = appendString(b, v.ID)
	b = appendKey(b, "account_id", false)
	b = appendString(b, v.AccountID)
	b = appendKey(b, "accounts", false)
	if b, ok = appendAccounts(b, v.Accounts); !ok {
		return b, false
	}
	b = appendKey(b, "username", false)
	b = appendString(b, v.Username)
	b = appendKey(b, "email", false)
	b = appendString(b, v.Email)
	b = appendKey(b, "givenName", false)
	b = appendString(b, v.GivenName)
	b = appendKey(b, "middleName", false)
	b = appendString(b, v.MiddleName)
	b = appendKey(b, "surname", false)
	b = appendString(b, v.Surname)
	b = appendKey(b, "fullName", false)
	b = appendString(b, v.FullName)
	b = appendKey(b, "status", false)
	b = appendString(b, string(v.Status))
	b = appendKey(b, "emailVerified", false)
	b = strconv.AppendBool(b, v.EmailVerified)
	b = appendKey(b, "customData", false)
	if b, ok = appendCustomData(b, v.CustomData); !ok {
		return b, false
	}
	b = appendKey(b, "roles", false)
	if b, ok = appendRoles(b, v.Roles); !ok {
		return b, false
	}
	if v.Groups != nil {
		b = appendKey(b, "groups", false)
		b = append(b, '{')
		b = appendKey(b, "href", true)
		b = appendString(b, v.Groups.Href)
		b = appendKey(b, "items", false)
		if b, ok = appendRoles(b, v.Groups.Items); !ok {
			return b, false
		}
		b = append(b, '}')
	}
	b = appendKey(b, "createdAt", false)
	if b, ok = appendTime(b, v.CreatedAt); !ok {
		return b, false
	}
	b = appendKey(b, "modifiedAt", false)
	if b, ok = appendTime(b, v.ModifiedAt); !ok {
		return b, false
	}
	b = appendKey(b, "created_date", false)
	b = strconv.AppendInt(b, v.CreatedDate, 10)
	b = appendKey(b, "updated_date", false)
	b = strconv.AppendInt(b, v.UpdatedDate, 10)
	b = appendKey(b, "password_updated_on", false)
	b = strconv.AppendInt(b, v.PasswordUpdatedOn, 10)
	b = appendKey(b, "last_login_on", false)
	b = strconv.AppendInt(b, v.LastLoginOn, 10)
	if v.PasswordExpired {
		b = appendKey(b, "password_expired", false)
		b = append(b, "true"...)
	}
	return append(b, '}'), true
}

// appendRoles appends a list of roles (null for a nil list).
func appendRoles(b []byte, roles []RoleView) (_ []byte, ok bool) {
	if roles == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i := range roles {
		if i > 0 {
			b = append(b, ',')
		}
		if b, ok = roles[i].appendJSON(b); !ok {
			return b, false
		}
	}
	return append(b, ']'), true
}

// appendAccounts appends the user's accounts (null for a nil list).
func appendAccounts(b []byte, accs []AccountRef) (_ []byte, ok bool) {
	if accs == nil {
		return append(b, "null"...), true
	}
	b = append(b, '[')
	for i := range accs {
		a := &accs[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		b = appendKey(b, "id", true)
		b = appendString(b, a.ID)
		b = appendKey(b, "name", false)
		b = appendString(b, a.Name)
		b = appendKey(b, "description", false)
		b = appendString(b, a.Description)
		b = appendKey(b, "status", false)
		b = appendString(b, string(a.Status))
		b = appendKey(b, "customData", false)
		if b, ok = appendCustomData(b, a.CustomData); !ok {
			return b, false
		}
		b = appendKey(b, "created_date", false)
		b = strconv.AppendInt(b, a.CreatedDate, 10)
		b = appendKey(b, "updated_date", false)
		b = strconv.AppendInt(b, a.UpdatedDate, 10)
		b = append(b, '}')
	}
	return append(b, ']'), true
}

// appendJSON appends r as encoding/json would encode it.
func (r *RoleView) appendJSON(b []byte) (_ []byte, ok bool) {
	b = append(b, '{')
	if r.Href != "" {
		b = appendKey(b, "href", true)
		b = appendString(b, r.Href)
	}
	b = appendKey(b, "id", r.Href == "")
	b = appendString(b, r.ID)
	b = appendKey(b, "account_id", false)
	b = appendString(b, r.AccountID)
	b = appendKey(b, "name", false)
	b = appendString(b, r.Name)
	b = appendKey(b, "description", false)
	b = appendString(b, r.Description)
	b = appendKey(b, "status", false)
	b = appendString(b, string(r.Status))
	b = appendKey(b, "customData", false)
	if b, ok = appendCustomData(b, r.CustomData); !ok {
		return b, false
	}
	return append(b, '}'), true
}

// appendKey appends a field's name and colon, after a comma unless first.
// Names are constants of this file: plain ASCII, nothing to escape.
func appendKey(b []byte, name string, first bool) []byte {
	if !first {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

// appendCustomData appends custom data through encoding/json: {} and null
// cost nothing, anything else is a map of anyone's shape.
func appendCustomData(b []byte, m map[string]any) ([]byte, bool) {
	switch {
	case m == nil:
		return append(b, "null"...), true
	case len(m) == 0:
		return append(b, '{', '}'), true
	}
	j, err := json.Marshal(m)
	if err != nil {
		return b, false
	}
	return append(b, j...), true
}

// appendTime appends t as time.Time's MarshalJSON does; ok is false for
// the times it refuses.
func appendTime(b []byte, t time.Time) ([]byte, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return b, false
	}
	if _, off := t.Zone(); off <= -24*60*60 || off >= 24*60*60 {
		return b, false
	}
	b = append(b, '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	return append(b, '"'), true
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json
// escapes by default: quote, backslash and control characters; <, > and &
// (for HTML); U+2028 and U+2029 (for JavaScript); invalid UTF-8 becomes
// U+FFFD.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
