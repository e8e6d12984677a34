package e2e

import (
	"strings"
	"time"

	"testing"

	"github.com/chromedp/chromedp"

	"twofold/shared/api"
)

// signInTOTP signs admin in with the password and a TOTP code of secret
// (the next time step), up to the settings.
func (e *env) signInTOTP(secret []byte) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		e.signIn("admin", adminPassword),
		verifyPage(api.MethodTOTP),
		e.fill("verify-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)
}

// useBackupCodes spends backup codes as step-up codes of the signed-in
// session (POST /api/account/verify from the page).
func (e *env) useBackupCodes(codes []string) {
	e.t.Helper()
	for _, c := range codes {
		status, err := chromedp.Run(e.ctx, chromedp.Evaluate[int](`fetch("`+api.PathAccountVerify+`", {method: "POST",
			headers: {"Content-Type": "application/json"}, body: JSON.stringify({code: `+jsQuote(c)+`})}).then((r) => r.status)`,
			chromedp.EvalAwaitPromise))
		if err != nil || status != 200 {
			e.t.Fatalf("use backup code %s: %d %v", c, status, err)
		}
	}
}

// TestReminderBanners is issue 11's browser acceptance of the settings'
// banners: 2FA turning "expired" within 14 days (information), within 3
// days (a warning), expired, and 2 backup codes left, with the clock
// moved; each banner's button starts its flow (Regenerate, Renew 2FA),
// after which the banner goes; axe-core finds nothing serious in either
// language.
func TestReminderBanners(t *testing.T) {
	e := start(t, 150*time.Second)
	const day = 24 * time.Hour
	expiry := 4320 * time.Hour // TWOFOLD_TFA_EXPIRY's default
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	secret, codes := e.enableTOTP()
	if e.present("banners") {
		t.Errorf("banners with a fresh 2FA and six codes: %q", e.textNow("banners"))
	}

	e.do("sign out", e.signOut())
	e.Clock.Advance(expiry - 10*day)
	e.do("sign in 10 days before the expiry", e.signInTOTP(secret),
		chromedp.WaitVisible(chromedp.CSS("#banner-tfa_expiring")))
	if got := e.text("banner-tfa_expiring-text"); !strings.Contains(got, "in 10 days") {
		t.Errorf("14-day banner: %q", got)
	}
	if got := e.attrs("banner-tfa_expiring")["class"]; !strings.Contains(got, "alert-info") {
		t.Errorf("14-day banner: class %q, want information", got)
	}
	if e.present("banner-backup_codes_low") {
		t.Errorf("backup-codes banner with six codes left")
	}
	e.do("the banner on the security tab too", securityTab(), chromedp.WaitVisible(chromedp.CSS("#banner-tfa_expiring #banner-renew")))

	e.do("sign out", e.signOut())
	e.Clock.Advance(8 * day)
	e.do("sign in 2 days before the expiry", e.signInTOTP(secret),
		chromedp.WaitVisible(chromedp.CSS("#banner-tfa_expiring")))
	if got := e.text("banner-tfa_expiring-text"); !strings.Contains(got, "in 2 days") {
		t.Errorf("3-day banner: %q", got)
	}
	if got := e.attrs("banner-tfa_expiring")["class"]; !strings.Contains(got, "alert-warning") {
		t.Errorf("3-day banner: class %q, want a warning", got)
	}

	// Expired, and four backup codes used: two banners.
	e.do("sign out", e.signOut())
	e.Clock.Advance(3 * day)
	e.do("sign in after the expiry", e.signInTOTP(secret), chromedp.WaitVisible(chromedp.CSS("#banner-tfa_expired")))
	e.useBackupCodes(codes[:4])
	e.do("reload", chromedp.Reload(), settingsLoaded(), chromedp.WaitVisible(chromedp.CSS("#banner-backup_codes_low")))
	if got := e.text("banner-backup_codes_low-text"); !strings.HasPrefix(got, "Only 2 backup codes left") {
		t.Errorf("backup-codes banner: %q", got)
	}
	if got := e.text("banner-tfa_expired-text"); !strings.Contains(got, "still protects") {
		t.Errorf("expired banner: %q", got)
	}
	e.axeInBothLanguages("settings-banners")
	e.do("narrow", narrow(), chromedp.WaitVisible(chromedp.CSS("#banner-regenerate")))
	if !e.js(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the banners are wider than a phone's screen")
	}

	// Regenerate: the session is elevated by the codes just used.
	e.do("regenerate from the banner",
		chromedp.Click(chromedp.CSS("#banner-regenerate")),
		chromedp.WaitVisible(chromedp.CSS("#regenerate-dialog[open]")),
		chromedp.Click(chromedp.CSS("#regenerate-submit")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
		chromedp.WaitNotPresent(chromedp.CSS("#banner-backup_codes_low")),
	)

	// Renew 2FA: a new secret, confirmed; the expired banner goes.
	e.do("renew from the banner",
		chromedp.Click(chromedp.CSS("#banner-renew")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open]")),
	)
	if e.present("enrol-stepup-code") {
		e.do("confirm with a code", e.fill("enrol-stepup-code", e.nextCode(secret)), chromedp.Click(chromedp.CSS("#enrol-continue")))
	}
	e.do("wait for the new key", chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")))
	fresh := e.key()
	e.do("confirm the new secret",
		e.fill("totp-code", e.code(fresh)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
		chromedp.WaitNotPresent(chromedp.CSS("#banners")),
	)
	e.noConsoleErrors()
}
