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

// forgotFields are the forgotten-password form's fields.
var forgotFields = []form.Field{{Name: "login", InputID: "forgot-login"}}

// forgotLogin carries the username typed on the sign-in page to the
// forgotten-password page ("Forgot password?"), in this page's memory
// only.
var forgotLogin string

// forgotPage asks for a password-reset mail ("/forgot-password"): the
// username or the email address, then one confirmation whatever the
// account (API.md, "Password reset": the answer never tells whether an
// account exists or has an email). Like the sign-in form, the server's
// pre-rendered form is usable before the WASM runs.
type forgotPage struct {
	app.Compo

	mounted bool
	// ctx is the page's own context: the focus moves after the form
	// that sent the request is gone.
	ctx   app.Context
	early form.Early
	login string
	busy  bool
	sent  bool
	errs  form.Problems
}

func newForgot() *forgotPage { return &forgotPage{} }

// OnInit takes over the pre-rendered form, or the username the sign-in
// page had.
func (p *forgotPage) OnInit() {
	p.early = form.TakeEarly("forgot-form", "forgot-login")
	p.login = p.early.Values["forgot-login"]
	if p.login == "" {
		p.login = forgotLogin
	}
	forgotLogin = ""
}

// OnMount gives the focus back and sends a request made before the WASM
// ran.
func (p *forgotPage) OnMount(ctx app.Context) {
	p.mounted, p.ctx = true, ctx
	p.early.Restore()
	if p.early.Submitted {
		p.early.Submitted = false
		p.send(ctx)
	}
}

func (p *forgotPage) OnNav(ctx app.Context) {
	setTitle(ctx, "forgot.page_title")
	if app.IsServer {
		return
	}
	takeArrival(ctx, "forgot-title")
}

func (p *forgotPage) Render() app.UI {
	var body app.UI
	if p.sent {
		body = app.Div().ID("forgot-sent").Body(
			widget.Alert{ID: "forgot-sent-text", Kind: widget.AlertSuccess, Text: i18n.T("forgot.sent"),
				Detail: i18n.T("forgot.sent_detail", "minutes", form.Itoa(int(api.PasswordResetTTL.Minutes())))}.UI(),
			app.P().Class("muted").Text(i18n.T("forgot.no_email")),
		)
	} else {
		body = p.formElement().Body(
			widget.Alert{ID: "forgot-error", Text: p.errs.Alert}.UI(),
			widget.Field{
				ID: "forgot-login", Label: i18n.T("forgot.login.label"), Value: p.login,
				Autocomplete: "username", Required: true, Error: p.errs.Msg("login"),
				Hint:    i18n.T("forgot.login.hint"),
				OnInput: func(ctx app.Context, e app.Event) { p.login = widget.InputValue(ctx) },
			}.UI(),
			app.Div().Class("form-actions").Body(
				widget.Button{
					ID: "forgot-submit", Label: i18n.T("forgot.submit"), BusyLabel: i18n.T("forgot.submitting"),
					Busy: p.busy,
				}.UI(),
			),
		)
	}
	return frame{ID: "forgot-page", Mounted: p.mounted}.UI(
		app.Div().Class("auth").Body(
			app.Div().Class("card auth-card").Body(
				app.H1().ID("forgot-title").Class("card-title").TabIndex(-1).Text(i18n.T("forgot.title")),
				app.P().Class("muted").Text(i18n.T("forgot.intro")),
				body,
				app.P().Class("auth-back").Body(
					app.A().ID("forgot-back").Href(PathSignIn).Text(i18n.T("forgot.back")),
				),
			),
		),
	)
}

// formElement is the form; in the server's pre-rendered page it carries
// data-early, so a submit made before the WASM runs is kept and sent.
func (p *forgotPage) formElement() app.HTMLForm {
	f := app.Form().ID("forgot-form").Class("form").NoValidate(true).OnSubmit(p.submit)
	if app.IsServer {
		f = f.DataSet("early", "queue").DataSet("busy-label", i18n.T("forgot.submitting"))
	}
	return f
}

func (p *forgotPage) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.send(ctx)
}

// send checks the login and asks for the mail. Every accepted request
// shows the same confirmation.
func (p *forgotPage) send(ctx app.Context) {
	if p.busy {
		return
	}
	req := api.PasswordResetRequest{Login: strings.TrimSpace(p.login)}
	if p.errs = form.FromValidation(validate.Struct(&req)); !p.errs.Empty() {
		form.FocusLater(ctx, p.errs.First(forgotFields, "forgot-error"))
		return
	}
	p.busy = true
	ctx.Async(func() {
		err := apiclient.RequestPasswordReset(ctx, req.Login)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err != nil {
				p.errs = form.FromError(err, forgotFields)
				form.FocusLater(ctx, p.errs.First(forgotFields, "forgot-error"))
				return
			}
			p.sent = true
			form.FocusLater(p.ctx, "forgot-sent-text")
		})
	})
}
