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

// eventView is an audit event as the command line shows it.
type eventView struct {
	ID        int64          `json:"id"`
	Type      string         `json:"type"`
	Time      time.Time      `json:"time"`
	Actor     string         `json:"actor,omitempty"`
	User      string         `json:"user,omitempty"`
	Account   string         `json:"account,omitempty"`
	IP        string         `json:"ip,omitempty"`
	UserAgent string         `json:"userAgent,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}

// viewEvent returns the command-line view of ev.
func viewEvent(ev *userdb.Event) eventView {
	return eventView{ID: ev.ID, Type: ev.Type, Time: ev.Time, Actor: ev.ActorID, User: ev.UserID,
		Account: ev.AccountID, IP: ev.IP, UserAgent: ev.UserAgent, Details: ev.Details}
}

// eventsCmd lists audit events, newest first.
func eventsCmd(e *env, args []string) error {
	var c common
	fs := c.flags("events", true)
	user := fs.String("user", "", "only events about this `user` (id, username or email)")
	account := fs.String("account", "", "only events in this `account` (name or id)")
	var f userdb.EventFilter
	fs.StringVar(&f.Type, "type", "", "only events of this `type`, or of a prefix ending in a dot such as user.")
	fs.IntVar(&f.Limit, "limit", 50, "most events to list, 1 to 1000")
	if _, err := parse(e, fs, args, 0, 0, "[flags]"); err != nil {
		return err
	}
	if f.Limit < 1 || f.Limit > 1000 {
		return usagef("events: --limit must be between 1 and 1000")
	}
	return c.withServer(e, func(ctx context.Context, svc *service.Service) error {
		if *user != "" {
			// A deleted user's events stay, so an id that no longer
			// resolves still filters.
			f.UserID = *user
			if u, err := findUser(ctx, svc, *user); err == nil {
				f.UserID = u.ID
			}
		}
		if *account != "" {
			a, err := findAccount(ctx, svc, *account)
			if err != nil {
				return err
			}
			f.AccountID = a.ID
		}
		list, err := svc.AdminEvents(ctx, f)
		if err != nil {
			return err
		}
		if c.json {
			views := make([]eventView, len(list))
			for i, ev := range list {
				views[i] = viewEvent(ev)
			}
			return printJSON(e.stdout, map[string]any{"events": views})
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tTYPE\tUSER\tACTOR\tIP\tDETAILS")
		for _, ev := range list {
			details := ""
			if len(ev.Details) > 0 {
				b, err := json.Marshal(ev.Details)
				if err != nil {
					return err
				}
				details = string(b)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.Time.Format(time.RFC3339), ev.Type,
				dash(ev.UserID), dash(ev.ActorID), dash(ev.IP), details)
		}
		return tw.Flush()
	})
}

// dash stands in for an empty table cell.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
