package totp

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// VerifyForm is the second sign-in step while TOTP is on (the seed's
// "2FA code or backup code"): one field takes a code of the authenticator
// app or a backup code, so it keeps the full keyboard (a backup code has
// letters); "Use a backup code" explains their format.
type VerifyForm struct {
	app.Compo

	// OnVerified receives the answer: a full session, or enroll.
	OnVerified func(ctx app.Context, resp *api.LoginResponse)
	// OnExpired: the pending sign-in is gone (10 minutes, or none).
	OnExpired func(ctx app.Context)
	// NoFocus: another way comes first on the page (a security key).
	NoFocus bool
	// BackupOnly: the user has security keys and no authenticator app, so
	// the field takes a backup code only.
	BackupOnly bool

	verify     form.Verify
	backupHelp bool
}

// OnMount puts the focus in the code field: it is the page's one task.
func (c *VerifyForm) OnMount(ctx app.Context) {
	if !c.NoFocus {
		form.FocusLater(ctx, form.VerifyCodeID)
	}
}

func (c *VerifyForm) Render() app.UI {
	helpClass := "hint backup-help"
	if !c.backupHelp {
		helpClass += " is-hidden"
	}
	field := widget.Field{
		Label: i18n.T("verify.totp.code.label"), Placeholder: i18n.T("verify.totp.code.placeholder"),
		Hint: i18n.T("verify.totp.code.hint"),
	}
	if c.BackupOnly {
		field = widget.Field{
			Label: i18n.T("verify.backup_only.code.label"), Placeholder: i18n.T("verify.backup_only.code.placeholder"),
			Hint: i18n.T("verify.backup_only.code.hint"),
		}
	}
	return c.verify.Form(c.submit,
		field,
		app.Div().Class("backup").Body(
			app.Button().ID("verify-backup-toggle").Type("button").Class("link-button").
				Aria("expanded", c.backupHelp).Aria("controls", "verify-backup-help").
				OnClick(c.toggleHelp).Text(i18n.T("verify.totp.backup.toggle")),
			app.P().ID("verify-backup-help").Class(helpClass).Text(i18n.T("verify.totp.backup.help")),
		),
	)
}

func (c *VerifyForm) toggleHelp(ctx app.Context, e app.Event) { c.backupHelp = !c.backupHelp }

// submit sends a code of the authenticator app or a backup code. An
// empty field gets the seed's "Please enter your 2FA code".
func (c *VerifyForm) submit(ctx app.Context, e app.Event) {
	code := strings.TrimSpace(c.verify.Code)
	if code == "" {
		e.PreventDefault()
		c.verify.Errs = form.Problems{}
		form.CheckStepUpCode(&c.verify.Errs, "code", code)
		form.FocusLater(ctx, form.VerifyCodeID)
		return
	}
	c.verify.Submit(ctx, e, code, validate.TFACode(code), i18n.T("error.invalid_code"), c.OnVerified, c.OnExpired)
}
