package ui

import (
	"strings"
	"testing"
)

func TestThemeTextContrast(t *testing.T) {
	for _, tc := range []struct{ primary, on string }{
		{"#2f5bea", "#ffffff"},
		{"#000", "#ffffff"},
		{"#ffd60a", "#111827"}, // yellow: dark text
		{"#fff", "#111827"},
	} {
		css := string(themeCSS(tc.primary))
		if !strings.Contains(css, "--on-primary: "+tc.on+";") {
			t.Errorf("%s: %s", tc.primary, css)
		}
	}
	if got := string(themeCSS("#abc")); !strings.Contains(got, "--primary: #aabbcc;") {
		t.Errorf("short colour not expanded: %s", got)
	}
}

func TestDescribeAgent(t *testing.T) {
	catalogue := Catalogue{"device-unknown": "Unknown device", "browser-unknown": "Unknown browser", "device-on": "%s on %s"}
	for ua, want := range map[string]string{
		"": "Unknown device",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0":                   "Edge on Windows",
		"Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0":                                                                  "Firefox on Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari on iOS",
		"Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36":                                "Chrome on Android",
		"curl/8.5.0":         "curl",
		"Go-http-client/1.1": "Go-http-client",
	} {
		if got := catalogue.DescribeAgent(ua); got != want {
			t.Errorf("DescribeAgent(%q) = %q, want %q", ua, got, want)
		}
	}
}
