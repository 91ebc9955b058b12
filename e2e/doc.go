// Package e2e holds end-to-end tests: they build and run the real userdb
// binary against a real SMTP server (MailDev) and, where pages are involved,
// a real browser. Without those tools they skip with a message saying what to
// install, unless USERDB_TEST_E2E=1, in which case they fail.
//
// testdata/libapp is a Go module of its own that embeds userdb as a library
// through a replace directive; TestLibraryFromAnotherModule builds it as an
// outside program would and drives it over HTTP, and the README's library
// section is checked to be a copy of its code. TestREADMECommands follows
// the README from top to bottom, running the commands of its shell blocks.
package e2e
