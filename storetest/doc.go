// Package storetest is the conformance suite that every userdb.Store
// implementation must pass; an implementation's tests call Run.
package storetest
