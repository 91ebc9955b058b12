package config

// TemplateUse is the template one configurable email names: an email kind
// (account-verification ...) or a template of one's own, the name of a file
// in email.templates_dir (issue 22: the original's `template:
// my-verify.html`). Option is its setting, for messages.
type TemplateUse struct {
	Option, Name, Format string
}

// emailKeys are the configurable emails, by their key under email.
var emailKeys = []string{
	"account_verification", "account_verification_successful", "account_welcome",
	"forgot_password", "password_reset_successful",
}

// TemplateUses returns the template of every configurable email, whether
// it is sent or not: start-up loads them all, so that switching an email on
// cannot reveal a missing file.
func (e *Email) TemplateUses() []TemplateUse {
	out := make([]TemplateUse, 0, len(emailKeys))
	for _, k := range emailKeys {
		m := e.Message(k)
		out = append(out, TemplateUse{Option: "email." + k + ".template", Name: m.Template, Format: m.Format})
	}
	return out
}

// Message returns the settings of the email under email.<key>
// (account_verification ... password_reset_successful).
func (e *Email) Message(key string) Message {
	switch key {
	case "account_verification":
		return e.AccountVerification.Message
	case "account_verification_successful":
		return e.AccountVerificationSuccessful
	case "account_welcome":
		return e.AccountWelcome
	case "forgot_password":
		return e.ForgotPassword.Message
	}
	return e.PasswordResetSuccessful
}
