package web_test

import "github.com/userdb/userdb/internal/service"

// serviceInvite describes a user invited by an administrator.
func serviceInvite(email string) service.NewUser {
	return service.NewUser{Email: email, Invite: true}
}
