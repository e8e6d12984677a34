package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestThemeSwitch is issue 12's theme acceptance: the console follows the
// system's colours until the header's switch (the seed's) chooses; the
// choice changes the page at once, is kept on the device (the next first
// paint has it, before the WASM runs) and wins over the system.
func TestThemeSwitch(t *testing.T) {
	e := start(t, 90*time.Second)
	const darkBG, lightBG = "rgb(11, 17, 32)", "rgb(246, 247, 251)"
	e.colorScheme("light")
	e.do("open the console", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	e.expectTheme("", lightBG, "false")
	e.do("switch to dark", chromedp.Click(chromedp.CSS("#theme-switch")), chromedp.WaitVisible(chromedp.CSS(`#theme-switch[aria-pressed="true"]`)))
	e.expectTheme("dark", darkBG, "true")
	e.axe("signin-dark-chosen")

	hold := e.holdWasm()
	e.do("reload, the WASM held", chromedp.Reload(), preWasm("signin-page"))
	e.expectTheme("dark", darkBG, "true")
	e.unholdWasm(hold)
	e.do("let the WASM run and sign in", releaseWasm(), mounted("signin-page", ""),
		e.signIn("admin", adminPassword), settingsLoaded())
	e.expectTheme("dark", darkBG, "true")

	// The choice wins over the system: light chosen on a dark system.
	e.colorScheme("dark")
	e.do("switch to light", chromedp.Click(chromedp.CSS("#theme-switch")), chromedp.WaitVisible(chromedp.CSS(`#theme-switch[aria-pressed="false"]`)))
	e.expectTheme("light", lightBG, "false")
	hold = e.holdWasm()
	e.do("reload, the WASM held", chromedp.Reload(), preWasm("settings-page"))
	e.expectTheme("light", lightBG, "false")
	e.unholdWasm(hold)
	e.do("let the WASM run", releaseWasm(), settingsLoaded())
	e.expectTheme("light", lightBG, "false")
	e.noConsoleErrors()
}

// expectTheme checks <html data-theme>, the page's background and the
// switch's state.
func (e *env) expectTheme(theme, bg, pressed string) {
	e.t.Helper()
	type state struct {
		Theme   string `json:"theme"`
		BG      string `json:"bg"`
		Pressed string `json:"pressed"`
	}
	s, err := chromedp.Run(e.ctx, chromedp.Evaluate[state](`({
		theme: document.documentElement.getAttribute("data-theme") || "",
		bg: getComputedStyle(document.body).backgroundColor,
		pressed: document.getElementById("theme-switch").getAttribute("aria-pressed")})`))
	if err != nil {
		e.t.Fatal(err)
	}
	if s.Theme != theme || s.BG != bg || s.Pressed != pressed {
		e.t.Errorf("theme: got %+v, want data-theme %q, background %s, switch pressed %s", s, theme, bg, pressed)
	}
}
