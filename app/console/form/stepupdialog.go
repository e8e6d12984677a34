package form

import (
	"context"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/passkey"
)

// StepUpDialog confirms an action that is a step-up (API.md, "Step-up"):
// a modal dialog with a text, the 2FA code field unless the session is
// elevated (the current password while TOTP is off), Cancel and the
// action's button. The method packages set it up (totp.Disable,
// backupcode.Regenerate), and so do the devices tab and the
// administrators' pages. ID names its elements: <ID>-dialog, -form,
// -error, -text, -reason, -code, -password, -cancel and -submit.
type StepUpDialog struct {
	app.Compo

	Account *api.Account
	// ID names the elements; Title and Text say what the action does.
	ID, Title, Text string
	// Submit and Submitting label the action's button, idle and busy;
	// Kind is its kind (primary when empty).
	Submit, Submitting, Kind string
	// Fields are the action's own fields, shown before the step-up's
	// (nil: none).
	Fields app.UI
	// Send makes the request with the step-up (its code empty when the
	// session is elevated) and returns what to do once it succeeded. It
	// runs outside the UI goroutine.
	Send func(ctx context.Context, req api.StepUp) (done func(ctx app.Context), err error)
	// Reason adds the optional reason field of an administrator's action
	// (<ID>-reason, at most api.MaxReasonLen characters); then
	// SendConfirmed makes the request instead of Send.
	Reason        bool
	SendConfirmed func(ctx context.Context, c Confirmed) (done func(ctx app.Context), err error)
	// Explain words the errors the owner knows better (a conflict), or
	// returns "" to leave them to the dialog. It may be nil.
	Explain     func(err error) string
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)

	stepUp   StepUp
	password string
	// passwordAsked: the server answered step_up_required while TOTP is
	// off.
	passwordAsked bool
	reason        string
	busy          bool
	errs          Problems
}

// Confirmed is what a StepUpDialog with a reason sends.
type Confirmed struct {
	StepUp api.StepUp
	Reason string
}

// CompoID makes go-app mount a new dialog, with its own state, when a
// page shows another step-up dialog in place of this one.
func (c *StepUpDialog) CompoID() string { return c.ID }

// id is the id of the dialog's element part.
func (c *StepUpDialog) id(part string) string { return c.ID + "-" + part }

// needsPassword reports whether the dialog asks for the current password:
// TOTP is off and the session is not elevated, or the server said so.
func (c *StepUpDialog) needsPassword() bool {
	if c.Account == nil || TOTPOn(c.Account.TFA.State) {
		return false
	}
	return c.passwordAsked || !Elevated(c.Account, apiclient.ServerNow())
}

// OnMount opens the dialog, with the focus on its first field.
func (c *StepUpDialog) OnMount(ctx app.Context) {
	focus := ""
	switch {
	case c.Reason:
		focus = c.id("reason")
	case c.stepUp.NeedsCode(c.Account):
		focus = c.id("code")
	case c.needsPassword():
		focus = c.id("password")
	}
	widget.ShowModal(ctx, c.id("dialog"), focus)
}

func (c *StepUpDialog) Render() app.UI {
	return widget.Dialog{
		ID: c.id("dialog"), Title: c.Title, DescribedBy: c.id("text"),
		CloseLabel: i18n.T("dialog.close"), OnClose: c.OnClose,
		Body: []app.UI{
			app.Form().ID(c.id("form")).Class("form").NoValidate(true).OnSubmit(c.submit).Body(
				widget.Alert{ID: c.id("error"), Text: c.errs.Alert}.UI(),
				app.P().ID(c.id("text")).Text(c.Text),
				app.If(c.Fields != nil, func() app.UI { return c.Fields }),
				app.If(c.Reason, func() app.UI {
					return ReasonField(c.id("reason"), c.reason, c.errs.Msg("reason"),
						func(ctx app.Context, e app.Event) { c.reason = widget.InputValue(ctx) })
				}),
				app.If(c.stepUp.NeedsCode(c.Account) && KeyUsable(c.Account), func() app.UI {
					return app.Div().Class("stepup-passkey").Body(
						widget.Button{
							ID: c.id("passkey"), Label: i18n.T("passkey.use"), BusyLabel: i18n.T("passkey.using"),
							Type: "button", Kind: widget.ButtonSecondary, Busy: c.busy, OnClick: c.useKey,
						}.UI(),
						app.P().Class("hint").Text(i18n.T("passkey.stepup.or")),
					)
				}),
				app.If(c.stepUp.NeedsCode(c.Account), func() app.UI {
					return StepUpCodeField(c.id("code"), c.stepUp.Code, c.errs.Msg("code"),
						func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) })
				}),
				app.If(c.needsPassword(), func() app.UI {
					return StepUpPasswordField(c.id("password"), c.Account.User.Username, c.password,
						c.errs.Msg("password"), func(ctx app.Context, e app.Event) { c.password = widget.InputValue(ctx) })
				}),
				app.Div().Class("form-actions dialog-actions").Body(
					widget.Button{
						ID: c.id("cancel"), Label: i18n.T("dialog.cancel"), Type: "button",
						Kind: widget.ButtonSecondary, OnClick: c.OnClose,
					}.UI(),
					widget.Button{
						ID: c.id("submit"), Label: c.Submit, BusyLabel: c.Submitting,
						Kind: c.Kind, Busy: c.busy,
					}.UI(),
				),
			),
		},
	}.UI()
}

