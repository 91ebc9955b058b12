// Package mailtest runs MailDev, a real SMTP server with a web API, for tests
// that need to see the emails userdb sends.
package mailtest
