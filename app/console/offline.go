package console

import (
	"encoding/json"
	"strings"
	"time"

	"twofold/app/browser"
	"twofold/shared/api"
)

// accountView is what the browser keeps of the account, so that the
// settings page can show it offline with the same fields as online: the
// username, the email masked as the server masks it, whether email login
// verification is on, the 2FA state and the number of backup codes left.
// Nothing else: never a code, a secret, a QR image, a token or the full
// email. SavedAt says how old it is.
type accountView struct {
	Username          string    `json:"username"`
	Email             string    `json:"email,omitempty"`
	EmailVerification bool      `json:"email_verification"`
	TFAState          string    `json:"tfa_state"`
	BackupCodesLeft   int       `json:"backup_codes_left"`
	SavedAt           time.Time `json:"saved_at"`
}

// viewOf is the view of acc to keep, made at now.
func viewOf(acc *api.Account, now time.Time) accountView {
	return accountView{
		Username:          acc.User.Username,
		Email:             maskEmail(acc.Email),
		EmailVerification: acc.EmailVerification,
		TFAState:          acc.TFA.State,
		BackupCodesLeft:   acc.TFA.BackupCodesRemaining,
		SavedAt:           now.UTC().Truncate(time.Second),
	}
}

// keepAccount stores the view of acc in localStorage.
func keepAccount(acc *api.Account) {
	b, err := json.Marshal(viewOf(acc, time.Now()))
	if err != nil {
		return
	}
	browser.Store(browser.KeyAccount, string(b))
}

// keptAccount returns the stored view, or nil when there is none (or it
// cannot be read).
func keptAccount() *accountView {
	s := browser.Load(browser.KeyAccount)
	if s == "" {
		return nil
	}
	var v accountView
	if err := json.Unmarshal([]byte(s), &v); err != nil || v.Username == "" {
		return nil
	}
	return &v
}

// forgetAccount removes the stored view: on sign-out and whenever the
// server says the session is gone.
func forgetAccount() { browser.Remove(browser.KeyAccount) }

// account turns the view into the account the settings page renders;
// the fields the view does not keep stay empty.
func (v *accountView) account() *api.Account {
	return &api.Account{
		User:              api.User{Username: v.Username},
		Email:             v.Email,
		EmailVerification: v.EmailVerification,
		TFA:               api.TFA{State: v.TFAState, BackupCodesRemaining: v.BackupCodesLeft},
	}
}

// maskEmail shows the first character and the domain of an address
// ("a***@example.com"), as the server's email hint does.
func maskEmail(email string) string {
	if email == "" {
		return ""
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 {
		return "***"
	}
	first := []rune(email[:at])[0]
	return string(first) + "***" + email[at:]
}
