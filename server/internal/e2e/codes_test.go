package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestBackupCodesCannotBeLost is issue 12's backup-codes acceptance, in
// French: before the codes are copied or downloaded, Escape and × ask
// first, the codes staying readable; "Revenir aux codes" goes back; after
// a download (a file named in French) Escape closes; "J’ai enregistré ces
// codes" closes at once.
func TestBackupCodesCannotBeLost(t *testing.T) {
	e := start(t, 90*time.Second, withLocale("fr-FR"))
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	e.do("enable 2FA",
		chromedp.Click(chromedp.CSS("#tfa-enable")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	secret := e.key()
	e.do("confirm with a code",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	codes := e.backupCodes()

	// Leaving the page would lose them too: the browser asks first.
	dialogs := chromedp.Events(e.ctx, page.JavascriptDialogOpening)
	e.do("reload the page", chromedp.Evaluate[chromedp.Void](`setTimeout(() => location.reload(), 0)`))
	for ev, err := range dialogs {
		if err != nil {
			t.Fatalf("no question before leaving the page: %v", err)
		}
		if ev.Type != page.DialogTypeBeforeunload {
			t.Errorf("dialog %s, want beforeunload", ev.Type)
		}
		break
	}
	if _, err := chromedp.Call(e.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false}); err != nil {
		t.Fatalf("stay on the page: %v", err)
	}
	if got := e.backupCodes(); strings.Join(got, " ") != strings.Join(codes, " ") {
		t.Fatalf("the codes changed after staying on the page: %q", got)
	}

	for i, closeKey := range []struct {
		name string
		act  chromedp.Action[chromedp.Void]
	}{
		{"Escape", pressEscape()},
		{"Escape again", pressEscape()},
		{"×", chromedp.Click(chromedp.CSS("#codes-dialog-close"))},
	} {
		e.do(closeKey.name+" before saving", closeKey.act, chromedp.WaitVisible(chromedp.CSS("#backup-confirm-text")))
		if !e.js(`document.getElementById("codes-dialog").open`) {
			t.Fatalf("%s closed the codes before they were saved", closeKey.name)
		}
		if got := e.text("backup-confirm-text"); got != "Avez-vous enregistré vos codes de secours\u00a0? Ils ne sont affichés que maintenant." {
			t.Errorf("question: %q", got)
		}
		if v := e.inView("backup-codes", "backup-keep", "backup-confirm-close"); !v["backup-codes"] || !v["backup-keep"] || !v["backup-confirm-close"] {
			t.Errorf("while asking, the codes or the answers are not in view: %v", v)
		}
		if got := e.backupCodes(); strings.Join(got, " ") != strings.Join(codes, " ") {
			t.Errorf("the codes changed while asking: %q", got)
		}
		e.expectFocus("backup-keep")
		if i == 0 {
			e.snapshot("asking")
			e.axe("codes-asking")
		}
		if i < 2 {
			continue
		}
		e.do("back to the codes", chromedp.Click(chromedp.CSS("#backup-keep")), chromedp.WaitNotPresent(chromedp.CSS("#backup-confirm-text")))
		e.expectFocus("backup-copy")
	}

	// Downloaded: a file named in French; then Escape closes at once.
	dir := e.allowDownloads()
	e.do("download the codes", chromedp.Click(chromedp.CSS("#backup-download")), chromedp.WaitVisible(chromedp.CSS("#backup-status")))
	file := e.waitFile(dir, "twofold-codes-de-secours-admin.txt")
	if !strings.HasPrefix(file, "Codes de secours Twofold de admin") || !strings.Contains(file, codes[0]) {
		t.Errorf("downloaded file:\n%s", file)
	}
	e.do("close with Escape once saved", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")))
	e.expectFocus("tfa-state")

	// New codes: "J’ai enregistré ces codes" is the explicit answer.
	e.do("make new codes",
		securityTab(),
		chromedp.Click(chromedp.CSS("#backup-regenerate")),
		e.fill("regenerate-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#regenerate-submit")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-done")),
	)
	if got := e.text("backup-done"); got != "J’ai enregistré ces codes" {
		t.Errorf("closing button: %q", got)
	}
	e.do("close with the button", chromedp.Click(chromedp.CSS("#backup-done")), chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")))
	e.expectFocus("backup-regenerate")
	e.noConsoleErrors()
}
