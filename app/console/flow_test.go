package console

import (
	"testing"

	"twofold/shared/api"
)

func TestNextPage(t *testing.T) {
	tests := []struct {
		resp api.LoginResponse
		want string
	}{
		{api.LoginResponse{Status: api.StatusOK}, PathSettings},
		{api.LoginResponse{Status: api.StatusVerify, Method: api.MethodTOTP}, "/verify?method=totp"},
		// The masked email stays out of the URL.
		{api.LoginResponse{Status: api.StatusVerify, Method: api.MethodEmail, EmailHint: "a***@example.com"}, "/verify?method=email"},
		{api.LoginResponse{Status: api.StatusEnroll}, PathEnroll},
		{api.LoginResponse{Status: "something new"}, ""},
	}
	for _, tt := range tests {
		if got := nextPage(&tt.resp); got != tt.want {
			t.Errorf("%s/%s: got %q, want %q", tt.resp.Status, tt.resp.Method, got, tt.want)
		}
	}
}

func TestPageFor(t *testing.T) {
	acc := &api.Account{TFA: api.TFA{State: api.TFANotEnabled, Enforced: true}}
	if got := pageFor(acc); got != PathEnroll {
		t.Errorf("enforced, not enrolled: got %q, want %q", got, PathEnroll)
	}
	acc.TFA.State = api.TFAExpired
	if got := pageFor(acc); got != PathSettings {
		t.Errorf("enforced, enrolled: got %q, want %q", got, PathSettings)
	}
}
