package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestKeyboardOnly is issue 12's keyboard acceptance: signing in,
// enrolling, regenerating the backup codes and signing out with the
// keyboard alone. Every Tab stop shows its focus; after signing in the
// focus is on the page's heading; dialogs keep Tab inside them without
// invisible stops and give the focus back to the button that opened
// them, or to what replaced it (never the whole 2FA block).
func TestKeyboardOnly(t *testing.T) {
	e := start(t, 120*time.Second)
	dir := e.allowDownloads()
	e.do("open the sign-in page", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	e.tabTo("signin-username", false, 8)
	e.do("type the username and the password, then Enter",
		chromedp.KeyEvent("admin"), key("\t"), chromedp.KeyEvent(adminPassword), key("\r"),
		settingsLoaded(),
	)
	e.expectFocusShown("settings-title")

	// Enrol.
	e.tabTo("tfa-enable", false, 6)
	e.do("open the enrolment", key("\r"), chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")))
	e.expectFocusShown("enrol-dialog-title")
	e.tabTo("totp-code", false, 6)
	e.tabCycle("enrol-dialog", 8)
	e.tabTo("totp-code", false, 8)
	secret := e.key()
	e.do("type the code and Enter",
		chromedp.KeyEvent(e.code(secret)), chromedp.WaitEnabled(chromedp.CSS("#totp-enable")), key("\r"),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	e.expectFocusShown("codes-dialog-title")
	e.tabCycle("codes-dialog", 8)
	e.tabTo("backup-download", false, 6)
	e.do("download with Enter", key("\r"), chromedp.WaitVisible(chromedp.CSS("#backup-status")))
	e.waitFile(dir, "twofold-backup-codes-admin.txt")
	e.tabTo("backup-done", false, 6)
	e.do("close with Enter", key("\r"), chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")))
	// The button that opened the dialog is gone: the focus is on the
	// green badge that replaced it, not on the whole 2FA block.
	e.expectFocusShown("tfa-state")
	if e.js(`getComputedStyle(document.getElementById("tfa")).outlineStyle !== "none"`) {
		t.Errorf("the 2FA block has an outline")
	}

	// Regenerate the backup codes on the security tab.
	e.tabTo("tab-security", true, 8)
	e.do("open the security tab with Enter", key("\r"), chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="security"] #backup-regenerate`)))
	e.expectFocusShown("tab-security")
	e.tabTo("backup-regenerate", false, 8)
	e.do("open Regenerate with Enter", key("\r"), chromedp.WaitVisible(chromedp.CSS("#regenerate-dialog[open] #regenerate-code")))
	e.expectFocusShown("regenerate-code")
	e.tabCycle("regenerate-dialog", 6)
	e.do("Escape", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#regenerate-dialog")))
	e.expectFocusShown("backup-regenerate")
	e.do("open Regenerate again and type a code",
		key("\r"), chromedp.WaitVisible(chromedp.CSS("#regenerate-dialog[open] #regenerate-code")),
		chromedp.KeyEvent(e.nextCode(secret)), key("\r"),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	e.tabTo("backup-download", false, 6)
	e.do("download with Enter", key("\r"), chromedp.WaitVisible(chromedp.CSS("#backup-status")))
	e.do("close with Escape once saved", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")))
	e.expectFocusShown("backup-regenerate")

	// Sign out.
	e.tabTo("signout", true, 12)
	e.do("sign out with Enter", key("\r"), mounted("signin-page", ""), chromedp.WaitVisible(chromedp.CSS("#signin-form")))
	e.expectFocusShown("signin-title")
	e.noConsoleErrors()
}

// tabCycle presses Tab n times inside the open dialog id: each stop must
// be inside the dialog (no stop on the page or the document) and show its
// focus, and the stops must come round (the first one comes again).
func (e *env) tabCycle(dialogID string, n int) {
	e.t.Helper()
	var path []string
	for i := range n {
		e.do("press Tab", key("\t"))
		f := e.focus()
		path = append(path, "#"+f.ID)
		if f.Dialog != dialogID {
			e.t.Fatalf("Tab %d left the dialog #%s for %q (%s): %q", i+1, dialogID, f.ID, f.Tag, path)
		}
		if !f.Visible {
			e.t.Errorf("in #%s the focus on %s does not show", dialogID, f.HTML)
		}
		if i > 0 && path[i] == path[0] {
			return
		}
	}
	e.t.Errorf("Tab does not come round in #%s: %q", dialogID, path)
}
