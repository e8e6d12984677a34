package backupcode

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

// RegenerateDialogID is the id of the "Regenerate backup codes" dialog.
const RegenerateDialogID = "regenerate-dialog"

var regenerateFields = []form.Field{{Name: "code", InputID: "regenerate-code"}}

// Regenerate confirms making six new backup codes (POST
// /api/account/tfa/backup-codes, a step-up: a 2FA code unless the session
// is elevated). The old codes stop working.
type Regenerate struct {
	app.Compo

	Account *api.Account
	// OnDone receives the new codes.
	OnDone      func(ctx app.Context, codes []string)
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)

	stepUp form.StepUp
	busy   bool
	errs   form.Problems
}

// OnMount opens the dialog, with the focus on the code field when one is
// needed.
func (c *Regenerate) OnMount(ctx app.Context) {
	focus := ""
	if c.stepUp.NeedsCode(c.Account) {
		focus = "regenerate-code"
	}
	widget.ShowModal(ctx, RegenerateDialogID, focus)
}

func (c *Regenerate) Render() app.UI {
	return widget.Dialog{
		ID: RegenerateDialogID, Title: i18n.T("backup.regenerate.title"), DescribedBy: "regenerate-text",
		CloseLabel: i18n.T("dialog.close"), OnClose: c.OnClose,
		Body: []app.UI{
			app.Form().ID("regenerate-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
				widget.Alert{ID: "regenerate-error", Text: c.errs.Alert}.UI(),
				app.P().ID("regenerate-text").Text(i18n.T("backup.regenerate.text")),
				app.If(c.stepUp.NeedsCode(c.Account), func() app.UI {
					return form.StepUpCodeField("regenerate-code", c.stepUp.Code, c.errs.Msg("code"),
						func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) })
				}),
				app.Div().Class("form-actions dialog-actions").Body(
					widget.Button{
						ID: "regenerate-cancel", Label: i18n.T("dialog.cancel"), Type: "button",
						Kind: widget.ButtonSecondary, OnClick: c.OnClose,
					}.UI(),
					widget.Button{
						ID: "regenerate-submit", Label: i18n.T("backup.regenerate.submit"),
						BusyLabel: i18n.T("backup.regenerate.submitting"), Busy: c.busy,
					}.UI(),
				),
			),
		},
	}.UI()
}

func (c *Regenerate) submit(ctx app.Context, e app.Event) {
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
			form.FocusLater(ctx, "regenerate-code")
			return
		}
	}
	c.busy = true
	ctx.Async(func() {
		res, err := apiclient.RegenerateBackupCodes(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			switch {
			case err == nil:
				c.OnDone(ctx, res.BackupCodes)
				return
			case apiclient.SignedOut(err):
				c.OnSignedOut(ctx)
				return
			case form.StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", "regenerate-code"):
			default:
				c.errs = form.FromError(err, regenerateFields)
			}
			form.FocusLater(ctx, c.errs.First(regenerateFields, "regenerate-error"))
		})
	})
}
