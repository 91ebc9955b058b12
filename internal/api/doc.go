// Package api serves userdb's JSON API: the routes of the original Node
// library and react-stormpath (/login, /me, /register, /verify, /forgot,
// /change, /expired, /logout, /users/check_password) and the caller's
// session list.
package api
