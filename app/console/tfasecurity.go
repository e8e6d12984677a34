package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// lowBackupCodes is the count from which the page suggests new codes.
const lowBackupCodes = 2

// tfaSecurity is the 2FA part of the security settings: its state (off:
// where to turn it on; expired: that it still protects the sign-ins, with
// Renew 2FA), the backup codes left with "Regenerate backup codes" (they
// are stored hashed, so they cannot be shown again), and "Disable 2FA"
// unless an administrator requires 2FA. "Enable 2FA" itself is on Basic
// Settings only, as in the seed.
type tfaSecurity struct {
	app.Compo

	TFA          api.TFA
	Offline      bool
	OnRenew      app.EventHandler
	OnRegenerate app.EventHandler
	OnDisable    app.EventHandler
}

func (s *tfaSecurity) Render() app.UI {
	head := app.H3().ID("security-tfa-title").Class("section-title").TabIndex(-1).Text(i18n.T("tfa.security.title"))
	if !form.TOTPOn(s.TFA.State) {
		return app.Div().ID("security-tfa").Class("security-tfa").DataSet("state", s.TFA.State).Body(
			head,
			app.P().ID("security-tfa-off").Class("muted").Text(i18n.T("tfa.security.off")),
			app.A().ID("security-tfa-basic").Class("link").Href(PathSettings).Text(i18n.T("tfa.security.to_basic")),
		)
	}
	left := s.TFA.BackupCodesRemaining
	leftText := i18n.T("tfa.security.codes_left", "n", form.Itoa(left))
	leftClass := "muted"
	if left <= lowBackupCodes {
		leftText = i18n.T("tfa.security.codes_low", "n", form.Itoa(left))
		leftClass = "warning"
	}
	return app.Div().ID("security-tfa").Class("security-tfa").DataSet("state", s.TFA.State).Body(
		head,
		s.renderState(),
		app.Div().Class("security-row").Body(
			app.Div().Body(
				app.P().Class("security-label").Text(i18n.T("tfa.security.codes")),
				app.P().ID("backup-remaining").Class(leftClass).DataSet("left", left).Text(leftText),
				app.P().ID("backup-regenerate-hint").Class("hint").Text(i18n.T("tfa.security.codes_hint")),
			),
			app.Button().ID("backup-regenerate").Type("button").Class("btn btn-secondary").
				Aria("describedby", "backup-regenerate-hint").Disabled(s.Offline).OnClick(s.OnRegenerate).
				Text(i18n.T("tfa.security.regenerate")),
		),
		app.Div().Class("security-row").Body(
			app.Div().Body(
				app.If(s.TFA.Enforced, func() app.UI {
					return app.P().ID("tfa-disable-enforced").Class("hint").Text(i18n.T("tfa.security.enforced"))
				}).Else(func() app.UI {
					return app.P().ID("tfa-disable-hint").Class("hint").Text(i18n.T("tfa.security.disable_hint"))
				}),
			),
			app.If(!s.TFA.Enforced, func() app.UI {
				return app.Button().ID("tfa-disable").Type("button").Class("btn btn-danger").
					Aria("describedby", "tfa-disable-hint").Disabled(s.Offline).OnClick(s.OnDisable).
					Text(i18n.T("tfa.security.disable"))
			}),
		),
	)
}

// renderState says whether 2FA is fresh (until when) or expired, which
// offers Renew 2FA here too.
func (s *tfaSecurity) renderState() app.UI {
	if s.TFA.State == api.TFAExpired {
		return app.Div().Class("security-row").Body(
			app.Div().Body(
				app.P().ID("security-tfa-state").Class("tfa-expired").Text(i18n.T("tfa.expired.status")),
				app.P().Class("hint").Text(i18n.T("tfa.expired.help")),
			),
			widget.Button{
				ID: "security-renew", Label: i18n.T("tfa.renew"), Type: "button", Kind: widget.ButtonAmber,
				Icon: "lock", OnClick: s.OnRenew, Disabled: s.Offline,
			}.UI(),
		)
	}
	text := i18n.T("tfa.security.on")
	if s.TFA.ExpiresAt != nil {
		text = i18n.T("tfa.security.on_until", "date", formatDate(*s.TFA.ExpiresAt))
	}
	return app.P().ID("security-tfa-state").Class("muted").Text(text)
}
