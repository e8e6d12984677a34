package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"twofold/server/internal/config"
)

// Browser tests of security keys and passkeys (issue 15), with Chromium's
// virtual authenticator (DevTools' WebAuthn domain): a CTAP2 platform
// authenticator with resident keys and user verification.

// passkeyHost is the public URL of these tests: WebAuthn refuses IP
// addresses as relying party ids, so the browser opens localhost.
const passkeyHost = "http://localhost:{port}"

// virtualAuthenticator adds the authenticator to the tab.
func (e *env) virtualAuthenticator() {
	e.t.Helper()
	_, err := chromedp.Run(e.ctx, func(ctx context.Context, tg *chromedp.Target) (webauthn.AddVirtualAuthenticatorResult, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return webauthn.AddVirtualAuthenticatorResult{}, err
		}
		return cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
			Options: &webauthn.VirtualAuthenticatorOptions{
				Protocol: webauthn.AuthenticatorProtocolCtap2, Ctap2version: webauthn.Ctap2versionCtap21,
				Transport: webauthn.AuthenticatorTransportInternal, HasResidentKey: true,
				HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
			},
		})
	})
	if err != nil {
		e.t.Fatalf("add a virtual authenticator: %v", err)
	}
}

// addKey adds a key named name on the security tab; the first one shows
// the new backup codes, which the test closes.
func (e *env) addKey(name string, first bool) {
	e.t.Helper()
	e.do("add the key "+name,
		chromedp.WaitVisible(chromedp.CSS("#passkey-add-form")),
		e.fill("passkey-name", name),
		chromedp.Click(chromedp.CSS("#passkey-add")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-add-dialog[open]")),
		chromedp.Click(chromedp.CSS("#passkey-add-submit")),
	)
	if first {
		e.do("close the backup codes",
			chromedp.WaitVisible(chromedp.CSS("#codes-dialog[open] #backup-codes")),
			chromedp.Click(chromedp.CSS("#backup-done")),
			chromedp.WaitNotPresent(chromedp.CSS("#codes-dialog")),
		)
	}
	e.waitFor("the key "+name+" listed", `[...document.querySelectorAll("#passkeys-list .passkey-row")].some(r => r.dataset.name === `+jsQuote(name)+`)`, 10*time.Second)
}

// afterElevation moves the server's clock past the session's step-up and
// reloads the settings, so the next change asks for a step-up.
func (e *env) afterElevation() {
	e.t.Helper()
	e.Clock.Advance(6 * time.Minute)
	e.do("reload the security settings",
		chromedp.Navigate(e.URL+"/settings/security"),
		settingsLoaded(),
		chromedp.WaitVisible(chromedp.CSS("#security-passkeys #passkeys-list")),
	)
}

func TestPasskeyJourney(t *testing.T) {
	e := start(t, 150*time.Second, withEnv(config.EnvPublicURL, passkeyHost))
	e.virtualAuthenticator()

	e.do("sign in with the password", e.signIn("admin", adminPassword), settingsLoaded(), securityTab())
	e.addKey("Laptop", true)
	if got := e.text("passkeys-list"); !strings.Contains(got, "Laptop") || !strings.Contains(got, "never used") {
		t.Errorf("key list: %q", got)
	}
	e.snapshot("security-keys")
	e.axeInBothLanguages("security tab with a key")

	// Sign out; password, then the key offered first.
	e.do("sign out", e.signOut())
	e.do("password step",
		e.signIn("admin", adminPassword),
		mounted("verify-page", ""),
		chromedp.WaitVisible(chromedp.CSS(`#verify-card[data-method="passkey"] #verify-passkey`)),
		chromedp.WaitVisible(chromedp.CSS(`#verify-card #verify-code`)), // the codes on the same page
	)
	if got := e.text("verify-passkey"); got != "Use your security key" {
		t.Errorf("key button: %q", got)
	}
	// A user with a key and no authenticator app: the field takes backup codes.
	label, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](`document.querySelector('label[for="verify-code"]').textContent.trim()`))
	if err != nil {
		t.Fatalf("code field's label: %v", err)
	}
	if label != "Backup code" {
		t.Errorf("code field label for a key-only user: %q, want %q", label, "Backup code")
	}
	e.snapshot("verify-key")
	e.axe("verify with a key")
	e.do("use the key", chromedp.Click(chromedp.CSS("#verify-passkey")), settingsLoaded())

	// Step-up with the key: renaming after the elevation ended.
	e.do("security tab", securityTab())
	e.afterElevation()
	e.do("rename with the key",
		chromedp.Click(chromedp.CSS(`#passkeys-list button[id^="passkey-rename-"]`)),
		chromedp.WaitVisible(chromedp.CSS("#passkey-rename-dialog[open] #passkey-rename-passkey")),
		e.fill("passkey-rename-name", "Work laptop"),
		chromedp.Click(chromedp.CSS("#passkey-rename-passkey")),
		chromedp.WaitNotPresent(chromedp.CSS("#passkey-rename-dialog")),
	)
	e.waitFor("the renamed key", `document.querySelector("#passkeys-list .passkey-row").dataset.name === "Work laptop"`, 10*time.Second)
	if got := e.text("passkeys-list"); !strings.Contains(got, "last used") {
		t.Errorf("key list after a sign-in: %q", got)
	}

	// Passwordless: "Sign in with a passkey" on the sign-in page.
	e.do("sign out", e.signOut())
	e.snapshot("signin-passkey")
	e.do("sign in with a passkey",
		chromedp.WaitVisible(chromedp.CSS("#signin-passkey")),
		chromedp.Click(chromedp.CSS("#signin-passkey")),
		settingsLoaded(),
	)

	// Remove the key (step-up with the key); the password alone signs in then.
	e.do("security tab", securityTab())
	e.afterElevation()
	e.do("remove the key",
		chromedp.Click(chromedp.CSS(`#passkeys-list button[id^="passkey-remove-"]`)),
		chromedp.WaitVisible(chromedp.CSS("#passkey-remove-dialog[open] #passkey-remove-passkey")),
		chromedp.Click(chromedp.CSS("#passkey-remove-passkey")),
		chromedp.WaitNotPresent(chromedp.CSS("#passkey-remove-dialog")),
		chromedp.WaitVisible(chromedp.CSS("#passkeys-none")),
	)
	e.do("sign out", e.signOut())
	e.do("password alone", e.signIn("admin", adminPassword), settingsLoaded())
	e.noConsoleErrors()
}

