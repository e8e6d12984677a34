package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/server/internal/mfa/totp"
	"twofold/shared/api"
)

// codeAt is the TOTP code of secret at the server's (test) time moved by d.
func (e *env) codeAt(secret []byte, d time.Duration) string {
	e.t.Helper()
	c, err := totp.Code(secret, totp.Step(e.Clock.Now().Add(d)), totp.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// wrongCode is a 6-digit code that no time step of secret within an hour
// of the test's time gives.
func (e *env) wrongCode(secret []byte) string {
	e.t.Helper()
	used := map[string]bool{}
	for d := -time.Hour; d <= time.Hour; d += totp.Period * time.Second {
		used[e.codeAt(secret, d)] = true
	}
	for n := 0; ; n++ {
		if c := fmt.Sprintf("%06d", n); !used[c] {
			return c
		}
	}
}

// expectClockHint checks that the error of the code field id says the
// device's clock is behind and how to fix it, in a live region the field
// is described by.
func (e *env) expectClockHint(id, want string) {
	e.t.Helper()
	errID := id + "-error"
	if got := e.text(errID); !strings.Contains(got, want) {
		e.t.Errorf("#%s: %q, want the clock hint (%q)", errID, got, want)
	}
	if a := e.attrs(errID); a["role"] != "alert" || a["aria-live"] != "assertive" {
		e.t.Errorf("#%s: role=%q aria-live=%q: not announced", errID, a["role"], a["aria-live"])
	}
	if a := e.attrs(id); a["aria-invalid"] != "true" || !strings.Contains(a["aria-describedby"], errID) {
		e.t.Errorf("#%s: aria-invalid=%q aria-describedby=%q", id, a["aria-invalid"], a["aria-describedby"])
	}
	if !e.js(`document.getElementById(` + jsString(id) + `).closest(".field").contains(document.getElementById(` + jsString(errID) + `))`) {
		e.t.Errorf("#%s is not next to #%s", errID, id)
	}
}

// TestClockHint is issue 11's browser acceptance of the clock hint: a
// TOTP code of 5 minutes ago (a device whose clock is behind) gets, next
// to the code field and announced, what is wrong and how to fix it, in
// English and in French: when confirming a new secret, on the
// verification page and in a step-up dialog. A right code then works.
func TestClockHint(t *testing.T) {
	e := start(t, 120*time.Second)
	const english, french = "clock of the device that shows your codes seems to be behind", "horloge de l’appareil qui affiche vos codes semble en retard"
	late := -5 * time.Minute

	// Confirming a new secret.
	e.do("sign in and open the enrolment", e.signIn("admin", adminPassword), settingsLoaded(),
		chromedp.Click(chromedp.CSS("#tfa-enable")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	secret := e.key()
	e.do("confirm with a code of 5 minutes ago",
		e.fill("totp-code", e.codeAt(secret, late)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#totp-code-error:not(:empty)")),
	)
	e.expectClockHint("totp-code", english)
	e.do("confirm with the right code",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
	)

	// The verification page, in English then in French.
	e.do("sign out, then in", e.signOut(), e.signIn("admin", adminPassword), verifyPage(api.MethodTOTP))
	e.Clock.Advance(totp.Period * time.Second)
	e.do("type a code of 5 minutes ago",
		e.fill("verify-code", e.codeAt(secret, late)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		chromedp.WaitVisible(chromedp.CSS("#verify-code-error:not(:empty)")),
	)
	e.expectClockHint("verify-code", english)
	e.axe("verify-clock-hint")
	e.languageByScript("fr")
	e.do("type it again in French",
		e.fill("verify-code", e.codeAt(secret, late)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
	)
	e.waitFor("the French clock hint", `document.getElementById("verify-code-error").textContent.includes(`+jsQuote(french)+`)`, 5*time.Second)
	e.expectClockHint("verify-code", french)
	e.expectLanguage("fr", "verification page with the clock hint")
	e.languageByScript("en")
	e.do("type the right code",
		e.fill("verify-code", e.code(secret)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)

	// A step-up dialog (Regenerate backup codes).
	e.Clock.Advance(totp.Period * time.Second)
	e.do("open Regenerate with a code of 5 minutes ago",
		securityTab(),
		chromedp.Click(chromedp.CSS("#backup-regenerate")),
		chromedp.WaitVisible(chromedp.CSS("#regenerate-dialog[open] #regenerate-code")),
		e.fill("regenerate-code", e.codeAt(secret, late)),
		chromedp.Click(chromedp.CSS("#regenerate-submit")),
		chromedp.WaitVisible(chromedp.CSS("#regenerate-code-error:not(:empty)")),
	)
	e.expectClockHint("regenerate-code", english)
	e.axe("stepup-clock-hint")

	// A code that is just wrong keeps the plain message.
	e.do("type a wrong code",
		e.fill("regenerate-code", e.wrongCode(secret)),
		chromedp.Click(chromedp.CSS("#regenerate-submit")),
	)
	e.waitFor("the plain message", `document.getElementById("regenerate-code-error").textContent.trim() === "The code is wrong, expired or already used."`, 5*time.Second)
	e.noConsoleErrors()
}
