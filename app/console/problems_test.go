package console

import (
	"testing"

	"twofold/app/apiclient"
	"twofold/shared/api"
	"twofold/shared/validate"
)

func TestFromErrorPutsFieldsNextToTheirInputs(t *testing.T) {
	err := &api.Error{
		Status: 400, Code: api.CodeValidationFailed, Message: "Some fields are not valid.",
		Fields: map[string]string{"new_password": "This password is too common; choose another one."},
		Rules:  map[string]string{"new_password": validate.RuleNotCommon},
	}
	p := fromError(err, passwordFields)
	if p.alert != "" || p.msg("new_password") == "" || p.fields["new_password"].Rule != validate.RuleNotCommon {
		t.Fatalf("got %+v", p)
	}
	if got := p.first(passwordFields, "password-error"); got != "password-new" {
		t.Fatalf("first: got %q, want password-new", got)
	}

	// A field the form does not show goes to the alert.
	err.Fields = map[string]string{"other": "x"}
	p = fromError(err, passwordFields)
	if p.alert == "" {
		t.Fatalf("unknown field lost: %+v", p)
	}
	if got := p.first(passwordFields, "password-error"); got != "password-error" {
		t.Fatalf("first: got %q, want the alert", got)
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{apiclient.ErrOffline, "The server cannot be reached. Check your connection and try again."},
		{&api.Error{Code: api.CodeRateLimited, RetryAfter: 30}, "Too many attempts. Try again in 30 seconds."},
		{&api.Error{Code: api.CodeRateLimited}, "Too many attempts. Try again later."},
		{&api.Error{Code: api.CodeConflict, Message: "This email is already used by another account."}, "This email is already used by another account."},
	}
	for _, tt := range tests {
		if got := errorText(tt.err); got != tt.want {
			t.Errorf("errorText(%v): got %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestNextPage(t *testing.T) {
	if got := nextPage(&api.LoginResponse{Status: api.StatusOK}); got != PathSettings {
		t.Errorf("ok: got %q", got)
	}
	for _, r := range []*api.LoginResponse{
		{Status: api.StatusVerify, Method: api.MethodEmail, EmailHint: "a***@example.com"},
		{Status: api.StatusVerify, Method: api.MethodTOTP},
		{Status: api.StatusEnroll},
	} {
		if got := nextPage(r); got != "" {
			t.Errorf("%s/%s: got %q, want no page yet", r.Status, r.Method, got)
		}
		if secondStepNotice(r) == "" {
			t.Errorf("%s/%s: no notice", r.Status, r.Method)
		}
	}
}
