package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"twofold/server/internal/config"
	"twofold/server/internal/smtptest"
)

// TestEmailLoginVerification is issue 4's browser acceptance: turn on
// email verification in the settings, sign out, sign in, read the code
// from the test SMTP server, type it on the verification page, land on
// the settings. Also: the resend countdown, a mail server that is down at
// sign-in (the page still comes, with Resend), and "Back to sign-in".
func TestEmailLoginVerification(t *testing.T) {
	mails := smtptest.Start(t)
	e := start(t, 60*time.Second, withEnv(config.EnvSMTPURL, mails.URL()))
	const email = "admin@example.com"
	codeMail := func(m smtptest.Mail) bool { return smtptest.To(email)(m) && m.Code() != "" }
	countdown := regexp.MustCompile(`^Resend code in \d+ s$`)

	// Signing in with the password elevates the session: no step-up asked.
	e.do("sign in and turn on email verification",
		e.signIn("admin", adminPassword),
		settingsLoaded(),
		e.fill("email", email),
		chromedp.WaitEnabled(chromedp.CSS("#email-verification")),
		chromedp.Click(chromedp.CSS("#email-verification")),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#basic-saved")),
	)
	if box := e.checkbox("email-verification"); !box.Checked {
		t.Fatalf("email verification is not on after saving")
	}

	sent := len(mails.Mails())
	e.do("sign out, then in", e.signOut(), e.signIn("admin", adminPassword), verifyPage("email"))
	if got := e.text("verify-email-hint"); !strings.Contains(got, "a***@example.com") {
		t.Errorf("masked address: got %q", got)
	}
	field := e.attrs("verify-code")
	if field["autocomplete"] != "one-time-code" || field["inputmode"] != "numeric" {
		t.Errorf("email code field: autocomplete=%q inputmode=%q", field["autocomplete"], field["inputmode"])
	}
	// The mail was just sent: Resend waits for its 60 s, counting down.
	if got := e.text("verify-resend"); !countdown.MatchString(got) {
		t.Errorf("resend button: got %q, want a countdown", got)
	}
	if !e.js(`document.getElementById("verify-resend").disabled`) {
		t.Errorf("Resend is enabled during the cooldown")
	}
	e.snapshot("verify-email")
	code := mails.Wait(sent, codeMail).Code()
	e.do("type the emailed code",
		e.fill("verify-code", code),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)

	// The mail server is down at sign-in: the page comes anyway, says the
	// mail failed and offers Resend at once.
	mails.Stop()
	e.do("sign out, then in with the mail server down",
		e.signOut(), e.signIn("admin", adminPassword), verifyPage("email"),
		chromedp.WaitVisible(chromedp.CSS("#verify-error")),
	)
	if got := e.text("verify-error"); !strings.Contains(got, "could not be sent") {
		t.Errorf("mail failure: got %q", got)
	}
	// Above it, the page does not claim a code was sent.
	if got := e.text("verify-email-hint"); got != "Your sign-in code goes to a***@example.com." {
		t.Errorf("address line after a failed send: got %q", got)
	}
	if got := e.text("verify-resend"); got != "Resend code" || e.js(`document.getElementById("verify-resend").disabled`) {
		t.Errorf("resend after a failed mail: %q, want an enabled Resend code", got)
	}
	e.snapshot("mail-failed")
	e.axe("verify-email-mail-failed")
	// A code typed before the resend, with its error: the resend clears
	// both (the old code no longer works) and says what it did next to the
	// field, announced politely.
	e.do("type a short code",
		e.fill("verify-code", "12"),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		chromedp.WaitVisible(chromedp.CSS("#verify-code-error")),
	)
	mails.Restart()
	sent = len(mails.Mails())
	e.do("resend",
		chromedp.Click(chromedp.CSS("#verify-resend")),
		chromedp.WaitVisible(chromedp.CSS("#verify-resend-status")),
		chromedp.WaitNotPresent(chromedp.CSS("#verify-error")),
	)
	if got := e.text("verify-resend-status"); !strings.HasPrefix(got, "A new code was sent to a***@example.com") {
		t.Errorf("resend status: got %q", got)
	}
	if got := e.value("verify-code"); got != "" {
		t.Errorf("the old code stays after a resend: %q", got)
	}
	if got := e.textNow("verify-code-error"); got != "" {
		t.Errorf("the old code's error stays after a resend: %q", got)
	}
	if e.attrs("verify-code")["aria-invalid"] != "false" {
		t.Errorf("the field stays invalid after a resend")
	}
	st := e.attrs("verify-resend-status")
	if st["role"] != "status" || st["aria-live"] != "polite" {
		t.Errorf("resend status: role=%q aria-live=%q", st["role"], st["aria-live"])
	}
	// Next to the field: right below it, in the form, before the button.
	if !e.js(`(() => { const f = document.getElementById("verify-code").closest(".field");
		return f.nextElementSibling === document.getElementById("verify-resend-status"); })()`) {
		t.Errorf("the resend message is not next to the code field")
	}
	e.expectFocus("verify-code")
	e.snapshot("after-resend")
	if got := e.text("verify-email-hint"); !strings.HasPrefix(got, "We sent a 6-digit code to a***@example.com.") {
		t.Errorf("address line after a resend: got %q", got)
	}
	if got := e.text("verify-resend"); !countdown.MatchString(got) {
		t.Errorf("resend button after a resend: got %q, want a countdown", got)
	}
	code = mails.Wait(sent, codeMail).Code()
	e.do("type the resent code",
		e.fill("verify-code", code),
		chromedp.Click(chromedp.CSS("#verify-submit")),
		settingsLoaded(),
	)

	// Back to sign-in ends the pending sign-in: the verification page,
	// opened again, finds none (GET /api/auth/pending) and sends the
	// browser back, saying why.
	e.do("sign out, in, then back",
		e.signOut(), e.signIn("admin", adminPassword), verifyPage("email"),
		chromedp.Click(chromedp.CSS("#verify-back")),
		mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
	)
	e.do("open the verification page without a pending sign-in",
		chromedp.Navigate(e.URL+"/verify?method=email"),
		mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-notice")),
	)
	if got := e.text("signin-notice"); !strings.Contains(got, "Sign in again") {
		t.Errorf("notice after an expired sign-in: got %q", got)
	}
	e.noConsoleErrors()
}
