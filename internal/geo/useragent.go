package geo

import "strings"

// Browser names the browser and operating system of a User-Agent header in
// a few words ("Firefox on Linux"), for notices a person reads; the raw
// header when it names neither.
func Browser(ua string) string {
	browser := firstMatch(ua, []string{"Edg/", "Edge"}, "Edge",
		[]string{"OPR/", "Opera"}, "Opera",
		[]string{"Firefox/"}, "Firefox",
		[]string{"Chromium/"}, "Chromium",
		[]string{"Chrome/", "CriOS/"}, "Chrome",
		[]string{"Safari/"}, "Safari",
		[]string{"curl/"}, "curl")
	os := firstMatch(ua, []string{"Android"}, "Android",
		[]string{"iPhone", "iPad", "iOS"}, "iOS",
		[]string{"Windows"}, "Windows",
		[]string{"Mac OS X", "Macintosh"}, "macOS",
		[]string{"CrOS"}, "ChromeOS",
		[]string{"Linux"}, "Linux")
	switch {
	case browser != "" && os != "":
		return browser + " on " + os
	case browser != "":
		return browser
	case os != "":
		return "a browser on " + os
	}
	if len(ua) > 80 {
		ua = ua[:80]
	}
	if ua == "" {
		return "an unknown device"
	}
	return ua
}

// firstMatch takes pairs of (needles, name) and returns the name of the
// first pair with a needle in s.
func firstMatch(s string, pairs ...any) string {
	for i := 0; i+1 < len(pairs); i += 2 {
		for _, n := range pairs[i].([]string) {
			if strings.Contains(s, n) {
				return pairs[i+1].(string)
			}
		}
	}
	return ""
}
