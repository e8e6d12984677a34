package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/browser"
)

// The console's themes. Without a choice it follows the system
// (prefers-color-scheme); the header's switch makes a choice, kept on the
// device in ThemeCookie, which the server reads to pre-render <html
// data-theme> so that the first frame already has the right colours.
const (
	ThemeCookie = "twofold_theme"
	ThemeLight  = "light"
	ThemeDark   = "dark"
)

// ThemeOf returns the theme a cookie value names, or "" (follow the
// system) for anything else.
func ThemeOf(v string) string {
	if v == ThemeLight || v == ThemeDark {
		return v
	}
	return ""
}

// prerenderTheme is the theme of the page the server pre-renders now
// (PrerenderTheme).
var prerenderTheme string

// PrerenderTheme tells the pages the theme chosen on the device of the
// page the server is about to pre-render ("" when the system decides,
// which only the browser knows). The server pre-renders one page at a
// time.
func PrerenderTheme(theme string) { prerenderTheme = ThemeOf(theme) }

// darkTheme reports whether the page shows dark colours now: the choice
// made on this device, else the system's.
func darkTheme() bool {
	if app.IsServer {
		return prerenderTheme == ThemeDark
	}
	switch ThemeOf(browser.Cookie(ThemeCookie)) {
	case ThemeDark:
		return true
	case ThemeLight:
		return false
	}
	return browser.PrefersDark()
}

// setTheme applies a theme at once and keeps the choice on the device.
func setTheme(theme string) {
	browser.SetDocumentTheme(theme)
	browser.SetPreference(ThemeCookie, theme)
}

// initTheme makes <html data-theme> agree with the cookie: a page that
// came from the service worker's cache may have been pre-rendered before
// the last choice.
func initTheme() {
	browser.SetDocumentTheme(ThemeOf(browser.Cookie(ThemeCookie)))
}
