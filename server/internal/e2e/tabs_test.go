package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSettingsTabs is issue 12's layout acceptance: the settings show one
// section at a time, as the seed's tabs do, each at its own URL with its
// tab marked current (aria-current); the page never shows two 2FA code
// fields; "Enable 2FA" appears once; the 2FA badge is the seed's solid
// green one; "Change password" is a dialog; the empty code gets the
// seed's message; notices go with the next action.
func TestSettingsTabs(t *testing.T) {
	e := start(t, 90*time.Second)
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	e.expectFocus("settings-title")
	e.expectTab("basic", "/settings")
	if n := e.countText("button, a", "Enable 2FA"); n != 1 {
		t.Errorf("Enable 2FA shows %d times on Basic Settings, want once", n)
	}
	e.do("open the security tab", securityTab())
	e.expectTab("security", "/settings/security")
	if n := e.countText("button, a", "Enable 2FA"); n != 0 {
		t.Errorf("Enable 2FA shows %d times on Security Settings, want none (it is on Basic Settings)", n)
	}
	e.do("open the security tab by its URL", chromedp.Navigate(e.URL+"/settings/security"), settingsLoaded())
	e.expectTab("security", "/settings/security")
	e.do("open the basic tab", basicTab())
	e.expectTab("basic", "/settings")

	secret, _ := e.enableTOTP()
	if got := e.text("settings-notice"); got != "2FA is on. Keep your backup codes somewhere safe." {
		t.Errorf("notice after enabling: %q", got)
	}
	// The seed's solid green badge: a filled green block the size of a
	// button, not a pill.
	type badge struct {
		BG     string  `json:"bg"`
		Height float64 `json:"height"`
		Radius float64 `json:"radius"`
	}
	st, err := chromedp.Run(e.ctx, chromedp.Evaluate[badge](`(() => {
		const el = document.getElementById("tfa-state"), s = getComputedStyle(el), r = el.getBoundingClientRect();
		return {bg: s.backgroundColor, height: r.height, radius: parseFloat(s.borderTopLeftRadius)};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := rgbOf(st.BG); err != nil || !(int(c[1]) > int(c[0])+40 && int(c[1]) > int(c[2])+40) {
		t.Errorf("2FA badge background %q is not green", st.BG)
	}
	if st.Height < 38 || st.Radius > 12 {
		t.Errorf("2FA badge: height %.0f px, radius %.0f px; want the size of a button, not a pill", st.Height, st.Radius)
	}
	// The next action (another tab) clears the notice.
	e.do("open the security tab", securityTab())
	if got := e.textNow("settings-notice"); got != "" {
		t.Errorf("the notice %q stays after the next action", got)
	}

	// Never two code fields: the basic form asks for one once changed, the
	// dialogs of the security settings each ask for their own.
	e.do("back to the basic tab", basicTab())
	e.expectCodeFields(0, "basic settings, nothing changed")
	e.do("change the email", e.fill("email", "admin@example.com"), chromedp.WaitVisible(chromedp.CSS("#stepup-code")))
	e.expectCodeFields(1, "basic settings, email changed")
	e.do("submit without a code", chromedp.Click(chromedp.CSS("#basic-submit")), chromedp.WaitVisible(chromedp.CSS("#stepup-code-error")))
	if got := e.text("stepup-code-error"); got != "Please enter your 2FA code" {
		t.Errorf("empty code: got %q, want the seed's message", got)
	}
	e.do("submit with a code",
		e.fill("stepup-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#basic-saved")),
	)
	e.expectCodeFields(0, "basic settings, saved")

	e.Clock.Advance(6 * time.Minute) // the code's elevation ends
	e.do("open the security tab and reload (the page learns the server's time)", securityTab(), chromedp.Reload(), settingsLoaded())
	e.expectCodeFields(0, "security settings")
	for _, d := range []struct{ button, dialog, code string }{
		{"password-open", "password-dialog", "password-code"},
		{"backup-regenerate", "regenerate-dialog", "regenerate-code"},
		{"tfa-disable", "disable-dialog", "disable-code"},
	} {
		e.do("open "+d.dialog,
			chromedp.Click(chromedp.CSS("#"+d.button)),
			chromedp.WaitVisible(chromedp.CSS("#"+d.dialog+"[open] #"+d.code)),
		)
		if a := e.attrs(d.dialog); a["role"] != "dialog" || a["aria-modal"] != "true" {
			t.Errorf("%s: role=%q aria-modal=%q", d.dialog, a["role"], a["aria-modal"])
		}
		e.expectCodeFields(1, d.dialog)
		e.do("close "+d.dialog, pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#"+d.dialog)))
		e.expectFocus(d.button)
	}

	// A notice goes with the next action: new codes, then a dialog opens.
	e.do("regenerate the codes",
		chromedp.Click(chromedp.CSS("#backup-regenerate")),
		e.fill("regenerate-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#regenerate-submit")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-done")),
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
	)
	if got := e.text("settings-notice"); got != "New backup codes made: the old ones no longer work." {
		t.Errorf("notice after new codes: %q", got)
	}
	e.do("open Change password", chromedp.Click(chromedp.CSS("#password-open")), chromedp.WaitVisible(chromedp.CSS("#password-dialog[open]")))
	if got := e.textNow("settings-notice"); got != "" {
		t.Errorf("the notice %q stays while the next dialog is open", got)
	}
	e.noConsoleErrors()
}

// expectTab checks that the settings show the tab id alone, at path, with
// its link marked current and the others not.
func (e *env) expectTab(id, path string) {
	e.t.Helper()
	loc, err := chromedp.Run(e.ctx, chromedp.Location())
	if err != nil {
		e.t.Fatal(err)
	}
	if loc != e.URL+path {
		e.t.Errorf("tab %s: at %s, want %s", id, loc, e.URL+path)
	}
	for _, other := range []string{"basic", "security"} {
		current := e.attrs("tab-" + other)["aria-current"]
		shown := e.present(other)
		if other == id && (current != "page" || !shown) {
			e.t.Errorf("tab %s: aria-current=%q, section shown %v", other, current, shown)
		}
		if other != id && (current != "" || shown) {
			e.t.Errorf("on tab %s, tab %s: aria-current=%q, section shown %v", id, other, current, shown)
		}
	}
}

// countText counts the visible elements matching css whose text is text.
func (e *env) countText(css, text string) int {
	e.t.Helper()
	n, err := chromedp.Run(e.ctx, chromedp.Evaluate[int](`[...document.querySelectorAll(`+jsQuote(css)+`)]
		.filter((el) => el.getClientRects().length > 0 && el.textContent.trim() === `+jsQuote(text)+`).length`))
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// expectCodeFields checks how many 2FA code fields the page shows.
func (e *env) expectCodeFields(want int, where string) {
	e.t.Helper()
	ids, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('input[autocomplete="one-time-code"]')]
		.filter((el) => el.getClientRects().length > 0).map((el) => el.id)`))
	if err != nil {
		e.t.Fatal(err)
	}
	if len(ids) != want {
		e.t.Errorf("%s: %d code fields %q, want %d", where, len(ids), ids, want)
	}
}
