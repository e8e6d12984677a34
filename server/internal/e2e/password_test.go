package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFormErrorsAndPasswordChange checks the forms' error handling (client
// checks with the shared rules, the server's answers next to their fields,
// focus on the first error) and a password change end to end.
func TestFormErrorsAndPasswordChange(t *testing.T) {
	e := start(t, 60*time.Second)
	const newPassword = "a brand new passphrase"

	e.do("submit the empty sign-in form",
		chromedp.Navigate(e.URL+"/"),
		mounted("signin-page", ""),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#signin-username-error")),
	)
	if got := e.text("signin-username-error"); got != "This field is required." {
		t.Errorf("username error: got %q", got)
	}
	e.expectInvalid("signin-username")
	e.expectFocus("signin-username")

	e.do("sign in",
		e.fill("signin-username", "admin"),
		e.fill("signin-password", adminPassword),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		mounted("settings-page", `[data-state="loaded"]`),
	)

	// Like the seed, email verification needs an email: the box is off and
	// disabled while the field is empty, even after it was ticked.
	if !e.checkbox("email-verification").Disabled {
		t.Errorf("email verification can be ticked without an email")
	}
	e.do("type an email, tick email verification, then clear the email",
		e.fill("email", "someone@example.com"),
		chromedp.WaitEnabled(chromedp.CSS("#email-verification")),
		chromedp.Click(chromedp.CSS("#email-verification")),
		e.fill("email", ""),
		chromedp.WaitNotPresent(chromedp.CSS("#email-verification:enabled")),
	)
	if box := e.checkbox("email-verification"); box.Checked {
		t.Errorf("email verification stays ticked without an email")
	}

	// Checked in the browser with the shared rules: nothing is sent. The
	// password is changed in a dialog of the security settings.
	e.do("open Change password",
		chromedp.Click(chromedp.CSS("#tab-security")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="security"] #password-open`)),
		chromedp.Click(chromedp.CSS("#password-open")),
		chromedp.WaitVisible(chromedp.CSS("#password-dialog[open] #password-current")),
	)
	e.expectFocus("password-current")
	e.do("change the password with a short one and a different confirmation",
		e.fill("password-current", adminPassword),
		e.fill("password-new", "short"),
		e.fill("password-confirm", "shorter"),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#password-new-error")),
	)
	if got := e.text("password-new-error"); got != "Use at least 8 characters." {
		t.Errorf("new password error: got %q", got)
	}
	if got := e.text("password-confirm-error"); got != "The two values do not match." {
		t.Errorf("confirmation error: got %q", got)
	}
	e.expectFocus("password-new")

	// Answered by the server: a wrong current password is that field's
	// error, not a sign-out.
	e.do("change the password with a wrong current password",
		e.fill("password-current", "not my password"),
		e.fill("password-new", newPassword),
		e.fill("password-confirm", newPassword),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitVisible(chromedp.CSS("#password-current-error")),
	)
	if got := e.text("password-current-error"); got != "The current password is wrong." {
		t.Errorf("current password error: got %q", got)
	}
	if got := e.value("password-current"); got != "" {
		t.Errorf("the wrong current password stays in its field: %q", got)
	}
	e.expectFocus("password-current")
	e.snapshot("password-error")

	e.do("change the password",
		e.fill("password-current", adminPassword),
		chromedp.Click(chromedp.CSS("#password-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#password-dialog")),
		chromedp.WaitVisible(chromedp.CSS("#settings-notice")),
	)
	if got := e.text("settings-notice"); got != "Password changed. Your other sessions were signed out." {
		t.Errorf("notice after the change: %q", got)
	}
	e.expectFocus("password-open")
	// Opened again, the dialog is empty.
	e.do("open Change password again",
		chromedp.Click(chromedp.CSS("#password-open")),
		chromedp.WaitVisible(chromedp.CSS("#password-dialog[open] #password-current")),
	)
	for _, id := range []string{"password-current", "password-new", "password-confirm"} {
		if got := e.value(id); got != "" {
			t.Errorf("#%s keeps %q after the change", id, got)
		}
	}
	// The notice goes with the next action.
	if got := e.textNow("settings-notice"); got != "" {
		t.Errorf("the notice %q stays after the next action", got)
	}
	e.do("close the dialog", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#password-dialog")))

	e.do("sign out, then in with the new password",
		chromedp.Click(chromedp.CSS("#signout")),
		mounted("signin-page", ""),
		e.fill("signin-username", "admin"),
		e.fill("signin-password", newPassword),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		mounted("settings-page", `[data-state="loaded"]`),
	)
}

// expectInvalid checks that the input with id is marked invalid and
// described by its error element.
func (e *env) expectInvalid(id string) {
	e.t.Helper()
	attrs, err := chromedp.Run(e.ctx, chromedp.Attributes(chromedp.CSS("#"+id)))
	if err != nil {
		e.t.Fatalf("attributes of #%s: %v", id, err)
	}
	if attrs["aria-invalid"] != "true" || attrs["aria-describedby"] != id+"-error" {
		e.t.Errorf("#%s: aria-invalid=%q aria-describedby=%q, want true and %s-error",
			id, attrs["aria-invalid"], attrs["aria-describedby"], id)
	}
}

// expectFocus checks that the element with id has the keyboard focus.
func (e *env) expectFocus(id string) {
	e.t.Helper()
	// The focus moves after the render that shows the error.
	_, err := chromedp.Run(e.ctx, chromedp.Poll[bool](
		`document.activeElement !== null && document.activeElement.id === `+jsString(id),
		chromedp.WithPollingTimeout(3*time.Second)))
	if err != nil {
		active, _ := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.activeElement ? document.activeElement.id : ""`))
		e.t.Errorf("focus: got #%s, want #%s (%v)", active, id, err)
	}
}

// checkboxState is the state of a checkbox in the page.
type checkboxState struct {
	Checked  bool `json:"checked"`
	Disabled bool `json:"disabled"`
}

// checkbox reads the checked and disabled properties of the checkbox id.
func (e *env) checkbox(id string) checkboxState {
	e.t.Helper()
	st, err := chromedp.Run(e.ctx, chromedp.Evaluate[checkboxState](`(() => {
		const el = document.getElementById(`+jsString(id)+`);
		return {checked: el.checked, disabled: el.disabled};
	})()`))
	if err != nil {
		e.t.Fatalf("checkbox #%s: %v", id, err)
	}
	return st
}
