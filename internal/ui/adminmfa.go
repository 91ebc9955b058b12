package ui

import "time"

// AdminMFANotice is the banner of an administrator who must add a second
// factor and may still sign in without one (ASVS 4.3.1): the console's
// layout and the profile page show it (template "admin-mfa-notice").
type AdminMFANotice struct {
	// By is when the administrator's grace ends.
	By time.Time
	// Link is the profile's two-step verification section.
	Link string
}

// NewAdminMFANotice returns the notice of a grace that ends at by, linking
// to the profile page at profile; nil (no notice) when by is nil.
func NewAdminMFANotice(by *time.Time, profile string) *AdminMFANotice {
	if by == nil {
		return nil
	}
	return &AdminMFANotice{By: *by, Link: profile + "#mfa-heading"}
}

// Day is the end of the grace as the notice shows it.
func (n *AdminMFANotice) Day() string { return n.By.UTC().Format("2 Jan 2006, 15:04 UTC") }
