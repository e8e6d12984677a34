package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// createFields are the New user form's fields, in order.
var createFields = []form.Field{
	{Name: "username", InputID: "create-username"},
	{Name: "email", InputID: "create-email"},
	{Name: "reason", InputID: "create-reason"},
	{Name: "code", InputID: "create-code"},
	{Name: "current_password", InputID: "create-password"},
}

// adminCreate is the New user dialog ("create-dialog"): username, email
// (optional), administrator or not, an optional reason and the
// administrator's step-up. The server makes the password; the dialog
// shows it once, with a copy button.
type adminCreate struct {
	app.Compo

	Account   *api.Account
	OnClose   app.EventHandler
	OnCreated func(ctx app.Context, u *api.AdminUser)

	username, email, reason, password string
	admin                             bool
	stepUp                            form.StepUp
	passwordAsked                     bool
	busy                              bool
	errs                              form.Problems
	// created is the answer: the new user and the password shown once.
	created *api.AdminUserCreated
	copyMsg string
}

// OnMount opens the dialog on its first field.
func (c *adminCreate) OnMount(ctx app.Context) {
	widget.ShowModal(ctx, "create-dialog", "create-username")
}

// needsPassword: the step-up is the administrator's password (TOTP off,
// not elevated, or the server asked).
func (c *adminCreate) needsPassword() bool {
	if form.TOTPOn(c.Account.TFA.State) {
		return false
	}
	return c.passwordAsked || !form.Elevated(c.Account, apiclient.ServerNow())
}

func (c *adminCreate) Render() app.UI {
	return widget.Dialog{
		ID: "create-dialog", Title: i18n.T("admin.create.title"), DescribedBy: "create-text",
		CloseLabel: i18n.T("dialog.close"), OnClose: c.OnClose,
		Body: []app.UI{c.renderBody()},
	}.UI()
}

func (c *adminCreate) renderBody() app.UI {
	if res := c.created; res != nil {
		return app.Div().ID("create-done").Class("form").Body(
			app.P().ID("create-text").Role("status").Text(i18n.T("admin.create.done", "username", res.User.Username)),
			app.If(res.Password != "", func() app.UI {
				return app.Div().Class("field").Body(
					app.P().ID("create-password-label").Class("label").Text(i18n.T("admin.create.password_label")),
					app.Code().ID("create-new-password").Class("secret").Aria("labelledby", "create-password-label").Text(res.Password),
					app.P().ID("create-password-hint").Class("hint").Text(i18n.T("admin.create.password_once")),
					app.Div().Class("codes-tools").Body(
						widget.Button{ID: "create-copy", Label: i18n.T("admin.create.copy"), Type: "button",
							Kind: widget.ButtonSecondary, Small: true, OnClick: c.copy}.UI(),
						app.P().ID("create-copy-status").Class("hint").Role("status").Aria("live", "polite").Text(c.copyMsg),
					),
				)
			}),
			app.Div().Class("form-actions dialog-actions").Body(
				app.A().ID("create-open").Class("btn btn-secondary").Href(adminUserPath(res.User.ID)).
					Text(i18n.T("admin.create.open_user")),
				widget.Button{ID: "create-close", Label: i18n.T("admin.create.close"), Type: "button", OnClick: c.OnClose}.UI(),
			),
		)
	}
	return app.Form().ID("create-form").Class("form").NoValidate(true).OnSubmit(c.submit).Body(
		widget.Alert{ID: "create-error", Text: c.errs.Alert}.UI(),
		app.P().ID("create-text").Text(i18n.T("admin.create.text")),
		widget.Field{ID: "create-username", Label: i18n.T("admin.create.username"), Value: c.username,
			Autocomplete: "off", Required: true, Error: c.errs.Msg("username"), Code: true,
			OnInput: func(ctx app.Context, e app.Event) { c.username = widget.InputValue(ctx) }}.UI(),
		widget.Field{ID: "create-email", Label: i18n.T("admin.create.email"), Type: "email", Value: c.email,
			Autocomplete: "off", Hint: i18n.T("admin.create.email_hint"), Error: c.errs.Msg("email"),
			OnInput: func(ctx app.Context, e app.Event) { c.email = widget.InputValue(ctx) }}.UI(),
		widget.Checkbox{ID: "create-admin", Label: i18n.T("admin.create.admin"), Checked: c.admin,
			OnChange: func(ctx app.Context, e app.Event) { c.admin = widget.CheckedValue(ctx) }}.UI(),
		form.ReasonField("create-reason", c.reason, c.errs.Msg("reason"),
			func(ctx app.Context, e app.Event) { c.reason = widget.InputValue(ctx) }),
		app.If(c.stepUp.NeedsCode(c.Account), func() app.UI {
			return form.StepUpCodeField("create-code", c.stepUp.Code, c.errs.Msg("code"),
				func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) })
		}),
		app.If(c.needsPassword(), func() app.UI {
			return form.StepUpPasswordField("create-password", c.Account.User.Username, c.password,
				c.errs.Msg("current_password"), func(ctx app.Context, e app.Event) { c.password = widget.InputValue(ctx) })
		}),
		app.Div().Class("form-actions dialog-actions").Body(
			widget.Button{ID: "create-cancel", Label: i18n.T("dialog.cancel"), Type: "button",
				Kind: widget.ButtonSecondary, OnClick: c.OnClose}.UI(),
			widget.Button{ID: "create-submit", Label: i18n.T("admin.create.submit"),
				BusyLabel: i18n.T("admin.create.submitting"), Busy: c.busy}.UI(),
		),
	)
}

