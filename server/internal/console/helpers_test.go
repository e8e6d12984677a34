package console_test

import "twofold/server/internal/account"

func userNamed(name, password string, email ...string) account.NewUser {
	u := account.NewUser{Username: name, Password: password}
	if len(email) > 0 {
		u.Email = email[0]
	}
	return u
}
