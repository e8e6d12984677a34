package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// tfaState shows the account's 2FA state under the username, as the seed
// does: an "Enable 2FA" button, the solid green "2FA" badge, or, once the
// secret is older than the expiry, the amber "Renew 2FA" button with the
// reassurance that 2FA still protects the sign-ins.
type tfaState struct {
	app.Compo

	TFA api.TFA
	// Offline disables the buttons: they need the server.
	Offline bool
	// OnEnable opens the enrolment (Enable 2FA, Renew 2FA).
	OnEnable app.EventHandler
}

func (t *tfaState) Render() app.UI {
	var state, status app.UI
	help := ""
	switch t.TFA.State {
	case api.TFAEnabled:
		// The badge takes the focus when the dialog that turned 2FA on
		// closes (the button that opened it is gone).
		state = app.Span().ID("tfa-state").Class("tfa-badge").TabIndex(-1).Body(
			app.Span().Class("icon icon-lock").Aria("hidden", true),
			app.Span().Text(i18n.T("tfa.badge")),
			app.Span().Class("sr-only").Text(i18n.T("tfa.badge.sr")),
		)
		help = t.enabledHelp()
	case api.TFAExpired:
		state = widget.Button{
			ID: "tfa-renew", Label: i18n.T("tfa.renew"), Type: "button", Kind: widget.ButtonAmber,
			Icon: "lock", OnClick: t.OnEnable, Disabled: t.Offline,
		}.UI()
		status = app.P().ID("tfa-expired").Class("tfa-expired").Text(i18n.T("tfa.expired.status"))
		help = i18n.T("tfa.expired.help")
	default:
		state = widget.Button{
			ID: "tfa-enable", Label: i18n.T("tfa.enable"), Type: "button",
			Icon: "lock", OnClick: t.OnEnable, Disabled: t.Offline,
		}.UI()
		help = i18n.T("tfa.off.help")
	}
	return app.Div().ID("tfa").Class("tfa").DataSet("state", t.TFA.State).Body(
		state,
		status,
		app.P().ID("tfa-help").Class("muted tfa-help").Text(help),
		// 2FA on with security keys alone: the authenticator app can be
		// added too.
		app.If(t.TFA.State == api.TFAEnabled && !t.TFA.TOTP && t.TFA.Passkeys > 0, func() app.UI {
			return widget.Button{
				ID: "tfa-add-totp", Label: i18n.T("passkey.add_totp"), Type: "button", Kind: widget.ButtonSecondary,
				OnClick: t.OnEnable, Disabled: t.Offline,
			}.UI()
		}),
		app.If(t.TFA.Enforced && t.TFA.State == api.TFANotEnabled, func() app.UI {
			return app.P().Class("muted").Text(i18n.T("tfa.enforced"))
		}),
	)
}

// enabledHelp says what 2FA does and until when it counts as fresh.
func (t *tfaState) enabledHelp() string {
	if t.TFA.ExpiresAt == nil {
		return i18n.T("tfa.on.help")
	}
	return i18n.T("tfa.on.help_until", "date", formatDate(*t.TFA.ExpiresAt))
}
