// Package console is the admin console under /admin/: server-rendered pages
// for administrators over the service's Admin* methods.
package console
