// Package mail renders the workflow emails from templates and delivers the
// outbox through an SMTP or logging driver.
package mail
