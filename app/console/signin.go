package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// signInFields are the sign-in form's fields, in order.
var signInFields = []formField{
	{"username", "signin-username"},
	{"password", "signin-password"},
}

// signIn is the sign-in page ("/").
type signIn struct {
	app.Compo

	mounted  bool
	username string
	password string
	busy     bool
	errs     problems
	// notice tells about a second step this console cannot show yet.
	notice string
}

func newSignIn() *signIn { return &signIn{} }

func (p *signIn) OnMount(ctx app.Context) { p.mounted = true }

// OnNav goes to the settings when the browser is already signed in.
func (p *signIn) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Sign in · Twofold")
	if app.IsServer {
		return
	}
	ctx.Async(func() {
		if _, err := apiclient.Account(ctx); err == nil {
			ctx.Dispatch(func(ctx app.Context) { ctx.Navigate(PathSettings) })
		}
	})
}

func (p *signIn) Render() app.UI {
	return shell("signin-page", p.mounted, "",
		app.Div().Class("auth").Body(
			app.Div().Class("card auth-card").Body(
				app.H1().Class("card-title").Text("Sign in"),
				app.P().Class("muted").Text("Sign in to manage your account security."),
				widget.Alert{ID: "signin-error", Kind: widget.AlertError, Text: p.errs.alert}.UI(),
				widget.Alert{ID: "signin-notice", Kind: widget.AlertInfo, Text: p.notice}.UI(),
				app.Form().ID("signin-form").Class("form").NoValidate(true).OnSubmit(p.submit).Body(
					widget.Field{
						ID: "signin-username", Label: "Username", Value: p.username,
						Autocomplete: "username", Required: true, Error: p.errs.msg("username"),
						OnInput: func(ctx app.Context, e app.Event) { p.username = widget.InputValue(ctx) },
					}.UI(),
					widget.Field{
						ID: "signin-password", Label: "Password", Type: "password", Value: p.password,
						Autocomplete: "current-password", Required: true, Error: p.errs.msg("password"),
						OnInput: func(ctx app.Context, e app.Event) { p.password = widget.InputValue(ctx) },
					}.UI(),
					app.Div().Class("form-actions").Body(
						// Disabled in the server's pre-rendered page: the form
						// only works once the WASM runs it.
						widget.Button{
							ID: "signin-submit", Label: "Sign in", BusyLabel: "Signing in…",
							Busy: p.busy, Disabled: !p.mounted,
						}.UI(),
					),
				),
			),
		),
	)
}

func (p *signIn) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if p.busy {
		return
	}
	req := api.LoginRequest{Username: p.username, Password: p.password}
	p.notice = ""
	if p.errs = fromValidation(validate.Struct(&req)); !p.errs.empty() {
		focusLater(ctx, p.errs.first(signInFields, "signin-error"))
		return
	}
	p.busy = true
	ctx.Async(func() {
		resp, err := apiclient.Login(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err != nil {
				p.failed(ctx, err)
				return
			}
			if next := nextPage(resp); next != "" {
				ctx.Navigate(next)
				return
			}
			p.password = ""
			p.notice = secondStepNotice(resp)
		})
	})
}

// failed shows why a sign-in failed and moves the focus there.
func (p *signIn) failed(ctx app.Context, err error) {
	switch {
	case apiclient.Is(err, api.CodeInvalidCredentials):
		// One message whatever was wrong (API.md); the password is typed again.
		p.errs = problems{alert: "Wrong username or password."}
		p.password = ""
		clearInputs(ctx, "signin-password")
		focusLater(ctx, "signin-password")
		return
	case apiclient.Is(err, api.CodeUnavailable) && apiclient.APIError(err).EmailHint != "":
		// The mail server failed while sending the code: the pending
		// sign-in is kept for the verification page (a later issue).
		p.errs = problems{alert: "The sign-in code could not be sent to " + apiclient.APIError(err).EmailHint + ". Try again in a moment."}
	default:
		p.errs = fromError(err, signInFields)
	}
	focusLater(ctx, p.errs.first(signInFields, "signin-error"))
}

// nextPage is where a successful password step leads, or "" when this
// console has no page for it yet.
func nextPage(resp *api.LoginResponse) string {
	switch resp.Status {
	case api.StatusOK:
		return PathSettings
	}
	// StatusVerify ("/verify", TOTP or email code) and StatusEnroll come
	// with their issues.
	return ""
}

// secondStepNotice explains a second step this console cannot show yet.
func secondStepNotice(resp *api.LoginResponse) string {
	switch {
	case resp.Status == api.StatusVerify && resp.Method == api.MethodEmail:
		return "Your password is correct. This account also needs the code sent to " + resp.EmailHint + ", and this version of the console cannot ask for it yet."
	case resp.Status == api.StatusVerify:
		return "Your password is correct. This account also needs a code from your authenticator app, and this version of the console cannot ask for it yet."
	case resp.Status == api.StatusEnroll:
		return "Your password is correct. This account must set up two-factor authentication first, and this version of the console cannot do that yet."
	}
	return "The server answered with an unknown sign-in status \"" + resp.Status + "\"."
}
