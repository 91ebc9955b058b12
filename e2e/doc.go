// Package e2e holds end-to-end tests: they build and run the real userdb
// binary against a real SMTP server (MailDev) and, where pages are involved,
// a real browser. Without those tools they skip with a message saying what to
// install, unless USERDB_TEST_E2E=1, in which case they fail.
package e2e
