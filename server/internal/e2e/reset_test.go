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
	"twofold/shared/api"
)

// resetLink finds the reset link of a mail and its token (the fragment).
var resetLink = regexp.MustCompile(`(https?://\S+/reset-password)#([A-Za-z0-9_-]+)`)

// setEmail gives a user an email address, straight in the database.
func (e *env) setEmail(username, email string) {
	e.t.Helper()
	if _, err := e.Server.DB.NewUpdate().Model((*db.User)(nil)).
		Set("email = ?", email).Set("email_key = ?", strings.ToLower(email)).
		Where("username_key = ?", username).Exec(e.ctx); err != nil {
		e.t.Fatal(err)
	}
}

// resetMail waits for the reset mail to email after the n-th one and
// returns its link and token.
func resetMail(t *testing.T, mails *smtptest.Server, n int, email string) (link, token string) {
	t.Helper()
	m := mails.Wait(n, func(m smtptest.Mail) bool {
		return smtptest.To(email)(m) && resetLink.MatchString(m.Text)
	})
	got := resetLink.FindStringSubmatch(m.Text)
	return got[0], got[2]
}

// askReset opens the forgotten-password page and asks for a mail for
// login; it waits for the confirmation.
func (e *env) askReset(login string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(e.URL+"/forgot-password"),
		mounted("forgot-page", ""),
		e.fill("forgot-login", login),
		chromedp.Click(chromedp.CSS("#forgot-submit")),
		chromedp.WaitVisible(chromedp.CSS("#forgot-sent-text")),
	)
}

// openResetLink opens a mailed link and waits for the new-password form.
func (e *env) openResetLink(link string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(link),
		mounted("reset-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#reset-new")),
	)
}

