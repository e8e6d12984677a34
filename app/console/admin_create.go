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
//
// Like the backup codes' dialog, the password cannot be lost by accident:
// once it is shown, the dialog closes at once only after Copy or with "I
// have saved the password". Before that, Escape, × and the link to the
// user's page ask first, below the password, which stays readable; the
// browser asks before leaving the page.
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
	// saved: the password was copied (or there is none to show).
	saved bool
	// asking: Escape, × or the user's page came before the password was
	// saved; the dialog asks whether to close. leaveTo is the page to
	// open once answered ("" closes the dialog).
	asking  bool
	leaveTo string
	// ctx is the component's own context (the focus moves after updates
	// that remove the button clicked).
	ctx app.Context
	// stopAsking removes the question the browser asks before leaving the
	// page while the password is not saved.
	stopAsking func()
}

// OnMount opens the dialog on its first field.
func (c *adminCreate) OnMount(ctx app.Context) {
	c.ctx = ctx
	c.stopAsking = browser.OnBeforeUnload(func() bool { return c.created != nil && !c.saved })
	widget.ShowModal(ctx, "create-dialog", "create-username")
}

// OnDismount stops asking before leaving the page.
func (c *adminCreate) OnDismount() {
	if c.stopAsking != nil {
		c.stopAsking()
		c.stopAsking = nil
	}
}

// close is Escape and ×: before the user is made, or once the password
// was saved, it closes; otherwise it asks first (and goes on asking: only
// an answer closes).
func (c *adminCreate) close(ctx app.Context, e app.Event) {
	if c.created == nil || c.saved {
		c.OnClose(ctx, e)
		return
	}
	c.leaveTo = ""
	c.ask()
}

// openUser is the link to the new user's page: it asks first while the
// password is not saved.
func (c *adminCreate) openUser(ctx app.Context, e app.Event) {
	if c.saved {
		return
	}
	// go-app opens links from the window's click handler, which does not
	// look at defaultPrevented: the click stops here.
	e.PreventDefault()
	e.Call("stopPropagation")
	c.leaveTo = adminUserPath(c.created.User.ID)
	c.ask()
}

func (c *adminCreate) ask() {
	c.asking = true
	c.ctx.Defer(func(app.Context) { focusElement("create-keep") })
}

// keep answers the question: back to the password, which is to be saved.
func (c *adminCreate) keep(ctx app.Context, e app.Event) {
	c.asking, c.leaveTo = false, ""
	c.ctx.Defer(func(app.Context) { focusElement("create-copy") })
}

// confirmed answers the question: the password is saved; the dialog
// closes, or the user's page opens.
func (c *adminCreate) confirmed(ctx app.Context, e app.Event) {
	c.saved, c.asking = true, false
	if c.leaveTo != "" {
		ctx.Navigate(c.leaveTo)
		return
	}
	c.OnClose(ctx, e)
}

// focusElement moves the focus to the element id, if it is there.
func focusElement(id string) {
	if el := app.Window().GetElementByID(id); el.Truthy() {
		el.Call("focus")
	}
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
		CloseLabel: i18n.T("dialog.close"), OnClose: c.close,
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
			c.renderDoneActions(res),
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

// renderDoneActions is the footer once the user is made: the link to their
// page and the closing button or, while the dialog asks, the question
// with its two answers.
func (c *adminCreate) renderDoneActions(res *api.AdminUserCreated) app.UI {
	if c.asking {
		return app.Div().ID("create-confirm").Class("dialog-actions dialog-confirm").
			Role("group").Aria("labelledby", "create-confirm-text").Body(
			app.P().ID("create-confirm-text").Class("confirm-text").Role("alert").Text(i18n.T("admin.create.confirm.text")),
			app.Div().Class("form-actions").Body(
				widget.Button{ID: "create-keep", Label: i18n.T("admin.create.confirm.keep"), Type: "button",
					Kind: widget.ButtonSecondary, OnClick: c.keep}.UI(),
				widget.Button{ID: "create-confirm-close", Label: i18n.T("admin.create.confirm.close"), Type: "button",
					OnClick: c.confirmed}.UI(),
			),
		)
	}
	done := i18n.T("admin.create.close")
	if res.Password != "" {
		done = i18n.T("admin.create.saved")
	}
	return app.Div().Class("form-actions dialog-actions").Body(
		app.A().ID("create-open").Class("btn btn-secondary").Href(adminUserPath(res.User.ID)).
			OnClick(c.openUser).Text(i18n.T("admin.create.open_user")),
		widget.Button{ID: "create-close", Label: done, Type: "button", OnClick: c.confirmed}.UI(),
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
			c.saved = res.Password == ""
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
			c.copyMsg, c.saved, c.asking, c.leaveTo = i18n.T("admin.create.copied"), true, false, ""
		})
	})
}
