package console_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/internal/inside"
)

// TestDeepCustomDataRendersLinearly reproduces the review's finding: a
// user's custom data nested 9,000 levels deep (54 KB) made the console's
// user page 162 MB. A row stored before custom data was bounded is written
// straight to the store here; its page stays within a small multiple of the
// data's size, and saving it back through the form is refused.
func TestDeepCustomDataRendersLinearly(t *testing.T) {
	s := newSite(t)
	s.AddUser("root@example.com", pw, "", "super-admin")
	ann := s.AddUser("ann@example.com", pw, "")
	text := strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000)
	var deep map[string]any
	if err := json.Unmarshal([]byte(text), &deep); err != nil {
		t.Fatal(err)
	}
	st := inside.Service(s.Srv).Store()
	if _, err := st.UpdateUser(t.Context(), ann.ID, userdb.UserUpdate{CustomData: deep}, s.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	b := s.Browser()
	b.SignIn("root@example.com", pw)
	plain := b.Get("/admin/users/" + ann.ID)
	wantStatus(t, plain, http.StatusOK)

	// The same page with small custom data, for the page's own size.
	small, err := st.UpdateUser(t.Context(), ann.ID, userdb.UserUpdate{CustomData: map[string]any{"a": 1}}, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	base := b.Get("/admin/users/" + ann.ID)
	// Each of the 18,001 lines is indented at most 32 spaces and its few
	// characters escaped: under 60 bytes a line.
	if grown := len(plain.Body) - len(base.Body); grown > 60*18001 {
		t.Errorf("the page grew by %d bytes for %d bytes of custom data", grown, len(text))
	}
	if !strings.Contains(plain.Body, "{\n  &#34;a&#34;: {\n    &#34;a&#34;: {") {
		t.Errorf("custom data is not shown indented")
	}

	// Saving the deep data back through the console's form is refused.
	p := b.Post("/admin/users/"+ann.ID, url.Values{"intent": {"profile"}, "version": {strconv.FormatInt(small.Version, 10)},
		"email": {"ann@example.com"}, "customData": {text}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "nested too deeply")
}
