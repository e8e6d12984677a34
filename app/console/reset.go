package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// PathForgotPassword is the page that asks for a password-reset mail.
const PathForgotPassword = "/forgot-password"

// resetFields are the new-password form's fields, in order;
// "confirm_password" is the page's own (it is not sent).
var resetFields = []form.Field{
	{Name: "new_password", InputID: "reset-new"},
	{Name: "confirm_password", InputID: "reset-confirm"},
}

// resetPage is the page of a mailed reset link
// (api.PageResetPassword, PUBLIC_URL/reset-password#<token>): the new
// password, twice. The token comes from the address's fragment, which
// never reaches the server in a URL; the page takes it out of the address
// bar at once and keeps it in memory only (never in storage). Once the
// password is set the browser goes to the sign-in page, where the second
// factor is asked as before.
type resetPage struct {
	app.Compo

	mounted bool
	// ctx is the page's own context: the focus moves after the form
	// that sent the request is gone.
	ctx   app.Context
	early form.Early
	// token is the link's token ("" when the address had none).
	token   string
	next    string
	confirm string
	busy    bool
	// dead: the server refused the token (unknown, used or expired).
	dead bool
	errs form.Problems
}

func newReset() *resetPage { return &resetPage{} }

// OnInit reads the token (before the first render, so a submit made
// before the WASM ran can be sent) and takes over the pre-rendered form.
func (p *resetPage) OnInit() {
	if app.IsServer {
		return
	}
	p.token = browser.TakeFragment()
	p.early = form.TakeEarly("reset-form", "reset-new", "reset-confirm")
	p.next, p.confirm = p.early.Values["reset-new"], p.early.Values["reset-confirm"]
}

// OnMount gives the focus back and sends a submit made before the WASM
// ran.
func (p *resetPage) OnMount(ctx app.Context) {
	p.mounted, p.ctx = true, ctx
	p.early.Restore()
	if p.early.Submitted {
		p.early.Submitted = false
		p.send(ctx)
	}
}

// OnNav takes a token of a link opened while the page was shown (another
// link from the mail in the same tab).
func (p *resetPage) OnNav(ctx app.Context) {
	setTitle(ctx, "reset.page_title")
	if app.IsServer {
		return
	}
	if t := browser.TakeFragment(); t != "" {
		p.token, p.dead, p.errs = t, false, form.Problems{}
	}
	takeArrival(ctx, "reset-title")
}

// linkOK reports whether the page has a token worth sending.
func (p *resetPage) linkOK() bool {
	return app.IsServer || (p.token != "" && !p.dead)
}

func (p *resetPage) Render() app.UI {
	var body app.UI
	switch {
	case p.dead:
		body = p.renderAgain("reset-invalid", widget.AlertError, i18n.T("reset.invalid"))
	case !p.linkOK():
		body = p.renderAgain("reset-missing", widget.AlertInfo, i18n.T("reset.missing"))
	default:
		body = p.renderForm()
	}
	return frame{ID: "reset-page", Mounted: p.mounted}.UI(
		app.Div().Class("auth").Body(
			app.Div().Class("card auth-card").Body(
				app.H1().ID("reset-title").Class("card-title").TabIndex(-1).Text(i18n.T("reset.title")),
				body,
				app.P().Class("auth-back").Body(
					app.A().ID("reset-back").Href(PathSignIn).Text(i18n.T("forgot.back")),
				),
			),
		),
	)
}

// renderAgain says why the link cannot be used and offers a new one.
func (p *resetPage) renderAgain(id, kind, text string) app.UI {
	return app.Div().Body(
		widget.Alert{ID: id, Kind: kind, Text: text,
			Detail: i18n.T("reset.again_detail", "minutes", form.Itoa(int(api.PasswordResetTTL.Minutes())))}.UI(),
		app.P().Body(
			app.A().ID("reset-again").Href(PathForgotPassword).Text(i18n.T("reset.again")),
		),
	)
}

func (p *resetPage) renderForm() app.UI {
	f := app.Form().ID("reset-form").Class("form").NoValidate(true).OnSubmit(p.submit)
	if app.IsServer {
		f = f.DataSet("early", "queue").DataSet("busy-label", i18n.T("reset.submitting"))
	}
	return f.Body(
		app.P().ID("reset-intro").Class("muted").Text(i18n.T("reset.intro")),
		widget.Alert{ID: "reset-error", Text: p.errs.Alert}.UI(),
		widget.Field{
			ID: "reset-new", Label: i18n.T("password.new.label"), Type: "password", Value: p.next,
			Autocomplete: "new-password", Required: true, Error: p.errs.Msg("new_password"),
			Hint:    i18n.T("password.new.hint", "min", form.Itoa(validate.MinPasswordLen)),
			OnInput: func(ctx app.Context, e app.Event) { p.next = widget.InputValue(ctx) },
		}.UI(),
		widget.Field{
			ID: "reset-confirm", Label: i18n.T("password.confirm.label"), Type: "password", Value: p.confirm,
			Autocomplete: "new-password", Required: true, Error: p.errs.Msg("confirm_password"),
			OnInput: func(ctx app.Context, e app.Event) { p.confirm = widget.InputValue(ctx) },
		}.UI(),
		app.Div().Class("form-actions").Body(
			widget.Button{
				ID: "reset-submit", Label: i18n.T("reset.submit"), BusyLabel: i18n.T("reset.submitting"),
				Busy: p.busy,
			}.UI(),
		),
	)
}

func (p *resetPage) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.send(ctx)
}

// send checks the two passwords with the shared rules, then sets the new
// password with the link's token.
func (p *resetPage) send(ctx app.Context) {
	if p.busy || !p.linkOK() {
		return
	}
	req := api.PasswordResetConfirm{Token: p.token, NewPassword: p.next}
	if vp := validate.Struct(&req); !vp.Empty() {
		if _, bad := vp.Fields["token"]; bad {
			// A token no link of ours holds: the link is broken.
			p.dead = true
			form.FocusLater(p.ctx, "reset-invalid")
			return
		}
	}
	p.errs = form.Problems{}
	// The username is not known here: the server checks that rule.
	if rule := validate.NewPassword("", p.next); rule != "" && rule != validate.RuleNotUsername {
		p.errs.SetRule("new_password", rule)
	}
	switch {
	case p.confirm == "":
		p.errs.SetRule("confirm_password", "required")
	case p.confirm != p.next:
		p.errs.SetRule("confirm_password", "eqfield")
	}
	if !p.errs.Empty() {
		form.FocusLater(ctx, p.errs.First(resetFields, "reset-error"))
		return
	}
	p.busy = true
	ctx.Async(func() {
		err := apiclient.ConfirmPasswordReset(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			switch {
			case err == nil:
				p.token, p.next, p.confirm = "", "", ""
				leave(ctx, i18n.T("reset.done"))
			case apiclient.Is(err, api.CodeInvalidCode):
				p.dead, p.next, p.confirm = true, "", ""
				form.FocusLater(p.ctx, "reset-invalid")
			default:
				p.errs = form.FromError(err, resetFields)
				form.FocusLater(ctx, p.errs.First(resetFields, "reset-error"))
			}
		})
	})
}
