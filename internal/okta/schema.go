package okta

import (
	"encoding/json"
	"net/http"
	"sort"

	"github.com/userdb/userdb"
)

// The user schema (Okta's Profile Editor) is userdb's custom attributes:
// definitions.base holds the user fields, definitions.custom the attributes
// of custom_data.schema and those defined through this API. A POST changes
// the custom properties it names (null removes one) and leaves the others.
//
// Types map as: string, integer, number and boolean to themselves; date,
// email and url to a string with format date, email or uri; enum to a
// string with enum values. Who edits an attribute is its SELF permission:
// READ_WRITE is editable by the user, READ_ONLY by administrators only.

type permission struct {
	Principal string `json:"principal"`
	Action    string `json:"action"`
}

type property struct {
	Title       string       `json:"title"`
	Description string       `json:"description,omitempty"`
	Type        string       `json:"type"`
	Format      string       `json:"format,omitempty"`
	Enum        []string     `json:"enum,omitempty"`
	OneOf       []enumOption `json:"oneOf,omitempty"`
	MaxLength   *int         `json:"maxLength,omitempty"`
	Required    bool         `json:"required"`
	Mutability  string       `json:"mutability"`
	Scope       string       `json:"scope"`
	Permissions []permission `json:"permissions"`
}

type enumOption struct {
	Const string `json:"const"`
	Title string `json:"title"`
}

type definition struct {
	ID         string               `json:"id"`
	Type       string               `json:"type"`
	Properties map[string]*property `json:"properties"`
	Required   []string             `json:"required"`
}

type schemaView struct {
	ID          string                `json:"id"`
	Schema      string                `json:"$schema"`
	Name        string                `json:"name"`
	Title       string                `json:"title"`
	Type        string                `json:"type"`
	Definitions map[string]definition `json:"definitions"`
	Properties  map[string]any        `json:"properties"`
	Links       map[string]link       `json:"_links"`
}

func baseProperty(title string, required bool) *property {
	return &property{Title: title, Type: "string", Required: required, Mutability: "READ_WRITE", Scope: "NONE",
		Permissions: []permission{{"SELF", "READ_WRITE"}}}
}

func customProperty(a userdb.ProfileAttribute) *property {
	p := &property{Title: a.Title, Description: a.Description, Type: a.Type, Required: a.Required,
		Mutability: "READ_WRITE", Scope: "NONE", Permissions: []permission{{"SELF", "READ_ONLY"}}}
	if p.Title == "" {
		p.Title = a.Name
	}
	if a.EditableBy == "user" {
		p.Permissions[0].Action = "READ_WRITE"
	}
	switch a.Type {
	case "date":
		p.Type, p.Format = "string", "date"
	case "email":
		p.Type, p.Format = "string", "email"
	case "url":
		p.Type, p.Format = "string", "uri"
	case "enum":
		p.Type, p.Enum = "string", a.Values
		for _, v := range a.Values {
			p.OneOf = append(p.OneOf, enumOption{Const: v, Title: v})
		}
	}
	if a.MaxLength > 0 {
		n := a.MaxLength
		p.MaxLength = &n
	}
	return p
}

func (a *API) schemaView(attrs []userdb.ProfileAttribute) *schemaView {
	base := definition{ID: "#base", Type: "object", Required: []string{"login", "email"}, Properties: map[string]*property{
		"login": baseProperty("Username", true), "email": baseProperty("Primary email", true),
		"firstName": baseProperty("First name", false), "lastName": baseProperty("Last name", false),
		"middleName": baseProperty("Middle name", false),
	}}
	custom := definition{ID: "#custom", Type: "object", Properties: map[string]*property{}, Required: []string{}}
	for _, at := range attrs {
		custom.Properties[at.Name] = customProperty(at)
		if at.Required {
			custom.Required = append(custom.Required, at.Name)
		}
	}
	sort.Strings(custom.Required)
	self := a.opts.OrgURL + "/api/v1/meta/schemas/user/default"
	return &schemaView{
		ID: self, Schema: "http://json-schema.org/draft-04/schema#", Name: "user", Title: "User", Type: "object",
		Definitions: map[string]definition{"base": base, "custom": custom},
		Properties: map[string]any{"profile": map[string]any{"allOf": []map[string]string{
			{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}}}},
		Links: map[string]link{"self": {self}},
	}
}

