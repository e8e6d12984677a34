package form

import (
	"context"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// StepUpDialog confirms an action that is a step-up (API.md, "Step-up"):
// a modal dialog with a text, the 2FA code field unless the session is
// elevated, Cancel and the action's button. The method packages set it
// up (totp.Disable, backupcode.Regenerate). ID names its elements:
// <ID>-dialog, -form, -error, -text, -code, -cancel and -submit.
type StepUpDialog struct {
	app.Compo

	Account *api.Account
	// ID names the elements; Title and Text say what the action does.
	ID, Title, Text string
	// Submit and Submitting label the action's button, idle and busy;
	// Kind is its kind (primary when empty).
	Submit, Submitting, Kind string
	// Send makes the request with the step-up (its code empty when the
	// session is elevated) and returns what to do once it succeeded. It
	// runs outside the UI goroutine.
	Send        func(ctx context.Context, req api.StepUp) (done func(ctx app.Context), err error)
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)

	stepUp StepUp
	busy   bool
	errs   Problems
}

// CompoID makes go-app mount a new dialog, with its own state, when a
// page shows another step-up dialog in place of this one.
func (c *StepUpDialog) CompoID() string { return c.ID }

// id is the id of the dialog's element part.
func (c *StepUpDialog) id(part string) string { return c.ID + "-" + part }

// OnMount opens the dialog, with the focus on the code field when one is
// needed.
func (c *StepUpDialog) OnMount(ctx app.Context) {
	focus := ""
	if c.stepUp.NeedsCode(c.Account) {
		focus = c.id("code")
	}
	widget.ShowModal(ctx, c.id("dialog"), focus)
}

func (c *StepUpDialog) Render() app.UI {
	return widget.Dialog{
		ID: c.id("dialog"), Title: c.Title, DescribedBy: c.id("text"),
		CloseLabel: i18n.T("dialog.close"), OnClose: c.OnClose,
		Body: []app.UI{
			app.Form().ID(c.id("form")).Class("form").NoValidate(true).OnSubmit(c.submit).Body(
				widget.Alert{ID: c.id("error"), Text: c.errs.Alert}.UI(),
				app.P().ID(c.id("text")).Text(c.Text),
				app.If(c.stepUp.NeedsCode(c.Account), func() app.UI {
					return StepUpCodeField(c.id("code"), c.stepUp.Code, c.errs.Msg("code"),
						func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) })
				}),
				app.Div().Class("form-actions dialog-actions").Body(
					widget.Button{
						ID: c.id("cancel"), Label: i18n.T("dialog.cancel"), Type: "button",
						Kind: widget.ButtonSecondary, OnClick: c.OnClose,
					}.UI(),
					widget.Button{
						ID: c.id("submit"), Label: c.Submit, BusyLabel: c.Submitting,
						Kind: c.Kind, Busy: c.busy,
					}.UI(),
				),
			),
		},
	}.UI()
}

func (c *StepUpDialog) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	var req api.StepUp
	c.errs = Problems{}
	if c.stepUp.NeedsCode(c.Account) {
		req.Code = strings.TrimSpace(c.stepUp.Code)
		if CheckStepUpCode(&c.errs, "code", req.Code); !c.errs.Empty() {
			FocusLater(ctx, c.id("code"))
			return
		}
	}
	c.busy = true
	send := c.Send
	ctx.Async(func() {
		done, err := send(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				c.answer().Failed(ctx, err, &c.errs)
				return
			}
			done(ctx)
		})
	})
}

// answer is how the dialog shows a failed request: a wrong or missing
// step-up code is an error of the code field.
func (c *StepUpDialog) answer() Answer {
	return Answer{
		Fields: []Field{{Name: "code", InputID: c.id("code")}}, AlertID: c.id("error"),
		OnSignedOut: c.OnSignedOut,
		Refused: func(ctx app.Context, err error) bool {
			return StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", c.id("code"))
		},
	}
}
