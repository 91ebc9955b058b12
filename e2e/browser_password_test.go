package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/userdb/userdb/internal/mail/mailtest"
)

// attr returns an attribute of the first element matching a CSS selector
// ("" when it has none).
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`(e => e ? (e.getAttribute(`+jsString(name)+`) || "") : "")(document.querySelector(`+jsString(sel)+`))`))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// html returns the page's markup as the browser holds it now.
func (b *tab) html() string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// showPassword presses the show-password control of the field named name
// and checks that the field now shows what is typed.
func (b *tab) showPassword(name string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(`button[data-reveal="f-` + name + `"]`)))
	if typ := b.attr(`#f-`+name, "type"); typ != "text" {
		b.t.Fatalf("after Show, the %s field is of type %q", name, typ)
	}
	if p := b.attr(`button[data-reveal="f-`+name+`"]`, "aria-pressed"); p != "true" {
		b.t.Fatalf("the Show control of %s has aria-pressed=%q", name, p)
	}
}

// meterScore puts password into the new password's field as typing does
// (an input event) and returns the strength meter's score (0 to 4) as the
// page's script computed it, once the script has shown the meter.
func (b *tab) meterScore(password string) string {
	b.t.Helper()
	b.do(chromedp.WaitVisible(chromedp.CSS(`[data-meter-for="f-password"]`)))
	score, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(() => {
		const input = document.getElementById("f-password");
		input.value = `+jsString(password)+`;
		input.dispatchEvent(new Event("input"));
		return document.querySelector('[data-meter-for="f-password"]').getAttribute("data-score") || "";
	})()`))
	if err != nil {
		b.t.Fatal(err)
	}
	return score
}

// TestASVS_2_1_12_PasswordFieldsInTheBrowser: on the sign-in, sign-up,
// reset and profile pages, the rule is written next to a new password's
// field, a strength meter (zxcvbn-ts, served by userdb under its CSP)
// scores what is typed, and a show-password control shows it; a password
// typed with the control on is still sent, and a page shown again after a
// failure never holds it. Screenshots at 1280 and 360 px go to the
// artifacts directory.
func TestASVS_2_1_12_PasswordFieldsInTheBrowser(t *testing.T) {
	chromium(t)
	md := mailtest.New(t, mailtest.Options{})
	s := startServerWithConfig(t, md, "", "USERDB_REGISTRATION_ENABLED=true")
	const email, pw = "rue@example.com", "first pass phrase"
	s.addUser(email, pw, "--given-name", "Rue")
	b := newTab(t, s, true)
	const rule = "Password must be 12 to 128 characters long"

	// Sign-in: the control shows the password; a wrong one with the control
	// on is sent and refused, and the page shown again does not hold it.
	b.open("/signin")
	b.see("h1", "Sign in")
	b.fill(map[string]string{"login": email, "password": "wrong but visible 1"})
	b.showPassword("password")
	b.screenshot("asvs-signin-desktop", 1280)
	b.screenshot("asvs-signin-360", 360)
	b.press("Sign in")
	b.see("div.alert", "Invalid username or password.")
	if html := b.html(); strings.Contains(html, "wrong but visible 1") {
		t.Fatal("the page shown after a failed sign-in holds the password typed")
	}
	if typ, v := b.attr("#f-password", "type"), b.value("password"); typ != "password" || v != "" {
		t.Fatalf("after the failure the password field is %q holding %q", typ, v)
	}
	b.fill(map[string]string{"password": pw})
	b.showPassword("password")
	b.press("Sign in")
	b.see("h1", "Rue") // sent with the control on: signed in

	// Profile: the rule, the meter, the control.
	b.see("p.field-hint", rule)
	if weak, strong := b.meterScore("password1"), b.meterScore("violet tractor drums at dawn"); weak >= strong || weak > "1" || strong < "3" {
		t.Fatalf("meter scores: password1 %s, a long phrase %s", weak, strong)
	}
	b.showPassword("password")
	b.screenshot("asvs-profile-desktop", 1280)
	b.screenshot("asvs-profile-360", 360)
	b.press("Sign out")
	b.see("div.alert-info", "You have signed out.")

	// Sign-up: a refused form is shown again without the password.
	b.open("/signup")
	b.see("h1", "Create your account")
	b.see("p.field-hint", rule)
	b.fill(map[string]string{"givenName": "Sam", "surname": "Vimes", "email": "sam@example.com", "confirmPassword": "not the same one"})
	if score := b.meterScore("sam vimes city watch"); score == "" {
		t.Fatal("no strength score on the sign-up page")
	}
	b.showPassword("password")
	b.screenshot("asvs-signup-desktop", 1280)
	b.screenshot("asvs-signup-360", 360)
	b.press("Create account")
	b.see("p.field-error", "match")
	if html := b.html(); strings.Contains(html, "sam vimes city watch") || strings.Contains(html, "not the same one") {
		t.Fatal("the sign-up page shown again holds a password typed")
	}

	// Reset, from the emailed link: the rule, the meter, the control; a
	// common password is refused.
	b.open("/forgot-password")
	b.fill(map[string]string{"login": email})
	b.press("Email me a link")
	b.see("div.alert-success", "Check your email.")
	_, link := waitEmail(t, md, email, "Reset your password")
	b.open(link)
	b.see("h1", "Choose a new password")
	b.see("p.field-hint", rule)
	if score := b.meterScore("password1234"); score > "1" {
		t.Fatalf("password1234 scores %s", score)
	}
	b.showPassword("password")
	b.fill(map[string]string{"confirmPassword": "password1234"})
	b.screenshot("asvs-reset-desktop", 1280)
	b.screenshot("asvs-reset-360", 360)
	b.press("Set password")
	b.see("p.field-error", "too common")
	b.fill(map[string]string{"password": "second pass phrase", "confirmPassword": "second pass phrase"})
	b.showPassword("password")
	b.press("Set password")
	b.see("div.alert-success", "Your password has been reset.")
}
