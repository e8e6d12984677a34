// Package i18n holds every string the console shows, by stable key, so a
// language is one more catalog and no component changes. Keys read
// "<area>.<thing>" (e.g. "verify.totp.code.label"); placeholders are
// "{name}" and are filled by name, so a translation may reorder them.
package i18n

import "strings"

// catalogs maps a language tag to its strings. English is complete; a
// missing key in another language falls back to English.
var catalogs = map[string]map[string]string{
	"en": english,
}

// current is the catalog in use.
var current = english

// SetLanguage switches to the catalog of lang ("en", later "fr") and
// reports whether there is one; otherwise the language stays as it was.
func SetLanguage(lang string) bool {
	c, ok := catalogs[strings.ToLower(lang)]
	if ok {
		current = c
	}
	return ok
}

// T returns the text of key with its placeholders replaced: args are
// name, value pairs ("seconds", "30" fills "{seconds}"). An unknown key
// returns the key itself, so a missing string shows up instead of
// vanishing (a test checks that every key used exists in English).
func T(key string, args ...string) string {
	s, ok := current[key]
	if !ok {
		if s, ok = english[key]; !ok {
			return key
		}
	}
	for i := 0; i+1 < len(args); i += 2 {
		s = strings.ReplaceAll(s, "{"+args[i]+"}", args[i+1])
	}
	return s
}

// Has reports whether key has an English text.
func Has(key string) bool {
	_, ok := english[key]
	return ok
}
