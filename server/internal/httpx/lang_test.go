package httpx

import (
	"net/http/httptest"
	"testing"
)

func TestLang(t *testing.T) {
	for header, want := range map[string]string{
		"":                                    "",
		"fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7": "fr",
		"en-GB, fr;q=0.5":                     "en",
		"de-DE, fr;q=0.5":                     "fr",
		"de":                                  "",
		"fr;q=0, en;q=0.1":                    "en",
		"en;q=0.2, fr;q=0.8":                  "fr",
		"xx_!!, fr":                           "fr",
		"fr-CA":                               "fr",
		"*":                                   "",
		"not a language tag at all!":          "",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept-Language", header)
		if got := Lang(r); got != want {
			t.Errorf("Lang(%q) = %q, want %q", header, got, want)
		}
	}
}
