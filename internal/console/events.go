package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/ui"
)

// eventsPath is the events viewer.
const eventsPath = Prefix + "events"

// eventsPerPage is how many events a page shows.
const eventsPerPage = 50

// eventsData is the events page.
type eventsData struct {
	Events   []eventRow
	Accounts []ui.Option
	OlderURL string
	NewerURL string // back to the newest, when showing older ones
	Filtered bool
}

// events shows the audit log, newest first, filtered by type, user,
// account and dates, a page at a time.
func (c *Console) events(w http.ResponseWriter, r *http.Request, me *admin) {
	q := r.URL.Query()
	v := c.newView(r, me, "events", "events", "Events")
	v.Input = url.Values{}
	for _, k := range []string{"type", "user", "account", "since", "until"} {
		if s := strings.TrimSpace(q.Get(k)); s != "" {
			v.Input.Set(k, s)
		}
	}
	f := userdb.EventFilter{Type: v.Value("type"), UserID: v.Value("user"), Limit: eventsPerPage + 1}
	if me.Super {
		f.AccountID = v.Value("account")
	}
	f.Since = v.date("since", false)
	f.Until = v.date("until", true)
	if b := q.Get("before"); b != "" {
		id, err := strconv.ParseInt(b, 10, 64)
		if err != nil || id <= 0 {
			v.Error = msg("bad-cursor")
		}
		f.BeforeID = id
	}
	d := &eventsData{Filtered: len(v.Input) > 0}
	var err error
	if _, d.Accounts, err = c.accountNames(r, me); err != nil {
		c.fail(w, r, me, err)
		return
	}
	v.Data = d
	if len(v.Errors) > 0 || v.Error != "" {
		c.render(w, r, http.StatusBadRequest, v)
		return
	}
	list, err := c.svc.AdminEvents(r.Context(), f)
	if err != nil {
		if s := ui.FormStatus(err); s >= 500 || s == http.StatusForbidden {
			c.fail(w, r, me, err)
			return
		}
		v.setError(r, err, "type", "user", "account", "since", "until")
		c.render(w, r, ui.FormStatus(err), v)
		return
	}
	if len(list) > eventsPerPage {
		list = list[:eventsPerPage]
		d.OlderURL = withParams(eventsPath, v.Input, "before", strconv.FormatInt(list[len(list)-1].ID, 10))
	}
	if f.BeforeID != 0 {
		d.NewerURL = withParams(eventsPath, v.Input)
	}
	if d.Events, err = c.eventRows(r, me, list); err != nil {
		c.fail(w, r, me, err)
		return
	}
	c.render(w, r, http.StatusOK, v)
}
