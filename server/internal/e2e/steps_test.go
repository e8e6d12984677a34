package e2e

import (
	"encoding/base32"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"twofold/server/internal/mfa/totp"
)

// Steps shared by the 2FA browser tests.

// signIn opens the sign-in page and submits the password step; the test
// then waits for where it leads.
func (e *env) signIn(username, password string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(e.URL+"/"),
		mounted("signin-page", ""),
		e.fill("signin-username", username),
		e.fill("signin-password", password),
		chromedp.Click(chromedp.CSS("#signin-submit")),
	)
}

// signOut uses the header's button and waits for the sign-in page.
func (e *env) signOut() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS("#signout")),
		mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
	)
}

// settingsLoaded waits for the settings page with the account loaded.
func settingsLoaded() chromedp.Action[chromedp.Void] {
	return mounted("settings-page", `[data-state="loaded"]`)
}

// verifyPage waits for the second sign-in step of method.
func verifyPage(method string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		mounted("verify-page", ""),
		chromedp.WaitVisible(chromedp.CSS(`#verify-card[data-method="`+method+`"] #verify-code`)),
	)
}

// key reads the TOTP key shown by the enrolment (groups of four) and
// decodes it.
func (e *env) key() []byte {
	e.t.Helper()
	text := strings.ReplaceAll(e.text("totp-key"), " ", "")
	if len(text) != 32 {
		e.t.Fatalf("key on the page: %q, want 32 base32 characters", text)
	}
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(text)
	if err != nil {
		e.t.Fatalf("key on the page %q: %v", text, err)
	}
	return raw
}

// code is the TOTP code of secret at the server's (test) time.
func (e *env) code(secret []byte) string {
	e.t.Helper()
	c, err := totp.Code(secret, totp.Step(e.Clock.Now()), totp.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// nextCode moves the test clock to the next time step (a step is used
// once per secret) and returns its code.
func (e *env) nextCode(secret []byte) string {
	e.t.Helper()
	e.Clock.Advance(totp.Period * time.Second)
	return e.code(secret)
}

var backupCodeShape = regexp.MustCompile(`^[0-9a-z]{5}-[0-9a-z]{5}$`)

// backupCodes reads the codes of the backup-codes block.
func (e *env) backupCodes() []string {
	e.t.Helper()
	codes, err := chromedp.Run(e.ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#backup-codes code")].map(c => c.textContent.trim())`))
	if err != nil {
		e.t.Fatalf("read the backup codes: %v", err)
	}
	if len(codes) != 6 {
		e.t.Fatalf("backup codes: got %d (%q), want 6", len(codes), codes)
	}
	for _, c := range codes {
		if !backupCodeShape.MatchString(c) {
			e.t.Errorf("backup code %q is not xxxxx-xxxxx", c)
		}
	}
	return codes
}

// enableTOTP enables 2FA from the settings page through the dialogs and
// returns the secret read from the page and the backup codes.
func (e *env) enableTOTP() ([]byte, []string) {
	e.t.Helper()
	e.do("open the enrolment dialog",
		chromedp.Click(chromedp.CSS("#tfa-enable")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	secret := e.key()
	e.do("confirm with a code of the new secret",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	codes := e.backupCodes()
	e.do("close the backup codes",
		chromedp.Click(chromedp.CSS("#backup-done")),
		chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#tfa[data-state="enabled"] #tfa-state`)),
	)
	return secret, codes
}

// securityTab opens the settings' Security Settings tab with its link
// and waits for its section.
func securityTab() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS("#tab-security")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="security"] #security`)),
	)
}

// basicTab opens the settings' Basic Settings tab with its link and waits
// for its section.
func basicTab() chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Click(chromedp.CSS("#tab-basic")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="basic"] #basic`)),
	)
}

// attrs returns the attributes of the element with id.
func (e *env) attrs(id string) map[string]string {
	e.t.Helper()
	a, err := chromedp.Run(e.ctx, chromedp.Attributes(chromedp.CSS("#"+id)))
	if err != nil {
		e.t.Fatalf("attributes of #%s: %v", id, err)
	}
	return a
}

// js evaluates a boolean expression in the page.
func (e *env) js(expr string) bool {
	e.t.Helper()
	ok, err := chromedp.Run(e.ctx, chromedp.Evaluate[bool](expr))
	if err != nil {
		e.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return ok
}

// focusInside checks that the keyboard focus is inside the dialog id.
func (e *env) focusInside(dialogID string) {
	e.t.Helper()
	_, err := chromedp.Run(e.ctx, chromedp.Poll[bool](
		`document.activeElement !== null && document.activeElement.closest("dialog") !== null &&
		 document.activeElement.closest("dialog").id === `+jsString(dialogID),
		chromedp.WithPollingTimeout(3*time.Second)))
	if err != nil {
		active, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.outerHTML.slice(0, 80) : ""`))
		e.t.Errorf("focus: %s, want inside #%s (%v)", active, dialogID, err)
	}
}

// pressEscape sends the Escape key to the page.
func pressEscape() chromedp.Action[chromedp.Void] {
	return chromedp.KeyEvent("\u001b")
}

// allowDownloads saves the browser's downloads into a new directory.
func (e *env) allowDownloads() string {
	e.t.Helper()
	dir := e.t.TempDir()
	_, err := chromedp.CallBrowser(e.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: dir,
	})
	if err != nil {
		e.t.Fatalf("allow downloads: %v", err)
	}
	return dir
}

// waitFile waits until the download dir holds name, complete, and
// returns its content.
func (e *env) waitFile(dir, name string) string {
	e.t.Helper()
	path := filepath.Join(dir, name)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return string(b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, en := range entries {
		names = append(names, en.Name())
	}
	e.t.Fatalf("download %s: not saved (the directory holds %q)", name, names)
	return ""
}

// grantClipboard lets the page write and read the clipboard.
func (e *env) grantClipboard() {
	e.t.Helper()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(e.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name, AllowWithoutSanitization: true},
			Setting:    cdpbrowser.PermissionSettingGranted, Origin: e.URL,
		})
		if err != nil {
			e.t.Fatalf("grant %s: %v", name, err)
		}
	}
}

// clipboard reads the clipboard's text.
func (e *env) clipboard() string {
	e.t.Helper()
	s, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("read the clipboard: %v", err)
	}
	return s
}

// noConsoleErrors fails on CSP violations and exceptions in the page.
func (e *env) noConsoleErrors() {
	e.t.Helper()
	for _, m := range e.consoleMessages() {
		if strings.Contains(m.Text, "Content Security Policy") || m.IsException() {
			e.t.Errorf("browser console: %s: %s", m.Type, m.Text)
		}
	}
}

// narrow switches the tab to a phone-sized viewport.
func narrow() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)
}
