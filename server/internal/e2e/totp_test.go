package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/server/internal/db"
)

// TestTOTPJourney is issue 3's browser acceptance: enable 2FA in the UI
// with the key read from the page and the code computed in Go, keep the
// backup codes (downloaded as a file), sign out, sign in with a TOTP code,
// then with a backup code, and change the email with a 2FA code typed in
// the settings form.
func TestTOTPJourney(t *testing.T) {
	e := start(t, 60*time.Second)
	const newEmail = "admin@example.com"

	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	e.do("see 2FA off", chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="not_enabled"] #tfa-enable`)))

	// The enrolment dialog, as in the seed: steps, QR code, key with a
	// copy button, a 2FA code field, "Enable 2FA" disabled until a code
	// is typed.
	e.do("open the enrolment dialog",
		chromedp.Click(chromedp.CSS("#tfa-enable")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	dlg := e.attrs("enrol-dialog")
	if dlg["role"] != "dialog" || dlg["aria-modal"] != "true" || dlg["aria-labelledby"] != "enrol-dialog-title" {
		t.Errorf("enrolment dialog: role=%q aria-modal=%q aria-labelledby=%q", dlg["role"], dlg["aria-modal"], dlg["aria-labelledby"])
	}
	e.focusInside("enrol-dialog")
	if !e.js(`(() => { const i = document.getElementById("totp-qr"); return i.complete && i.naturalWidth > 0 && i.src.startsWith("data:image/png;base64,"); })()`) {
		t.Errorf("the QR code image did not load")
	}
	code := e.attrs("totp-code")
	if code["inputmode"] != "numeric" || code["autocomplete"] != "one-time-code" || code["pattern"] != "[0-9]{6}" {
		t.Errorf("2FA code field: inputmode=%q autocomplete=%q pattern=%q", code["inputmode"], code["autocomplete"], code["pattern"])
	}
	if !e.js(`document.getElementById("totp-enable").disabled`) {
		t.Errorf("Enable 2FA is enabled before a code is typed")
	}
	secret := e.key()
	e.grantClipboard()
	e.do("copy the key",
		chromedp.Click(chromedp.CSS("#totp-copy")),
		chromedp.WaitVisible(chromedp.CSS("#totp-copy-status")),
	)
	if got, want := e.clipboard(), strings.ReplaceAll(e.text("totp-key"), " ", ""); got != want {
		t.Errorf("clipboard after Copy key: got %q, want %q", got, want)
	}
	e.snapshot("enrol")

	e.do("type a code of the key and enable",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	e.focusInside("codes-dialog")
	codes := e.backupCodes()
	e.snapshot("backup-codes")

	// Download: a Blob saved through <a download>, under the strict CSP.
	dir := e.allowDownloads()
	e.do("download the codes", chromedp.Click(chromedp.CSS("#backup-download")))
	file := e.waitFile(dir, "twofold-backup-codes-admin.txt")
	for _, c := range codes {
		if !strings.Contains(file, c+"\n") {
			t.Errorf("downloaded file lacks %s:\n%s", c, file)
		}
	}
	e.do("copy the codes", chromedp.Click(chromedp.CSS("#backup-copy")), chromedp.WaitVisible(chromedp.CSS("#backup-status")))
	if got := e.clipboard(); got != strings.Join(codes, "\n")+"\n" {
		t.Errorf("clipboard after Copy all: got %q", got)
	}

	e.do("close the codes",
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="enabled"] #tfa-state.tfa-badge`)),
	)
	e.expectFocus("tfa-state")
	e.do("open the security settings", securityTab())
	if got := e.text("backup-remaining"); got != "6 of 6 left." {
		t.Errorf("backup codes left: got %q", got)
	}
	e.snapshot("enabled")

	// Sign in with TOTP. The enabling code's time step is used: the next
	// code is one step later.
	e.do("sign out, then in with the password", e.signOut(), e.signIn("admin", adminPassword), verifyPage("totp"))
	field := e.attrs("verify-code")
	if _, numeric := field["inputmode"]; numeric || field["autocomplete"] != "one-time-code" {
		t.Errorf("verification field (takes backup codes too): inputmode=%q autocomplete=%q", field["inputmode"], field["autocomplete"])
	}
	if got := e.text("verify-backup-toggle"); got != "Use a backup code" {
		t.Errorf("backup code link: got %q", got)
	}
	e.snapshot("verify-totp")
	e.do("type a wrong code",
		e.fill("verify-code", "000000"),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		chromedp.WaitVisible(chromedp.CSS("#verify-code-error")),
	)
	if got := e.text("verify-code-error"); got != "The code is wrong, expired or already used." {
		t.Errorf("wrong code: got %q", got)
	}
	e.expectFocus("verify-code")
	e.do("sign in with a TOTP code",
		e.fill("verify-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)

	// Sign in with a backup code, typed in capitals.
	e.do("sign out, then in with the password", e.signOut(), e.signIn("admin", adminPassword), verifyPage("totp"))
	e.do("open the backup code help",
		chromedp.Click(chromedp.CSS("#verify-backup-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#verify-backup-help")),
	)
	if got := e.attrs("verify-backup-toggle")["aria-expanded"]; got != "true" {
		t.Errorf("backup code link: aria-expanded=%q", got)
	}
	if help := e.text("verify-backup-help"); !strings.Contains(help, "xxxxx-xxxxx") {
		t.Errorf("backup code help: %q", help)
	}
	e.do("sign in with a backup code",
		e.fill("verify-code", strings.ToUpper(codes[0])),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
		securityTab(),
		chromedp.WaitVisible(chromedp.CSS("#backup-remaining")),
	)
	if got := e.text("backup-remaining"); got != "5 of 6 left." {
		t.Errorf("backup codes left after using one: got %q", got)
	}

	// Settings need a 2FA code: signing in does not count (API.md). It is
	// asked in the form once something changes. Email verification is
	// greyed while TOTP is on.
	e.do("back to the basic settings", basicTab())
	if e.present("stepup-code") {
		t.Errorf("the 2FA code is asked before anything changed")
	}
	e.do("see the step-up field", e.fill("email", "x"+newEmail), chromedp.WaitVisible(chromedp.CSS("#stepup-code")))
	if box := e.checkbox("email-verification"); !box.Disabled {
		t.Errorf("email verification can be ticked while 2FA is on")
	}
	if e.present("stepup-password") {
		t.Errorf("the password is asked as step-up while 2FA is on")
	}
	e.do("change the email with a wrong code",
		e.fill("email", newEmail),
		e.fill("stepup-code", "111111"),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#stepup-code-error")),
	)
	if got := e.text("stepup-code-error"); got != "The code is wrong, expired or already used." {
		t.Errorf("wrong step-up code: got %q", got)
	}
	if !e.present("settings-page") {
		t.Fatalf("a wrong step-up code left the settings page")
	}
	e.snapshot("stepup-error")
	e.do("change the email with a TOTP code",
		e.fill("stepup-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#basic-saved")),
	)
	e.do("change the email field again", e.fill("email", "other@example.com"))
	if e.present("stepup-code") {
		t.Errorf("a code is asked again right after one was given (the session is elevated)")
	}
	e.do("reload the settings",
		chromedp.Reload(),
		settingsLoaded(),
		chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="enabled"] #tfa-state`)),
	)
	if got := e.value("email"); got != newEmail {
		t.Errorf("email after reload: got %q, want %q", got, newEmail)
	}
	if got := e.text("tfa-state"); !strings.HasPrefix(got, "2FA") {
		t.Errorf("2FA badge: got %q", got)
	}
	e.noConsoleErrors()
}

// TestTOTPExpiredRenewRegenerateDisable: past the expiry the settings
// show the amber "Renew 2FA", which re-runs the enrolment behind a
// step-up code; then new backup codes, and 2FA off.
func TestTOTPExpiredRenewRegenerateDisable(t *testing.T) {
	e := start(t, 60*time.Second)
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	secret, _ := e.enableTOTP()

	// 181 days later: the session is long gone, 2FA is expired but works.
	e.Clock.Advance(181 * 24 * time.Hour)
	e.do("sign in again with TOTP",
		chromedp.Reload(),
		mounted("signin-page", ""),
		e.signIn("admin", adminPassword),
		verifyPage("totp"),
		e.fill("verify-code", e.code(secret)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
		chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="expired"] #tfa-renew.btn-amber`)),
	)
	if got := e.text("tfa-renew"); got != "Renew 2FA" {
		t.Errorf("expired state: got %q, want Renew 2FA", got)
	}
	// Expired still protects: the page says so, in amber, on both tabs,
	// and Security Settings offers Renew 2FA too.
	if got := e.text("tfa-expired"); got != "Expired — still protects your sign-ins" {
		t.Errorf("expired status: got %q", got)
	}
	e.expectAmber("tfa-expired")
	e.do("open the security settings", securityTab())
	if got := e.text("security-tfa-state"); got != "Expired — still protects your sign-ins" {
		t.Errorf("expired status in the security settings: got %q", got)
	}
	if got := e.text("security-renew"); got != "Renew 2FA" {
		t.Errorf("security settings, expired: got %q, want Renew 2FA", got)
	}
	e.axe("security-expired")
	e.do("back to the basic settings", basicTab())
	if box := e.checkbox("email-verification"); !box.Disabled {
		t.Errorf("email verification can be ticked while 2FA is on (expired)")
	}
	e.snapshot("expired")
	e.axe("settings-expired")

	// Renew (on a phone-sized screen): a code of the current secret first
	// (step-up), then the new secret's QR code and key, confirmed with a
	// code of the new key.
	e.do("open the renewal on a phone",
		narrow(),
		chromedp.Click(chromedp.CSS("#tfa-renew")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #enrol-stepup-code")),
	)
	e.focusInside("enrol-dialog")
	e.expectFocus("enrol-stepup-code")
	if _, numeric := e.attrs("enrol-stepup-code")["inputmode"]; numeric {
		t.Errorf("the step-up field (takes backup codes too) has a numeric keyboard")
	}
	e.snapshot("renew-stepup")
	e.axe("renew-stepup")
	e.do("confirm with the current secret",
		e.fill("enrol-stepup-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#enrol-continue")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	renewed := e.key()
	if string(renewed) == string(secret) {
		t.Fatalf("renewing kept the secret")
	}
	e.snapshot("renew-scan")
	// The new secret starts with no replay record: the same time step works.
	e.do("enable the new secret",
		e.fill("totp-code", e.code(renewed)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	e.backupCodes()
	e.snapshot("renew-codes")
	e.do("close the codes with Escape, then confirm",
		pressEscape(),
		chromedp.WaitVisible(chromedp.CSS("#backup-confirm-close")),
		chromedp.Click(chromedp.CSS("#backup-confirm-close")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="enabled"] #tfa-state.tfa-badge`)),
	)
	e.snapshot("renewed")

	// Regenerate: renewing ended the elevation, so a code is asked.
	e.do("open the security settings", securityTab())
	e.do("open Regenerate backup codes",
		chromedp.Click(chromedp.CSS("#backup-regenerate")),
		chromedp.WaitVisible(chromedp.CSS("#regenerate-dialog[open] #regenerate-code")),
	)
	e.expectFocus("regenerate-code")
	e.do("close it with Escape",
		pressEscape(),
		chromedp.WaitNotPresent(chromedp.CSS("#regenerate-dialog")),
	)
	e.expectFocus("backup-regenerate")
	e.do("regenerate with a code",
		chromedp.Click(chromedp.CSS("#backup-regenerate")),
		chromedp.WaitVisible(chromedp.CSS("#regenerate-dialog[open] #regenerate-code")),
		e.fill("regenerate-code", e.nextCode(renewed)),
		chromedp.Click(chromedp.CSS("#regenerate-submit")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	e.backupCodes()
	e.do("close the new codes",
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
	)
	e.expectFocus("backup-regenerate")

	// Disable: the code just given elevated the session, so none is asked.
	e.do("open Disable 2FA",
		chromedp.Click(chromedp.CSS("#tfa-disable")),
		chromedp.WaitVisible(chromedp.CSS("#disable-dialog[open] #disable-submit")),
	)
	if e.present("disable-code") {
		t.Errorf("a code is asked although the session is elevated")
	}
	e.snapshot("disable")
	e.do("disable 2FA",
		chromedp.Click(chromedp.CSS("#disable-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#disable-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#security-tfa[data-state="not_enabled"]`)),
	)
	e.expectFocus("security-tfa-title")
	e.do("back to the basic settings", basicTab(), chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="not_enabled"] #tfa-enable`)))
	if hint := e.text("email-verification-hint"); strings.Contains(hint, "2FA") {
		t.Errorf("email verification still says 2FA replaces it: %q", hint)
	}
	e.noConsoleErrors()
}

// TestEnrolmentRequired: a user whose administrator requires 2FA signs in
// to the enrolment page (its own page, not a dialog), sets up TOTP there
// on a phone-sized screen, saves the codes and reaches the settings, where
// 2FA cannot be turned off.
func TestEnrolmentRequired(t *testing.T) {
	e := start(t, 60*time.Second)
	if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("tfa_enforced = ?", true).
		Where("username_key = ?", "admin").Exec(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.do("sign in on a phone", narrow(), e.signIn("admin", adminPassword),
		mounted("enroll-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#enrol #totp-key")),
	)
	if !e.present("enroll-required") {
		t.Errorf("the enrolment page does not say 2FA is required")
	}
	e.snapshot("enroll")
	secret := e.key()
	e.do("enable",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes #backup-codes")),
	)
	e.backupCodes()
	e.expectFocus("codes-dialog-title")
	e.snapshot("enroll-codes")
	e.axe("enroll-codes")
	e.do("continue to the settings",
		chromedp.Click(chromedp.CSS("#backup-done")),
		settingsLoaded(),
		chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="enabled"]`)),
		securityTab(),
		chromedp.WaitVisible(chromedp.CSS("#tfa-disable-enforced")),
	)
	if e.present("tfa-disable") {
		t.Errorf("Disable 2FA is offered although 2FA is required")
	}
	e.snapshot("settings")
	e.noConsoleErrors()
}
