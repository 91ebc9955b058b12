package web_test

import (
	"github.com/userdb/userdb/internal/service"
	"github.com/userdb/userdb/internal/ui/uitest"
)

// The pages' tests run on the harness they share with the console's.
type (
	site    = uitest.Site
	browser = uitest.Browser
	page    = uitest.Page
)

var (
	newSite      = uitest.NewSite
	wantStatus   = uitest.WantStatus
	wantRedirect = uitest.WantRedirect
	wantText     = uitest.WantText
)

// serviceInvite describes a user invited by an administrator.
func serviceInvite(email string) service.NewUser {
	return service.NewUser{Email: email, Invite: true}
}
