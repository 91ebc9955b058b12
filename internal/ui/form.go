package ui

import (
	"errors"
	"html/template"
	"maps"
	"net/http"
	"net/url"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/httpx"
)

// Form is the state of a page's form: what is in its fields (what was
// typed, or what the page put there), the messages about single fields and
// about the whole form, and the field to focus. A page's view embeds it.
type Form struct {
	// Error is about the whole form; Errors are about single fields.
	Error  string
	Errors map[string]string
	// Focus names the field to focus, the first one at fault; "" leaves it
	// to the template.
	Focus string
	// Input holds the fields' values.
	Input url.Values
	// Cause is the error SetError was given: a rate limit's says when to
	// retry (httpx.SetRetryAfter).
	Cause error
}

// NewForm starts a form holding what was posted (a copy: the page may
// change it).
func NewForm(posted url.Values) Form {
	in := maps.Clone(posted)
	if in == nil {
		in = url.Values{}
	}
	return Form{Errors: map[string]string{}, Input: in}
}

// Value returns what is in a field.
func (f *Form) Value(name string) string { return f.Input.Get(name) }

// Values returns every value of a field (checkboxes).
func (f *Form) Values(name string) []string { return f.Input[name] }

// Posted reports whether the form holds the field.
func (f *Form) Posted(name string) bool { _, ok := f.Input[name]; return ok }

// SetValue pre-fills a field unless the form holds it already (so a form
// shown again keeps what was typed).
func (f *Form) SetValue(name, value string) {
	if _, ok := f.Input[name]; !ok {
		f.Input.Set(name, value)
	}
}

// SetValues sets every value of a field (checkboxes).
func (f *Form) SetValues(name string, values []string) { f.Input[name] = values }

// Invalid notes a message about one field.
func (f *Form) Invalid(name, text string) {
	f.Errors[name] = text
	if f.Focus == "" {
		f.Focus = name
	}
}

// SetError shows err next to its field when the form has that field (the
// error of a custom-data attribute goes to a field named customData), and
// above the form otherwise. An internal error is logged and shown as
// internal, a generic message.
func (f *Form) SetError(r *http.Request, err error, internal string, fields ...string) {
	f.Cause = err
	if userdb.ErrorCode(err) == userdb.EINTERNAL {
		httpx.Logger(r).Error("page failed", "path", r.URL.Path, "err", err)
		f.Error = internal
		return
	}
	text := userdb.ErrorMessage(err)
	var e *userdb.Error
	if errors.As(err, &e) && e.Field != "" {
		name := e.Field
		if strings.HasPrefix(name, "customData") {
			name = "customData"
		}
		for _, field := range fields {
			if field == name || field == e.Field {
				f.Invalid(field, text)
				return
			}
		}
	}
	f.Error = text
}

// Field is one labelled input of a form: an <input>, a <select> (with
// Options) or a <textarea> (with Rows), as a surface's "field" template
// draws it.
type Field struct {
	Name, Label, Type, Autocomplete string
	Value, Error, Hint              string
	Required, Autofocus             bool
	// Quiet leaves out the "(optional)" of a search filter.
	Quiet   bool
	Rows    int
	Options []Option

	// focusSet says the form chose the field to focus: the template's
	// default ("| focus") then gives way.
	focusSet bool
}

// Option is one choice of a select.
type Option struct {
	Value, Label string
}

// Field describes an input of the form for the templates, required unless
// changed ("optional"). Password inputs are never pre-filled.
func (f *Form) Field(name, label, typ, autocomplete string) Field {
	fl := Field{Name: name, Label: label, Type: typ, Autocomplete: autocomplete,
		Error: f.Errors[name], Required: true, Autofocus: f.Focus == name, focusSet: f.Focus != ""}
	if typ != "password" {
		fl.Value = f.Value(name)
	}
	return fl
}

// FieldFuncs are the template functions that adjust a Field:
// {{template "field" (field . "q" "Search" "search" "off" | optional)}}.
var FieldFuncs = template.FuncMap{
	"optional": func(f Field) Field { f.Required = false; return f },
	"filter":   func(f Field) Field { f.Required, f.Quiet = false, true; return f },
	"focus":    func(f Field) Field { f.Autofocus = f.Autofocus || !f.focusSet; return f },
	"hint":     func(h string, f Field) Field { f.Hint = h; return f },
	"rows":     func(n int, f Field) Field { f.Rows = n; return f },
	"choices":  func(o []Option, f Field) Field { f.Options = o; return f },
}

// FormValue returns a trimmed form field; passwords are read raw instead.
func FormValue(r *http.Request, name string) string {
	return strings.TrimSpace(r.PostFormValue(name))
}

// FormStatus is the status of a form shown again with an error. A wrong
// password is bad input to the form, not an HTTP authentication challenge,
// so 401 (which requires WWW-Authenticate) becomes 400.
func FormStatus(err error) int {
	if s := httpx.StatusOf(err); s != http.StatusUnauthorized {
		return s
	}
	return http.StatusBadRequest
}

// Redirect answers a form post or a page request with 303 See Other: the
// browser follows with a GET, so a reload never posts the form again.
func Redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}
