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

// tfaSecurity is the 2FA part of the security settings: the backup codes
// left with "Regenerate backup codes" (they are stored hashed, so they
// cannot be shown again), and "Disable 2FA" unless an administrator
// requires 2FA.
type tfaSecurity struct {
	app.Compo

	TFA          api.TFA
	OnEnable     app.EventHandler
	OnRegenerate app.EventHandler
	OnDisable    app.EventHandler
}

func (s *tfaSecurity) Render() app.UI {
	head := app.H3().ID("security-tfa-title").Class("section-title").Text(i18n.T("tfa.security.title"))
	if !form.TOTPOn(s.TFA.State) {
		return app.Div().ID("security-tfa").Class("security-tfa").Body(
			head,
			app.P().Class("muted").Text(i18n.T("tfa.security.off")),
			widget.Button{
				ID: "security-tfa-enable", Label: i18n.T("tfa.enable"), Type: "button",
				Kind: widget.ButtonSecondary, OnClick: s.OnEnable,
			}.UI(),
		)
	}
	left := s.TFA.BackupCodesRemaining
	leftText := i18n.T("tfa.security.codes_left", "n", form.Itoa(left))
	leftClass := "muted"
	if left <= lowBackupCodes {
		leftText = i18n.T("tfa.security.codes_low", "n", form.Itoa(left))
		leftClass = "warning"
	}
	return app.Div().ID("security-tfa").Class("security-tfa").Body(
		head,
		app.Div().Class("security-row").Body(
			app.Div().Body(
				app.P().Class("security-label").Text(i18n.T("tfa.security.codes")),
				app.P().ID("backup-remaining").Class(leftClass).DataSet("left", left).Text(leftText),
				app.P().ID("backup-regenerate-hint").Class("hint").Text(i18n.T("tfa.security.codes_hint")),
			),
			app.Button().ID("backup-regenerate").Type("button").Class("btn btn-secondary").
				Aria("describedby", "backup-regenerate-hint").OnClick(s.OnRegenerate).
				Text(i18n.T("tfa.security.regenerate")),
		),
		app.Div().Class("security-row").Body(
			app.Div().Body(
				app.P().Class("security-label").Text(i18n.T("tfa.security.disable_label")),
				app.If(s.TFA.Enforced, func() app.UI {
					return app.P().ID("tfa-disable-enforced").Class("hint").Text(i18n.T("tfa.security.enforced"))
				}).Else(func() app.UI {
					return app.P().ID("tfa-disable-hint").Class("hint").Text(i18n.T("tfa.security.disable_hint"))
				}),
			),
			app.If(!s.TFA.Enforced, func() app.UI {
				return app.Button().ID("tfa-disable").Type("button").Class("btn btn-danger").
					Aria("describedby", "tfa-disable-hint").OnClick(s.OnDisable).
					Text(i18n.T("tfa.security.disable"))
			}),
		),
	)
}
