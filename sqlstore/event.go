package sqlstore

import (
	"context"
	"strings"

	"github.com/userdb/userdb"
)

const eventColumns = `id, type, occurred_at, actor_id, user_id, account_id, ip, user_agent, details`

func scanEvent(sc scanner) (*userdb.Event, error) {
	var e userdb.Event
	err := sc.Scan(&e.ID, &e.Type, timeDest{&e.Time}, &e.ActorID, &e.UserID, &e.AccountID, &e.IP, &e.UserAgent,
		jsonDest{&e.Details})
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// CreateEvent appends an event to the audit log and sets its ID. Its time
// is kept in UTC to the microsecond, and e is updated to match.
func (s *Store) CreateEvent(ctx context.Context, e *userdb.Event) error {
	if err := requireTimes(namedTime{"time", e.Time}); err != nil {
		return err
	}
	if e.Type == "" {
		return userdb.FieldError("type", "an event needs a type")
	}
	details, err := jsonValue("details", e.Details)
	if err != nil {
		return err
	}
	id, err := s.insertID(ctx, `INSERT INTO events (type, occurred_at, actor_id, user_id, account_id, ip, user_agent, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Type, s.d.time(e.Time), e.ActorID, e.UserID, e.AccountID, e.IP, e.UserAgent, details)
	if err != nil {
		return err
	}
	e.ID = id
	e.Time = storedTime(e.Time)
	return nil
}

// FindEvents returns the events matching f, newest first. Since and Until
// are inclusive; a Type ending in "." matches every type with that prefix.
func (s *Store) FindEvents(ctx context.Context, f userdb.EventFilter) ([]*userdb.Event, error) {
	limit, err := pageLimit(f.Limit)
	if err != nil {
		return nil, err
	}
	var w where
	if f.UserID != "" {
		w.add("user_id = ?", f.UserID)
	}
	if f.AccountID != "" {
		w.add("account_id = ?", f.AccountID)
	}
	switch {
	case strings.HasSuffix(f.Type, "."):
		w.add("type LIKE ? ESCAPE '!'", prefixPattern(f.Type))
	case f.Type != "":
		w.add("type = ?", f.Type)
	}
	if f.Since != nil {
		w.add("occurred_at >= ?", s.d.time(*f.Since))
	}
	if f.Until != nil {
		w.add("occurred_at <= ?", s.d.time(*f.Until))
	}
	if f.BeforeID > 0 {
		w.add("id < ?", f.BeforeID)
	}
	rows, err := s.query(ctx, "SELECT "+eventColumns+" FROM events"+w.sql()+" ORDER BY id DESC LIMIT ?", append(w.args, limit)...)
	if err != nil {
		return nil, err
	}
	es, err := collect(rows, scanEvent)
	return es, s.wrap(err)
}
