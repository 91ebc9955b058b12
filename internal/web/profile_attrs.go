package web

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
	"github.com/userdb/userdb/internal/profile"
)

// attrPrefix starts the form names of custom attributes
// ("customData.birthdate"), which are also the fields the service's errors
// name.
const attrPrefix = "customData."

// attrField is the input of one custom attribute on the profile page.
type attrField struct {
	Name      string // form name: attrPrefix + attribute name
	ID        string // element id, for the label
	Label     string
	Type      string // input type: text, number, date, email, url, checkbox, or select
	Value     string
	Checked   bool     // checkbox
	Options   []string // select
	MaxLength int
	Step      string // number inputs: "1" for integers, "any" otherwise
	Required  bool
	ReadOnly  bool // editable by administrators only
	Error     string
}

// schema returns the declared custom attributes; nil when custom data is
// free-form, and the page then offers no editor for it. When the defined
// attributes cannot be read, the page shows no editor either (the service
// checks any save on its own).
func (p *Pages) schema(r *http.Request) *profile.Schema {
	ps, err := p.svc.ProfileSchema(r.Context())
	if err != nil {
		httpx.Logger(r).Warn("reading the profile schema", "err", err)
		return nil
	}
	s, _ := ps.(*profile.Schema)
	if s == nil || len(s.Attributes) == 0 {
		return nil
	}
	return s
}

// attrFields describes the inputs of the schema's attributes for u. With
// posted set they show what the form posted, else what is stored.
func attrFields(v *view, s *profile.Schema, u *userdb.User, posted bool) []attrField {
	var out []attrField
	for _, a := range s.Attributes {
		f := attrField{
			Name: attrPrefix + a.Name, ID: "f-cd-" + a.Name, Label: attrLabel(a.Name),
			Type: inputType(a.Type), Required: a.Required, MaxLength: a.MaxLength,
			ReadOnly: a.EditableBy != profile.EditableByUser, Error: v.Errors[attrPrefix+a.Name],
		}
		switch a.Type {
		case profile.Integer:
			f.Step = "1"
		case profile.Number:
			f.Step = "any"
		case profile.Enum:
			f.Options = a.Values
		}
		stored := u.CustomData[a.Name]
		switch {
		case posted && !f.ReadOnly && f.Type == "checkbox":
			f.Checked = v.Value(f.Name) != ""
		case posted && !f.ReadOnly:
			f.Value = v.Value(f.Name)
		case f.Type == "checkbox" && !f.ReadOnly:
			f.Checked, _ = stored.(bool)
		default:
			f.Value = showValue(stored)
		}
		if f.ReadOnly && f.Value == "" {
			f.Value = msg("not-set")
		}
		out = append(out, f)
	}
	return out
}

// inputType is the HTML input for an attribute type.
func inputType(t string) string {
	switch t {
	case profile.Integer, profile.Number:
		return "number"
	case profile.Boolean:
		return "checkbox"
	case profile.Date:
		return "date"
	case profile.Email:
		return "email"
	case profile.URL:
		return "url"
	case profile.Enum:
		return "select"
	}
	return "text"
}

// showValue writes a stored custom-data value as the text of an input.
func showValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return msg("yes")
		}
		return msg("no")
	}
	return ""
}

// attrLabel makes a label of an attribute name: "birthDate" and
// "birth_date" both read "Birth date".
func attrLabel(name string) string {
	var b strings.Builder
	prev := rune(0)
	for i, r := range name {
		switch {
		case r == '_':
			r = ' '
		case i > 0 && unicode.IsUpper(r) && prev != '_' && !unicode.IsUpper(prev):
			b.WriteRune(' ')
			r = unicode.ToLower(r)
		case i > 0:
			r = unicode.ToLower(r)
		}
		if i == 0 {
			r = unicode.ToUpper(r)
		}
		b.WriteRune(r)
		prev = r
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// attrChanges reads the attributes form: the user-editable attributes,
// converted from form text to the schema's types (an empty field removes
// the attribute, an unticked checkbox is false). Each value is checked
// against its own attribute, so every field at fault gets its message at
// once; the service checks the whole again when saving, and its word is
// final.
func attrChanges(r *http.Request, v *view, s *profile.Schema) map[string]any {
	changes := map[string]any{}
	for _, a := range s.Attributes {
		if a.EditableBy != profile.EditableByUser {
			continue
		}
		name := attrPrefix + a.Name
		var val any
		if a.Type == profile.Boolean {
			val = r.PostFormValue(name) != ""
		} else if text := strings.TrimSpace(r.PostFormValue(name)); text != "" {
			val = s.FromText(a.Name, text) // keeps "NaN" and "Inf" as text, which Check refuses
		}
		changes[a.Name] = val
		one := &profile.Schema{Attributes: []profile.Attribute{a}}
		data := map[string]any{}
		if val != nil {
			data[a.Name] = val
		}
		if err := one.Check(data, []string{a.Name}, false); err != nil {
			v.Invalid(name, userdb.ErrorMessage(err))
		}
	}
	return changes
}

// attrNames are the form names of the schema's attributes, where the
// service's errors about them are shown.
func attrNames(s *profile.Schema) []string {
	names := make([]string, len(s.Attributes))
	for i, a := range s.Attributes {
		names[i] = attrPrefix + a.Name
	}
	return names
}
