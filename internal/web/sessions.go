package web

import (
	"net/http"
	"time"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/edge"
	"github.com/userdb/userdb/internal/ui"
)

// sessionRow is one session in the list.
type sessionRow struct {
	ID, Device, IP    string
	Started, LastSeen time.Time
	Current           bool
	// Kept: signed in with "Keep me signed in", until Until.
	Kept  bool
	Until time.Time
}

// sessionList shows where the user is signed in.
func (p *Pages) sessionList(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	p.showSessions(w, r, me, http.StatusOK, p.newView(r, "sessions"))
}

func (p *Pages) showSessions(w http.ResponseWriter, r *http.Request, me *edge.Principal, status int, v *view) {
	list, err := p.svc.Sessions(r.Context(), me.User.ID)
	if err != nil {
		p.fail(w, r, err)
		return
	}
	rows := make([]sessionRow, len(list))
	for i, s := range list {
		rows[i] = sessionRow{ID: s.ID, Device: catalogue.DescribeAgent(s.UserAgent), IP: s.IP,
			Started: s.CreatedAt, LastSeen: s.LastSeenAt, Current: s.ID == me.Session.ID, Kept: s.Remembered, Until: s.ExpiresAt}
	}
	v.User, v.Data = me.User, rows
	p.render(w, r, status, v)
}

// sessionsPost ends one session ("intent" end, with its id) or every
// session but this one (intent end-others).
func (p *Pages) sessionsPost(w http.ResponseWriter, r *http.Request, me *edge.Principal) {
	if !p.parseForm(w, r) {
		return
	}
	switch r.PostFormValue("intent") {
	case "end":
		id := r.PostFormValue("id")
		if id == me.Session.ID {
			p.signOut(w, r)
			return
		}
		if err := p.svc.EndSession(r.Context(), me.User, id); err != nil {
			v := p.newView(r, "sessions")
			v.setError(r, err)
			p.showSessions(w, r, me, ui.FormStatus(err), v)
			return
		}
		setFlash(w, r, flashSessionEnded)
	case "end-others":
		if _, err := p.svc.EndOtherSessions(r.Context(), me.User, me.Session.ID); err != nil {
			p.fail(w, r, err)
			return
		}
		setFlash(w, r, flashSessionsEnded)
	default:
		p.fail(w, r, &userdb.Error{Code: userdb.EINVALID, Message: msg("form-unreadable")})
		return
	}
	ui.Redirect(w, r, SessionsPath)
}
