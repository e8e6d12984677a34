package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/browser"
	"twofold/app/i18n"
)

// initLanguage picks the console's language before the first render: the
// choice kept in localStorage, else the first of the browser's languages
// the console speaks, else English. <html lang> follows.
func initLanguage() {
	if !i18n.SetLanguage(browser.Load(browser.KeyLanguage)) {
		if lang := i18n.Match(browser.Languages()); lang != "" {
			i18n.SetLanguage(lang)
		}
	}
	browser.SetDocumentLang(i18n.Lang())
}

// switchLanguage changes the console's language and keeps the choice (the
// language code only). The caller re-renders: the header's handler updates
// the header and the page around it.
func switchLanguage(lang string) {
	if lang == i18n.Lang() || !i18n.SetLanguage(lang) {
		return
	}
	browser.Store(browser.KeyLanguage, lang)
	browser.SetDocumentLang(lang)
	if titleKey != "" {
		browser.SetTitle(i18n.T(titleKey))
	}
}

// titleKey is the catalog key of the page's title, so that a language
// switch translates it too.
var titleKey string

// setTitle sets the page's title from the catalog key. OnNav also runs on
// the server (pre-rendering, concurrently): only the browser keeps the key.
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