// ReasonField is the optional "Reason" of an administrator's action: a
// text area, recorded with the event and told to the user.
func ReasonField(id, value, errMsg string, onInput app.EventHandler) app.UI {
	return app.Div().Class("field").Body(
		app.Label().For(id).Class("label").Text(i18n.T("admin.reason.label")),
		app.Textarea().ID(id).Class("input textarea").Rows(2).MaxLength(api.MaxReasonLen).
			Aria("invalid", errMsg != "").Attr("aria-describedby", widget.HintID(id)+" "+widget.ErrorID(id)).
			OnInput(onInput).Text(value),
		app.P().ID(widget.HintID(id)).Class("hint").Text(i18n.T("admin.reason.hint")),
		app.P().ID(widget.ErrorID(id)).Class("field-error").Role("alert").Aria("live", "assertive").Text(errMsg),
	)
}

// fields are the dialog's fields in order, for the focus.
func (c *StepUpDialog) fields() []Field {
	return []Field{
		{Name: "reason", InputID: c.id("reason")},
		{Name: "code", InputID: c.id("code")},
		{Name: "password", InputID: c.id("password")},
	}
}

func (c *StepUpDialog) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	var req api.StepUp
	c.errs = Problems{}
	reason := strings.TrimSpace(c.reason)
	if c.Reason && utf8.RuneCountInString(reason) > api.MaxReasonLen {
		c.errs.SetRule("reason", "max="+Itoa(api.MaxReasonLen))
	}
	if c.stepUp.NeedsCode(c.Account) {
		req.Code = strings.TrimSpace(c.stepUp.Code)
		CheckStepUpCode(&c.errs, "code", req.Code)
	}
	if c.needsPassword() {
		req.Password = c.password
		if req.Password == "" {
			c.errs.SetRule("password", "required")
		}
	}
	if !c.errs.Empty() {
		FocusLater(ctx, c.errs.First(c.fields(), c.id("error")))
		return
	}
	c.busy = true
	send := c.sender(reason)
	ctx.Async(func() {
		done, err := send(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			if alert := KeyAlert(err); alert != "" {
				c.errs = Problems{Alert: alert}
				FocusLater(ctx, c.id("error"))
				return
			}
			if err != nil {
				c.answer().Failed(ctx, err, &c.errs)
				return
			}
			done(ctx)
		})
	})
}

// sender is the request the dialog makes: Send, or SendConfirmed with the
// reason.
func (c *StepUpDialog) sender(reason string) func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
	if c.SendConfirmed == nil {
		return c.Send
	}
	return func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
		return c.SendConfirmed(ctx, Confirmed{StepUp: req, Reason: reason})
	}
}

// useKey confirms with a security key instead of a code: a challenge of
// this session, the browser's assertion, then the request with it.
func (c *StepUpDialog) useKey(ctx app.Context, e app.Event) {
	if c.busy {
		return
	}
	reason := strings.TrimSpace(c.reason)
	if c.Reason && utf8.RuneCountInString(reason) > api.MaxReasonLen {
		c.errs = Problems{}
		c.errs.SetRule("reason", "max="+Itoa(api.MaxReasonLen))
		FocusLater(ctx, c.id("reason"))
		return
	}
	c.busy, c.errs = true, Problems{}
	send := c.sender(reason)
	ctx.Async(func() {
		var done func(app.Context)
		opts, err := apiclient.PasskeyChallenge(ctx)
		var a *passkey.Assertion
		if err == nil {
			a, err = browser.GetKey(*opts)
		}
		if err == nil {
			done, err = send(ctx, api.StepUp{Passkey: a})
		}
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			switch {
			case err == nil:
				done(ctx)
			case KeyAlert(err) != "":
				c.errs = Problems{Alert: KeyAlert(err)}
				FocusLater(ctx, c.id("error"))
			default:
				c.answer().Failed(ctx, err, &c.errs)
			}
		})
	})
}

// KeyUsable reports whether acc can confirm with a security key here.
func KeyUsable(acc *api.Account) bool {
	return acc != nil && acc.TFA.Passkeys > 0 && acc.PasskeysAvailable && browser.WebAuthn()
}

// KeyAlert is the message of a browser's failed security-key call, or ""
// for an error of the server.
func KeyAlert(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, browser.ErrKeyCancelled):
		return i18n.T("passkey.cancelled")
	case errors.Is(err, browser.ErrKeyFailed):
		return i18n.T("passkey.failed")
	case errors.Is(err, browser.ErrNoWebAuthn):
		return i18n.T("passkey.unsupported")
	}
	return ""
}

// answer is how the dialog shows a failed request: a wrong or missing
// step-up code or password is an error of its field.
func (c *StepUpDialog) answer() Answer {
	return Answer{
		Fields: c.fields(), AlertID: c.id("error"),
		OnSignedOut: c.OnSignedOut,
		Refused: func(ctx app.Context, err error) bool {
			if c.Explain != nil {
				if text := c.Explain(err); text != "" {
					c.errs = Problems{Alert: text}
					return true
				}
			}
			if c.Account != nil && !TOTPOn(c.Account.TFA.State) {
				return c.passwordRefused(ctx, err)
			}
			return StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", c.id("code"))
		},
	}
}

// passwordRefused handles the step-up answers while TOTP is off: the
// password is asked, or typed again.
func (c *StepUpDialog) passwordRefused(ctx app.Context, err error) bool {
	c.errs = Problems{}
	switch {
	case apiclient.Is(err, api.CodeStepUpRequired):
		c.passwordAsked = true
		c.errs.Set("password", api.CodeStepUpRequired, i18n.T("stepup.password.needed"))
	case apiclient.Is(err, api.CodeInvalidCredentials):
		c.passwordAsked, c.password = true, ""
		ClearInputs(ctx, c.id("password"))
		c.errs.Set("password", api.CodeInvalidCredentials, i18n.T("stepup.password.wrong"))
	default:
		return false
	}
	return true
}
