package service

import (
	"context"

	"github.com/userdb/userdb"
)

// ExportOptions say what to export.
type ExportOptions struct {
	Account string // "" = every account the actor may see
	// Hashes includes password hashes (to move users to another system).
	// Only super-admins and the command line may ask for them.
	Hashes bool
}

// exportPage is how many users each read of an export fetches.
const exportPage = 500

// ExportUsers calls fn with every user the actor may see, oldest first, page
// by page (never the whole table in memory), and with the name of each
// user's account. Without opts.Hashes the users' password hashes are blank.
// The export is recorded as a users.exported event.
func (s *Service) ExportUsers(ctx context.Context, opts ExportOptions, fn func(u *userdb.User, account string) error) (int, error) {
	const action = "users.export"
	sc, err := s.adminScope(ctx, action)
	if err != nil {
		return 0, err
	}
	f := userdb.UserFilter{Limit: exportPage}
	if opts.Account != "" || !sc.super {
		a, err := s.adminAccount(ctx, sc, action, opts.Account)
		if err != nil {
			return 0, err
		}
		f.AccountID = a.ID
	}
	if opts.Hashes {
		if err := s.requireSuper(ctx, sc, action, target{accountID: f.AccountID}); err != nil {
			return 0, err
		}
	}
	// The export is recorded before it starts, so that a failed or
	// interrupted one still shows who asked.
	err = s.store.Tx(ctx, func(tx userdb.Store) error {
		return s.record(ctx, tx, "users.exported", nil, map[string]any{"account": f.AccountID, "hashes": opts.Hashes})
	})
	if err != nil {
		return 0, err
	}
	names := map[string]string{}
	n := 0
	for {
		users, next, err := s.store.FindUsers(ctx, f)
		if err != nil {
			return n, err
		}
		for _, u := range users {
			name, ok := names[u.AccountID]
			if !ok {
				a, err := s.store.FindAccountByID(ctx, u.AccountID)
				if err != nil {
					return n, err
				}
				name = a.Name
				names[u.AccountID] = name
			}
			if !opts.Hashes {
				u.PasswordHash = ""
			}
			if err := fn(u, name); err != nil {
				return n, err
			}
			n++
		}
		if next == "" {
			return n, nil
		}
		f.Cursor = next
	}
}
