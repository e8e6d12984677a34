package validate_test

import (
	"strings"
	"testing"

	"twofold/shared/api"
	"twofold/shared/validate"
)

// TestF14CodeWhitespace: any white space, dash or zero-width character
// inside a code is ignored, as spaces and ASCII dashes were before; other
// characters are kept (and fail the code's shape later).
func TestF14CodeWhitespace(t *testing.T) {
	for in, want := range map[string]string{
		"ABCDE-FGHJK":              "abcdefghjk",
		" abcde fghjk ":            "abcdefghjk",
		"abcde\nfghjk":             "abcdefghjk",
		"abcde\r\nfghjk\n":         "abcdefghjk",
		"abcde\tfghjk":             "abcdefghjk",
		"abcde\vfg\fhjk":           "abcdefghjk",
		"abcde\u00a0fghjk":         "abcdefghjk", // no-break space
		"abc\u202fde\u2009fghjk":   "abcdefghjk", // narrow no-break, thin space
		"abcde\u3000fghjk":         "abcdefghjk", // ideographic space
		"abcde\u0085fghjk":         "abcdefghjk", // next line (C1)
		"abcde\u2028fghjk\u2029":   "abcdefghjk", // line and paragraph separators
		"abcde\u2013fghjk":         "abcdefghjk", // en dash
		"abcde\u2011fghjk":         "abcdefghjk", // non-breaking hyphen
		"abcde\u2212fghjk":         "abcdefghjk", // minus sign
		"\ufeffabcde\u200bfghjk":   "abcdefghjk", // BOM, zero-width space
		"123\u00a0456":             "123456",
		"１２３４５６":                   "１２３４５６", // fullwidth digits are not digits of a code
		"abcde_fghjk":              "abcde_fghjk",
		"abcde\x01fghjk":           "abcde\x01fghjk",
		"ÀBC":                      "Àbc", // only ASCII letters are folded
		"":                         "",
		" \t\n\u00a0-\u2014\u200b": "",
	} {
		if got := validate.NormalizeCode(in); got != want {
			t.Errorf("NormalizeCode(%q) = %q, want %q", in, got, want)
		}
	}
	for _, code := range []string{"123456", "abcde-fghjk"} {
		if rule := validate.TFACode(strings.ReplaceAll(code, "-", "\n")); rule != "" {
			t.Errorf("TFACode with a line break: %q", rule)
		}
	}
	if rule := validate.SixDigitCode("123\u00a0456"); rule != "" {
		t.Errorf("SixDigitCode with a no-break space: %q", rule)
	}
}

func TestNoControl(t *testing.T) {
	tests := []struct {
		in              string
		strict, inCodes string
	}{
		{"alice", "", ""},
		{"Élodie 日本 \u00a0", "", ""},
		{"al\x00ice", "nocontrol", "nocontrol=space"},
		{"al\x01ice", "nocontrol", "nocontrol=space"},
		{"al\x1bice", "nocontrol", "nocontrol=space"},
		{"al\x7fice", "nocontrol", "nocontrol=space"},
		{"al\u0080ice", "nocontrol", "nocontrol=space"},
		{"al\u009fice", "nocontrol", "nocontrol=space"},
		{"al\tice", "nocontrol", ""},
		{"alice\n", "nocontrol", ""},
		{"al\rice", "nocontrol", ""},
		{"al\u0085ice", "nocontrol", ""},
		{"al\u2028ice", "nocontrol", ""},
		{"al\u2029ice", "nocontrol", ""},
		{"al\u200bice", "", ""}, // a format character, not a control one
	}
	for _, tt := range tests {
		if got := validate.NoControl(tt.in, false); got != tt.strict {
			t.Errorf("NoControl(%q, false) = %q, want %q", tt.in, got, tt.strict)
		}
		if got := validate.NoControl(tt.in, true); got != tt.inCodes {
			t.Errorf("NoControl(%q, true) = %q, want %q", tt.in, got, tt.inCodes)
		}
	}
	if validate.Message(validate.RuleNoControl) == validate.Message("unknown") ||
		validate.Message(validate.RuleNoControl+"=space") != validate.Message(validate.RuleNoControl) {
		t.Error("nocontrol has no message of its own")
	}
}

// The request types carry the rule: control characters in a username or a
// code field are a validation failure with the nocontrol rule; white space
// in a code is not.
func TestNoControlTags(t *testing.T) {
	tests := []struct {
		name  string
		v     any
		field string
		rule  string
	}{
		{"username", &api.LoginRequest{Username: "al\x01ice", Password: "x"}, "username", "nocontrol"},
		{"username with a tab", &api.LoginRequest{Username: "al\tice", Password: "x"}, "username", "nocontrol"},
		{"username with U+2028", &api.LoginRequest{Username: "alice\u2028", Password: "x"}, "username", "nocontrol"},
		{"clean username", &api.LoginRequest{Username: "alice ", Password: "x\x01"}, "", ""},
		{"code", &api.CodeRequest{Code: "12\x013456"}, "code", "nocontrol=space"},
		{"code with DEL", &api.CodeRequest{Code: "123456\x7f"}, "code", "nocontrol=space"},
		{"code with a line break", &api.CodeRequest{Code: "abcde\nfghjk"}, "", ""},
		{"step-up code", &api.StepUp{Code: "\x1b123456"}, "code", "nocontrol=space"},
		{"step-up code with a tab", &api.StepUp{Code: "123\t456"}, "", ""},
		{"embedded step-up code", &api.AccountUpdate{Email: new(string), EmailVerification: new(bool), StepUp: api.StepUp{Code: "1\u00852\u0086"}}, "code", "nocontrol=space"},
		{"password change code", &api.PasswordChange{CurrentPassword: "a", NewPassword: "long enough", StepUp: api.StepUp{Code: "\u0000"}}, "code", "nocontrol=space"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := validate.Struct(tt.v)
			if tt.field == "" {
				if !p.Empty() {
					t.Fatalf("refused: %+v", p)
				}
				return
			}
			if p.Empty() || p.Rules[tt.field] != tt.rule || p.Fields[tt.field] == "" {
				t.Fatalf("got %+v, want %s: %s", p, tt.field, tt.rule)
			}
		})
	}
}

// TestNumberMessages: min and max on a number bound its value, and the
// English message says so; on a string they still count characters.
func TestNumberMessages(t *testing.T) {
	type query struct {
		Name    string `json:"name" validate:"max=3"`
		PerPage int    `json:"per_page" validate:"min=1,max=200"`
		Before  int64  `json:"before" validate:"min=0"`
	}
	tests := []struct {
		q                query
		field, rule, msg string
	}{
		{query{PerPage: 201}, "per_page", "max=200", "Use a number of at most 200."},
		{query{PerPage: 0}, "per_page", "min=1", "Use a number of at least 1."},
		{query{PerPage: 1, Before: -1}, "before", "min=0", "Use a number of at least 0."},
		{query{Name: "abcd", PerPage: 1}, "name", "max=3", "Use at most 3 characters."},
	}
	for _, tt := range tests {
		p := validate.Struct(&tt.q)
		if p.Empty() || p.Rules[tt.field] != tt.rule || p.Fields[tt.field] != tt.msg {
			t.Errorf("%+v: got %+v, want %s %q %q", tt.q, p, tt.field, tt.rule, tt.msg)
		}
	}
}
