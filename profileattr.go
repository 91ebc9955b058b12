package userdb

import (
	"context"
	"time"
)

// ProfileAttribute declares a custom-data attribute defined at run time,
// through the admin APIs (Okta's profile editor), beside the attributes of
// the configuration. Package profile gives the types and rules their meaning.
type ProfileAttribute struct {
	Name        string
	Title       string
	Description string
	Type        string // string | integer | number | boolean | date | email | url | enum
	Required    bool
	MaxLength   int      // characters of a text value; 0 = no limit
	Values      []string // the allowed values of an enum
	EditableBy  string   // user | admin
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ProfileAttributeStore keeps the attributes defined at run time.
type ProfileAttributeStore interface {
	// FindProfileAttributes lists the defined attributes ordered by name.
	FindProfileAttributes(ctx context.Context) ([]*ProfileAttribute, error)
	// SaveProfileAttribute creates the attribute of its name or replaces
	// it, keeping its CreatedAt.
	SaveProfileAttribute(ctx context.Context, a *ProfileAttribute) error
	// DeleteProfileAttribute removes a defined attribute; ENOTFOUND when
	// there is none of that name. Users' custom data keeps its values.
	DeleteProfileAttribute(ctx context.Context, name string) error
}
