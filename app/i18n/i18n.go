// Package i18n holds every string the console shows, by stable key, so a
// language is one more catalog and no component changes. Keys read
// "<area>.<thing>" (e.g. "verify.totp.code.label"); placeholders are
// "{name}" and are filled by name, so a translation may reorder them.
//
// The package is plain Go (no browser), so unit tests and the browser
// tests can read the catalogs.
package i18n

import (
	"strings"

	"twofold/shared/api"
)

// Languages the console speaks, in the order of the language switch.
const (
	English = "en"
	French  = "fr"
)

// Languages lists the supported language codes: api.Languages, which the
// server's mails and Accept-Language matching follow too.
var Languages = api.Languages

// catalogs maps a language code to its strings. English is complete, and
// a unit test checks that every other catalog has exactly its keys.
var catalogs = map[string]map[string]string{
	English: english,
	French:  french,
}

var (
	// lang and current are the language in use and its catalog.
	lang    = English
	current = english
	// onMissing, when set, learns the keys that fell back to English.
	onMissing func(lang, key string)
)

// SetLanguage switches to the catalog of code ("en", "fr") and reports
// whether there is one; otherwise the language stays as it was.
func SetLanguage(code string) bool {
	code = strings.ToLower(code)
	c, ok := catalogs[code]
	if ok {
		lang, current = code, c
	}
	return ok
}

// Lang returns the code of the language in use.
func Lang() string { return lang }

// Match returns the first supported language among tags, browser language
// tags in order of preference ("fr-FR", "en-US", "de"), or "" when none is
// supported.
func Match(tags []string) string {
	for _, tag := range tags {
		base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if _, ok := catalogs[base]; ok {
			return base
		}
	}
	return ""
}

// OnMissing registers f to learn each key that a non-English language
// lacks (its English text is shown instead), so a missing translation can
// be noticed in a running page.
func OnMissing(f func(lang, key string)) { onMissing = f }

// T returns the text of key with its placeholders replaced: args are
// name, value pairs ("seconds", "30" fills "{seconds}"). A key the current
// language lacks falls back to English (and is reported to OnMissing); an
// unknown key returns the key itself, so a missing string shows up instead
// of vanishing (a test checks that every key used exists).
func T(key string, args ...string) string {
	s, ok := current[key]
	if !ok {
		if s, ok = english[key]; !ok {
			return key
		}
		if onMissing != nil {
			onMissing(lang, key)
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

// Catalog returns a copy of the texts of the language code (nil when
// there is none), for tests that look for untranslated text in a page.
func Catalog(code string) map[string]string {
	c, ok := catalogs[code]
	if !ok {
		return nil
	}
	out := make(map[string]string, len(c))
	for k, v := range c {
		out[k] = v
	}
	return out
}
