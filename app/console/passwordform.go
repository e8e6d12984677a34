package console

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

// passwordFields are the password form's fields, in order.
// "confirm_password" is the UI's own: it is not sent.
var passwordFields = []form.Field{
	{Name: "current_password", InputID: "password-current"},
	{Name: "new_password", InputID: "password-new"},
	{Name: "confirm_password", InputID: "password-confirm"},
	{Name: "code", InputID: "password-code"},
}

// passwordForm changes the password (POST /api/account/password). The
// current password is its step-up while TOTP is off; while TOTP is on it
// also needs a 2FA code unless the session is elevated.
type passwordForm struct {
	app.Compo

	// Account gives the username (checked against the new password) and
	// the 2FA state.
	Account *api.Account
	// OnChanged is called after a change (the session is now elevated).
	OnChanged func(ctx app.Context)

	current string
	next    string
	confirm string
	stepUp  form.StepUp
	busy    bool
	saved   bool
	errs    form.Problems
}

func (f *passwordForm) Render() app.UI {
	return app.Form().ID("password-form").Class("form").NoValidate(true).OnSubmit(f.submit).Body(
		widget.Alert{ID: "password-error", Text: f.errs.Alert}.UI(),
		hiddenUsername(f.Account.User.Username),
		widget.Field{
			ID: "password-current", Label: i18n.T("password.current.label"), Type: "password", Value: f.current,
			Autocomplete: "current-password", Required: true, Error: f.errs.Msg("current_password"),
			OnInput: func(ctx app.Context, e app.Event) { f.current, f.saved = widget.InputValue(ctx), false },
		}.UI(),
		widget.Field{
			ID: "password-new", Label: i18n.T("password.new.label"), Type: "password", Value: f.next,
			Autocomplete: "new-password", Required: true, Error: f.errs.Msg("new_password"),
			Hint:    i18n.T("password.new.hint", "min", form.Itoa(validate.MinPasswordLen)),
			OnInput: func(ctx app.Context, e app.Event) { f.next, f.saved = widget.InputValue(ctx), false },
		}.UI(),
		widget.Field{
			ID: "password-confirm", Label: i18n.T("password.confirm.label"), Type: "password", Value: f.confirm,
			Autocomplete: "new-password", Required: true, Error: f.errs.Msg("confirm_password"),
			OnInput: func(ctx app.Context, e app.Event) { f.confirm, f.saved = widget.InputValue(ctx), false },
		}.UI(),
		app.If(f.stepUp.NeedsCode(f.Account), func() app.UI {
			return form.StepUpCodeField("password-code", f.stepUp.Code, f.errs.Msg("code"),
				func(ctx app.Context, e app.Event) { f.stepUp.Code, f.saved = widget.InputValue(ctx), false })
		}),
		app.Div().Class("form-actions").Body(
			widget.Button{ID: "password-submit", Label: i18n.T("password.submit"), BusyLabel: i18n.T("password.submitting"), Busy: f.busy}.UI(),
			app.If(f.saved, func() app.UI {
				return app.P().ID("password-saved").Class("saved").Role("status").Text(i18n.T("password.saved"))
			}),
		),
	)
}

func (f *passwordForm) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if f.busy {
		return
	}
	req := api.PasswordChange{CurrentPassword: f.current, NewPassword: f.next}
	askCode := f.stepUp.NeedsCode(f.Account)
	if askCode {
		req.Code = strings.TrimSpace(f.stepUp.Code)
	}
	f.saved = false
	f.errs = form.FromValidation(validate.Struct(&req))
	if rule := validate.NewPassword(f.Account.User.Username, f.next); rule != "" {
		f.errs.SetRule("new_password", rule)
	}
	switch {
	case f.confirm == "":
		f.errs.SetRule("confirm_password", "required")
	case f.confirm != f.next:
		f.errs.SetRule("confirm_password", "eqfield")
	}
	if askCode {
		if rule := validate.TFACode(req.Code); rule != "" {
			f.errs.SetRule("code", rule)
		}
	}
	if !f.errs.Empty() {
		form.FocusLater(ctx, f.errs.First(passwordFields, "password-error"))
		return
	}
	f.busy = true
	ctx.Async(func() {
		err := apiclient.ChangePassword(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			f.busy = false
			switch {
			case err == nil:
				f.current, f.next, f.confirm, f.saved = "", "", "", true
				f.stepUp = form.StepUp{}
				form.ClearInputs(ctx, "password-current", "password-new", "password-confirm", "password-code")
				if f.OnChanged != nil {
					f.OnChanged(ctx)
				}
				return
			case signedOutOr(ctx, err):
				return
			case apiclient.Is(err, api.CodeInvalidCredentials):
				// The current password is wrong: its field, not a sign-out.
				f.current = ""
				form.ClearInputs(ctx, "password-current")
				f.errs = form.Problems{}
				f.errs.Set("current_password", api.CodeInvalidCredentials, i18n.T("password.current.wrong"))
			case form.StepUpFailed(ctx, err, &f.stepUp, &f.errs, "code", "password-code"):
			default:
				f.errs = form.FromError(err, passwordFields)
			}
			form.FocusLater(ctx, f.errs.First(passwordFields, "password-error"))
		})
	})
}
