package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/userdb/userdb"
	"github.com/userdb/userdb/config"
	"github.com/userdb/userdb/internal/inside"
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/server"
)

// withSchema declares custom attributes of every type.
func withSchema(c *server.Config) {
	c.CustomData.Schema = []config.Attribute{
		{Name: "birthdate", Type: "date", EditableBy: "user"},
		{Name: "shoeSize", Type: "number", EditableBy: "user"},
		{Name: "children", Type: "integer", EditableBy: "user"},
		{Name: "newsletter", Type: "boolean", EditableBy: "user"},
		{Name: "backupEmail", Type: "email", EditableBy: "user"},
		{Name: "homepage", Type: "url", EditableBy: "user"},
		{Name: "plan", Type: "enum", Values: []string{"free", "pro", "team"}, Required: true, EditableBy: "user"},
		{Name: "nickname", Type: "string", MaxLength: 12, EditableBy: "user"},
		{Name: "employee_id", Type: "string", EditableBy: "admin"},
	}
}

// goodAttrs is a valid post of the attributes form.
func goodAttrs() url.Values {
	return url.Values{
		"intent":                 {"attributes"},
		"customData.birthdate":   {"1990-04-21"},
		"customData.shoeSize":    {"42.5"},
		"customData.children":    {"2"},
		"customData.newsletter":  {"true"},
		"customData.backupEmail": {"ann.backup@example.com"},
		"customData.homepage":    {"https://ann.example.com/"},
		"customData.plan":        {"pro"},
		"customData.nickname":    {"annie"},
	}
}

// TestProfileAttributeInputs renders each attribute with the input of its
// type, its label tied to it, and the administrator's attribute read-only.
func TestProfileAttributeInputs(t *testing.T) {
	s := newSite(t, withSchema)
	addUserWith(s, "ann@example.com", "correct horse battery", map[string]any{"employee_id": "E-1234", "plan": "free"})
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")
	p := b.Get("/profile")
	wantStatus(t, p, http.StatusOK)
	if m := inlineCode.FindString(p.Body); m != "" {
		t.Fatalf("inline code %q would break the CSP", m)
	}
	for _, in := range []struct{ name, typ, extra string }{
		{"birthdate", "date", ""},
		{"shoeSize", "number", ` step="any"`},
		{"children", "number", ` step="1"`},
		{"backupEmail", "email", ""},
		{"homepage", "url", ""},
		{"nickname", "text", ` maxlength="12"`},
	} {
		label := `<label for="f-cd-` + in.name + `">`
		input := `<input id="f-cd-` + in.name + `" name="customData.` + in.name + `" type="` + in.typ + `"` + in.extra
		if !strings.Contains(p.Body, label) || !strings.Contains(p.Body, input) {
			t.Errorf("no labelled %s input for %s (want %s):\n%s", in.typ, in.name, input, p.Body)
		}
	}
	wantText(t, p,
		`<label for="f-cd-shoeSize">Shoe size</label>`,
		`<input id="f-cd-newsletter" name="customData.newsletter" type="checkbox" value="true">`,
		`<label for="f-cd-newsletter">Newsletter</label>`,
		`<select id="f-cd-plan" name="customData.plan" required>`,
		`<option value="free" selected>free</option>`, `<option value="team">team</option>`,
		// The administrator's attribute: shown, labelled, not editable, not posted.
		`<label for="f-cd-employee_id">Employee id</label>`,
		`<input id="f-cd-employee_id" type="text" value="E-1234" readonly`,
		"Only an administrator can change this.",
		// The email change form.
		`<input id="f-newEmail" name="newEmail" type="email" autocomplete="email"`,
		`<input id="f-emailPassword" name="emailPassword" type="password" autocomplete="current-password"`,
	)
	if strings.Contains(p.Body, `name="customData.employee_id"`) {
		t.Fatal("the administrator's attribute is an input of the form")
	}
}

