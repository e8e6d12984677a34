package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/shared/api"
)

// tfaState shows the account's 2FA state, as the seed does next to the
// username: not enabled, enabled (green) or expired (amber). The TOTP
// issue adds the actions here: "Enable 2FA", "Renew 2FA".
type tfaState struct {
	app.Compo

	TFA api.TFA
}

func (t *tfaState) Render() app.UI {
	label, badge, help := "2FA: not enabled", "badge badge-neutral",
		"Two-factor authentication is off: your password alone signs you in."
	switch t.TFA.State {
	case api.TFAEnabled:
		label, badge, help = "2FA: enabled", "badge badge-green",
			"Signing in needs a code from your authenticator app."
	case api.TFAExpired:
		label, badge, help = "2FA: expired", "badge badge-amber",
			"Your 2FA secret is old. It still works; renew it for better security."
	}
	return app.Div().Class("tfa").DataSet("state", t.TFA.State).Body(
		app.Span().ID("tfa-state").Class(badge).Text(label),
		app.P().Class("muted tfa-help").Text(help),
		app.If(t.TFA.Enforced && t.TFA.State == api.TFANotEnabled, func() app.UI {
			return app.P().Class("muted").Text("Your administrator requires two-factor authentication for this account.")
		}),
		// The actions (Enable 2FA, Renew 2FA) come here with the TOTP issue.
	)
}
