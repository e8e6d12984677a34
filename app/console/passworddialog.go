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

// passwordDialogID is the id of the "Change password" dialog.
const passwordDialogID = "password-dialog"

// passwordDialog changes the password (POST /api/account/password) in a
// dialog of the security settings. The current password is its step-up
// while TOTP is off; while TOTP is on it also needs a 2FA code unless the
// session is elevated, asked here, where the change is made.
type passwordDialog struct {
	app.Compo

	// Account gives the username (checked against the new password) and
	// the 2FA state.
	Account *api.Account
	// OnChanged is called after a change (the session is now elevated);
	// the page closes the dialog.
	OnChanged func(ctx app.Context)
	// OnClose is Escape, × and Cancel.
	OnClose app.EventHandler

	current string
	next    string
	confirm string
	stepUp  form.StepUp
	busy    bool
	errs    form.Problems
}

// OnMount opens the dialog with the focus in the first field.
func (f *passwordDialog) OnMount(ctx app.Context) {
	widget.ShowModal(ctx, passwordDialogID, "password-current")
}

func (f *passwordDialog) Render() app.UI {
	return widget.Dialog{
		ID: passwordDialogID, Title: i18n.T("password.title"), DescribedBy: "password-intro",
		CloseLabel: i18n.T("dialog.close"), OnClose: f.OnClose,
		Body: []app.UI{f.renderForm()},
	}.UI()
}

func (f *passwordDialog) renderForm() app.UI {
	return app.Form().ID("password-form").Class("form").NoValidate(true).OnSubmit(f.submit).Body(
		app.P().ID("password-intro").Class("muted").Text(i18n.T("password.intro")),
		widget.Alert{ID: "password-error", Text: f.errs.Alert}.UI(),
		hiddenUsername(f.Account.User.Username),
		widget.Field{
			ID: "password-current", Label: i18n.T("password.current.label"), Type: "password", Value: f.current,
			Autocomplete: "current-password", Required: true, Error: f.errs.Msg("current_password"),
			OnInput: func(ctx app.Context, e app.Event) { f.current = widget.InputValue(ctx) },
		}.UI(),
		widget.Field{
			ID: "password-new", Label: i18n.T("password.new.label"), Type: "password", Value: f.next,
			Autocomplete: "new-password", Required: true, Error: f.errs.Msg("new_password"),
			Hint:    i18n.T("password.new.hint", "min", form.Itoa(validate.MinPasswordLen)),
			OnInput: func(ctx app.Context, e app.Event) { f.next = widget.InputValue(ctx) },
		}.UI(),
		widget.Field{
			ID: "password-confirm", Label: i18n.T("password.confirm.label"), Type: "password", Value: f.confirm,
			Autocomplete: "new-password", Required: true, Error: f.errs.Msg("confirm_password"),
			OnInput: func(ctx app.Context, e app.Event) { f.confirm = widget.InputValue(ctx) },
		}.UI(),
		app.If(f.stepUp.NeedsCode(f.Account), func() app.UI {
			return form.StepUpCodeField("password-code", f.stepUp.Code, f.errs.Msg("code"),
				func(ctx app.Context, e app.Event) { f.stepUp.Code = widget.InputValue(ctx) })
		}),
		app.Div().Class("form-actions dialog-actions").Body(
			widget.Button{
				ID: "password-cancel", Label: i18n.T("dialog.cancel"), Type: "button",
				Kind: widget.ButtonSecondary, OnClick: f.OnClose,
			}.UI(),
			widget.Button{ID: "password-submit", Label: i18n.T("password.submit"), BusyLabel: i18n.T("password.submitting"), Busy: f.busy}.UI(),
		),
	)
}

func (f *passwordDialog) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if f.busy {
		return
	}
	req := api.PasswordChange{CurrentPassword: f.current, NewPassword: f.next}
	askCode := f.stepUp.NeedsCode(f.Account)
	if askCode {
		req.Code = strings.TrimSpace(f.stepUp.Code)
	}
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
		form.CheckStepUpCode(&f.errs, "code", req.Code)
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
				f.current, f.next, f.confirm = "", "", ""
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
