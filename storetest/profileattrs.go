package storetest

import (
	"testing"
	"time"

	"github.com/userdb/userdb"
)

var profileAttributeTests = []test{
	{"SaveFindDelete", testProfileAttributes},
}

func testProfileAttributes(t *testing.T, s userdb.Store) {
	ctx := t.Context()
	list, err := s.FindProfileAttributes(ctx)
	must(t, err)
	wantEqual(t, "attributes of a new store", len(list), 0)
	wantCode(t, "DeleteProfileAttribute of a missing one", s.DeleteProfileAttribute(ctx, "missing"), userdb.ENOTFOUND)

	color := &userdb.ProfileAttribute{Name: "favoriteColor", Title: "Favourite colour", Description: "Shown on the badge",
		Type: "enum", Values: []string{"red", "green"}, EditableBy: "user", CreatedAt: local(time.Hour), UpdatedAt: local(time.Hour)}
	must(t, s.SaveProfileAttribute(ctx, color))
	dept := &userdb.ProfileAttribute{Name: "department", Type: "string", Required: true, MaxLength: 40,
		EditableBy: "admin", CreatedAt: at(2 * time.Hour), UpdatedAt: at(2 * time.Hour)}
	must(t, s.SaveProfileAttribute(ctx, dept))

	list, err = s.FindProfileAttributes(ctx)
	must(t, err)
	if len(list) != 2 {
		t.Fatalf("FindProfileAttributes: %d attributes, want 2", len(list))
	}
	wantProfileAttribute(t, list[0], dept) // ordered by name
	wantProfileAttribute(t, list[1], color)

	// Saving again replaces the definition and keeps the creation time.
	changed := *color
	changed.Values = []string{"red", "green", "blue"}
	changed.Title = ""
	changed.CreatedAt, changed.UpdatedAt = at(5*time.Hour), at(3*time.Hour)
	must(t, s.SaveProfileAttribute(ctx, &changed))
	wantTime(t, "CreatedAt after a replace", changed.CreatedAt, color.CreatedAt)
	list, err = s.FindProfileAttributes(ctx)
	must(t, err)
	want := changed
	want.CreatedAt = color.CreatedAt
	wantProfileAttribute(t, list[1], &want)

	must(t, s.DeleteProfileAttribute(ctx, "department"))
	wantCode(t, "DeleteProfileAttribute twice", s.DeleteProfileAttribute(ctx, "department"), userdb.ENOTFOUND)
	list, err = s.FindProfileAttributes(ctx)
	must(t, err)
	wantEqual(t, "attributes after a delete", len(list), 1)

	// Inside a transaction that fails, nothing is saved.
	err = s.Tx(ctx, func(tx userdb.Store) error {
		if err := tx.SaveProfileAttribute(ctx, &userdb.ProfileAttribute{Name: "later", Type: "string", EditableBy: "admin",
			CreatedAt: base, UpdatedAt: base}); err != nil {
			return err
		}
		return userdb.Errorf(userdb.EINVALID, "roll back")
	})
	wantCode(t, "failed transaction", err, userdb.EINVALID)
	list, err = s.FindProfileAttributes(ctx)
	must(t, err)
	wantEqual(t, "attributes after a rolled-back save", len(list), 1)
}

func wantProfileAttribute(t *testing.T, got, want *userdb.ProfileAttribute) {
	t.Helper()
	p := "attribute " + want.Name + " "
	wantEqual(t, p+"Name", got.Name, want.Name)
	wantEqual(t, p+"Title", got.Title, want.Title)
	wantEqual(t, p+"Description", got.Description, want.Description)
	wantEqual(t, p+"Type", got.Type, want.Type)
	wantEqual(t, p+"Required", got.Required, want.Required)
	wantEqual(t, p+"MaxLength", got.MaxLength, want.MaxLength)
	wantSeq(t, p+"Values", got.Values, want.Values)
	wantEqual(t, p+"EditableBy", got.EditableBy, want.EditableBy)
	wantTime(t, p+"CreatedAt", got.CreatedAt, want.CreatedAt)
	wantTime(t, p+"UpdatedAt", got.UpdatedAt, want.UpdatedAt)
}
