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

// basicFields are the basic settings form's fields, in order.
var basicFields = []form.Field{
	{Name: "email", InputID: "email"},
	{Name: "email_verification", InputID: "email-verification"},
	{Name: "password", InputID: "stepup-password"},
	{Name: "code", InputID: "stepup-code"},
}

// basicForm is the "Basic Settings" form: email and email login
// verification, saved together with PUT /api/account. Its step-up (the
// current password while TOTP is off, a 2FA code while it is on, as in
// the seed's 3-2fa-settings screenshots) is asked in the form once the
// settings are changed or submitted, and only when the session is not
// elevated.
type basicForm struct {
	app.Compo

	Account *api.Account
	// Kept: Account is the view kept in the browser (offline after a
	// reload), whose email is masked.
	Kept bool
	// Offline shows the same fields with every control disabled.
	Offline bool
	// Actions counts the page's actions: when it moves, "Saved." goes.
	Actions int
	// OnSaved receives the account the server answered after a change.
	OnSaved func(ctx app.Context, acc *api.Account)
	// OnAction is called when the user changes a field or submits (the
	// page clears its notices).
	OnAction func(ctx app.Context)

	from              *api.Account // the account the fields were filled from
	email             string
	emailVerification bool
	password          string // step-up while TOTP is off: the current password
	stepUpAsked       bool   // the server answered step_up_required
	stepUp            form.StepUp
	busy              bool
	saved             bool
	tried             bool // a submit was attempted since the last save
	actions           int  // the page's Actions this form has seen
	errs              form.Problems
}

// OnInit fills the fields from the account before the first render.
func (f *basicForm) OnInit() {
	f.fill()
	f.actions = f.Actions
}

// OnUpdate refills the fields when the page passes another account, and
// clears "Saved." once the page saw another action.
func (f *basicForm) OnUpdate(ctx app.Context) {
	f.fill()
	if f.Actions != f.actions {
		f.actions, f.saved = f.Actions, false
	}
}

// fill sets the fields from the account when its settings differ from the
// ones the fields were last filled from, so a reload of the account for
// another reason (a password change) keeps what is being typed.
func (f *basicForm) fill() {
	if f.Account == nil || f.Account == f.from {
		return
	}
	if f.from == nil || f.from.Email != f.Account.Email || f.from.EmailVerification != f.Account.EmailVerification {
		f.email = f.Account.Email
		f.emailVerification = f.Account.EmailVerification
	}
	f.from = f.Account
}

// needPassword reports whether a change needs the current password: while
// TOTP is off, unless the session is elevated (a recent sign-in or
// confirmation), or when the server asked for it.
func (f *basicForm) needPassword() bool {
	if form.TOTPOn(f.Account.TFA.State) {
		return false
	}
	return f.stepUpAsked || !form.Elevated(f.Account, apiclient.ServerNow())
}

// changed reports whether the fields differ from the account's settings.
func (f *basicForm) changed() bool {
	return strings.TrimSpace(f.email) != f.Account.Email || f.verificationShown() != f.Account.EmailVerification
}

// askStepUp reports whether the step-up field shows: where the change is
// made, once there is a change (or a submit) to confirm.
func (f *basicForm) askStepUp() bool {
	return !f.Offline && !f.Kept && (f.changed() || f.tried)
}

func (f *basicForm) Render() app.UI {
	noEmail := strings.TrimSpace(f.email) == ""
	tfaOn := form.TOTPOn(f.Account.TFA.State)
	verifyHint := i18n.T("basic.verification.hint")
	switch {
	case tfaOn:
		verifyHint = i18n.T("basic.verification.hint_tfa")
	case noEmail:
		verifyHint = i18n.T("basic.verification.hint_no_email")
	}
	// Offline the same fields show, every one disabled; the email kept
	// in the browser is masked, so it is read-only.
	locked := f.Offline || f.Kept
	return app.Form().ID("basic-form").Class("form").NoValidate(true).OnSubmit(f.submit).Body(
		widget.Alert{ID: "basic-error", Text: f.errs.Alert}.UI(),
		widget.Field{
			ID: "email", Label: i18n.T("basic.email.label"), Type: "email", Value: f.email,
			Autocomplete: "email", Placeholder: i18n.T("basic.email.placeholder"), Error: f.errs.Msg("email"),
			Disabled: locked, ReadOnly: locked, OnInput: f.emailInput,
		}.UI(),
		widget.Checkbox{
			ID: "email-verification", Label: i18n.T("basic.verification.label"),
			// Like the seed: off and greyed while there is no email; greyed
			// (but kept and shown) while TOTP supersedes it.
			Checked: f.verificationShown(), Disabled: noEmail || tfaOn || locked,
			Hint: verifyHint, Error: f.errs.Msg("email_verification"),
			OnChange: func(ctx app.Context, e app.Event) {
				f.acted(ctx)
				f.emailVerification, f.saved = widget.CheckedValue(ctx), false
			},
		}.UI(),
		app.IfSlice(f.askStepUp() && f.needPassword(), func() []app.UI {
			return []app.UI{
				hiddenUsername(f.Account.User.Username),
				widget.Field{
					ID: "stepup-password", Label: i18n.T("stepup.password.label"), Type: "password", Value: f.password,
					Autocomplete: "current-password", Required: true, Error: f.errs.Msg("password"),
					Hint:    i18n.T("stepup.password.hint"),
					OnInput: func(ctx app.Context, e app.Event) { f.password = widget.InputValue(ctx) },
				}.UI(),
			}
		}),
		app.If(f.askStepUp() && f.stepUp.NeedsCode(f.Account), func() app.UI {
			return form.StepUpCodeField("stepup-code", f.stepUp.Code, f.errs.Msg("code"),
				func(ctx app.Context, e app.Event) { f.stepUp.Code, f.saved = widget.InputValue(ctx), false })
		}),
		app.Div().Class("form-actions").Body(
			widget.Button{
				ID: "basic-submit", Label: i18n.T("basic.submit"), BusyLabel: i18n.T("form.saving"),
				Busy: f.busy, Disabled: locked,
			}.UI(),
			app.If(f.saved, func() app.UI {
				return app.P().ID("basic-saved").Class("saved").Role("status").Text(i18n.T("form.saved"))
			}),
		),
	)
}