// TestProfileAttributesSave saves typed values through the service and
// shows them again; bad values come back with 400, a message at each
// field at fault and what was typed, and change nothing.
func TestProfileAttributesSave(t *testing.T) {
	s := newSite(t, withSchema)
	u := addUserWith(s, "ann@example.com", "correct horse battery", map[string]any{"plan": "free"})
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")

	wantRedirect(t, b.Post("/profile", goodAttrs()), "/profile")
	got, err := inside.Service(s.Srv).Store().FindUserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"birthdate": "1990-04-21", "shoeSize": 42.5, "children": 2.0, "newsletter": true,
		"backupEmail": "ann.backup@example.com", "homepage": "https://ann.example.com/", "plan": "pro", "nickname": "annie"}
	for k, v := range want {
		if got.CustomData[k] != v {
			t.Errorf("customData[%s] = %#v (%T), want %#v (%T)", k, got.CustomData[k], got.CustomData[k], v, v)
		}
	}
	p := b.Get("/profile")
	wantText(t, p, "Your profile has been saved.", `name="customData.birthdate" type="date" value="1990-04-21"`,
		`value="42.5"`, `<option value="pro" selected>pro</option>`, `type="checkbox" value="true" checked>`)

	// Untick the checkbox and empty an optional field: false and removed.
	form := goodAttrs()
	form.Del("customData.newsletter")
	form.Set("customData.nickname", " ")
	wantRedirect(t, b.Post("/profile", form), "/profile")
	got, _ = inside.Service(s.Srv).Store().FindUserByID(context.Background(), u.ID)
	if got.CustomData["newsletter"] != false {
		t.Errorf("newsletter = %#v after unticking", got.CustomData["newsletter"])
	}
	if _, ok := got.CustomData["nickname"]; ok {
		t.Errorf("nickname = %#v after emptying it", got.CustomData["nickname"])
	}

	for _, tc := range []struct {
		name  string
		set   map[string]string
		field string
		msg   string
	}{
		{"bad date", map[string]string{"customData.birthdate": "1990-02-30"}, "birthdate", "birthdate must be a date written YYYY-MM-DD."},
		{"date in another format", map[string]string{"customData.birthdate": "21/04/1990"}, "birthdate", "birthdate must be a date written YYYY-MM-DD."},
		{"not a number", map[string]string{"customData.shoeSize": "big"}, "shoeSize", "shoeSize must be a number."},
		{"not a finite number", map[string]string{"customData.shoeSize": "NaN"}, "shoeSize", "shoeSize must be a number."},
		{"infinite", map[string]string{"customData.children": "-Infinity"}, "children", "children must be a number."},
		{"not a whole number", map[string]string{"customData.children": "1.5"}, "children", "children must be a whole number."},
		{"bad email", map[string]string{"customData.backupEmail": "not-an-address"}, "backupEmail", "backupEmail must be an email address."},
		{"not http", map[string]string{"customData.homepage": "javascript:alert(1)"}, "homepage", "homepage must be an http or https URL."},
		{"not a value of the enum", map[string]string{"customData.plan": "gold"}, "plan", "plan must be one of [free pro team]."},
		{"required enum missing", map[string]string{"customData.plan": ""}, "plan", "plan is required."},
		{"too long", map[string]string{"customData.nickname": "a very long nickname"}, "nickname", "nickname must be at most 12 characters."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := inside.Service(s.Srv).Store().FindUserByID(context.Background(), u.ID)
			form := goodAttrs()
			form.Set("customData.birthdate", "2001-01-01") // a valid change that must not be saved
			for k, v := range tc.set {
				form.Set(k, v)
			}
			p := b.Post("/profile", form)
			wantStatus(t, p, http.StatusBadRequest)
			// The message is at the field, tied to its input.
			wantText(t, p, `aria-invalid="true" aria-describedby="f-cd-`+tc.field+`-error">`,
				`<p class="field-error" id="f-cd-`+tc.field+`-error">`+htmlEscape(tc.msg)+`</p>`)
			// What was typed is still there, in every field.
			for k, v := range tc.set {
				if v == "" || strings.HasPrefix(k, "customData.plan") {
					continue
				}
				wantText(t, p, `name="`+k+`"`, `value="`+htmlEscape(v)+`"`)
			}
			if tc.field != "birthdate" {
				wantText(t, p, `value="2001-01-01"`)
			}
			after, _ := inside.Service(s.Srv).Store().FindUserByID(context.Background(), u.ID)
			if after.Version != before.Version {
				t.Fatalf("a refused form changed the user (version %d -> %d)", before.Version, after.Version)
			}
		})
	}

	t.Run("several fields at fault", func(t *testing.T) {
		form := goodAttrs()
		form.Set("customData.birthdate", "yesterday")
		form.Set("customData.shoeSize", "big")
		p := b.Post("/profile", form)
		wantStatus(t, p, http.StatusBadRequest)
		wantText(t, p, `id="f-cd-birthdate-error"`, `id="f-cd-shoeSize-error"`, `value="yesterday"`, `value="big"`)
	})

	t.Run("an administrator's attribute cannot be posted", func(t *testing.T) {
		form := goodAttrs()
		form.Set("customData.employee_id", "E-9999")
		wantRedirect(t, b.Post("/profile", form), "/profile")
		got, _ := inside.Service(s.Srv).Store().FindUserByID(context.Background(), u.ID)
		if _, ok := got.CustomData["employee_id"]; ok {
			t.Fatalf("employee_id = %#v: set by the user", got.CustomData["employee_id"])
		}
	})
}

// TestProfileWithoutSchema shows no editor for free-form custom data, and
// refuses an attributes post with 400.
func TestProfileWithoutSchema(t *testing.T) {
	s := newSite(t)
	s.AddUser("ann@example.com", "correct horse battery", "")
	b := s.Browser()
	b.SignIn("ann@example.com", "correct horse battery")
	p := b.Get("/profile")
	wantStatus(t, p, http.StatusOK)
	if strings.Contains(p.Body, "customData.") || strings.Contains(p.Body, "Profile details") {
		t.Fatalf("an editor for free-form custom data:\n%s", p.Body)
	}
	p = b.Post("/profile", url.Values{"intent": {"attributes"}, "customData.x": {"1"}})
	wantStatus(t, p, http.StatusBadRequest)
	wantText(t, p, "There are no profile attributes to save.")
}

// addUserWith creates an enabled, verified user with custom data.
func addUserWith(s *site, email, password string, custom map[string]any) *userdb.User {
	s.T.Helper()
	u, err := inside.Service(s.Srv).AdminCreateUser(service.WithActor(context.Background(), service.SystemActor()), service.NewUser{
		Email: email, Password: password, GivenName: "Ann", Surname: "Lee", Verified: true, CustomData: custom})
	if err != nil {
		s.T.Fatalf("create user %s: %v", email, err)
	}
	return u
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}
