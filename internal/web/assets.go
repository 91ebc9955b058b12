package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"github.com/userdb/userdb/internal/httpx"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
)

//go:embed static/style.css
var styleCSS []byte

// defaultColor is the primary colour when the configured one is unusable.
const defaultColor = "#2f5bea"

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// assets are the stylesheets and icon of the pages, served from /assets/
// with no CDN and no build step. theme.css and icon.svg are made from the
// branding's primary colour when the server starts.
type assets struct {
	files map[string]asset
	urls  assetURLs
	// logoOrigin is the origin of an absolute logo URL, for the CSP.
	logoOrigin string
}

type asset struct {
	contentType string
	body        []byte
}

// assetURLs are the versioned URLs the layout links to: the version changes
// with the content, so browsers may cache each for long.
type assetURLs struct {
	Style, Theme, Icon string
}

func newAssets(primary, logoURL string) *assets {
	a := &assets{files: map[string]asset{
		"style.css": {"text/css; charset=utf-8", styleCSS},
		"theme.css": {"text/css; charset=utf-8", themeCSS(primary)},
		"icon.svg":  {"image/svg+xml", iconSVG(primary)},
	}}
	a.urls = assetURLs{Style: a.url("style.css"), Theme: a.url("theme.css"), Icon: a.url("icon.svg")}
	if u, err := url.Parse(logoURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && httpx.PlainHost(u.Host) {
		a.logoOrigin = u.Scheme + "://" + u.Host
	}
	return a
}

func (a *assets) url(name string) string {
	sum := sha256.Sum256(a.files[name].body)
	return AssetsPath + name + "?v=" + hex.EncodeToString(sum[:6])
}

// serve answers GET /assets/{name}.
func (a *assets) serve(w http.ResponseWriter, r *http.Request) {
	f, ok := a.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.contentType)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.body)))
	w.Write(f.body)
}

// themeCSS sets the colour variables style.css uses, from the primary colour.
func themeCSS(primary string) []byte {
	r, g, b := rgb(primary)
	// Text on the primary colour: white unless the colour is light
	// (relative luminance, WCAG 2.x).
	on := "#ffffff"
	if luminance(r, g, b) > 0.45 {
		on = "#111827"
	}
	dark := func(c int) int { return c * 82 / 100 }
	return fmt.Appendf(nil, `:root {
  --primary: #%02x%02x%02x;
  --primary-hover: #%02x%02x%02x;
  --primary-soft: rgba(%d, %d, %d, 0.10);
  --focus-ring: rgba(%d, %d, %d, 0.45);
  --on-primary: %s;
}
`, r, g, b, dark(r), dark(g), dark(b), r, g, b, r, g, b, on)
}

// iconSVG is the favicon: a rounded square in the primary colour.
func iconSVG(primary string) []byte {
	r, g, b := rgb(primary)
	return fmt.Appendf(nil, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">`+
		`<rect width="32" height="32" rx="8" fill="#%02x%02x%02x"/>`+
		`<circle cx="16" cy="13" r="5" fill="#fff"/><path d="M7 26c1.5-5 5-7 9-7s7.5 2 9 7z" fill="#fff"/></svg>`,
		r, g, b)
}

// rgb splits a colour #rgb or #rrggbb (already checked by hexColor).
func rgb(c string) (r, g, b int) {
	h := c[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	v, _ := strconv.ParseUint(h, 16, 32)
	return int(v >> 16 & 0xff), int(v >> 8 & 0xff), int(v & 0xff)
}

// luminance is the relative luminance of an sRGB colour, 0 to 1.
func luminance(r, g, b int) float64 {
	lin := func(c int) float64 {
		s := float64(c) / 255
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}
