package sqlstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/userdb/userdb"
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// timeDest scans a time column of any dialect (time.Time from PostgreSQL
// and MySQL, text from SQLite) into *t, in UTC.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	if t == nil {
		return fmt.Errorf("sqlstore: NULL in a time column that may not be NULL")
	}
	*d.t = *t
	return nil
}

// nullTimeDest scans a nullable time column into *t (nil for NULL).
type nullTimeDest struct{ t **time.Time }

func (d nullTimeDest) Scan(v any) error {
	t, err := parseTime(v)
	if err != nil {
		return err
	}
	*d.t = t
	return nil
}

func parseTime(v any) (*time.Time, error) {
	var t time.Time
	switch v := v.(type) {
	case nil:
		return nil, nil
	case time.Time:
		t = v
	case string:
		return parseTimeText(v)
	case []byte:
		return parseTimeText(string(v))
	default:
		return nil, fmt.Errorf("sqlstore: cannot scan %T into a time", v)
	}
	t = t.UTC()
	return &t, nil
}

func parseTimeText(s string) (*time.Time, error) {
	// RFC3339Nano parses sqliteTimeLayout and any other fraction length.
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: bad time %q: %w", s, err)
	}
	t = t.UTC()
	return &t, nil
}

// jsonDest scans a nullable JSON text column into v; NULL leaves v as it is.
type jsonDest struct{ v any }

func (d jsonDest) Scan(src any) error {
	var b []byte
	switch src := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(src)
	case []byte:
		b = src
	default:
		return fmt.Errorf("sqlstore: cannot scan %T into JSON", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, d.v)
}

// jsonValue encodes custom data for a JSON text column: NULL for a nil map.
func jsonValue(field string, m map[string]any) (any, error) {
	if m == nil {
		return nil, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, userdb.FieldError(field, "%s must be a JSON object", field)
	}
	return string(b), nil
}