func TestPasskeyFrench(t *testing.T) {
	e := start(t, 120*time.Second, withEnv(config.EnvPublicURL, passkeyHost), withLocale("fr-FR"))
	e.virtualAuthenticator()
	e.do("se connecter", e.signIn("admin", adminPassword), settingsLoaded(), securityTab())
	if got := e.text("passkeys-title"); got != "Clés de sécurité et clés d’accès" {
		t.Errorf("title: %q", got)
	}
	e.addKey("Portable", true)
	e.do("se déconnecter", e.signOut())
	e.do("mot de passe",
		e.signIn("admin", adminPassword),
		mounted("verify-page", ""),
		chromedp.WaitVisible(chromedp.CSS(`#verify-card[data-method="passkey"] #verify-passkey`)),
	)
	if got := e.text("verify-passkey"); got != "Utiliser votre clé de sécurité" {
		t.Errorf("bouton: %q", got)
	}
	e.expectLanguage("fr", "verify with a key")
	e.axe("verify with a key (fr)")
	e.do("la clé", chromedp.Click(chromedp.CSS("#verify-passkey")), settingsLoaded())
	e.do("se déconnecter", e.signOut())
	if got := e.text("signin-passkey"); got != "Se connecter avec une clé d’accès" {
		t.Errorf("bouton de connexion: %q", got)
	}
	e.do("clé d’accès seule", chromedp.Click(chromedp.CSS("#signin-passkey")), settingsLoaded())
}
