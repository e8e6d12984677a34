package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// tfaState shows the account's 2FA state next to the username, as the seed
// does: an "Enable 2FA" button, a green "2FA" badge, or an amber "Renew
// 2FA" button (enabled but older than the expiry; it still works).
type tfaState struct {
	app.Compo

	TFA api.TFA
	// Notice tells what the last 2FA action did (announced politely).
	Notice string
	// OnEnable opens the enrolment (Enable 2FA, Renew 2FA).
	OnEnable app.EventHandler
}

func (t *tfaState) Render() app.UI {
	var state, help app.UI
	switch t.TFA.State {
	case api.TFAEnabled:
		state = app.Span().ID("tfa-state").Class("badge badge-green badge-lg").Body(
			app.Span().Class("icon icon-lock").Aria("hidden", true),
			app.Span().Text(i18n.T("tfa.badge")),
			app.Span().Class("sr-only").Text(i18n.T("tfa.badge.sr")),
		)
		help = app.P().Class("muted tfa-help").Text(t.enabledHelp())
	case api.TFAExpired:
		state = widget.Button{
			ID: "tfa-renew", Label: i18n.T("tfa.renew"), Type: "button", Kind: widget.ButtonAmber,
			Icon: "lock", OnClick: t.OnEnable,
		}.UI()
		help = app.P().Class("muted tfa-help").Text(i18n.T("tfa.expired.help"))
	default:
		state = widget.Button{
			ID: "tfa-enable", Label: i18n.T("tfa.enable"), Type: "button",
			Icon: "lock", OnClick: t.OnEnable,
		}.UI()
		help = app.P().Class("muted tfa-help").Text(i18n.T("tfa.off.help"))
	}
	return app.Div().ID("tfa").Class("tfa").TabIndex(-1).DataSet("state", t.TFA.State).Body(
		state,
		help,
		app.If(t.TFA.Enforced && t.TFA.State == api.TFANotEnabled, func() app.UI {
			return app.P().Class("muted").Text(i18n.T("tfa.enforced"))
		}),
		app.P().ID("tfa-notice").Class("saved tfa-notice").Role("status").Text(t.Notice),
	)
}

// enabledHelp says what 2FA does and until when it counts as fresh.
func (t *tfaState) enabledHelp() string {
	if t.TFA.ExpiresAt == nil {
		return i18n.T("tfa.on.help")
	}
	return i18n.T("tfa.on.help_until", "date", t.TFA.ExpiresAt.Local().Format(i18n.T("format.date")))
}
