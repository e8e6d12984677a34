package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestWalkingSkeletonJourney is the acceptance: sign in through the
// UI as admin, change the email on the settings page (confirming with the
// current password when asked), reload and see the email kept, sign out and
// land on the sign-in page.
func TestWalkingSkeletonJourney(t *testing.T) {
	e := start(t, 60*time.Second)
	const newEmail = "admin@example.com"

	// Sign-in page, rendered by the WASM.
	e.do("open the sign-in page",
		chromedp.Navigate(e.URL+"/"),
		mounted("signin-page", ""),
	)
	e.snapshot("signin")

	// A wrong password is one error, and the page stays usable.
	e.do("sign in with a wrong password",
		e.fill("signin-username", "admin"),
		e.fill("signin-password", "not the password"),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signin-error")),
	)
	if got := e.text("signin-error"); got != "Wrong username or password." {
		t.Errorf("sign-in error: got %q, want %q", got, "Wrong username or password.")
	}

	e.do("sign in",
		e.fill("signin-password", adminPassword),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		mounted("settings-page", `[data-state="loaded"]`),
	)
	if got := e.text("account-username"); got != "admin" {
		t.Errorf("username: got %q, want admin", got)
	}
	if got := e.text("tfa-enable"); got != "Enable 2FA" {
		t.Errorf("2FA state: got %q, want the %q button", got, "Enable 2FA")
	}
	// Signing in with the password is a step-up for 5 minutes: a change
	// asks for nothing more.
	e.do("change the email field", e.fill("email", "someone@example.com"))
	if e.present("stepup-password") {
		t.Errorf("the step-up password is asked right after signing in")
	}
	e.snapshot("settings")

	// Five minutes later the elevation has ended: a change needs the
	// current password, asked in the form once something changed, and a
	// wrong one is an error of that field, not a sign-out.
	e.Clock.Advance(6 * time.Minute)
	e.do("reload the settings after the elevation ended",
		chromedp.Reload(),
		mounted("settings-page", `[data-state="loaded"]`),
	)
	if e.present("stepup-password") {
		t.Errorf("the step-up password is asked before anything changed")
	}
	e.do("change the email with a wrong password",
		e.fill("email", newEmail),
		chromedp.WaitVisible(chromedp.CSS("#stepup-password")),
		e.fill("stepup-password", "wrong password"),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#stepup-password-error")),
	)
	if got := e.text("stepup-password-error"); got != "The password is wrong." {
		t.Errorf("step-up password error: got %q, want %q", got, "The password is wrong.")
	}
	if got := e.value("stepup-password"); got != "" {
		t.Errorf("the wrong step-up password stays in its field")
	}
	if !e.present("settings-page") {
		t.Fatalf("a wrong step-up password left the settings page")
	}
	e.snapshot("stepup-error")

	e.do("change the email with the password",
		e.fill("stepup-password", adminPassword),
		chromedp.Click(chromedp.CSS("#basic-submit")),
		chromedp.WaitVisible(chromedp.CSS("#basic-saved")),
	)
	e.snapshot("saved")

	e.do("reload the settings",
		chromedp.Reload(),
		mounted("settings-page", `[data-state="loaded"]`),
	)
	if got := e.value("email"); got != newEmail {
		t.Errorf("email after reload: got %q, want %q", got, newEmail)
	}
	// The password just given elevated the session again.
	e.do("change the email field again", e.fill("email", "other@example.com"))
	if e.present("stepup-password") {
		t.Errorf("the step-up password is asked again right after giving it")
	}

	// Signed in, the sign-in page leads to the settings.
	e.do("open the sign-in page signed in",
		chromedp.Navigate(e.URL+"/"),
		mounted("settings-page", `[data-state="loaded"]`),
	)

	e.do("sign out",
		chromedp.Click(chromedp.CSS("#signout")),
		mounted("signin-page", ""),
		chromedp.WaitVisible(chromedp.CSS("#signin-form")),
	)
	loc, err := chromedp.Run(e.ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if loc != e.URL+"/" {
		t.Errorf("after sign-out: at %s, want %s/", loc, e.URL)
	}

	// Signed out for real: the settings page sends the browser back.
	e.do("open the settings signed out",
		chromedp.Navigate(e.URL+"/settings"),
		mounted("signin-page", ""),
	)

	for _, m := range e.consoleMessages() {
		if strings.Contains(m.Text, "Content Security Policy") || m.IsException() {
			t.Errorf("browser console: %s: %s", m.Type, m.Text)
		}
	}
}
