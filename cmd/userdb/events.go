package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/service"
)

// eventsCmd lists audit events, newest first.
func eventsCmd(e *env, args []string) error {
	var c common
	fs := c.flags("events", true)
	user := fs.String("user", "", "")
	account := fs.String("account", "", "")
	var f userdb.EventFilter
	fs.StringVar(&f.Type, "type", "", "")
	fs.IntVar(&f.Limit, "limit", 50, "")
	if _, err := parse(fs, args, 0, 0, ""); err != nil {
		return err
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return usagef("events: --limit must be between 1 and 1000")
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		if *user != "" {
			// A deleted user's events stay: an id that no longer resolves still filters.
			f.UserID = *user
			if u, err := svc.FindUser(ctx, *user); err == nil {
				f.UserID = u.ID
			}
		}
		if *account != "" {
			a, err := svc.FindAccount(ctx, *account)
			if err != nil {
				return err
			}
			f.AccountID = a.ID
		}
		list, err := svc.Events(ctx, f)
		if err != nil {
			return err
		}
		if c.json {
			return printJSON(e.stdout, map[string]any{"events": list})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tTYPE\tUSER\tACTOR\tIP\tDETAILS")
		for _, ev := range list {
			details := ""
			if len(ev.Details) > 0 {
				b, _ := json.Marshal(ev.Details)
				details = string(b)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.Format(time.RFC3339), ev.Type, ev.UserID, ev.ActorID, ev.IP, details)
		}
		return tw.Flush()
	})
}
