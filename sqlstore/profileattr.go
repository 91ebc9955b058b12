package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/userdb/userdb"
)

const profileAttributeColumns = `name, title, description, type, required, max_length, enum_values, editable_by, created_at, updated_at`

func scanProfileAttribute(sc scanner) (*userdb.ProfileAttribute, error) {
	var a userdb.ProfileAttribute
	var values string
	err := sc.Scan(&a.Name, &a.Title, &a.Description, &a.Type, &a.Required, &a.MaxLength, &values, &a.EditableBy,
		timeDest{&a.CreatedAt}, timeDest{&a.UpdatedAt})
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(values), &a.Values); err != nil {
		return nil, err
	}
	return &a, nil
}

// FindProfileAttributes lists the attributes defined at run time, ordered
// by name.
func (s *Store) FindProfileAttributes(ctx context.Context) ([]*userdb.ProfileAttribute, error) {
	rows, err := s.query(ctx, "SELECT "+profileAttributeColumns+" FROM profile_attributes ORDER BY name")
	if err != nil {
		return nil, err
	}
	as, err := collect(rows, scanProfileAttribute)
	return as, s.wrap(err)
}

// SaveProfileAttribute creates or replaces the attribute of a.Name; a
// replaced attribute keeps its creation time, and a is updated to match.
// Two concurrent first saves of one name: one wins, the other fails with
// ECONFLICT.
func (s *Store) SaveProfileAttribute(ctx context.Context, a *userdb.ProfileAttribute) error {
	if err := requireTimes(namedTime{"createdAt", a.CreatedAt}, namedTime{"updatedAt", a.UpdatedAt}); err != nil {
		return err
	}
	if a.Name == "" {
		return userdb.FieldError("name", "an attribute needs a name")
	}
	values := a.Values
	if values == nil {
		values = []string{}
	}
	vj, err := json.Marshal(values)
	if err != nil {
		return userdb.Internal(err)
	}
	return s.inTx(ctx, func(tx *Store) error {
		rows, err := tx.query(ctx, "SELECT "+profileAttributeColumns+" FROM profile_attributes WHERE name = ?"+tx.d.forUpdate, a.Name)
		if err != nil {
			return err
		}
		old, err := collect(rows, scanProfileAttribute)
		if err != nil {
			return tx.wrap(err)
		}
		if len(old) == 0 {
			_, err = tx.exec(ctx, "INSERT INTO profile_attributes ("+profileAttributeColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
				a.Name, a.Title, a.Description, a.Type, a.Required, a.MaxLength, string(vj), a.EditableBy,
				tx.d.time(a.CreatedAt), tx.d.time(a.UpdatedAt))
			if err != nil {
				return refine(err, userdb.ECONFLICT, userdb.Errorf(userdb.ECONFLICT, "the attribute %s was defined meanwhile", quote(a.Name)))
			}
			a.CreatedAt = storedTime(a.CreatedAt)
		} else {
			_, err = tx.exec(ctx, `UPDATE profile_attributes SET title = ?, description = ?, type = ?, required = ?,
				max_length = ?, enum_values = ?, editable_by = ?, updated_at = ? WHERE name = ?`,
				a.Title, a.Description, a.Type, a.Required, a.MaxLength, string(vj), a.EditableBy, tx.d.time(a.UpdatedAt), a.Name)
			if err != nil {
				return err
			}
			a.CreatedAt = old[0].CreatedAt
		}
		a.UpdatedAt = storedTime(a.UpdatedAt)
		return nil
	})
}

// DeleteProfileAttribute removes a defined attribute, or fails with ENOTFOUND.
func (s *Store) DeleteProfileAttribute(ctx context.Context, name string) error {
	n, err := s.execCount(ctx, "DELETE FROM profile_attributes WHERE name = ?", name)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound("profile attribute")
	}
	return nil
}
