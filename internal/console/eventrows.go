package console

import (
	"context"
	"net/http"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// eventRow is an event as the tables show it: the people and the account
// it names by email and name, linked, rather than by raw id.
type eventRow struct {
	*userdb.Event
	User, Actor party
	Account     party
}

// party is someone or something an event names: Label is what a reader
// recognises (an email, an account's name); Href, when set, its page.
// Gone marks a user deleted since, shown by id because nothing else is left.
type party struct {
	ID, Label, Href string
	Gone            bool
}

// eventRows resolves the users and accounts of events, each once, through
// the same authorized service calls as their pages: an administrator sees
// the emails of its own account's users only, others by id.
func (c *Console) eventRows(r *http.Request, me *admin, list []*userdb.Event) ([]eventRow, error) {
	users := map[string]party{}
	user := func(ctx context.Context, id string) (party, error) {
		if id == "" || !strings.HasPrefix(id, "usr_") {
			return party{ID: id, Label: id}, nil
		}
		if p, ok := users[id]; ok {
			return p, nil
		}
		p := party{ID: id, Label: id, Href: usersPath + "/" + id}
		u, err := c.svc.AdminFindUser(ctx, service.ByID, id)
		switch {
		case err == nil:
			p.Label = u.Email
		case userdb.IsCode(err, userdb.ENOTFOUND), userdb.IsCode(err, userdb.EFORBIDDEN):
			p.Gone, p.Href = true, ""
		default:
			return party{}, err
		}
		users[id] = p
		return p, nil
	}
	names, _, err := c.accountNames(r, me)
	if err != nil {
		return nil, err
	}
	rows := make([]eventRow, len(list))
	for i, ev := range list {
		row := eventRow{Event: ev}
		if row.User, err = user(r.Context(), ev.UserID); err != nil {
			return nil, err
		}
		if row.Actor, err = user(r.Context(), ev.ActorID); err != nil {
			return nil, err
		}
		if ev.AccountID != "" {
			row.Account = party{ID: ev.AccountID, Label: ev.AccountID}
			if name, ok := names[ev.AccountID]; ok {
				row.Account.Label = name
				if me.Super {
					row.Account.Href = accountsPath + "/" + ev.AccountID
				}
			}
		}
		rows[i] = row
	}
	return rows, nil
}
