package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/server/internal/config"
	"twofold/server/internal/db"
	"twofold/server/internal/smtptest"
)

// TestFrenchAndAccessible is issue 5's language and accessibility
// acceptance, on every page and dialog of the console in a French
// browser (fr-FR): each text a person meets is French (a text missing
// from the French catalog, an English catalog text or an English word
// fails), the API's errors come in French, the emails too, and axe-core
// finds no serious or critical violation in light and dark colours, in
// French and in English (issue 12: both themes, both languages, every
// page and dialog). Then the switch to English works and stays after a
// reload.
func TestFrenchAndAccessible(t *testing.T) {
	mails := smtptest.Start(t)
	e := start(t, 150*time.Second, withEnv(config.EnvSMTPURL, mails.URL()), withLocale("fr-FR"))
	const email = "admin@example.com"
	codeMail := func(m smtptest.Mail) bool { return smtptest.To(email)(m) && m.Code() != "" }
	countdown := regexp.MustCompile(`^Renvoyer le code dans \d+\x{a0}s$`)

	e.do("open the sign-in page", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	if langs := e.languages(); len(langs) == 0 || !strings.HasPrefix(langs[0], "fr") {
		t.Fatalf("navigator.languages = %q, want French first", langs)
	}
	e.expectLanguage("fr", "sign-in")
	e.axeInBothLanguages("signin")

	// Errors checked in the browser and answered by the server, in French.
	e.do("submit the empty form", chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signin-username-error")))
	if got := e.text("signin-username-error"); got != "Ce champ est obligatoire." {
		t.Errorf("required: got %q", got)
	}
	e.expectInvalid("signin-username")
	e.expectFocus("signin-username")
	e.expectLanguage("fr", "sign-in with errors")
	e.axe("signin-errors") // the errors stay in the language they were shown in
	e.do("sign in with a wrong password",
		e.fill("signin-username", "admin"),
		e.fill("signin-password", "not the password"),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
	)
	if got := e.text("signin-error"); got != "Nom d’utilisateur ou mot de passe incorrect." {
		t.Errorf("wrong password: got %q", got)
	}

	e.do("sign in", e.fill("signin-password", adminPassword), chromedp.Click(chromedp.CSS("#signin-submit")), settingsLoaded())
	e.expectLanguage("fr", "settings, 2FA off")
	e.axeInBothLanguages("settings-tfa-off")

	// The server's validation, by rule, in French, in the Change password
	// dialog of the security settings.
	e.do("open the security settings", securityTab())
	e.expectLanguage("fr", "security settings, 2FA off")
	e.axeInBothLanguages("security-tfa-off")
	e.do("open Change password",
		chromedp.Click(chromedp.CSS("#password-open")),
		chromedp.WaitVisible(chromedp.CSS("#password-dialog[open] #password-current")),
	)
	e.expectLanguage("fr", "Change password dialog")
	e.axeInBothLanguages("password-dialog")
	e.do("change the password to a common one",
		e.fill("password-current", adminPassword),
		e.fill("password-new", "password"),
		e.fill("password-confirm", "password"),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#password-new-error")),
	)
	if got := e.text("password-new-error"); got != "Ce mot de passe est trop courant\u00a0; choisissez-en un autre." {
		t.Errorf("common password (server rule): got %q", got)
	}
	e.expectLanguage("fr", "Change password dialog with errors")
	e.axe("password-dialog-errors") // the errors stay in the language they were shown in
	e.do("close the dialog", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#password-dialog")), basicTab())

	e.do("turn on email verification",
		e.fill("email", email),
		chromedp.WaitEnabled(chromedp.CSS("#email-verification")),
		chromedp.Click(chromedp.CSS("#email-verification")),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#basic-saved")),
	)

	// Email verification page; the mail is French too (the server keeps
	// the language the console sends).
	sent := len(mails.Mails())
	e.do("sign out, then in", e.signOut(), e.signIn("admin", adminPassword), verifyPage("email"))
	mail := mails.Wait(sent, codeMail)
	if mail.Subject != "Votre code de connexion Twofold" {
		t.Errorf("code mail subject: %q, want the French one", mail.Subject)
	}
	e.expectLanguage("fr", "email verification")
	e.axeInBothLanguages("verify-email")
	// After a reload the page asks the server what the sign-in waits for.
	e.do("reload the verification page", chromedp.Reload(), verifyPage("email"))
	if got := e.text("verify-email-hint"); !strings.Contains(got, "a***@example.com") || !strings.HasPrefix(got, "Nous avons envoyé") {
		t.Errorf("after a reload: %q", got)
	}
	if got := e.text("verify-resend"); !countdown.MatchString(got) {
		t.Errorf("resend after a reload: got %q, want a countdown", got)
	}
	e.do("type a wrong code", e.fill("verify-code", "000000"), chromedp.Click(chromedp.CSS("#verify-submit")),
		chromedp.WaitVisible(chromedp.CSS("#verify-code-error")))
	e.expectLanguage("fr", "email verification with an error")
	e.axe("verify-email-error") // the errors stay in the language they were shown in
	e.do("type the code", e.fill("verify-code", mail.Code()), chromedp.Click(chromedp.CSS("#verify-submit")), settingsLoaded())

	// The enrolment dialog and the backup codes dialog.
	e.do("open the enrolment dialog",
		chromedp.Click(chromedp.CSS("#tfa-enable")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-dialog[open] #totp-key")),
	)
	e.focusInside("enrol-dialog")
	e.expectLanguage("fr", "enrolment dialog")
	e.axeInBothLanguages("enrol-dialog")
	secret := e.key()
	e.do("enable 2FA",
		e.fill("totp-code", e.code(secret)),
		chromedp.WaitEnabled(chromedp.CSS("#totp-enable")),
		chromedp.Click(chromedp.CSS("#totp-enable")),
		chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
	)
	e.focusInside("codes-dialog")
	e.expectLanguage("fr", "backup codes dialog")
	e.axeInBothLanguages("backup-codes-dialog")
	e.do("ask to close the codes", pressEscape(), chromedp.WaitVisible(chromedp.CSS("#backup-confirm-text")))
	e.expectLanguage("fr", "backup codes dialog asking before it closes")
	e.axeInBothLanguages("backup-codes-confirm")
	e.do("close the codes", chromedp.Click(chromedp.CSS("#backup-confirm-close")), chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")))
	e.expectFocus("tfa-state")
	if got := e.text("settings-notice"); got != "La 2FA est activée. Conservez vos codes de secours en lieu sûr." {
		t.Errorf("notice after enabling: %q", got)
	}
	e.expectLanguage("fr", "settings, 2FA on")
	e.axeInBothLanguages("settings-tfa-on")
	e.do("change the email, which asks for a code",
		e.fill("email", "autre@example.com"),
		chromedp.WaitVisible(chromedp.CSS("#stepup-code")),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#stepup-code-error")),
	)
	if got := e.text("stepup-code-error"); got != "Veuillez saisir votre code 2FA" {
		t.Errorf("empty 2FA code: got %q", got)
	}
	e.expectLanguage("fr", "settings, a change that needs a code")
	e.axe("settings-stepup") // the errors stay in the language they were shown in
	e.do("open the security settings", securityTab())
	e.expectLanguage("fr", "security settings, 2FA on")
	e.axeInBothLanguages("security-tfa-on")
	for _, d := range []struct{ button, dialog string }{
		{"backup-regenerate", "regenerate-dialog"},
		{"tfa-disable", "disable-dialog"},
	} {
		e.do("open "+d.dialog,
			chromedp.Click(chromedp.CSS("#"+d.button)),
			chromedp.WaitVisible(chromedp.CSS("#"+d.dialog+"[open]")),
		)
		e.focusInside(d.dialog)
		e.expectLanguage("fr", d.dialog)
		e.axeInBothLanguages(d.dialog)
		e.do("close "+d.dialog, pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#"+d.dialog)))
		e.expectFocus(d.button)
	}

	// The TOTP verification page; an empty code gets the seed's message.
	e.do("sign out, then in", e.signOut(), e.signIn("admin", adminPassword), verifyPage("totp"))
	e.do("open the backup code help", chromedp.Click(chromedp.CSS("#verify-backup-toggle")),
		chromedp.WaitVisible(chromedp.CSS("#verify-backup-help")))
	e.expectLanguage("fr", "TOTP verification")
	e.axeInBothLanguages("verify-totp")
	e.do("submit no code", chromedp.Click(chromedp.CSS("#verify-submit")), chromedp.WaitVisible(chromedp.CSS("#verify-code-error")))
	if got := e.text("verify-code-error"); got != "Veuillez saisir votre code 2FA" {
		t.Errorf("empty code at sign-in: got %q", got)
	}
	e.axe("verify-totp-error") // the errors stay in the language they were shown in
	e.do("sign in with a code", e.fill("verify-code", e.nextCode(secret)), chromedp.Click(chromedp.CSS("#verify-submit")), settingsLoaded())

	// The enrolment page, on a phone: 2FA off, then required by the
	// administrator.
	e.do("turn 2FA off",
		securityTab(),
		chromedp.Click(chromedp.CSS("#tfa-disable")),
		chromedp.WaitVisible(chromedp.CSS("#disable-dialog[open] #disable-code")),
		e.fill("disable-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#disable-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#disable-dialog")),
		chromedp.WaitVisible(chromedp.CSS(`#security-tfa[data-state="not_enabled"]`)),
	)
	if got := e.text("settings-notice"); got != "La 2FA est désactivée." {
		t.Errorf("notice after disabling: %q", got)
	}
	if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).Set("tfa_enforced = ?", true).
		Where("username_key = ?", "admin").Exec(e.ctx); err != nil {
		t.Fatal(err)
	}
	sent = len(mails.Mails())
	e.do("sign out, then in on a phone", narrow(), e.signOut(), e.signIn("admin", adminPassword), verifyPage("email"))
	e.do("type the code",
		e.fill("verify-code", mails.Wait(sent, codeMail).Code()),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		mounted("enroll-page", `[data-state="loaded"]`),
		chromedp.WaitVisible(chromedp.CSS("#enrol #totp-key")),
	)
	e.expectLanguage("fr", "enrolment page")
	if !e.js(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the French page is wider than the phone's screen")
	}
	e.axeInBothLanguages("enroll-page")

	// The switch to English (by keyboard): at once, and after a reload.
	e.do("switch to English with the keyboard",
		chromedp.Focus(chromedp.CSS("#lang-en")),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(chromedp.CSS(`#lang-en[aria-pressed="true"]`)))
	e.expectLanguage("en", "enrolment page in English")
	if got := e.text("enroll-required"); !strings.HasPrefix(got, "Your administrator requires") {
		t.Errorf("in English: %q", got)
	}
	if got := e.localStorage()["twofold.lang"]; got != "en" {
		t.Errorf("stored language: %q, want en", got)
	}
	e.do("reload", chromedp.Reload(), mounted("enroll-page", `[data-state="loaded"]`), chromedp.WaitVisible(chromedp.CSS("#enrol #totp-key")))
	e.expectLanguage("en", "enrolment page in English after a reload")
	if title, err := chromedp.Run(e.ctx, chromedp.Title()); err != nil || title != "Set up 2FA · Twofold" {
		t.Errorf("title: %q (%v)", title, err)
	}
	e.axe("enroll-page-en")
	// The console tells the server the language chosen, not the browser's:
	// the next mail is English.
	sent = len(mails.Mails())
	e.do("sign out, then in", chromedp.Click(chromedp.CSS("#enrol-cancel")), mounted("signin-page", ""),
		e.signIn("admin", adminPassword), verifyPage("email"))
	if m := mails.Wait(sent, codeMail); m.Subject != "Your Twofold sign-in code" {
		t.Errorf("code mail after choosing English: subject %q", m.Subject)
	}
	e.expectLanguage("en", "email verification in English")
	e.noConsoleErrors()
}
