package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestAdminNewUserPasswordCannotBeLost, in French: once New user shows
// the made password, Escape, × and the link to the user's page ask first,
// the password staying readable; leaving the page makes the browser ask;
// "Revenir au mot de passe" goes back; "Oui, je l’ai enregistré" closes.
func TestAdminNewUserPasswordCannotBeLost(t *testing.T) {
	e := start(t, 120*time.Second, withLocale("fr-FR"))
	e.do("sign in", e.signIn("admin", adminPassword), settingsLoaded())
	e.do("open the users", chromedp.Navigate(e.URL+"/admin/users"), mounted("admin-users-page", `[data-state="loaded"]`))
	e.do("open New user", chromedp.Click(chromedp.CSS("#users-new")),
		chromedp.WaitVisible(chromedp.CSS("#create-dialog[open] #create-username")))
	// Before the user is made, Escape closes at once.
	e.do("Escape before creating", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#create-dialog")))

	e.do("open New user again", chromedp.Click(chromedp.CSS("#users-new")),
		chromedp.WaitVisible(chromedp.CSS("#create-dialog[open] #create-username")))
	e.do("create dave", e.fill("create-username", "dave"))
	if e.present("create-password") {
		e.do("step-up", e.fill("create-password", adminPassword))
	}
	e.do("submit", chromedp.Click(chromedp.CSS("#create-submit")), chromedp.WaitVisible(chromedp.CSS("#create-new-password")))
	password := e.text("create-new-password")
	if got := e.text("create-close"); got != "J’ai enregistré le mot de passe" {
		t.Errorf("closing button: %q", got)
	}

	// Leaving the page would lose it too: the browser asks first.
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

	for i, closeKey := range []struct {
		name string
		act  chromedp.Action[chromedp.Void]
	}{
		{"Escape", pressEscape()},
		{"Escape again", pressEscape()},
		{"×", chromedp.Click(chromedp.CSS("#create-dialog-close"))},
		{"the user's page", chromedp.Click(chromedp.CSS("#create-open"))},
	} {
		if i == 3 {
			e.do("back to the password", chromedp.Click(chromedp.CSS("#create-keep")), chromedp.WaitNotPresent(chromedp.CSS("#create-confirm-text")))
			e.expectFocus("create-copy")
		}
		e.do(closeKey.name+" before saving", closeKey.act, chromedp.WaitVisible(chromedp.CSS("#create-confirm-text")))
		if !e.js(`document.getElementById("create-dialog").open`) || !e.js(`location.pathname === "/admin/users"`) {
			t.Fatalf("%s closed the dialog before the password was saved", closeKey.name)
		}
		if got := e.text("create-confirm-text"); got != "Avez-vous enregistré le mot de passe\u00a0? Il n’est affiché que maintenant." {
			t.Errorf("question: %q", got)
		}
		if got := e.text("create-new-password"); got != password {
			t.Errorf("the password changed while asking: %q, want %q", got, password)
		}
		if v := e.inView("create-new-password", "create-keep", "create-confirm-close"); !v["create-new-password"] || !v["create-keep"] || !v["create-confirm-close"] {
			t.Errorf("while asking, the password or the answers are not in view: %v", v)
		}
		e.expectFocus("create-keep")
		if i == 0 {
			e.axe("admin-create-asking")
		}
	}
	e.do("answer yes", chromedp.Click(chromedp.CSS("#create-confirm-close")), mounted("admin-user-page", `[data-state="loaded"]`))
	e.newAPIUser("dave", password)

	// Copied: Escape then closes at once.
	e.do("open the users", chromedp.Navigate(e.URL+"/admin/users"), mounted("admin-users-page", `[data-state="loaded"]`))
	e.grantClipboard()
	e.do("open New user", chromedp.Click(chromedp.CSS("#users-new")),
		chromedp.WaitVisible(chromedp.CSS("#create-dialog[open] #create-username")), e.fill("create-username", "erin"))
	if e.present("create-password") {
		e.do("step-up", e.fill("create-password", adminPassword))
	}
	e.do("create erin", chromedp.Click(chromedp.CSS("#create-submit")), chromedp.WaitVisible(chromedp.CSS("#create-new-password")),
		chromedp.Click(chromedp.CSS("#create-copy")))
	e.waitFor("copied", `document.getElementById("create-copy-status").textContent === "Mot de passe copié."`, 5*time.Second)
	e.do("Escape once copied", pressEscape(), chromedp.WaitNotPresent(chromedp.CSS("#create-dialog")))
	e.expectFocus("users-new")
	e.noConsoleErrors()
}
