package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/browser"
	"twofold/app/i18n"
)

// LanguageCookie holds the language chosen on this device ("en", "fr"),
// so that the server pre-renders the next page in it (server/internal/
// webui) before the WASM runs. The console sets it; localStorage keeps the
// same choice for the app itself.
const LanguageCookie = "twofold_lang"

// initLanguage picks the console's language before the first render: the
// choice kept in localStorage, else the one in the language cookie, else
// the first of the browser's languages the console speaks (the server
// pre-rendered the page from the same Accept-Language), else English.
// <html lang> follows, and the cookie learns a choice made before it
// existed.
func initLanguage() {
	chosen := browser.Load(browser.KeyLanguage)
	switch {
	case i18n.SetLanguage(chosen):
		if browser.Cookie(LanguageCookie) != i18n.Lang() {
			browser.SetPreference(LanguageCookie, i18n.Lang())
		}
	case i18n.SetLanguage(browser.Cookie(LanguageCookie)):
	default:
		if lang := i18n.Match(browser.Languages()); lang != "" {
			i18n.SetLanguage(lang)
		}
	}
	browser.SetDocumentLang(i18n.Lang())
}

// switchLanguage changes the console's language and keeps the choice (the
// language code only) in localStorage and in the cookie the server reads.
// The caller re-renders: the header's handler updates the header and the
// page around it.
func switchLanguage(lang string) {
	if lang == i18n.Lang() || !i18n.SetLanguage(lang) {
		return
	}
	browser.Store(browser.KeyLanguage, lang)
	browser.SetPreference(LanguageCookie, lang)
	browser.SetDocumentLang(lang)
	if titleKey != "" {
		browser.SetTitle(i18n.T(titleKey))
	}
}

// Description is the pages' meta description in the language in use (the
// server pre-renders with it).
func Description() string { return i18n.T("app.description") }

// titleKey is the catalog key of the page's title, so that a language
// switch translates it too.
var titleKey string

// setTitle sets the page's title from the catalog key. OnNav also runs on
// the server (pre-rendering, one page at a time): only the browser keeps
// the key.
func setTitle(ctx app.Context, key string) {
	if app.IsClient {
		titleKey = key
	}
	ctx.Page().SetTitle(i18n.T(key))
}

// reportMissing makes a text missing from the catalog of the language in
// use visible to developers and tests: a console warning and the key in
// window.twofoldMissingText (the page shows the English text meanwhile).
func reportMissing(lang, key string) {
	if app.IsServer {
		return
	}
	w := app.Window()
	list := w.Get("twofoldMissingText")
	if !list.Truthy() {
		list = w.Get("Array").New()
		w.Set("twofoldMissingText", list)
	}
	list.Call("push", lang+":"+key)
	w.Get("console").Call("warn", "twofold: no "+lang+" text for "+key)
}
