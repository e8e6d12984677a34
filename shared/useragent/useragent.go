// Package useragent names the browser and the operating system of a
// User-Agent header, for the lists of sessions and events ("Firefox on
// Linux"). It looks for a few well-known tokens only: it is compiled into
// the WASM console, so it stays small and uses no regular expressions.
package useragent

import "strings"

// Client is what a User-Agent names: the browser (or client) and the
// operating system; either is "" when unknown.
type Client struct {
	Browser string
	OS      string
}

// browsers are checked in order: the first token found names the
// browser. Chromium-based browsers also send "Chrome/" and "Safari/", and
// Chrome sends "Safari/", so the specific ones come first.
var browsers = []struct{ token, name string }{
	{"Edg/", "Edge"},
	{"EdgA/", "Edge"},
	{"EdgiOS/", "Edge"},
	{"OPR/", "Opera"},
	{"Vivaldi/", "Vivaldi"},
	{"SamsungBrowser/", "Samsung Internet"},
	{"YaBrowser/", "Yandex Browser"},
	{"FxiOS/", "Firefox"},
	{"Firefox/", "Firefox"},
	{"CriOS/", "Chrome"},
	{"HeadlessChrome/", "Chrome"},
	{"Chromium/", "Chromium"},
	{"Chrome/", "Chrome"},
	{"Safari/", "Safari"},
	{"RustDesk", "RustDesk"},
	{"curl/", "curl"},
	{"Go-http-client/", "Go HTTP client"},
}

// systems are checked in order, like browsers: Android says "Linux" too,
// and iOS "like Mac OS X".
var systems = []struct{ token, name string }{
	{"Windows", "Windows"},
	{"iPhone", "iOS"},
	{"iPad", "iPadOS"},
	{"Android", "Android"},
	{"CrOS", "ChromeOS"},
	{"Mac OS X", "macOS"},
	{"Macintosh", "macOS"},
	{"Linux", "Linux"},
	{"FreeBSD", "FreeBSD"},
	{"OpenBSD", "OpenBSD"},
}

// Parse names the browser and the system of ua.
func Parse(ua string) Client {
	var c Client
	for _, b := range browsers {
		if strings.Contains(ua, b.token) {
			c.Browser = b.name
			break
		}
	}
	for _, s := range systems {
		if strings.Contains(ua, s.token) {
			c.OS = s.name
			break
		}
	}
	return c
}
