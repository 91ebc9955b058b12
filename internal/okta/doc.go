// Package okta serves a subset of Okta's management API (users, groups and
// the user profile schema) under a base path that an Okta SDK's orgUrl can
// point to, so that applications written against Okta's SDKs run against
// userdb unchanged. It is an adapter: every request becomes one of the
// service's Admin* calls, with the same authorization as userdb's own REST
// API, and its answer is reshaped into Okta's JSON, statuses and errors.
package okta
