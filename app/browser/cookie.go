package browser

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// cookieMaxAge keeps a preference cookie for a year.
const cookieMaxAge = "31536000"

// Cookie returns the value of the cookie name that the page can read
// (document.cookie), or "".
func Cookie(name string) string {
	if app.IsServer {
		return ""
	}
	return CookieValue(app.Window().Get("document").Get("cookie").String(), name)
}

// CookieValue returns the value of name in a Cookie header or in
// document.cookie ("a=1; b=2"), or "". The server reads the same cookies
// with net/http; this one is for the browser.
func CookieValue(cookies, name string) string {
	for _, part := range strings.Split(cookies, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if ok && k == name {
			return v
		}
	}
	return ""
}

// SetPreference stores a preference of this device in the cookie name, so
// that the server can read it when it pre-renders the next page (before
// the WASM runs): for a year, on every path, never sent cross-site
// (SameSite=Strict), Secure on https. value must be a plain token (a
// language or theme name). It is not HttpOnly: the page sets it.
func SetPreference(name, value string) {
	if app.IsServer {
		return
	}
	c := name + "=" + value + "; Path=/; Max-Age=" + cookieMaxAge + "; SameSite=Strict"
	if app.Window().Get("location").Get("protocol").String() == "https:" {
		c += "; Secure"
	}
	app.Window().Get("document").Set("cookie", c)
}

// PrefersDark reports whether the system asks for dark colours
// (prefers-color-scheme: dark); false on the server.
func PrefersDark() bool {
	if app.IsServer {
		return false
	}
	mq := app.Window().Call("matchMedia", "(prefers-color-scheme: dark)")
	return mq.Truthy() && mq.Get("matches").Bool()
}

// OnColorSchemeChange calls f whenever the system's colour preference
// changes, until the returned function removes it.
func OnColorSchemeChange(f func()) (remove func()) {
	if app.IsServer {
		return func() {}
	}
	mq := app.Window().Call("matchMedia", "(prefers-color-scheme: dark)")
	fn := app.FuncOf(func(app.Value, []app.Value) any {
		f()
		return nil
	})
	mq.Call("addEventListener", "change", fn)
	return func() {
		mq.Call("removeEventListener", "change", fn)
		fn.Release()
	}
}

// SetDocumentTheme sets data-theme on <html> ("light", "dark"), or
// removes it ("") so the stylesheet follows the system.
func SetDocumentTheme(theme string) {
	if app.IsServer {
		return
	}
	root := app.Window().Get("document").Get("documentElement")
	if theme == "" {
		root.Call("removeAttribute", "data-theme")
		return
	}
	root.Call("setAttribute", "data-theme", theme)
}
