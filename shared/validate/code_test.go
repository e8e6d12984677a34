package validate

import "testing"

func TestSixDigitCode(t *testing.T) {
	for in, want := range map[string]string{
		"123456":   "",
		" 123 456": "",
		"123-456":  "",
		"":         "required",
		"  ":       "required",
		"12345":    RuleSixDigits,
		"1234567":  RuleSixDigits,
		"12345a":   RuleSixDigits,
	} {
		if got := SixDigitCode(in); got != want {
			t.Errorf("SixDigitCode(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestTFACode(t *testing.T) {
	for in, want := range map[string]string{
		"123456":      "",
		"abcde-fghjk": "",
		"ABCDE FGHJK": "",
		"a1b2c3d4e5":  "",
		"":            "required",
		"12345":       RuleTFACode,
		"abcde-fghj":  RuleTFACode,
		"abcde-fghj!": RuleTFACode,
		"1234567":     RuleTFACode,
	} {
		if got := TFACode(in); got != want {
			t.Errorf("TFACode(%q): got %q, want %q", in, got, want)
		}
	}
	if Message(RuleTFACode) == Message("unknown") || Message(RuleSixDigits) == Message("unknown") {
		t.Error("the code rules have no message of their own")
	}
}
