package form

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// VerifyCodeID is the id of the verification form's code field.
const VerifyCodeID = "verify-code"

var verifyFields = []Field{{Name: "code", InputID: VerifyCodeID}}

// Verify is the form of the second sign-in step (verify-form, POST
// /api/auth/verify) that the methods' verification pages share: the code
// typed, the request in flight and the form's problems. A page keeps it
// in an unexported field, renders it with Form and sends it with Submit.
type Verify struct {
	Code string
	Errs Problems
	busy bool
}

// Form renders the form: its alert, the code field, what follows the
// field (more) and the submit button. field says what the method's code
// looks like (label, placeholder, hint, keyboard); Form sets the rest.
func (v *Verify) Form(onSubmit app.EventHandler, field widget.Field, more ...app.UI) app.UI {
	field.ID, field.Value, field.Error = VerifyCodeID, v.Code, v.Errs.Msg("code")
	field.Autocomplete, field.Required, field.Code = "one-time-code", true, true
	field.OnInput = v.input
	body := make([]app.UI, 0, len(more)+3)
	body = append(body, widget.Alert{ID: "verify-error", Text: v.Errs.Alert}.UI(), field.UI())
	body = append(body, more...)
	body = append(body, app.Div().Class("form-actions").Body(
		widget.Button{
			ID: "verify-submit", Label: i18n.T("verify.submit"), BusyLabel: i18n.T("verify.submitting"),
			Busy: v.busy,
		}.UI(),
	))
	return app.Form().ID("verify-form").Class("form").NoValidate(true).OnSubmit(onSubmit).Body(body...)
}

func (v *Verify) input(ctx app.Context, e app.Event) { v.Code = widget.InputValue(ctx) }

// Clear empties the code field and removes the form's errors (a new code
// was sent: the old one and what was wrong with it no longer matter).
func (v *Verify) Clear(ctx app.Context) {
	v.Code, v.Errs = "", Problems{}
	ClearInputs(ctx, VerifyCodeID)
}

// Submit sends code, the code typed as the method reads it, unless it
// fails the method's rule. verified receives the answer; a pending
// sign-in that is gone calls expired; a refused code is an error of the
// field, with the method's text wrong, and is typed again.
func (v *Verify) Submit(ctx app.Context, e app.Event, code, rule, wrong string,
	verified func(ctx app.Context, resp *api.LoginResponse), expired func(ctx app.Context)) {
	e.PreventDefault()
	if v.busy {
		return
	}
	v.Errs = Problems{}
	if rule != "" {
		v.Errs.SetRule("code", rule)
		FocusLater(ctx, VerifyCodeID)
		return
	}
	v.busy = true
	ctx.Async(func() {
		resp, err := apiclient.Verify(ctx, code)
		ctx.Dispatch(func(ctx app.Context) {
			v.busy = false
			if err != nil {
				Answer{
					Fields: verifyFields, AlertID: "verify-error", OnSignedOut: expired,
					Refused: func(ctx app.Context, err error) bool {
						return CodeRefused(ctx, err, &v.Errs, &v.Code, VerifyCodeID, wrong)
					},
				}.Failed(ctx, err, &v.Errs)
				return
			}
			verified(ctx, resp)
		})
	})
}
