package totp

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

var verifyFields = []form.Field{{Name: "code", InputID: "verify-code"}}

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

	code       string
	busy       bool
	errs       form.Problems
	backupHelp bool
}

// OnMount puts the focus in the code field: it is the page's one task.
func (c *VerifyForm) OnMount(ctx app.Context) { form.FocusLater(ctx, "verify-code") }

func (c *VerifyForm) Render() app.UI {
	helpClass := "hint backup-help"
	if !c.backupHelp {
		helpClass += " is-hidden"
	}
	return app.Form().ID("verify-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
		widget.Alert{ID: "verify-error", Text: c.errs.Alert}.UI(),
		widget.Field{
			ID: "verify-code", Label: i18n.T("verify.totp.code.label"), Value: c.code,
			Autocomplete: "one-time-code", Placeholder: i18n.T("verify.totp.code.placeholder"),
			Hint: i18n.T("verify.totp.code.hint"), Error: c.errs.Msg("code"), Required: true, Code: true,
			OnInput: func(ctx app.Context, e app.Event) { c.code = widget.InputValue(ctx) },
		}.UI(),
		app.Div().Class("backup").Body(
			app.Button().ID("verify-backup-toggle").Type("button").Class("link-button").
				Aria("expanded", c.backupHelp).Aria("controls", "verify-backup-help").
				OnClick(c.toggleHelp).Text(i18n.T("verify.totp.backup.toggle")),
			app.P().ID("verify-backup-help").Class(helpClass).Text(i18n.T("verify.totp.backup.help")),
		),
		app.Div().Class("form-actions").Body(
			widget.Button{
				ID: "verify-submit", Label: i18n.T("verify.submit"), BusyLabel: i18n.T("verify.submitting"),
				Busy: c.busy,
			}.UI(),
		),
	)
}

func (c *VerifyForm) toggleHelp(ctx app.Context, e app.Event) { c.backupHelp = !c.backupHelp }

func (c *VerifyForm) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	code := strings.TrimSpace(c.code)
	c.errs = form.Problems{}
	if rule := validate.TFACode(code); rule != "" {
		c.errs.SetRule("code", rule)
		form.FocusLater(ctx, "verify-code")
		return
	}
	c.busy = true
	ctx.Async(func() {
		resp, err := apiclient.Verify(ctx, code)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			switch {
			case err == nil:
				c.OnVerified(ctx, resp)
				return
			case apiclient.SignedOut(err):
				c.OnExpired(ctx)
				return
			case apiclient.Is(err, api.CodeInvalidCode):
				c.code = ""
				form.ClearInputs(ctx, "verify-code")
				c.errs.Set("code", api.CodeInvalidCode, i18n.T("error.invalid_code"))
			default:
				c.errs = form.FromError(err, verifyFields)
			}
			form.FocusLater(ctx, c.errs.First(verifyFields, "verify-error"))
		})
	})
}
