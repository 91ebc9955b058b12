package console_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
)

// TestEventsNamePeople: the events table names users by email and accounts
// by name, linked to their pages; times say their zone; no raw ids alone
// and no null or empty details.
func TestEventsNamePeople(t *testing.T) {
	s := newSite(t)
	root := admin(s, "root@example.com", "")
	acme := s.AddAccount("acme")
	bo := s.AddUser("bo@acme.example", pw, "acme")
	gone := s.AddUser("gone@example.com", pw, "")
	if err := inside.Service(s.Srv).AdminDeleteUser(service.WithActor(context.Background(), service.SystemActor()), gone.ID); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{"/admin/events", "/admin/users/" + bo.ID} {
		p := root.Get(path)
		wantStatus(t, p, http.StatusOK)
		wantText(t, p,
			`<a href="/admin/users/`+bo.ID+`" title="`+bo.ID+`">bo@acme.example</a>`,
			`<a href="/admin/accounts/`+acme.ID+`" title="`+acme.ID+`">acme</a>`,
			" UTC</time>", `class="col-time"`)
		if m := regexp.MustCompile(`>(usr|acc)_[A-Za-z0-9]+</a>`).FindString(p.Body); m != "" {
			t.Errorf("%s links a raw id: %s", path, m)
		}
		if strings.Contains(p.Body, ": null<") || strings.Contains(p.Body, `: </span>`) {
			t.Errorf("%s shows a null or empty detail:\n%s", path, p.Body)
		}
	}
	p := root.Get("/admin/events?user=" + gone.ID)
	wantText(t, p, "Deleted user", gone.ID)

	// Signed in as root: root's own sign-in names root.
	wantText(t, root.Get("/admin/events?type=login.succeeded"), `>root@example.com</a>`)
}