func (c *adminCreate) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	req := api.AdminUserCreate{
		Username: strings.TrimSpace(c.username), Email: strings.TrimSpace(c.email), IsAdmin: c.admin,
		Reason: api.Reason{Reason: strings.TrimSpace(c.reason)},
	}
	askCode, askPassword := c.stepUp.NeedsCode(c.Account), c.needsPassword()
	if askCode {
		req.Code = strings.TrimSpace(c.stepUp.Code)
	}
	if askPassword {
		req.CurrentPassword = c.password
	}
	c.errs = form.FromValidation(validate.Struct(&req))
	if askCode {
		form.CheckStepUpCode(&c.errs, "code", req.Code)
	}
	if askPassword && c.password == "" {
		c.errs.SetRule("current_password", "required")
	}
	if !c.errs.Empty() {
		form.FocusLater(ctx, c.errs.First(createFields, "create-error"))
		return
	}
	c.busy = true
	ctx.Async(func() {
		res, err := apiclient.AdminCreateUser(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if err != nil {
				c.failed(ctx, err)
				return
			}
			c.created, c.password, c.stepUp = res, "", form.StepUp{}
			form.FocusLater(ctx, "create-text")
			if c.OnCreated != nil {
				c.OnCreated(ctx, &res.User)
			}
		})
	})
}

// failed shows why the user was not made: a taken name, the step-up, the
// fields' rules.
func (c *adminCreate) failed(ctx app.Context, err error) {
	form.Answer{
		Fields: createFields, AlertID: "create-error", OnSignedOut: sessionExpired,
		Refused: func(ctx app.Context, err error) bool {
			switch {
			case apiclient.Is(err, api.CodeConflict):
				c.errs = form.Problems{}
				c.errs.Set("username", api.CodeConflict, i18n.T("admin.create.taken"))
			case apiclient.Is(err, api.CodeForbidden):
				c.errs = form.Problems{Alert: i18n.T("admin.error.forbidden")}
			case form.TOTPOn(c.Account.TFA.State):
				return form.StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", "create-code")
			case apiclient.Is(err, api.CodeStepUpRequired):
				c.passwordAsked = true
				c.errs = form.Problems{}
				c.errs.Set("current_password", api.CodeStepUpRequired, i18n.T("stepup.password.needed"))
			case apiclient.Is(err, api.CodeInvalidCredentials):
				c.passwordAsked, c.password = true, ""
				form.ClearInputs(ctx, "create-password")
				c.errs = form.Problems{}
				c.errs.Set("current_password", api.CodeInvalidCredentials, i18n.T("stepup.password.wrong"))
			default:
				return false
			}
			return true
		},
	}.Failed(ctx, err, &c.errs)
}

// copy puts the new password on the clipboard.
func (c *adminCreate) copy(ctx app.Context, e app.Event) {
	pw := c.created.Password
	c.copyMsg = ""
	ctx.Async(func() {
		err := browser.CopyText(pw)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				c.copyMsg = i18n.T("admin.create.copy_failed")
				return
			}
			c.copyMsg = i18n.T("admin.create.copied")
		})
	})
}
