package profile

import (
	"fmt"
	"regexp"
	"slices"
	"unicode/utf8"

	"github.com/userdb/userdb"
)

// nameRE is the form of an attribute's name, as the configuration checks it.
var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

var types = []string{String, Integer, Number, Boolean, Date, Email, URL, Enum}

// Limits of attributes defined at run time.
const (
	MaxTitleLen       = 100
	MaxDescriptionLen = 1000
	maxValues         = 100
)

// CheckDefined validates an attribute defined at run time, filling in its
// default editor (admin). The error is EINVALID naming the attribute.
func CheckDefined(a *userdb.ProfileAttribute) error {
	bad := func(format string, args ...any) error {
		return &userdb.Error{Code: userdb.EINVALID, Field: "attributes." + a.Name, Message: fmt.Sprintf(format, args...)}
	}
	if !nameRE.MatchString(a.Name) {
		return &userdb.Error{Code: userdb.EINVALID, Field: "attributes", Message: fmt.Sprintf(
			"Attribute name %q must be letters, digits and _ (at most 64), not starting with a digit.", truncate(a.Name))}
	}
	if !slices.Contains(types, a.Type) {
		return bad("%s: the type must be one of %v.", a.Name, types)
	}
	if a.EditableBy == "" {
		a.EditableBy = EditableByAdmin
	}
	switch {
	case a.EditableBy != EditableByUser && a.EditableBy != EditableByAdmin:
		return bad("%s: editable by must be user or admin.", a.Name)
	case a.MaxLength < 0:
		return bad("%s: the maximum length must not be negative.", a.Name)
	case a.MaxLength > 0 && (a.Type == Integer || a.Type == Number || a.Type == Boolean):
		return bad("%s: a maximum length applies to text types only.", a.Name)
	case a.Type == Enum && len(a.Values) == 0:
		return bad("%s: an enum needs its values.", a.Name)
	case a.Type != Enum && len(a.Values) > 0:
		return bad("%s: values apply to enums only.", a.Name)
	case len(a.Values) > maxValues:
		return bad("%s: at most %d values.", a.Name, maxValues)
	case utf8.RuneCountInString(a.Title) > MaxTitleLen || !utf8.ValidString(a.Title):
		return bad("%s: the title must be at most %d characters.", a.Name, MaxTitleLen)
	case utf8.RuneCountInString(a.Description) > MaxDescriptionLen || !utf8.ValidString(a.Description):
		return bad("%s: the description must be at most %d characters.", a.Name, MaxDescriptionLen)
	}
	for _, v := range a.Values {
		if v == "" || utf8.RuneCountInString(v) > 255 || !utf8.ValidString(v) {
			return bad("%s: each value must be 1 to 255 characters.", a.Name)
		}
	}
	return nil
}

// Configured returns the attributes of the configuration.
func (s *Schema) Configured() []userdb.ProfileAttribute {
	if s == nil {
		return nil
	}
	out := make([]userdb.ProfileAttribute, len(s.Attributes))
	for i, a := range s.Attributes {
		out[i] = userdb.ProfileAttribute{Name: a.Name, Type: a.Type, Required: a.Required, MaxLength: a.MaxLength,
			Values: slices.Clone(a.Values), EditableBy: a.EditableBy}
	}
	return out
}

// With returns the schema of the configured attributes and those defined
// at run time. A defined attribute that the configuration also declares
// is left out: the configuration wins. The result stays free-form when the
// configuration declares nothing, so defining attributes checks their
// values without refusing the free custom data an instance already holds.
func (s *Schema) With(defined []*userdb.ProfileAttribute) *Schema {
	out := &Schema{FreeForm: s.FreeForm || len(s.Attributes) == 0}
	out.Attributes = append(out.Attributes, s.Attributes...)
	for _, d := range defined {
		if slices.ContainsFunc(s.Attributes, func(a Attribute) bool { return a.Name == d.Name }) {
			continue
		}
		out.Attributes = append(out.Attributes, Attribute{Name: d.Name, Type: d.Type, Required: d.Required,
			MaxLength: d.MaxLength, Values: slices.Clone(d.Values), EditableBy: d.EditableBy})
	}
	return out
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
