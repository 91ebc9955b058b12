// Package profile validates users' custom data against the attributes the
// configuration declares (Okta's profile editor): each attribute's type,
// whether it is required, its maximum length, its allowed values and who may
// edit it.
package profile

import (
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/userdb/userdb"
)

// Attribute types.
const (
	String  = "string"
	Integer = "integer"
	Number  = "number"
	Boolean = "boolean"
	Date    = "date" // "YYYY-MM-DD"
	Email   = "email"
	URL     = "url" // absolute http or https
	Enum    = "enum"
)

// Who may edit an attribute.
const (
	EditableByUser  = "user"
	EditableByAdmin = "admin"
)

// Attribute declares one custom-data attribute.
type Attribute struct {
	Name       string
	Type       string
	Required   bool
	MaxLength  int      // characters of a text value; 0 = no limit
	Values     []string // the allowed values of an enum
	EditableBy string   // "user" or "admin" (the default)
}

// Schema is the set of declared attributes. With no attributes every key is
// accepted (the original library's free customData); with some, undeclared
// keys are refused unless FreeForm is set.
type Schema struct {
	Attributes []Attribute
	FreeForm   bool
}

// Check validates custom data as it will be stored. changed lists the keys
// the caller is setting or removing; byUser says the user edits their own
// profile, who may only change attributes editable by users. An undeclared
// key may be removed (it may predate the schema) but not set.
//
// The error is EFORBIDDEN for a key the user may not edit, else EINVALID
// naming the first field at fault (by name) as customData.<name>, with a
// message that names every field at fault, so a client fixes them at once.
func (s *Schema) Check(data map[string]any, changed []string, byUser bool) error {
	if s == nil || len(s.Attributes) == 0 {
		return nil
	}
	byName := make(map[string]*Attribute, len(s.Attributes))
	for i := range s.Attributes {
		byName[s.Attributes[i].Name] = &s.Attributes[i]
	}
	sorted := slices.Clone(changed)
	sort.Strings(sorted)
	var problems []*userdb.Error
	for _, k := range sorted {
		a, ok := byName[k]
		if !ok {
			if _, set := data[k]; set && !s.FreeForm {
				problems = append(problems, fieldErr(k, "%s is not a known attribute", k))
			}
			continue
		}
		if byUser && a.EditableBy != EditableByUser {
			return &userdb.Error{Code: userdb.EFORBIDDEN, Field: "customData." + k, Message: k + " can only be changed by an administrator."}
		}
	}
	for _, a := range s.Attributes {
		v, ok := data[a.Name]
		if !ok || v == nil {
			if a.Required {
				problems = append(problems, fieldErr(a.Name, "%s is required", a.Name))
			}
			continue
		}
		if err := a.check(v); err != nil {
			problems = append(problems, err)
		}
	}
	return joinProblems(problems)
}

// joinProblems returns nil for none, the one problem, or an error naming the
// first field by name whose message holds every problem's.
func joinProblems(problems []*userdb.Error) error {
	switch len(problems) {
	case 0:
		return nil
	case 1:
		return problems[0]
	}
	slices.SortStableFunc(problems, func(x, y *userdb.Error) int { return strings.Compare(x.Field, y.Field) })
	msgs := make([]string, len(problems))
	for i, p := range problems {
		msgs[i] = p.Message
	}
	return &userdb.Error{Code: userdb.EINVALID, Field: problems[0].Field, Message: strings.Join(msgs, " ")}
}

func (a *Attribute) check(v any) *userdb.Error {
	switch a.Type {
	case Integer, Number:
		f, ok := v.(float64)
		if !ok || math.IsNaN(f) || math.IsInf(f, 0) { // JSON holds no NaN or infinity
			return fieldErr(a.Name, "%s must be a number", a.Name)
		}
		if a.Type == Integer && (f != math.Trunc(f) || math.Abs(f) > 1<<53) {
			return fieldErr(a.Name, "%s must be a whole number", a.Name)
		}
		return nil
	case Boolean:
		if _, ok := v.(bool); !ok {
			return fieldErr(a.Name, "%s must be true or false", a.Name)
		}
		return nil
	}
	s, ok := v.(string)
	if !ok {
		return fieldErr(a.Name, "%s must be text", a.Name)
	}
	if a.MaxLength > 0 && utf8.RuneCountInString(s) > a.MaxLength {
		return fieldErr(a.Name, "%s must be at most %d characters", a.Name, a.MaxLength)
	}
	switch a.Type {
	case Date:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return fieldErr(a.Name, "%s must be a date written YYYY-MM-DD", a.Name)
		}
	case Email:
		if userdb.ValidateEmail(s) != nil {
			return fieldErr(a.Name, "%s must be an email address", a.Name)
		}
	case URL:
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fieldErr(a.Name, "%s must be an http or https URL", a.Name)
		}
	case Enum:
		if !slices.Contains(a.Values, s) {
			return fieldErr(a.Name, "%s must be one of %v", a.Name, a.Values)
		}
	}
	return nil
}

func fieldErr(name, format string, args ...any) *userdb.Error {
	return &userdb.Error{Code: userdb.EINVALID, Field: "customData." + name, Message: fmt.Sprintf(format, args...) + "."}
}

// Declared lists the names of the declared attributes.
func (s *Schema) Declared() []string {
	if s == nil {
		return nil
	}
	names := make([]string, len(s.Attributes))
	for i, a := range s.Attributes {
		names[i] = a.Name
	}
	return names
}
