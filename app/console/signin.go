package console

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/emailcode"
	"twofold/app/console/form"
	"twofold/app/console/passkey"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// signInFields are the sign-in form's fields, in order.
var signInFields = []form.Field{
	{Name: "username", InputID: "signin-username"},
	{Name: "password", InputID: "signin-password"},
}

// signIn is the sign-in page ("/"). The server's pre-rendered page is
// usable before the WASM runs: what is typed there is taken over, and a
// submit made then is kept (by the page's script) and sent as soon as
// the WASM runs.
type signIn struct {
	app.Compo

	mounted  bool
	early    form.Early
	username string
	password string
	busy     bool
	errs     form.Problems
	// notice tells why the browser is back here (a sign-in that expired).
	notice string
	// offline: the server could not be reached when the page opened.
	offline bool
}

func newSignIn() *signIn { return &signIn{} }

// OnInit takes over the pre-rendered form when the WASM starts on this
// page: what was typed, the focus and a submit.
func (p *signIn) OnInit() {
	p.early = form.TakeEarly("signin-form", "signin-username", "signin-password")
	p.username, p.password = p.early.Values["signin-username"], p.early.Values["signin-password"]
}

// OnMount gives the focus back where it was in the pre-rendered page and
// sends a sign-in submitted before the WASM ran.
func (p *signIn) OnMount(ctx app.Context) {
	p.mounted = true
	p.early.Restore()
	if p.early.Submitted {
		p.early.Submitted = false
		p.send(ctx)
	}
}

// OnNav shows the notice left by the previous page and goes on when the
// browser is already signed in; offline, it says that signing in needs
// the network.
func (p *signIn) OnNav(ctx app.Context) {
	setTitle(ctx, "signin.page_title")
	if app.IsServer {
		return
	}
	p.notice = takeFlash()
	takeArrival(ctx, "signin-title")
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case err == nil:
				goTo(ctx, pageFor(acc))
			case apiclient.Unreachable(err):
				p.offline = true
			}
		})
	})
}

func (p *signIn) Render() app.UI {
	offline := ""
	if p.offline {
		offline = i18n.T("offline.signin")
	}
	return frame{ID: "signin-page", Mounted: p.mounted}.UI(
		app.Div().Class("auth").Body(
			app.Div().Class("card auth-card").Body(
				app.H1().ID("signin-title").Class("card-title").TabIndex(-1).Text(i18n.T("signin.title")),
				app.P().Class("muted").Text(i18n.T("signin.intro")),
				widget.Alert{ID: "signin-error", Kind: widget.AlertError, Text: p.errs.Alert}.UI(),
				widget.Alert{ID: "signin-notice", Kind: widget.AlertInfo, Text: p.notice}.UI(),
				widget.Alert{ID: "signin-offline", Kind: widget.AlertWarning, Text: offline}.UI(),
				p.formElement().Body(
					widget.Field{
						ID: "signin-username", Label: i18n.T("signin.username.label"), Value: p.username,
						Autocomplete: "username", Required: true, Error: p.errs.Msg("username"),
						OnInput: func(ctx app.Context, e app.Event) { p.username = widget.InputValue(ctx) },
					}.UI(),
					widget.Field{
						ID: "signin-password", Label: i18n.T("signin.password.label"), Type: "password", Value: p.password,
						Autocomplete: "current-password", Required: true, Error: p.errs.Msg("password"),
						OnInput: func(ctx app.Context, e app.Event) { p.password = widget.InputValue(ctx) },
					}.UI(),
					app.Div().Class("form-actions").Body(
						widget.Button{
							ID: "signin-submit", Label: i18n.T("signin.submit"), BusyLabel: i18n.T("signin.submitting"),
							Busy: p.busy,
						}.UI(),
					),
				),
				&passkey.SignIn{OnSignedIn: func(ctx app.Context, resp *api.LoginResponse) { goTo(ctx, PathSettings) }},
				// A plain link: it works in the pre-rendered page too.
				app.P().Class("auth-back").Body(
					app.A().ID("signin-forgot").Href(PathForgotPassword).
						OnClick(func(ctx app.Context, e app.Event) { forgotLogin = p.username }).
						Text(i18n.T("signin.forgot")),
				),
			),
		),
	)
}

// formElement is the sign-in form. In the server's pre-rendered page it
// carries data-early: the page's script then keeps a submit (it shows the
// busy label) until the WASM sends it.
func (p *signIn) formElement() app.HTMLForm {
	f := app.Form().ID("signin-form").Class("form").NoValidate(true).OnSubmit(p.submit)
	if app.IsServer {
		f = f.DataSet("early", "queue").DataSet("busy-label", i18n.T("signin.submitting"))
	}
	return f
}

func (p *signIn) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.send(ctx)
}

// send checks the form and signs in.
func (p *signIn) send(ctx app.Context) {
	if p.busy {
		return
	}
	req := api.LoginRequest{Username: p.username, Password: p.password}
	p.notice = ""
	if p.errs = form.FromValidation(validate.Struct(&req)); !p.errs.Empty() {
		form.FocusLater(ctx, p.errs.First(signInFields, "signin-error"))
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
			p.offline = false
			next := nextPage(resp)
			if next == "" {
				p.errs = form.Problems{Alert: i18n.T("signin.unknown_status", "status", resp.Status)}
				form.FocusLater(ctx, "signin-error")
				return
			}
			p.password = ""
			handoff.method, handoff.hint, handoff.methods = resp.Method, resp.EmailHint, resp.Methods
			handoff.mailFailed, handoff.resendAfter = false, resp.ResendAfter
			if resp.Method == api.MethodEmail && resp.ResendAfter <= 0 {
				handoff.resendAfter = int(emailcode.Cooldown / time.Second)
			}
			goTo(ctx, next)
		})
	})
}

// failed shows why a sign-in failed and moves the focus there.
func (p *signIn) failed(ctx app.Context, err error) {
	switch {
	case apiclient.Is(err, api.CodeInvalidCredentials):
		// One message whatever was wrong (API.md); the password is typed again.
		p.errs = form.Problems{Alert: i18n.T("signin.wrong")}
		p.password = ""
		form.ClearInputs(ctx, "signin-password")
		form.FocusLater(ctx, "signin-password")
		return
	case apiclient.Is(err, api.CodeUnavailable) && apiclient.APIError(err).EmailHint != "":
		// The password was right but the mail with the code failed: the
		// pending sign-in is kept, so the verification page offers a resend.
		p.password = ""
		handoff.method, handoff.hint = api.MethodEmail, apiclient.APIError(err).EmailHint
		handoff.mailFailed, handoff.resendAfter = true, 0
		goTo(ctx, PathVerify+"?method="+api.MethodEmail)
		return
	default:
		p.errs = form.FromError(err, signInFields)
	}
	form.FocusLater(ctx, p.errs.First(signInFields, "signin-error"))
}
