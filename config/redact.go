package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
)

const redacted = "[redacted]"

// RedactDSN returns a database address fit to print: its password masked
// (sqlite:userdb.db stays as it is, postgres://u:pw@db/x reads
// postgres://u:xxxxx@db/x), or "[redacted]" if it is not a URL.
func RedactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return redacted
	}
	q := u.Query()
	if !q.Has("password") {
		return u.Redacted()
	}
	q.Set("password", "xxxxx")
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// Redacted returns a copy of c fit to print: every secret that is set reads
// "[redacted]" and the DSN has its password masked, in lists of mappings
// (connectors) too, which are copied; other lists are shared with c.
func (c Config) Redacted() Config {
	redact(reflect.ValueOf(&c).Elem())
	return c
}

// redact masks the secrets of the struct v in place, copying each list of
// mappings before it masks the copy.
func redact(v reflect.Value) {
	walk(v, "", func(_ string, f reflect.StructField, v reflect.Value) {
		switch {
		case v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Struct:
			list := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
			reflect.Copy(list, v)
			for i := range list.Len() {
				redact(list.Index(i))
			}
			v.Set(list)
		case v.Kind() != reflect.String || v.String() == "":
		case kindOf(f) == kindSecret:
			v.SetString(redacted)
		case kindOf(f) == kindDSN:
			v.SetString(RedactDSN(v.String()))
		}
	})
}

// printable is a Config without its methods, so that printing it does not
// come back to Format.
type printable Config

// Format prints Redacted(c) for every verb: no secret reaches fmt's output.
func (c Config) Format(f fmt.State, verb rune) {
	fmt.Fprintf(f, fmt.FormatString(f, verb), printable(c.Redacted()))
}

// LogValue implements slog.LogValuer with Redacted(c).
func (c Config) LogValue() slog.Value { return slog.AnyValue(printable(c.Redacted())) }

// MarshalJSON encodes Redacted(c).
func (c Config) MarshalJSON() ([]byte, error) { return json.Marshal(printable(c.Redacted())) }

// MarshalYAML encodes Redacted(c) (gopkg.in/yaml.v3).
func (c Config) MarshalYAML() (any, error) { return printable(c.Redacted()), nil }
