package form

import (
	"testing"

	"twofold/shared/validate"
)

// The nocontrol rule (shared/validate) reads the same in the console as
// in the server's message, with or without its parameter.
func TestNoControlRuleText(t *testing.T) {
	for _, rule := range []string{validate.RuleNoControl, validate.RuleNoControl + "=space"} {
		if got, want := RuleText(rule), validate.Message(rule); got != want || got == "" {
			t.Errorf("RuleText(%q): got %q, want %q", rule, got, want)
		}
	}
}
