package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// passwordFields are the password form's fields, in order.
// "confirm_password" is the UI's own: it is not sent.
var passwordFields = []formField{
	{"current_password", "password-current"},
	{"new_password", "password-new"},
	{"confirm_password", "password-confirm"},
}

// passwordForm changes the password (POST /api/account/password). The
// current password is its step-up while TOTP is off.
type passwordForm struct {
	app.Compo

	// Username is checked against the new password.
	Username string
	// OnChanged is called after a change (the session is now elevated).
	OnChanged func(ctx app.Context)

	current string
	next    string
	confirm string
	busy    bool
	saved   bool
	errs    problems
}

func (f *passwordForm) Render() app.UI {
	return app.Form().ID("password-form").Class("form").NoValidate(true).OnSubmit(f.submit).Body(
		widget.Alert{ID: "password-error", Text: f.errs.alert}.UI(),
		hiddenUsername(f.Username),
		widget.Field{
			ID: "password-current", Label: "Current password", Type: "password", Value: f.current,
			Autocomplete: "current-password", Required: true, Error: f.errs.msg("current_password"),
			OnInput: func(ctx app.Context, e app.Event) { f.current, f.saved = widget.InputValue(ctx), false },
		}.UI(),
		widget.Field{
			ID: "password-new", Label: "New password", Type: "password", Value: f.next,
			Autocomplete: "new-password", Required: true, Error: f.errs.msg("new_password"),
			Hint:    "At least " + itoa(validate.MinPasswordLen) + " characters, not your username, not a common password.",
			OnInput: func(ctx app.Context, e app.Event) { f.next, f.saved = widget.InputValue(ctx), false },
		}.UI(),
		widget.Field{
			ID: "password-confirm", Label: "Confirm new password", Type: "password", Value: f.confirm,
			Autocomplete: "new-password", Required: true, Error: f.errs.msg("confirm_password"),
			OnInput: func(ctx app.Context, e app.Event) { f.confirm, f.saved = widget.InputValue(ctx), false },
		}.UI(),
		app.Div().Class("form-actions").Body(
			widget.Button{ID: "password-submit", Label: "Change password", BusyLabel: "Changing…", Busy: f.busy}.UI(),
			app.If(f.saved, func() app.UI {
				return app.P().ID("password-saved").Class("saved").Role("status").
					Text("Password changed. Your other sessions were signed out.")
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
	f.saved = false
	f.errs = fromValidation(validate.Struct(&req))
	if rule := validate.NewPassword(f.Username, f.next); rule != "" {
		f.errs.set("new_password", rule, validate.Message(rule))
	}
	switch {
	case f.confirm == "":
		f.errs.set("confirm_password", "required", validate.Message("required"))
	case f.confirm != f.next:
		f.errs.set("confirm_password", "eqfield", validate.Message("eqfield"))
	}
	if !f.errs.empty() {
		focusLater(ctx, f.errs.first(passwordFields, "password-error"))
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
				clearInputs(ctx, "password-current", "password-new", "password-confirm")
				if f.OnChanged != nil {
					f.OnChanged(ctx)
				}
				return
			case apiclient.SignedOut(err):
				ctx.Navigate(PathSignIn)
				return
			case apiclient.Is(err, api.CodeInvalidCredentials):
				// The current password is wrong: its field, not a sign-out.
				f.current = ""
				clearInputs(ctx, "password-current")
				f.errs = problems{}
				f.errs.set("current_password", api.CodeInvalidCredentials, "The current password is wrong.")
			default:
				f.errs = fromError(err, passwordFields)
			}
			focusLater(ctx, f.errs.first(passwordFields, "password-error"))
		})
	})
}
