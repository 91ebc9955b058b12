package ui

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"

	"github.com/userdb/userdb/internal/httpx"
)

// AssetsPath is where the shared stylesheets and icon are served
// (Look.ServeAsset), with no CDN and no build step.
const AssetsPath = "/assets/"

// Branding is how the product presents itself (config branding).
type Branding struct {
	ProductName  string
	LogoURL      string // absolute URL or path; "" for none
	PrimaryColor string // #rgb or #rrggbb
}

// defaultColor is the primary colour when the configured one is unusable.
const defaultColor = "#2f5bea"

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

//go:embed static/style.css
var styleCSS []byte

// The password pages' script (show-password and the strength meter) and
// the strength estimator it uses, zxcvbn-ts (static/zxcvbn/README.md).
var (
	//go:embed static/password.js
	passwordJS []byte
	//go:embed static/zxcvbn/core.js
	zxcvbnCore []byte
	//go:embed static/zxcvbn/common.js
	zxcvbnCommon []byte
	//go:embed static/zxcvbn/en.js
	zxcvbnEn []byte
)

// Look is a branding settled (defaults filled in, an unusable colour
// replaced) with the files made from it: style.css, and theme.css and
// icon.svg in its primary colour. The pages and the console built from one
// branding link to the same versioned URLs.
type Look struct {
	Brand Branding
	URLs  AssetURLs
	// LogoOrigin is the origin of an absolute logo URL ("" for none): the
	// only place images may come from besides this site (for the CSP).
	LogoOrigin string

	files map[string]File
}

// AssetURLs are the versioned URLs of the shared assets: the version
// changes with the content, so browsers may cache each for long.
type AssetURLs struct {
	Style, Theme, Icon string
	// Password is the script of the password fields; Zxcvbn the strength
	// estimator's files, in the order they load.
	Password string
	Zxcvbn   []string
}

// NewLook settles b and makes its files.
func NewLook(b Branding) *Look {
	if b.ProductName == "" {
		b.ProductName = "userdb"
	}
	if !hexColor.MatchString(b.PrimaryColor) {
		b.PrimaryColor = defaultColor
	}
	l := &Look{Brand: b, files: map[string]File{}}
	for _, f := range []struct {
		name, contentType string
		body              []byte
	}{
		{"style.css", "text/css; charset=utf-8", styleCSS},
		{"theme.css", "text/css; charset=utf-8", themeCSS(b.PrimaryColor)},
		{"icon.svg", "image/svg+xml", iconSVG(b.PrimaryColor)},
		{"password.js", "text/javascript; charset=utf-8", passwordJS},
		{"zxcvbn-core.js", "text/javascript; charset=utf-8", zxcvbnCore},
		{"zxcvbn-common.js", "text/javascript; charset=utf-8", zxcvbnCommon},
		{"zxcvbn-en.js", "text/javascript; charset=utf-8", zxcvbnEn},
	} {
		l.files[f.name] = NewFile(AssetsPath+f.name, f.contentType, f.body)
	}
	l.URLs = AssetURLs{Style: l.files["style.css"].URL, Theme: l.files["theme.css"].URL, Icon: l.files["icon.svg"].URL,
		Password: l.files["password.js"].URL,
		Zxcvbn:   []string{l.files["zxcvbn-core.js"].URL, l.files["zxcvbn-common.js"].URL, l.files["zxcvbn-en.js"].URL}}
	if u, err := url.Parse(b.LogoURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && httpx.PlainHost(u.Host) {
		l.LogoOrigin = u.Scheme + "://" + u.Host
	}
	return l
}

// ServeAsset answers GET AssetsPath+"{name}".
func (l *Look) ServeAsset(w http.ResponseWriter, r *http.Request) {
	f, ok := l.files[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	f.ServeHTTP(w, r)
}

// File is a static file served at a URL that changes with its content, so
// that browsers may cache it for long.
type File struct {
	ContentType string
	Body        []byte
	URL         string // path?v=<hash of Body>
}

// NewFile returns the file served at path.
func NewFile(path, contentType string, body []byte) File {
	sum := sha256.Sum256(body)
	return File{ContentType: contentType, Body: body, URL: path + "?v=" + hex.EncodeToString(sum[:6])}
}

// ServeHTTP writes the file.
func (f File) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.Write(f.Body)
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
