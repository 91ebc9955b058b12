package console_test

import "github.com/userdb/userdb/internal/ui/uitest"

// The console's tests run on the harness they share with the pages'.
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
