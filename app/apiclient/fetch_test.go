package apiclient

import (
	"errors"
	"testing"

	"twofold/shared/api"
)

func TestDecodeSuccess(t *testing.T) {
	var acc api.Account
	err := decode(answer{status: 200, body: `{"user":{"id":1,"username":"admin"},"email":"a@example.com","elevated_until":"2026-01-02T03:04:05Z"}`}, &acc)
	if err != nil {
		t.Fatal(err)
	}
	if acc.User.Username != "admin" || acc.Email != "a@example.com" || acc.ElevatedUntil == nil {
		t.Fatalf("got %+v", acc)
	}
	if err := decode(answer{status: 204}, &acc); err != nil {
		t.Fatalf("204: %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		a    answer
		want api.Error
	}{
		{"validation", answer{status: 400, body: `{"code":"validation_failed","error":"Some fields are not valid.","fields":{"email":"Enter a valid email address."},"rules":{"email":"email"}}`},
			api.Error{Status: 400, Code: api.CodeValidationFailed, Message: "Some fields are not valid."}},
		{"rate limited", answer{status: 429, retryAfter: "42", body: `{"code":"rate_limited","error":"Too many attempts."}`},
			api.Error{Status: 429, Code: api.CodeRateLimited, Message: "Too many attempts.", RetryAfter: 42}},
		{"proxy page", answer{status: 502, body: `<html>Bad gateway</html>`},
			api.Error{Status: 502, Code: api.CodeUnavailable, Message: "The server answered with HTTP status 502."}},
		{"empty 401", answer{status: 401},
			api.Error{Status: 401, Code: api.CodeUnauthorized, Message: "The server answered with HTTP status 401."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := decode(tt.a, nil)
			var ae *api.Error
			if !errors.As(err, &ae) {
				t.Fatalf("got %v, want an *api.Error", err)
			}
			if ae.Status != tt.want.Status || ae.Code != tt.want.Code || ae.Message != tt.want.Message || ae.RetryAfter != tt.want.RetryAfter {
				t.Fatalf("got %+v, want %+v", *ae, tt.want)
			}
		})
	}
	err := decode(tests[0].a, nil)
	if ae := APIError(err); ae.Fields["email"] == "" || ae.Rules["email"] != "email" {
		t.Fatalf("fields and rules lost: %+v", ae)
	}
}

func TestSignedOut(t *testing.T) {
	for code, want := range map[string]bool{
		api.CodeUnauthorized:       true,
		api.CodeLoginExpired:       true,
		api.CodeInvalidCredentials: false, // a wrong step-up password
		api.CodeInvalidCode:        false,
		api.CodeStepUpRequired:     false,
	} {
		if got := SignedOut(&api.Error{Code: code}); got != want {
			t.Errorf("SignedOut(%s): got %v, want %v", code, got, want)
		}
	}
	if SignedOut(ErrOffline) {
		t.Errorf("offline means signed out")
	}
}
