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

// DisableDialogID is the id of the "Disable 2FA" dialog.
const DisableDialogID = "disable-dialog"

var disableFields = []form.Field{{Name: "code", InputID: "disable-code"}}

// Disable confirms turning TOTP off (POST /api/account/tfa/disable, a
// step-up: a 2FA code unless the session is elevated).
type Disable struct {
	app.Compo

	Account *api.Account
	// OnDone receives the account with TOTP off.
	OnDone      func(ctx app.Context, acc *api.Account)
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)

	stepUp form.StepUp
	busy   bool
	errs   form.Problems
}

// OnMount opens the dialog, with the focus on the code field when one is
// needed.
func (c *Disable) OnMount(ctx app.Context) {
	focus := ""
	if c.stepUp.NeedsCode(c.Account) {
		focus = "disable-code"
	}
	widget.ShowModal(ctx, DisableDialogID, focus)
}

func (c *Disable) Render() app.UI {
	return widget.Dialog{
		ID: DisableDialogID, Title: i18n.T("totp.disable.title"), DescribedBy: "disable-text",
		CloseLabel: i18n.T("dialog.close"), OnClose: c.OnClose,
		Body: []app.UI{
			app.Form().ID("disable-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
				widget.Alert{ID: "disable-error", Text: c.errs.Alert}.UI(),
				app.P().ID("disable-text").Text(i18n.T("totp.disable.text")),
				app.If(c.stepUp.NeedsCode(c.Account), func() app.UI {
					return form.StepUpCodeField("disable-code", c.stepUp.Code, c.errs.Msg("code"),
						func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) })
				}),
				app.Div().Class("form-actions dialog-actions").Body(
					widget.Button{
						ID: "disable-cancel", Label: i18n.T("dialog.cancel"), Type: "button",
						Kind: widget.ButtonSecondary, OnClick: c.OnClose,
					}.UI(),
					widget.Button{
						ID: "disable-submit", Label: i18n.T("totp.disable.submit"), BusyLabel: i18n.T("totp.disable.submitting"),
						Kind: widget.ButtonDanger, Busy: c.busy,
					}.UI(),
				),
			),
		},
	}.UI()
}

func (c *Disable) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	var req api.StepUp
	c.errs = form.Problems{}
	if c.stepUp.NeedsCode(c.Account) {
		req.Code = strings.TrimSpace(c.stepUp.Code)
		if rule := validate.TFACode(req.Code); rule != "" {
			c.errs.SetRule("code", rule)
			form.FocusLater(ctx, "disable-code")
			return
		}
	}
	c.busy = true
	ctx.Async(func() {
		acc, err := apiclient.TOTPDisable(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			switch {
			case err == nil:
				c.OnDone(ctx, acc)
				return
			case apiclient.SignedOut(err):
				c.OnSignedOut(ctx)
				return
			case form.StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", "disable-code"):
			default:
				c.errs = form.FromError(err, disableFields)
			}
			form.FocusLater(ctx, c.errs.First(disableFields, "disable-error"))
		})
	})
}
