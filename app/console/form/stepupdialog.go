package form

import (
	"context"
	"errors"
	"strings"

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
// elevated, Cancel and the action's button. The method packages set it
// up (totp.Disable, backupcode.Regenerate). ID names its elements:
// <ID>-dialog, -form, -error, -text, -code, -cancel and -submit.
type StepUpDialog struct {
	app.Compo

	Account *api.Account
	// ID names the elements; Title and Text say what the action does.
	ID, Title, Text string
	// Fields are the action's own fields, shown before the step-up's
	// (nil: none).
	Fields app.UI
	// Submit and Submitting label the action's button, idle and busy;
	// Kind is its kind (primary when empty).
	Submit, Submitting, Kind string
	// Send makes the request with the step-up (its code empty when the
	// session is elevated) and returns what to do once it succeeded. It
	// runs outside the UI goroutine.
	Send        func(ctx context.Context, req api.StepUp) (done func(ctx app.Context), err error)
	OnClose     app.EventHandler
	OnSignedOut func(ctx app.Context)

	stepUp StepUp
	// password is asked when 2FA is off and the server wants a step-up
	// (the sign-in's elevation is over).
	password      string
	passwordAsked bool
	busy          bool
	errs          Problems
}

// needsPassword reports whether the dialog asks for the password.
func (c *StepUpDialog) needsPassword() bool {
	return c.passwordAsked && c.Account != nil && !TOTPOn(c.Account.TFA.State)
}

// CompoID makes go-app mount a new dialog, with its own state, when a
// page shows another step-up dialog in place of this one.
func (c *StepUpDialog) CompoID() string { return c.ID }

// id is the id of the dialog's element part.
func (c *StepUpDialog) id(part string) string { return c.ID + "-" + part }

// OnMount opens the dialog, with the focus on the code field when one is
// needed.
func (c *StepUpDialog) OnMount(ctx app.Context) {
	focus := ""
	if c.stepUp.NeedsCode(c.Account) {
		focus = c.id("code")
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
				app.If(c.stepUp.NeedsCode(c.Account) && KeyUsable(c.Account), func() app.UI {
					return app.Div().Class("stepup-passkey").Body(
						widget.Button{
							ID: c.id("passkey"), Label: i18n.T("passkey.use"), BusyLabel: i18n.T("passkey.using"),
							Type: "button", Kind: widget.ButtonSecondary, Busy: c.busy, OnClick: c.useKey,
						}.UI(),
						app.P().Class("hint").Text(i18n.T("passkey.stepup.or")),
					)
				}),
				app.If(c.needsPassword(), func() app.UI {
					return StepUpPasswordField(c.id("password"), c.Account.User.Username, c.password, c.errs.Msg("password"),
						func(ctx app.Context, e app.Event) { c.password = widget.InputValue(ctx) })
				}),
				app.If(c.stepUp.NeedsCode(c.Account), func() app.UI {
					return StepUpCodeField(c.id("code"), c.stepUp.Code, c.errs.Msg("code"),
						func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) })
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

func (c *StepUpDialog) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	var req api.StepUp
	c.errs = Problems{}
	if c.stepUp.NeedsCode(c.Account) {
		req.Code = strings.TrimSpace(c.stepUp.Code)
		if CheckStepUpCode(&c.errs, "code", req.Code); !c.errs.Empty() {
			FocusLater(ctx, c.id("code"))
			return
		}
	}
	if c.needsPassword() {
		if req.Password = c.password; req.Password == "" {
			c.errs.Set("password", "required", i18n.T("stepup.password.needed"))
			FocusLater(ctx, c.id("password"))
			return
		}
	}
	c.busy = true
	send := c.Send
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

// useKey confirms with a security key instead of a code: a challenge of
// this session, the browser's assertion, then the request with it.
func (c *StepUpDialog) useKey(ctx app.Context, e app.Event) {
	if c.busy {
		return
	}
	c.busy, c.errs = true, Problems{}
	send := c.Send
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
// step-up code is an error of the code field.
func (c *StepUpDialog) answer() Answer {
	return Answer{
		Fields: []Field{{Name: "code", InputID: c.id("code")}, {Name: "password", InputID: c.id("password")}}, AlertID: c.id("error"),
		OnSignedOut: c.OnSignedOut,
		Refused: func(ctx app.Context, err error) bool {
			if c.Account != nil && !TOTPOn(c.Account.TFA.State) {
				switch {
				case apiclient.Is(err, api.CodeStepUpRequired):
					c.passwordAsked, c.errs = true, Problems{}
					c.errs.Set("password", api.CodeStepUpRequired, i18n.T("stepup.password.needed"))
				case apiclient.Is(err, api.CodeInvalidCredentials) && c.passwordAsked:
					c.password, c.errs = "", Problems{}
					ClearInputs(ctx, c.id("password"))
					c.errs.Set("password", api.CodeInvalidCredentials, i18n.T("stepup.password.wrong"))
				default:
					return false
				}
				FocusLater(ctx, c.id("password"))
				return true
			}
			return StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", c.id("code"))
		},
	}
}