type attributes = []userdb.ProfileAttribute

// getSchema: GET /api/v1/meta/schemas/user/default.
func (a *API) getSchema(w http.ResponseWriter, r *http.Request) {
	list, err := a.svc.AdminProfileAttributes(r.Context())
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	writeJSON(w, http.StatusOK, a.schemaView(all(list.Configured, list.Defined)))
}

func all(configured []userdb.ProfileAttribute, defined []*userdb.ProfileAttribute) attributes {
	out := append(attributes{}, configured...)
	for _, d := range defined {
		out = append(out, *d)
	}
	return out
}

// updateSchema: POST /api/v1/meta/schemas/user/default
// {definitions: {custom: {properties: {name: {...} | null}, required: [...]}}}.
func (a *API) updateSchema(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Definitions struct {
			Custom struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"custom"`
		} `json:"definitions"`
	}
	if err := decode(r, &body); err != nil {
		writeError(w, r, err, "", "")
		return
	}
	required := map[string]bool{}
	for _, name := range body.Definitions.Custom.Required {
		required[name] = true
	}
	var set []*userdb.ProfileAttribute
	var remove []string
	names := make([]string, 0, len(body.Definitions.Custom.Properties))
	for name := range body.Definitions.Custom.Properties {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		raw := body.Definitions.Custom.Properties[name]
		if baseAttributes[name] {
			writeError(w, r, errValidation(name, "A custom attribute cannot take the name of a base attribute."), "", "")
			return
		}
		if string(raw) == "null" {
			remove = append(remove, name)
			continue
		}
		at, err := readProperty(name, raw, required[name])
		if err != nil {
			writeError(w, r, err, "", "")
			return
		}
		set = append(set, at)
	}
	list, err := a.svc.AdminDefineProfileAttributes(r.Context(), set, remove)
	if err != nil {
		writeError(w, r, err, "", "")
		return
	}
	writeJSON(w, http.StatusOK, a.schemaView(all(list.Configured, list.Defined)))
}

// readProperty turns a schema property into an attribute definition.
func readProperty(name string, raw json.RawMessage, required bool) (*userdb.ProfileAttribute, error) {
	var p struct {
		Title       string       `json:"title"`
		Description string       `json:"description"`
		Type        string       `json:"type"`
		Format      string       `json:"format"`
		Enum        []string     `json:"enum"`
		OneOf       []enumOption `json:"oneOf"`
		MaxLength   *int         `json:"maxLength"`
		Required    bool         `json:"required"`
		Permissions []permission `json:"permissions"`
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, errValidation(name, "The property must be an object with a title and a type.")
	}
	at := &userdb.ProfileAttribute{Name: name, Title: p.Title, Description: p.Description, Required: p.Required || required,
		EditableBy: "admin"}
	for _, perm := range p.Permissions {
		if perm.Principal == "SELF" && perm.Action == "READ_WRITE" {
			at.EditableBy = "user"
		}
	}
	if p.MaxLength != nil {
		at.MaxLength = *p.MaxLength
	}
	values := p.Enum
	if len(values) == 0 {
		for _, o := range p.OneOf {
			values = append(values, o.Const)
		}
	}
	switch {
	case p.Type == "string" && len(values) > 0:
		at.Type, at.Values = "enum", values
	case p.Type == "string" && p.Format == "date":
		at.Type = "date"
	case p.Type == "string" && p.Format == "email":
		at.Type = "email"
	case p.Type == "string" && (p.Format == "uri" || p.Format == "url"):
		at.Type = "url"
	case p.Type == "string" && p.Format == "":
		at.Type = "string"
	case (p.Type == "integer" || p.Type == "number" || p.Type == "boolean") && p.Format == "" && len(values) == 0:
		at.Type = p.Type
	default:
		return nil, errValidation(name, "Supported types are string (with format date, email or uri, or enum values), integer, number and boolean.")
	}
	return at, nil
}
