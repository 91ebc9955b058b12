package api

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// PostgreSQL can neither store nor compare text holding a NUL character: a
// query with one fails instead of finding nothing, and SQLite's LIKE stops
// reading a pattern at it (so "%\x00%" would match everything). No name,
// address, id or search has one, so the API refuses it with a 400 naming
// the parameter, wherever a request carries text: its path, its query
// string and its JSON body.

// nulError is the answer to text holding a NUL.
func nulError(field string) error {
	return userdb.FieldError(field, "%s must not contain a NUL character.", field)
}

// nulInURL names the first path value or query parameter holding a NUL.
func nulInURL(r *http.Request) error {
	for _, name := range []string{"id", "role"} {
		if strings.ContainsRune(r.PathValue(name), 0) {
			return nulError(name)
		}
	}
	if strings.ContainsRune(r.URL.Path, 0) {
		return nulError("path")
	}
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if strings.ContainsRune(name, 0) {
			return nulError("query")
		}
		for _, v := range q[name] {
			if strings.ContainsRune(v, 0) {
				return nulError(name)
			}
		}
	}
	return nil
}

// decode reads a request body into dst (httpx.Decode) and refuses text
// holding a NUL anywhere in it.
func decode(r *http.Request, dst any) error {
	if err := httpx.Decode(r, dst); err != nil {
		return err
	}
	if field, ok := nulIn(reflect.ValueOf(dst), ""); ok {
		return nulError(field)
	}
	return nil
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// nulIn reports whether v holds text with a NUL, and the JSON name of the
// field that holds it.
func nulIn(v reflect.Value, field string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulIn(v.Elem(), field)
		}
	case reflect.String:
		return field, strings.ContainsRune(v.String(), 0)
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if name == "-" {
				continue
			}
			if field != "" {
				name = field + "." + name
			}
			if got, ok := nulIn(v.Field(i), name); ok {
				return got, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type() == rawMessage {
			// Raw JSON is checked as the value it decodes to, not as bytes:
			// the text "\\u0000" (six characters, no NUL) holds the bytes of
			// the escape too. What does not decode is refused where it is.
			var x any
			if json.Unmarshal(v.Bytes(), &x) != nil {
				return "", false
			}
			_, ok := nulIn(reflect.ValueOf(x), "")
			return field, ok
		}
		for i := range v.Len() {
			if got, ok := nulIn(v.Index(i), field); ok {
				return got, true
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(x, y reflect.Value) int { return strings.Compare(x.String(), y.String()) })
		for _, k := range keys {
			name := k.String()
			if strings.ContainsRune(name, 0) {
				return field, true
			}
			if field != "" {
				name = field + "." + name
			}
			if got, ok := nulIn(v.MapIndex(k), name); ok {
				return got, true
			}
		}
	}
	return "", false
}