// emailInput keeps the email. The verification box is off and disabled
// while the email is empty; the tick comes back with an email. When the
// email is cleared the DOM is unticked too: a box ticked just before
// (within one frame) was never rendered ticked, so the render alone would
// not untick it. Only then: writing the DOM after every keystroke could
// undo a click on the box that comes before the deferred write runs.
func (f *basicForm) emailInput(ctx app.Context, e app.Event) {
	f.acted(ctx)
	f.email, f.saved = widget.InputValue(ctx), false
	if strings.TrimSpace(f.email) == "" {
		form.SetChecked(ctx, "email-verification", f.verificationShown)
	}
}

// acted tells the page that the user does something new here: its last
// notice no longer applies.
func (f *basicForm) acted(ctx app.Context) {
	if f.OnAction != nil {
		f.OnAction(ctx)
	}
}

// verificationShown is the state of the verification box: ticked only
// with an email.
func (f *basicForm) verificationShown() bool {
	return f.emailVerification && strings.TrimSpace(f.email) != ""
}

func (f *basicForm) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if f.busy || f.Offline || f.Kept {
		return
	}
	f.acted(ctx)
	f.tried = true
	email := strings.TrimSpace(f.email)
	verification := f.verificationShown()
	req := api.AccountUpdate{Email: &email, EmailVerification: &verification}
	askPassword, askCode := f.needPassword(), f.stepUp.NeedsCode(f.Account)
	if askPassword {
		req.Password = f.password
	}
	if askCode {
		req.Code = strings.TrimSpace(f.stepUp.Code)
	}
	f.saved = false
	f.errs = form.FromValidation(validate.Struct(&req))
	if askPassword && f.password == "" {
		f.errs.SetRule("password", "required")
	}
	if askCode {
		form.CheckStepUpCode(&f.errs, "code", req.Code)
	}
	if !f.errs.Empty() {
		form.FocusLater(ctx, f.errs.First(basicFields, "basic-error"))
		return
	}
	f.busy = true
	ctx.Async(func() {
		acc, err := apiclient.UpdateAccount(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			f.busy = false
			if err == nil {
				f.password, f.stepUpAsked, f.saved, f.tried = "", false, true, false
				f.stepUp = form.StepUp{}
				form.ClearInputs(ctx, "stepup-password", "stepup-code")
				f.Account = acc
				f.fill()
				if f.OnSaved != nil {
					f.OnSaved(ctx, acc)
				}
				return
			}
			if signedOutOr(ctx, err) {
				return
			}
			f.failed(ctx, err)
			form.FocusLater(ctx, f.errs.First(basicFields, "basic-error"))
		})
	})
}

// failed shows why saving failed. A wrong step-up password or code is an
// error of its field, not a sign-out.
func (f *basicForm) failed(ctx app.Context, err error) {
	switch {
	case form.TOTPOn(f.Account.TFA.State) &&
		form.StepUpFailed(ctx, err, &f.stepUp, &f.errs, "code", "stepup-code"):
	case apiclient.Is(err, api.CodeStepUpRequired):
		f.stepUpAsked = true
		f.errs = form.Problems{}
		f.errs.Set("password", api.CodeStepUpRequired, i18n.T("stepup.password.needed"))
	case apiclient.Is(err, api.CodeInvalidCredentials):
		f.password = ""
		form.ClearInputs(ctx, "stepup-password")
		f.errs = form.Problems{}
		f.errs.Set("password", api.CodeInvalidCredentials, i18n.T("stepup.password.wrong"))
	case apiclient.Is(err, api.CodeConflict):
		f.errs = form.Problems{}
		f.errs.Set("email", api.CodeConflict, i18n.T("basic.email.taken"))
	default:
		f.errs = form.FromError(err, basicFields)
	}
}
