package ui

import (
	"fmt"
	"strings"
)

// Catalogue holds the text of a surface's messages, by key, ready for
// translation (a translation is another catalogue).
type Catalogue map[string]string

// Msg returns the message of key, formatted with args. A missing key is a
// bug: it shows the key, so a test notices.
func (c Catalogue) Msg(key string, args ...any) string {
	s, ok := c[key]
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// AgentKeys are the keys DescribeAgent looks up: a catalogue that describes
// devices holds them.
var AgentKeys = []string{"device-unknown", "browser-unknown", "device-on"}

// DescribeAgent names the browser and system of a User-Agent header well
// enough for a person to recognise their device ("Firefox on Windows"),
// in the words of c (AgentKeys).
func (c Catalogue) DescribeAgent(ua string) string {
	if ua == "" {
		return c.Msg("device-unknown")
	}
	browser := ""
	for _, b := range []struct{ token, name string }{
		// Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chromium/", "Chromium"},
		{"HeadlessChrome/", "Headless Chrome"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"},
	} {
		if strings.Contains(ua, b.token) {
			browser = b.name
			break
		}
	}
	if browser == "" {
		// Not a browser we know: its first product token ("Go-http-client/1.1").
		browser, _, _ = strings.Cut(ua, " ")
		browser, _, _ = strings.Cut(browser, "/")
		if len(browser) > 40 || browser == "" {
			browser = c.Msg("browser-unknown")
		}
	}
	system := ""
	for _, s := range []struct{ token, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.token) {
			system = s.name
			break
		}
	}
	if system == "" {
		return browser
	}
	return c.Msg("device-on", browser, system)
}
