package console

import (
	"strings"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// basicFields are the basic settings form's fields, in order.
var basicFields = []formField{
	{"email", "email"},
	{"email_verification", "email-verification"},
	{"password", "stepup-password"},
}

// elevationMargin: an elevation that ends sooner than this is treated as
// ended, so the password is asked before the server would refuse.
const elevationMargin = 15 * time.Second

// basicForm is the "Basic Settings" form: email and email login
// verification, saved together with PUT /api/account (step-up).
type basicForm struct {
	app.Compo

	Account *api.Account
	// OnSaved receives the account the server answered after a change.
	OnSaved func(ctx app.Context, acc *api.Account)

	from              *api.Account // the account the fields were filled from
	email             string
	emailVerification bool
	password          string // step-up: the current password
	stepUpAsked       bool   // the server answered step_up_required
	busy              bool
	saved             bool
	errs              problems
}

// OnInit fills the fields from the account before the first render.
func (f *basicForm) OnInit() { f.fill() }

// OnUpdate refills the fields when the page passes another account.
func (f *basicForm) OnUpdate(ctx app.Context) { f.fill() }

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
	if totpOn(f.Account.TFA.State) {
		// While TOTP is on, the step-up is a 2FA code: its field
		// ("stepup-code") comes with the TOTP issue.
		return false
	}
	return f.stepUpAsked || !elevated(f.Account, time.Now())
}

func totpOn(state string) bool { return state == api.TFAEnabled || state == api.TFAExpired }

// elevated reports whether the session's step-up still lasts at now.
func elevated(acc *api.Account, now time.Time) bool {
	return acc.ElevatedUntil != nil && acc.ElevatedUntil.After(now.Add(elevationMargin))
}

func (f *basicForm) Render() app.UI {
	noEmail := strings.TrimSpace(f.email) == ""
	verifyHint := "Each sign-in will also ask for a code sent to this address."
	if noEmail {
		verifyHint = "Add an email address to turn this on."
	}
	return app.Form().ID("basic-form").Class("form").NoValidate(true).OnSubmit(f.submit).Body(
		widget.Alert{ID: "basic-error", Text: f.errs.alert}.UI(),
		widget.Field{
			ID: "email", Label: "Email", Type: "email", Value: f.email,
			Autocomplete: "email", Placeholder: "name@example.com", Error: f.errs.msg("email"),
			OnInput: f.emailInput,
		}.UI(),
		widget.Checkbox{
			ID: "email-verification", Label: "Enable email login verification",
			// Like the seed: off and greyed while there is no email.
			Checked: f.verificationShown(), Disabled: noEmail,
			Hint: verifyHint, Error: f.errs.msg("email_verification"),
			OnChange: func(ctx app.Context, e app.Event) {
				f.emailVerification, f.saved = widget.CheckedValue(ctx), false
			},
		}.UI(),
		app.IfSlice(f.needPassword(), func() []app.UI {
			return []app.UI{
				hiddenUsername(f.Account.User.Username),
				widget.Field{
					ID: "stepup-password", Label: "Current password", Type: "password", Value: f.password,
					Autocomplete: "current-password", Required: true, Error: f.errs.msg("password"),
					Hint:    "Confirm your identity to change these settings.",
					OnInput: func(ctx app.Context, e app.Event) { f.password = widget.InputValue(ctx) },
				}.UI(),
			}
		}),
		app.Div().Class("form-actions").Body(
			widget.Button{ID: "basic-submit", Label: "Submit", BusyLabel: "Saving…", Busy: f.busy}.UI(),
			app.If(f.saved, func() app.UI {
				return app.P().ID("basic-saved").Class("saved").Role("status").Text("Saved.")
			}),
		),
	)
}

// emailInput keeps the email. The verification box is off and disabled
// while the email is empty; the tick comes back with an email. The DOM is
// set too: a box ticked just before the email was cleared (within one
// frame) was never rendered ticked, so the render alone would not untick it.
func (f *basicForm) emailInput(ctx app.Context, e app.Event) {
	f.email, f.saved = widget.InputValue(ctx), false
	setChecked(ctx, "email-verification", f.verificationShown)
}

// verificationShown is the state of the verification box: ticked only
// with an email.
func (f *basicForm) verificationShown() bool {
	return f.emailVerification && strings.TrimSpace(f.email) != ""
}

func (f *basicForm) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if f.busy {
		return
	}
	email := strings.TrimSpace(f.email)
	verification := f.verificationShown()
	req := api.AccountUpdate{Email: &email, EmailVerification: &verification}
	askPassword := f.needPassword()
	if askPassword {
		req.Password = f.password
	}
	f.saved = false
	f.errs = fromValidation(validate.Struct(&req))
	if askPassword && f.password == "" {
		f.errs.set("password", "required", validate.Message("required"))
	}
	if !f.errs.empty() {
		focusLater(ctx, f.errs.first(basicFields, "basic-error"))
		return
	}
	f.busy = true
	ctx.Async(func() {
		acc, err := apiclient.UpdateAccount(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			f.busy = false
			if err == nil {
				f.password, f.stepUpAsked, f.saved = "", false, true
				clearInputs(ctx, "stepup-password")
				f.Account = acc
				f.fill()
				if f.OnSaved != nil {
					f.OnSaved(ctx, acc)
				}
				return
			}
			if apiclient.SignedOut(err) {
				ctx.Navigate(PathSignIn)
				return
			}
			f.failed(ctx, err)
			focusLater(ctx, f.errs.first(basicFields, "basic-error"))
		})
	})
}

// failed shows why saving failed. A wrong step-up password is an error of
// its field, not a sign-out.
func (f *basicForm) failed(ctx app.Context, err error) {
	ae := apiclient.APIError(err)
	switch {
	case apiclient.Is(err, api.CodeStepUpRequired) && totpOn(f.Account.TFA.State):
		// The 2FA code field comes with the TOTP issue; until then the
		// server's message goes to the alert.
		f.errs = problems{alert: ae.Message}
	case apiclient.Is(err, api.CodeStepUpRequired):
		f.stepUpAsked = true
		f.errs = problems{}
		f.errs.set("password", api.CodeStepUpRequired, ae.Message)
	case apiclient.Is(err, api.CodeInvalidCredentials):
		f.password = ""
		clearInputs(ctx, "stepup-password")
		f.errs = problems{}
		f.errs.set("password", api.CodeInvalidCredentials, "The password is wrong.")
	case apiclient.Is(err, api.CodeConflict):
		f.errs = problems{}
		f.errs.set("email", api.CodeConflict, ae.Message)
	default:
		f.errs = fromError(err, basicFields)
	}
}
