package form

import (
	"errors"
	"testing"
	"time"

	"twofold/app/apiclient"
	"twofold/app/i18n"
	"twofold/shared/api"
	"twofold/shared/validate"
)

var testFields = []Field{
	{"current_password", "password-current"},
	{"new_password", "password-new"},
}

func TestFromErrorPutsFieldsNextToTheirInputs(t *testing.T) {
	err := &api.Error{
		Status: 400, Code: api.CodeValidationFailed, Message: "Some fields are not valid.",
		Fields: map[string]string{"new_password": "This password is too common; choose another one."},
		Rules:  map[string]string{"new_password": validate.RuleNotCommon},
	}
	p := FromError(err, testFields)
	if p.Alert != "" || p.Msg("new_password") == "" || p.fields["new_password"].Rule != validate.RuleNotCommon {
		t.Fatalf("got %+v", p)
	}
	if got := p.First(testFields, "password-error"); got != "password-new" {
		t.Fatalf("first: got %q, want password-new", got)
	}

	// A field the form does not show goes to the alert.
	err.Fields = map[string]string{"other": "x"}
	p = FromError(err, testFields)
	if p.Alert == "" {
		t.Fatalf("unknown field lost: %+v", p)
	}
	if got := p.First(testFields, "password-error"); got != "password-error" {
		t.Fatalf("first: got %q, want the alert", got)
	}
}

// The console's rule texts are the shared validator's English messages,
// so the page says the same before and after the server answers.
func TestRuleTextMatchesTheSharedMessages(t *testing.T) {
	for _, rule := range []string{"required", "email", "min=8", "max=64", "len=6", "numeric", "eqfield",
		validate.RuleNotUsername, validate.RuleNotCommon, validate.RuleSixDigits, validate.RuleTFACode} {
		if got, want := RuleText(rule), validate.Message(rule); got != want {
			t.Errorf("RuleText(%q): got %q, want %q", rule, got, want)
		}
	}
	if got := RuleText("unknown_rule"); got != "" {
		t.Errorf("unknown rule: got %q, want \"\"", got)
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
		{&api.Error{Code: api.CodeConflict, Message: "server words"}, i18n.T("error.conflict")},
		{&api.Error{Code: api.CodeInvalidCode, Message: "server words"}, i18n.T("error.invalid_code")},
		{&api.Error{Code: "brand_new", Message: "server words"}, "The request failed (brand_new)."},
		{&api.Error{Status: 502, Code: api.CodeUnavailable, Message: "The server answered with HTTP status 502."}, i18n.T("error.offline")},
		{errors.New("context canceled"), i18n.T("error.unexpected")},
	}
	for _, tt := range tests {
		if got := ErrorText(tt.err); got != tt.want {
			t.Errorf("ErrorText(%v): got %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestStepUpNeedsCode(t *testing.T) {
	acc := &api.Account{TFA: api.TFA{State: api.TFAEnabled}}
	if !(StepUp{}).NeedsCode(acc) {
		t.Error("TOTP on, not elevated: no code asked")
	}
	soon, later := time.Now().Add(5*time.Second), time.Now().Add(4*time.Minute)
	acc.ElevatedUntil = &later
	if (StepUp{}).NeedsCode(acc) {
		t.Error("elevated for 4 more minutes: a code asked")
	}
	if !(StepUp{Asked: true}).NeedsCode(acc) {
		t.Error("the server asked for a code: none asked")
	}
	acc.ElevatedUntil = &soon
	if !(StepUp{}).NeedsCode(acc) {
		t.Error("elevation about to end: no code asked")
	}
	acc.TFA.State = api.TFANotEnabled
	if (StepUp{Asked: true}).NeedsCode(acc) {
		t.Error("TOTP off: a code asked (the password is the step-up then)")
	}
}

// The server's English never shows in French: API errors and field rules
// are the console's texts, by code and by rule.
func TestErrorsInFrench(t *testing.T) {
	defer i18n.SetLanguage(i18n.English)
	i18n.SetLanguage(i18n.French)
	for _, code := range errorCodes {
		got := ErrorText(&api.Error{Code: code, Message: "server words"})
		if got == "server words" || got == i18n.Catalog(i18n.English)["error."+code] {
			t.Errorf("%s: got %q, want the French text", code, got)
		}
	}
	err := &api.Error{
		Status: 400, Code: api.CodeValidationFailed, Message: "Some fields are not valid.",
		Fields: map[string]string{"current_password": "server words", "new_password": "server words"},
		Rules:  map[string]string{"current_password": "brand_new_rule", "new_password": "min=8"},
	}
	p := FromError(err, testFields)
	if got := p.Msg("new_password"); got != "Utilisez au moins 8\u00a0caractères." {
		t.Errorf("min=8: got %q", got)
	}
	if got := p.Msg("current_password"); got != "Cette valeur n’est pas valide." {
		t.Errorf("unknown rule: got %q", got)
	}
}
