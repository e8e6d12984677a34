package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"twofold/web"
)

// TestFirstPaintInFrench is issue 12's first-paint acceptance for a
// French browser: before the WASM runs, the page (pre-rendered by the
// server) is French from its title to its last word, with no English
// loader over it, and so is the page the service worker serves offline.
// A language chosen later is the one of the next first paint, online and
// offline.
func TestFirstPaintInFrench(t *testing.T) {
	e, ps := startPWA(t, 120*time.Second, withLocale("fr-FR"))
	e.holdWasm()
	e.do("open the sign-in page, the WASM held", chromedp.Navigate(e.URL+"/"), preWasm("signin-page"))
	e.expectLanguage("fr", "first paint of the sign-in page")
	e.expectNoLoader()
	if v := e.inView("signin-username", "signin-password", "signin-submit"); !v["signin-username"] || !v["signin-password"] || !v["signin-submit"] {
		t.Errorf("before the WASM the sign-in form is covered: %v", v)
	}
	e.snapshot("first-paint-fr")
	e.do("open the settings, the WASM held", chromedp.Navigate(e.URL+"/settings"), preWasm("settings-page"))
	e.expectLanguage("fr", "first paint of the settings")
	if got := e.text("main"); !strings.Contains(got, "Chargement de votre compte…") {
		t.Errorf("the settings' first paint does not say what loads: %q", got)
	}

	// The app runs and the worker caches it; then the server stops.
	e.do("let the WASM run", releaseWasm(), mounted("signin-page", ""))
	e.waitOfflineReady()
	ps.stop()
	e.do("reload offline, the WASM held", chromedp.Reload(), preWasm("signin-page"))
	e.expectLanguage("fr", "offline first paint of the sign-in page")
	e.expectNoLoader()
	e.do("open the settings offline, the WASM held", chromedp.Navigate(e.URL+"/settings/security"), preWasm("settings-page"))
	e.expectLanguage("fr", "offline first paint of the settings")

	// English chosen in the console: the next first paints are English,
	// online and, once a page was visited, offline.
	ps.restart(t, web.FS())
	e.do("open the sign-in page and choose English",
		chromedp.Navigate(e.URL+"/"), preWasm("signin-page"), releaseWasm(), mounted("signin-page", ""),
		chromedp.Click(chromedp.CSS("#lang-en")),
		chromedp.WaitVisible(chromedp.CSS(`#lang-en[aria-pressed="true"]`)),
	)
	e.do("reload, the WASM held", chromedp.Reload(), preWasm("signin-page"))
	e.expectLanguage("en", "first paint after choosing English")
	e.do("let the WASM run", releaseWasm(), mounted("signin-page", ""))
	ps.stop()
	e.do("reload offline, the WASM held", chromedp.Reload(), preWasm("signin-page"))
	e.expectLanguage("en", "offline first paint after choosing English")
}

// expectNoLoader checks that go-app's loader (English words, a grey
// screen) is not shown.
func (e *env) expectNoLoader() {
	e.t.Helper()
	if e.js(`(() => { const l = document.getElementById("app-wasm-loader"); return l !== null && l.getClientRects().length > 0; })()`) {
		e.t.Errorf("go-app's loader covers the page")
	}
}

// TestNoLightFlashInDarkMode: in dark mode the first frame (the
// pre-rendered page, before the WASM runs) has the dark theme's colours,
// not a light page nor go-app's grey loader; the theme chosen with the
// header's switch is the first frame's too, whatever the system says.
func TestNoLightFlashInDarkMode(t *testing.T) {
	e := start(t, 60*time.Second)
	e.holdWasm()
	const darkBG, lightBG = "rgb(11, 17, 32)", "rgb(246, 247, 251)"
	for _, c := range []struct {
		name, scheme, cookie, want string
	}{
		{"system dark", "dark", "", darkBG},
		{"system light, dark chosen", "light", "dark", darkBG},
		{"system dark, light chosen", "dark", "light", lightBG},
	} {
		func() {
			e.colorScheme(c.scheme)
			e.setThemeCookie(c.cookie)
			for _, path := range []string{"/", "/settings"} {
				e.do("open "+path+", the WASM held", chromedp.Navigate(e.URL+path), chromedp.WaitReady(chromedp.CSS(".page")))
				st := colours(e.screenshot())
				bg, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
				if err != nil {
					t.Fatal(err)
				}
				want, _ := rgbOf(c.want)
				if bg != c.want || st.Top != want || st.TopShare < 0.5 {
					t.Errorf("%s, %s: first frame mostly %v (%.0f%%), body %s; want %s", c.name, path, st.Top, 100*st.TopShare, bg, c.want)
				}
				if c.want == darkBG && (st.Light > 0.03 || st.Grey > 0.001) {
					t.Errorf("%s, %s: dark first frame with %.1f%% light and %.1f%% grey pixels", c.name, path, 100*st.Light, 100*st.Grey)
				}
				e.snapshot(strings.ReplaceAll(c.name, " ", "-") + strings.ReplaceAll(path, "/", "-"))
			}
		}()
	}
}

// setThemeCookie sets (or, empty, removes) the theme chosen on the
// device, as the header's switch does.
func (e *env) setThemeCookie(theme string) {
	e.t.Helper()
	_, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (cdp.Empty, error) {
		if theme == "" {
			return cdp.Call(ctx, tg, network.DeleteCookies, network.DeleteCookiesParams{Name: "twofold_theme", URL: e.URL + "/"})
		}
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: "twofold_theme", Value: theme, URL: e.URL + "/", SameSite: network.CookieSameSiteStrict,
		})
		return cdp.Empty{}, err
	})
	if err != nil {
		e.t.Fatalf("theme cookie: %v", err)
	}
}

// TestSignInUsableBeforeWasm: the pre-rendered sign-in form works before
// the WASM runs, as far as go-app allows: what is typed is kept when the
// WASM replaces the page's elements (with the focus and the caret), and a
// sign-in submitted early shows that it is on its way and goes through
// once the WASM runs.
func TestSignInUsableBeforeWasm(t *testing.T) {
	e := start(t, 60*time.Second)
	e.holdWasm()
	e.do("type and submit before the WASM runs",
		chromedp.Navigate(e.URL+"/"), preWasm("signin-page"),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), "admin"),
		chromedp.SendKeys(chromedp.CSS("#signin-password"), adminPassword+"\r"),
	)
	if a := e.attrs("signin-submit"); a["aria-busy"] != "true" || e.textNow("signin-submit") != "Signing in…" {
		t.Errorf("an early submit does not show it is on its way: %v %q", a, e.textNow("signin-submit"))
	}
	if loc, _ := chromedp.Run(e.ctx, chromedp.Location()); loc != e.URL+"/" {
		t.Fatalf("the early submit left the page: %s", loc)
	}
	e.do("let the WASM run", releaseWasm(), settingsLoaded())
	e.do("sign out", e.signOut())

	// Typing goes on across the WASM's start: the text and the caret stay.
	e.do("type part of the username before the WASM runs",
		chromedp.Reload(), preWasm("signin-page"),
		chromedp.SendKeys(chromedp.CSS("#signin-username"), "adm"),
		releaseWasm(), mounted("signin-page", ""),
		chromedp.KeyEvent("in"),
	)
	e.expectFocus("signin-username")
	if got := e.value("signin-username"); got != "admin" {
		t.Fatalf("username typed across the WASM's start: got %q, want admin", got)
	}
	e.do("sign in", chromedp.SendKeys(chromedp.CSS("#signin-password"), adminPassword+"\r"), settingsLoaded())
	e.noConsoleErrors()
}
