// Package web serves userdb's hosted pages: sign in, registration, email
// verification, forgotten and expired passwords, the profile, the session
// list and invitations. They are server-rendered from embedded templates,
// work without JavaScript and hold under a strict Content-Security-Policy.
package web
