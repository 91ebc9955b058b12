package server_test

import (
	"net/url"

	"github.com/userdb/userdb/internal/service"
)

func serviceAccount(name string) service.NewAccount { return service.NewAccount{Name: name} }

func newUserIn(account, email string) service.NewUser {
	return service.NewUser{Account: account, Email: email, Password: "correct horse battery", Verified: true}
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
