package web

// Kit is what the admin console (internal/console) shares with the hosted
// pages: the branding as the pages settle it (defaults filled in, a bad
// colour replaced) and the versioned URLs of their stylesheets and icon,
// which the pages serve under AssetsPath.
type Kit struct {
	Brand                       Branding
	StyleURL, ThemeURL, IconURL string
	// LogoOrigin is the origin of an absolute logo URL ("" for none): the
	// only place images may come from besides this site.
	LogoOrigin string
}

// ConsoleKit returns the kit for a branding. The asset URLs carry a hash of
// the content, so they equal the ones the pages built from the same
// branding link to.
func ConsoleKit(b Branding) Kit {
	if b.ProductName == "" {
		b.ProductName = "userdb"
	}
	if !hexColor.MatchString(b.PrimaryColor) {
		b.PrimaryColor = defaultColor
	}
	a := newAssets(b.PrimaryColor, b.LogoURL)
	return Kit{Brand: b, StyleURL: a.urls.Style, ThemeURL: a.urls.Theme, IconURL: a.urls.Icon, LogoOrigin: a.logoOrigin}
}

// DescribeAgent names the browser and system of a User-Agent header the way
// the sessions page does ("Firefox on Windows").
func DescribeAgent(ua string) string { return describeAgent(ua) }
