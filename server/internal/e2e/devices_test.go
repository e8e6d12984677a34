package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestDevicesTab is issue 9's own-sessions page: the settings' third tab
// lists the user's sessions (the browser's marked current, named by its
// browser and system), and signing one out, or all the others, after
// the step-up ends those sessions on the server: their cookies get 401.
func TestDevicesTab(t *testing.T) {
	e := start(t, 150*time.Second)
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	other := e.newAPIUser("admin", adminPassword)
	// The sign-in's step-up ends without the page knowing: the server
	// will ask for the password.
	e.Clock.Advance(6 * time.Minute)
	e.do("open the devices tab",
		chromedp.Click(chromedp.CSS("#tab-devices")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="devices"] #devices-tab[data-state="loaded"]`)),
	)
	e.expectTab("devices", "/settings/devices")
	if n := e.count("#devices-list > li"); n != 2 {
		t.Fatalf("sessions listed: %d, want 2 (the browser's and the API's)", n)
	}
	if n := e.count(`#devices-list > li[data-current="true"]`); n != 1 {
		t.Errorf("sessions marked current: %d, want 1", n)
	}
	if got := e.textOf(`#devices-list > li[data-current="true"] .device-name`); got != "Chrome on LinuxThis session" {
		t.Errorf("current session: %q, want the browser and system, and the marker", got)
	}
	if got := e.textOf(`#devices-list > li[data-current="false"] .device-name`); got != "Go HTTP client" {
		t.Errorf("other session: %q", got)
	}
	if got := e.textOf(`#devices-list > li[data-current="false"] .device-ip`); got != "127.0.0.1" {
		t.Errorf("other session's IP: %q", got)
	}
	if e.present("session-current") && e.count(`#devices-list > li[data-current="true"] button`) != 0 {
		t.Errorf("the current session has a Sign out button of its own (the header's signs it out)")
	}
	e.axeInBothLanguages("devices")

	endID, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.querySelector('#devices-list > li[data-current="false"] button').id`))
	if err != nil {
		t.Fatal(err)
	}
	e.do("open Sign out for the other session",
		chromedp.Click(chromedp.CSS("#"+endID)),
		chromedp.WaitVisible(chromedp.CSS("#end-session-dialog[open] #end-session-submit")),
	)
	e.focusInside("end-session-dialog")
	e.do("confirm: the server wants the password", chromedp.Click(chromedp.CSS("#end-session-submit")),
		chromedp.WaitVisible(chromedp.CSS("#end-session-password-error")))
	if got := e.text("end-session-password-error"); got != "Confirm with your current password to change this." {
		t.Errorf("step-up asked: %q", got)
	}
	e.expectFocus("end-session-password")
	e.axe("devices-dialog")
	e.do("submit without the password", chromedp.Click(chromedp.CSS("#end-session-submit")),
		chromedp.WaitVisible(chromedp.CSS("#end-session-password-error")))
	if got := e.text("end-session-password-error"); got != "This field is required." {
		t.Errorf("empty password: %q", got)
	}
	if other.accountStatus() != 200 {
		t.Fatal("the other session ended before the step-up")
	}
	e.do("sign it out with the password",
		e.fill("end-session-password", adminPassword),
		chromedp.Click(chromedp.CSS("#end-session-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#end-session-dialog")),
	)
	e.waitFor("one session left", `document.querySelectorAll("#devices-list > li").length === 1`, 5*time.Second)
	if got := e.text("devices-notice"); got != "Go HTTP client was signed out." {
		t.Errorf("notice: %q", got)
	}
	if s := other.accountStatus(); s != 401 {
		t.Errorf("the signed-out session's cookie: GET /api/account = %d, want 401", s)
	}

	// Sign out all other sessions: the password just given elevated the
	// session, so no field is asked.
	a, b := e.newAPIUser("admin", adminPassword), e.newAPIUser("admin", adminPassword)
	e.do("reload the tab", chromedp.Reload(), mounted("settings-page", ""),
		chromedp.WaitVisible(chromedp.CSS(`#devices-tab[data-state="loaded"]`)))
	if n := e.count("#devices-list > li"); n != 3 {
		t.Fatalf("sessions listed: %d, want 3", n)
	}
	e.do("sign out the others",
		chromedp.Click(chromedp.CSS("#devices-end-others")),
		chromedp.WaitVisible(chromedp.CSS("#end-others-dialog[open] #end-others-submit")),
	)
	if e.present("end-others-password") {
		t.Errorf("the password is asked again within the elevation")
	}
	e.do("confirm", chromedp.Click(chromedp.CSS("#end-others-submit")), chromedp.WaitNotPresent(chromedp.CSS("#end-others-dialog")))
	e.waitFor("only this session left", `document.querySelectorAll("#devices-list > li").length === 1`, 5*time.Second)
	if got := e.text("devices-notice"); !strings.Contains(got, "other sessions were signed out") {
		t.Errorf("notice: %q", got)
	}
	if sa, sb := a.accountStatus(), b.accountStatus(); sa != 401 || sb != 401 {
		t.Errorf("other sessions after Sign out all other sessions: %d, %d, want 401", sa, sb)
	}
	if !e.js(`document.getElementById("devices-end-others").disabled`) {
		t.Errorf("Sign out all other sessions stays enabled with no other session")
	}
	e.do("phone size", narrow(), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#devices-tab[data-state="loaded"]`)))
	e.noPageOverflow("devices tab at 390 px")
	e.noConsoleErrors()
}

// TestDevicesRustDeskOnPhone: a RustDesk client's session shows its
// RustDesk ID (the browser's does not), and the tab fits a phone's screen
// in both languages (the French "Sign out all other sessions" button was
// wider than 390 px and the page scrolled sideways).
func TestDevicesRustDeskOnPhone(t *testing.T) {
	e := start(t, 90*time.Second)
	rd := &apiUser{e: e, client: &http.Client{Timeout: 10 * time.Second}}
	var tok struct {
		Type string `json:"type"`
	}
	if st := rd.call("POST", "/api/login", map[string]any{"username": "admin", "password": adminPassword, "id": "123456789",
		"uuid": "dXVpZA==", "type": "account", "deviceInfo": map[string]string{"os": "windows", "type": "client", "name": "ALICE-PC"}}, &tok); st != 200 || tok.Type != "access_token" {
		t.Fatalf("RustDesk sign-in: %d %+v", st, tok)
	}
	e.do("sign in on a phone", narrow(), e.signIn("admin", adminPassword), settingsLoaded())
	e.do("open the devices tab",
		chromedp.Click(chromedp.CSS("#tab-devices")),
		chromedp.WaitVisible(chromedp.CSS(`#settings-page[data-tab="devices"] #devices-tab[data-state="loaded"]`)),
	)
	if got := e.textOf(`#devices-list > li[data-current="false"] .device-client-id`); got != "123456789" {
		t.Errorf("the RustDesk session's ID: %q", got)
	}
	if n := e.count(`#devices-list > li[data-current="true"] .device-client-id`); n != 0 {
		t.Errorf("the browser's session shows a RustDesk ID")
	}
	for _, lang := range []string{"en", "fr"} {
		e.languageByScript(lang)
		e.noPageOverflow("devices tab at 390 px (" + lang + ")")
	}
}