// TestForgottenPassword is issue 11's browser acceptance of the
// forgotten password, from the sign-in page to the mailed link and back:
// one confirmation whatever the account; the token taken out of the
// address bar and stored nowhere; the new password's errors by their
// fields (a mismatch caught before sending); the sign-in page afterwards,
// where the new password works and TOTP is still asked; a used link and
// an expired one refused with a way to ask again; axe-core on each page.
func TestForgottenPassword(t *testing.T) {
	mails := smtptest.Start(t)
	e := start(t, 120*time.Second, withEnv(config.EnvSMTPURL, mails.URL()))
	const email = "admin@example.com"
	e.setEmail("admin", email)
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	secret, _ := e.enableTOTP()
	e.do("sign out", e.signOut())

	// The username typed on the sign-in page comes along.
	e.do("open Forgot password? with a username typed",
		e.fill("signin-username", "admin"),
		chromedp.Click(chromedp.CSS("#signin-forgot")),
		mounted("forgot-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#forgot-login")),
	)
	if got := e.value("forgot-login"); got != "admin" {
		t.Errorf("login on the forgotten-password page: %q, want the username typed before", got)
	}
	e.axe("forgot-password")
	e.do("send it empty",
		e.fill("forgot-login", " "),
		chromedp.Click(chromedp.CSS("#forgot-submit")),
		chromedp.WaitVisible(chromedp.CSS("#forgot-login-error")),
	)
	if got := e.text("forgot-login-error"); got != "This field is required." {
		t.Errorf("empty login: %q", got)
	}
	e.expectFocus("forgot-login")

	// An unknown account gets the same confirmation as a known one, and
	// no mail.
	sent := len(mails.Mails())
	e.do("ask for an unknown account", e.askReset("nobody@example.com"))
	unknown := e.text("forgot-sent")
	e.expectFocus("forgot-sent-text")
	e.do("ask for admin", e.askReset("admin"))
	if got := e.text("forgot-sent"); got != unknown || !strings.Contains(got, "If this account exists and has an email address") {
		t.Errorf("confirmations differ:\nunknown: %q\nadmin:   %q", unknown, got)
	}
	e.axe("forgot-password-sent")
	link, token := resetMail(t, mails, sent, email)
	for _, m := range mails.Mails()[sent:] {
		if smtptest.To("nobody@example.com")(m) {
			t.Errorf("a mail went to the unknown address")
		}
	}

	// The link: the token leaves the address bar and is kept nowhere.
	e.do("open the mailed link", e.openResetLink(link))
	if !e.js(`location.hash === "" && !location.href.includes("#") && location.pathname === "/reset-password"`) {
		href, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`location.href`))
		t.Errorf("the token stays in the address bar: %s", href)
	}
	e.expectNoSecrets([]string{token})
	if e.js(`JSON.stringify(Object.entries(sessionStorage)).includes(` + jsQuote(token) + `)`) {
		t.Errorf("sessionStorage holds the token")
	}
	if got := e.text("reset-new-hint"); !strings.Contains(got, "At least 8 characters") {
		t.Errorf("policy shown by the new password: %q", got)
	}
	e.axe("reset-password")

	// Errors by their fields, before anything is sent.
	const newPassword = "a brand new passphrase"
	e.do("type a short password",
		e.fill("reset-new", "short"),
		e.fill("reset-confirm", "short"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-new-error")),
	)
	if got := e.text("reset-new-error"); got != "Use at least 8 characters." {
		t.Errorf("short password: %q", got)
	}
	if a := e.attrs("reset-new"); a["aria-invalid"] != "true" || !strings.Contains(a["aria-describedby"], "reset-new-error") {
		t.Errorf("#reset-new: aria-invalid=%q aria-describedby=%q", a["aria-invalid"], a["aria-describedby"])
	}
	e.expectFocus("reset-new")
	e.do("type two different passwords",
		e.fill("reset-new", newPassword),
		e.fill("reset-confirm", newPassword+"!"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-confirm-error")),
	)
	if got := e.text("reset-confirm-error"); got != "The two values do not match." {
		t.Errorf("mismatch: %q", got)
	}
	e.expectFocus("reset-confirm")
	e.axe("reset-password-errors")
	e.do("set the new password",
		e.fill("reset-confirm", newPassword),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-notice")),
	)
	if got := e.text("signin-notice"); !strings.HasPrefix(got, "Your password was changed") {
		t.Errorf("sign-in notice after the reset: %q", got)
	}
	e.expectFocus("signin-title")

	// The old password is refused, the new one works, and TOTP is still
	// asked.
	e.do("sign in with the old password",
		e.signIn("admin", adminPassword), chromedp.WaitVisible(chromedp.CSS("#signin-error")))
	e.do("sign in with the new password", e.signIn("admin", newPassword), verifyPage(api.MethodTOTP))
	e.do("type the TOTP code",
		e.fill("verify-code", e.nextCode(secret)),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)

	// The used link is refused, with a way to ask for a new one.
	e.do("open the used link", e.openResetLink(link),
		e.fill("reset-new", "another new passphrase"),
		e.fill("reset-confirm", "another new passphrase"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-invalid")),
	)
	if got := e.text("reset-invalid"); !strings.Contains(got, "expired or already used") || !strings.Contains(got, "Ask for a new one") {
		t.Errorf("used link: %q", got)
	}
	e.expectFocus("reset-invalid")
	if e.present("reset-form") {
		t.Errorf("the form stays under a dead link")
	}
	e.axe("reset-password-used")
	e.do("ask again from there",
		chromedp.Click(chromedp.CSS("#reset-again")),
		mounted("forgot-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#forgot-login")),
	)

	// A link older than 30 minutes is refused the same way.
	sent = len(mails.Mails())
	e.do("ask for another link", e.askReset(email))
	link, _ = resetMail(t, mails, sent, email)
	e.Clock.Advance(api.PasswordResetTTL + time.Minute)
	e.do("open it too late", e.openResetLink(link),
		e.fill("reset-new", "another new passphrase"),
		e.fill("reset-confirm", "another new passphrase"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-invalid")),
	)

	// Without a token (the page reloaded after the address bar was
	// cleared) the page says where the link is.
	e.do("reload the page", chromedp.Reload(), mounted("reset-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#reset-missing")))
	e.noConsoleErrors()
}

// TestForgottenPasswordInFrench: the same journey in French, to a new
// password that signs in.
func TestForgottenPasswordInFrench(t *testing.T) {
	mails := smtptest.Start(t)
	e := start(t, 90*time.Second, withEnv(config.EnvSMTPURL, mails.URL()), withLocale("fr-FR"))
	const email = "admin@example.com"
	e.setEmail("admin", email)

	e.do("open Forgot password?", chromedp.Navigate(e.URL+"/"), mounted("signin-page", ""))
	if got := e.text("signin-forgot"); got != "Mot de passe oublié\u00a0?" {
		t.Errorf("link on the sign-in page: %q", got)
	}
	e.do("open the page", chromedp.Click(chromedp.CSS("#signin-forgot")), mounted("forgot-page", ""))
	e.expectLanguage("fr", "forgotten-password page")
	e.axeInBothLanguages("forgot-password")
	sent := len(mails.Mails())
	e.do("ask for a link", e.askReset("admin"))
	e.expectLanguage("fr", "forgotten-password confirmation")
	if got := e.text("forgot-sent-text"); !strings.HasPrefix(got, "Si ce compte existe") {
		t.Errorf("confirmation: %q", got)
	}
	link, _ := resetMail(t, mails, sent, email)

	e.do("open the mailed link", e.openResetLink(link))
	e.expectLanguage("fr", "new-password page")
	e.axeInBothLanguages("reset-password")
	e.do("on a phone", narrow(), chromedp.WaitVisible(chromedp.CSS("#reset-submit")))
	if !e.js(`document.documentElement.scrollWidth <= window.innerWidth`) {
		t.Errorf("the French new-password page is wider than a phone's screen")
	}
	e.expectNoCut("new-password page on a phone")
	const newPassword = "une toute nouvelle phrase"
	e.do("type two different passwords",
		e.fill("reset-new", newPassword),
		e.fill("reset-confirm", "autre chose encore"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-confirm-error")),
	)
	if got := e.text("reset-confirm-error"); got != "Les deux valeurs ne correspondent pas." {
		t.Errorf("mismatch: %q", got)
	}
	e.do("set the new password",
		e.fill("reset-confirm", newPassword),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-notice")),
	)
	e.expectLanguage("fr", "sign-in page after the reset")
	if got := e.text("signin-notice"); !strings.HasPrefix(got, "Votre mot de passe a été modifié") {
		t.Errorf("notice: %q", got)
	}
	e.do("sign in with the new password", e.signIn("admin", newPassword), settingsLoaded())

	e.do("open the used link", e.openResetLink(link),
		e.fill("reset-new", "encore une autre phrase"),
		e.fill("reset-confirm", "encore une autre phrase"),
		chromedp.Click(chromedp.CSS("#reset-submit")),
		chromedp.WaitVisible(chromedp.CSS("#reset-invalid")),
	)
	e.expectLanguage("fr", "used link")
	if got := e.text("reset-invalid"); !strings.Contains(got, "déjà utilisé") {
		t.Errorf("used link: %q", got)
	}
	e.noConsoleErrors()
}

// TestForgotPasswordBeforeWasm: "Forgot password?" is a plain link of the
// pre-rendered sign-in page, and the two forms of the forgotten password
// keep, like the sign-in form, a submit made before the WASM runs and
// send it then (the reset page with the token of its address).
func TestForgotPasswordBeforeWasm(t *testing.T) {
	mails := smtptest.Start(t)
	e := start(t, 60*time.Second, withEnv(config.EnvSMTPURL, mails.URL()))
	const email = "admin@example.com"
	e.setEmail("admin", email)
	hold := e.holdWasm()
	sent := len(mails.Mails())
	e.do("follow the link and ask before the WASM runs",
		chromedp.Navigate(e.URL+"/"), preWasm("signin-page"),
		chromedp.Click(chromedp.CSS("#signin-forgot")), preWasm("forgot-page"),
		chromedp.SendKeys(chromedp.CSS("#forgot-login"), "admin\r"),
	)
	if a := e.attrs("forgot-submit"); a["aria-busy"] != "true" || e.textNow("forgot-submit") != "Sending…" {
		t.Errorf("an early submit does not show it is on its way: %v %q", a, e.textNow("forgot-submit"))
	}
	e.do("let the WASM run", releaseWasm(), mounted("forgot-page", ""), chromedp.WaitVisible(chromedp.CSS("#forgot-sent-text")))
	link, _ := resetMail(t, mails, sent, email)

	const newPassword = "typed before the app ran"
	e.do("type the new password before the WASM runs",
		chromedp.Navigate(link), preWasm("reset-page"),
		chromedp.SendKeys(chromedp.CSS("#reset-new"), newPassword),
		chromedp.SendKeys(chromedp.CSS("#reset-confirm"), newPassword+"\r"),
	)
	e.do("let the WASM run", releaseWasm(), mounted("signin-page", ""), chromedp.WaitVisible(chromedp.CSS("#signin-notice")))
	e.unholdWasm(hold)
	e.do("sign in with it", e.signIn("admin", newPassword), settingsLoaded())
	e.noConsoleErrors()
}
