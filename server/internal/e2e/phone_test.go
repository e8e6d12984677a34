package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPhoneEnrolment is issue 12's phone acceptance at 390×844: in the
// enrolment dialog "Open in an authenticator app on this device" comes
// first, then the key, then the QR code, and the dialog's buttons are in
// view without scrolling (and stay there when the dialog scrolls); no
// placeholder is cut, in French or in English, on the pages and dialogs
// that have one.
func TestPhoneEnrolment(t *testing.T) {
	e := start(t, 120*time.Second, withLocale("fr-FR"))
	e.do("sign in on a phone", narrow(), e.signIn("admin", adminPassword), settingsLoaded())
	e.do("open the enrolment dialog",
		chromedp.Click(chromedp.CSS("#tfa-enable")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	if v := e.inView("totp-open", "enrol-cancel", "totp-enable"); !v["totp-open"] || !v["enrol-cancel"] || !v["totp-enable"] {
		t.Errorf("without scrolling, in view: %v; want the link and both buttons", v)
	}
	if !e.js(`(() => { const top = (id) => document.getElementById(id).getBoundingClientRect().top;
		return top("totp-open") < top("totp-key") && top("totp-key") < top("totp-qr"); })()`) {
		t.Errorf("on a phone the order is not: link, key, QR code")
	}
	e.expectNoCut("enrolment dialog (fr)")
	e.snapshot("enrol-fr")
	e.do("scroll the dialog", chromedp.Evaluate[chromedp.Void](`document.getElementById("enrol-dialog").scrollTop = 300`))
	if v := e.inView("enrol-cancel", "totp-enable"); !v["enrol-cancel"] || !v["totp-enable"] {
		t.Errorf("scrolled, the buttons leave the view: %v", v)
	}
	secret := e.key()
	e.do("enable",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	if v := e.inView("backup-done", "backup-copy", "backup-download"); !v["backup-done"] {
		t.Errorf("codes dialog, in view: %v", v)
	}
	e.snapshot("codes-fr")
	e.do("close the codes", chromedp.Click(chromedp.CSS("#backup-done")), chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")))

	for _, lang := range []string{"fr", "en"} {
		e.do("switch to "+lang, chromedp.Click(chromedp.CSS("#lang-"+lang)),
			chromedp.WaitVisible(chromedp.CSS(`#lang-`+lang+`[aria-pressed="true"]`)))
		e.do("change the email, which asks for a code",
			e.fill("email", "a@example.com"), chromedp.WaitVisible(chromedp.CSS("#stepup-code")))
		e.expectNoCut("basic settings with the 2FA code (" + lang + ")")
		if v := e.inView("tab-basic", "tab-security"); !v["tab-basic"] || !v["tab-security"] {
			t.Errorf("%s: the tabs do not fit the phone: %v", lang, v)
		}
		e.snapshot("basic-" + lang)
		e.do("open the security settings", securityTab())
		for _, d := range []struct{ button, dialog, cancel, submit string }{
			{"backup-regenerate", "regenerate-dialog", "regenerate-cancel", "regenerate-submit"},
			{"password-open", "password-dialog", "password-cancel", "password-submit"},
			{"tfa-disable", "disable-dialog", "disable-cancel", "disable-submit"},
		} {
			e.do("open "+d.dialog, chromedp.Click(chromedp.CSS("#"+d.button)), chromedp.WaitVisible(chromedp.CSS("#"+d.dialog+"[open]")))
			e.expectNoCut(d.dialog + " (" + lang + ")")
			if v := e.inView(d.cancel, d.submit); !v[d.cancel] || !v[d.submit] {
				t.Errorf("%s (%s): buttons in view %v", d.dialog, lang, v)
			}
			e.snapshot(d.dialog + "-" + lang)
			e.do("close "+d.dialog, pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#"+d.dialog)))
		}
		e.do("back to the basic settings", basicTab())
	}
	if !e.js(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the page is wider than the phone's screen")
	}
	e.do("sign out, then in", e.signOut(), e.signIn("admin", adminPassword), verifyPage("totp"))
	e.expectNoCut("TOTP verification (en)")
	e.noConsoleErrors()
}

// expectNoCut fails on a placeholder wider than its field.
func (e *env) expectNoCut(where string) {
	e.t.Helper()
	for _, c := range e.cutPlaceholders() {
		e.t.Errorf("%s: placeholder cut: %s", where, c)
	}
}
