// Package ui is the look the hosted pages (internal/web) and the admin
// console (internal/console) share: the branding and the stylesheets and
// icon made from it, served at versioned URLs; the message catalogue type;
// the parsing and rendering of page templates; forms (what was typed, the
// messages at fields, the inputs' descriptions) and flash messages. Its
// subpackage uitest is the browser-like test client both surfaces' tests
// use.
package ui
