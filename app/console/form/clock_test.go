package form

import (
	"strings"
	"testing"

	"twofold/app/i18n"
	"twofold/shared/api"
)

// A code refused with the clock hint says so (in the console's
// language); any other refusal keeps the form's own text.
func TestRefusedCode(t *testing.T) {
	defer i18n.SetLanguage(i18n.English)
	skew := &api.Error{Status: 401, Code: api.CodeInvalidCode, Hint: api.HintClockSkew}
	tests := []struct {
		name     string
		lang     string
		err      error
		wantRule string
		want     string
	}{
		{"clock hint", i18n.English, skew, api.HintClockSkew, "clock of the device"},
		{"clock hint in French", i18n.French, skew, api.HintClockSkew, "horloge de l’appareil"},
		{"wrong code", i18n.English, &api.Error{Code: api.CodeInvalidCode}, api.CodeInvalidCode, "the form's text"},
		{"unknown hint", i18n.English, &api.Error{Code: api.CodeInvalidCode, Hint: "other"}, api.CodeInvalidCode, "the form's text"},
		{"hint on another code", i18n.English, &api.Error{Code: api.CodeRateLimited, Hint: api.HintClockSkew}, api.CodeInvalidCode, "the form's text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i18n.SetLanguage(tt.lang)
			rule, msg := refusedCode(tt.err, "the form's text")
			if rule != tt.wantRule || !strings.Contains(msg, tt.want) {
				t.Errorf("got %q %q, want %q and a message with %q", rule, msg, tt.wantRule, tt.want)
			}
		})
	}
}
