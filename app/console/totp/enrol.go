package totp

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

// EnrolDialogID is the id of the enrolment dialog.
const EnrolDialogID = "enrol-dialog"

// codeFields are the fields of the enabling step: the code of the new
// secret.
var codeFields = []form.Field{{Name: "code", InputID: "totp-code"}}

// The step-up fields: a code of the current secret when renewing, the
// current password when a first enrolment needs one (API.md, step-up:
// the server asks for it when the sign-in is older than 5 minutes).
const (
	stepUpCodeID     = "enrol-stepup-code"
	stepUpPasswordID = "enrol-stepup-password"
)

// phase is where the enrolment is.
type phase int

const (
	phaseLoading phase = iota // POST setup in flight
	phaseStepUp               // renewing: a code of the current secret first; enabling: the password when asked
	phaseScan                 // QR code, key and the confirming code
	phaseFailed               // setup failed or expired: start again
)

// Enrol sets up TOTP as the seed shows it: it asks the server for a new
// secret (after a step-up: a code when renewing and not elevated, the
// current password when the server asks for it on a first enrolment),
// shows the way to add it to an app (a link that opens an authenticator
// app on this device, the key with a copy button, the QR code) and
// enables the secret with a code of it. It is a modal dialog (settings:
// Enable 2FA, Renew 2FA) or, Inline, part of the enrolment page.
//
// Everything happens in one <form> element, whatever the phase: a handler
// whose element the update removes would lose its ctx.Dispatch.
type Enrol struct {
	app.Compo

	// Account decides between enabling and renewing, and whether renewing
	// needs a code first.
	Account *api.Account
	// Inline renders the steps in the page instead of a dialog.
	Inline bool
	// CancelLabel names the cancel button (default "Cancel").
	CancelLabel string
	// OnEnabled receives the new backup codes and the account.
	OnEnabled func(ctx app.Context, res *api.TOTPEnabled)
	// OnCancel is Escape, × and the cancel button.
	OnCancel app.EventHandler
	// OnSignedOut: the session is gone.
	OnSignedOut func(ctx app.Context)

	renew  bool
	phase  phase
	setup  *api.TOTPSetup
	stepUp form.StepUp
	// password is the step-up of a first enrolment, once the server asked
	// for it (askPassword).
	password    string
	askPassword bool
	code        string
	busy        bool
	errs        form.Problems
	copyMsg     string
}

// OnInit decides, before the first render, between enabling and renewing,
// and whether renewing asks for a step-up code first.
func (c *Enrol) OnInit() {
	c.renew = c.Account != nil && form.TOTPOn(c.Account.TFA.State)
	if c.renew && c.stepUp.NeedsCode(c.Account) {
		c.phase = phaseStepUp
	}
}

// OnMount opens the dialog and starts the setup, or puts the focus in the
// step-up code field.
func (c *Enrol) OnMount(ctx app.Context) {
	if !c.Inline {
		widget.ShowModal(ctx, EnrolDialogID, "")
	}
	if c.phase == phaseStepUp {
		form.FocusLater(ctx, stepUpCodeID)
		return
	}
	c.begin(ctx, false)
}

func (c *Enrol) Render() app.UI {
	intro := app.P().ID("enrol-intro").Class("muted dialog-intro").Text(c.introText())
	body := app.Form().ID("enrol-form").Class("form enrol").NoValidate(true).OnSubmit(c.submit).Body(
		widget.Alert{ID: "enrol-error", Text: c.errs.Alert}.UI(),
		c.renderPhase(),
		app.Div().Class("form-actions dialog-actions").Body(
			widget.Button{
				ID: "enrol-cancel", Label: c.cancelLabel(), Type: "button",
				Kind: widget.ButtonSecondary, OnClick: c.OnCancel,
			}.UI(),
			c.primaryButton(),
		),
	)
	if c.Inline {
		return app.Div().ID("enrol").Class("enrol-inline").Body(intro, body)
	}
	title := i18n.T("totp.enrol.title")
	if c.renew {
		title = i18n.T("totp.renew.title")
	}
	return widget.Dialog{
		ID: EnrolDialogID, Title: title, DescribedBy: "enrol-intro", Class: "dialog-wide",
		CloseLabel: i18n.T("dialog.close"), OnClose: c.OnCancel,
		Body: []app.UI{intro, body},
	}.UI()
}

func (c *Enrol) introText() string {
	if c.renew {
		return i18n.T("totp.renew.intro")
	}
	return i18n.T("totp.enrol.intro")
}

func (c *Enrol) cancelLabel() string {
	if c.CancelLabel != "" {
		return c.CancelLabel
	}
	return i18n.T("dialog.cancel")
}

// primaryButton is the form's submit button: its label follows the phase.
func (c *Enrol) primaryButton() app.UI {
	b := widget.Button{Busy: c.busy}
	switch c.phase {
	case phaseStepUp:
		b.ID, b.Label, b.BusyLabel = "enrol-continue", i18n.T("totp.renew.continue"), i18n.T("totp.enrol.preparing")
	case phaseScan:
		b.ID, b.Label, b.BusyLabel = "totp-enable", i18n.T("totp.enrol.enable"), i18n.T("totp.enrol.enabling")
		if c.renew {
			b.Label = i18n.T("totp.renew.enable")
		}
		// As in the seed: disabled until the code has its 6 digits.
		b.Disabled = validate.SixDigitCode(c.code) != ""
	case phaseFailed:
		b.ID, b.Label = "enrol-retry", i18n.T("totp.enrol.retry")
	default:
		b.ID, b.Label, b.Busy, b.BusyLabel = "enrol-wait", i18n.T("totp.enrol.preparing"), true, i18n.T("totp.enrol.preparing")
	}
	return b.UI()
}

func (c *Enrol) renderPhase() app.UI {
	switch c.phase {
	case phaseStepUp:
		if c.askPassword {
			return app.Div().Class("form").Body(
				app.P().ID("enrol-stepup-text").Text(i18n.T("totp.enrol.stepup")),
				form.StepUpPasswordField(stepUpPasswordID, c.username(), c.password, c.errs.Msg("password"),
					func(ctx app.Context, e app.Event) { c.password = widget.InputValue(ctx) }),
			)
		}
		return app.Div().Class("form").Body(
			app.P().ID("enrol-stepup-text").Text(i18n.T("totp.renew.stepup")),
			form.StepUpCodeField(stepUpCodeID, c.stepUp.Code, c.errs.Msg("code"),
				func(ctx app.Context, e app.Event) { c.stepUp.Code = widget.InputValue(ctx) }),
		)
	case phaseScan:
		return c.renderSteps()
	case phaseFailed:
		return app.Text("")
	}
	return app.Div().Class("loading").Role("status").Body(
		app.Span().Class("spinner spinner-dark").Aria("hidden", true),
		app.Span().Text(i18n.T("totp.enrol.loading")),
	)
}

// renderSteps are the seed's steps: an app, the QR code (or the key), the
// code.
func (c *Enrol) renderSteps() app.UI {
	s := c.setup
	return app.Ol().Class("steps").Body(
		app.Li().Class("step").Body(
			c.stepTitle(i18n.T("totp.enrol.step_app.title")),
			app.P().Class("muted").Text(i18n.T("totp.enrol.step_app.text")),
		),
		app.Li().Class("step").Body(
			c.stepTitle(i18n.T("totp.enrol.step_scan.title")),
			// The page's order is the phone's: the link that opens an app
			// on this device first, then the key, then the QR code (for
			// another device). A wide screen shows the QR code on the left.
			app.Div().Class("scan").Body(
				app.A().ID("totp-open").Class("link scan-open").Href(s.OTPAuthURL).Text(i18n.T("totp.enrol.open_app")),
				app.Div().Class("scan-key").Body(
					app.P().ID("totp-key-label").Class("muted").Text(i18n.T("totp.enrol.key.label")),
					app.Code().ID("totp-key").Class("key").Text(GroupKey(s.Secret)),
					app.Div().Class("key-actions").Body(
						widget.Button{
							ID: "totp-copy", Label: i18n.T("totp.enrol.key.copy"), Type: "button",
							Kind: widget.ButtonSecondary, Small: true, OnClick: c.copyKey,
						}.UI(),
						app.P().ID("totp-copy-status").Class("hint").Role("status").Aria("live", "polite").Text(c.copyMsg),
					),
				),
				app.Img().ID("totp-qr").Class("qr").Src(s.QRPNG).
					Alt(i18n.T("totp.enrol.qr.alt")).Width(200).Height(200),
			),
		),
		app.Li().Class("step").Body(
			c.stepTitle(i18n.T("totp.enrol.step_code.title")),
			widget.Field{
				ID: "totp-code", Label: i18n.T("totp.enrol.code.label"), Value: c.code,
				Autocomplete: "one-time-code", InputMode: "numeric", Pattern: "[0-9]{6}",
				Placeholder: i18n.T("totp.enrol.code.placeholder"), Hint: i18n.T("totp.enrol.code.hint"),
				Error: c.errs.Msg("code"), Required: true, Code: true,
				OnInput: func(ctx app.Context, e app.Event) { c.code = widget.InputValue(ctx) },
			}.UI(),
			app.P().Class("hint").Text(i18n.T("totp.enrol.later")),
		),
	)
}

// stepTitle is the heading of a step: under the dialog's title (h2), or
// under the enrolment page's (h1) when inline.
func (c *Enrol) stepTitle(text string) app.UI {
	if c.Inline {
		return app.H2().Class("step-title").Text(text)
	}
	return app.H3().Class("step-title").Text(text)
}

// GroupKey shows a base32 key in groups of four, as authenticator apps
// accept it typed with or without the spaces.
func GroupKey(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (c *Enrol) submit(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if c.busy {
		return
	}
	switch c.phase {
	case phaseStepUp:
		c.errs = form.Problems{}
		if c.askPassword {
			if c.password == "" {
				c.errs.SetRule("password", "required")
				form.FocusLater(ctx, stepUpPasswordID)
				return
			}
		} else if form.CheckStepUpCode(&c.errs, "code", c.stepUp.Code); !c.errs.Empty() {
			form.FocusLater(ctx, stepUpCodeID)
			return
		}
		c.begin(ctx, true)
	case phaseScan:
		c.enable(ctx)
	case phaseFailed:
		c.stepUp = form.StepUp{Asked: c.stepUp.Asked}
		if c.renew && c.stepUp.NeedsCode(c.Account) {
			c.phase, c.errs = phaseStepUp, form.Problems{}
			form.FocusLater(ctx, stepUpCodeID)
			return
		}
		c.begin(ctx, true)
	}
}

// begin asks the server for a new pending secret. byUser says the user
// just acted (focus follows to the next field).
func (c *Enrol) begin(ctx app.Context, byUser bool) {
	req := api.StepUp{Code: strings.TrimSpace(c.stepUp.Code)}
	if c.askPassword {
		req = api.StepUp{Password: c.password}
	}
	c.phase, c.busy, c.errs, c.setup = phaseLoading, true, form.Problems{}, nil
	ctx.Async(func() {
		s, err := apiclient.TOTPSetup(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy, c.stepUp.Code, c.password = false, "", ""
			switch {
			case err == nil:
				c.setup, c.phase, c.code, c.copyMsg = s, phaseScan, "", ""
				if byUser {
					form.FocusLater(ctx, "totp-code")
				}
			case apiclient.SignedOut(err):
				if c.OnSignedOut != nil {
					c.OnSignedOut(ctx)
				}
			case !c.renew && c.passwordRefused(ctx, err):
				c.phase = phaseStepUp
				form.FocusLater(ctx, stepUpPasswordID)
			case form.StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", stepUpCodeID):
				c.phase = phaseStepUp
				form.FocusLater(ctx, stepUpCodeID)
			default:
				c.phase = phaseFailed
				c.errs = form.FromError(err, nil)
				form.FocusLater(ctx, "enrol-error")
			}
		})
	})
}

// passwordRefused handles the step-up answers of a first enrolment (TOTP
// off: the step-up is the password): step_up_required asks for the
// current password, invalid_credentials says it is wrong, under the
// field, which is typed again. It reports whether err was one of them.
func (c *Enrol) passwordRefused(ctx app.Context, err error) bool {
	switch {
	case apiclient.Is(err, api.CodeStepUpRequired):
		c.askPassword = true
		c.errs = form.Problems{}
	case apiclient.Is(err, api.CodeInvalidCredentials):
		c.askPassword = true
		form.ClearInputs(ctx, stepUpPasswordID)
		c.errs = form.Problems{}
		c.errs.Set("password", api.CodeInvalidCredentials, i18n.T("stepup.password.wrong"))
	default:
		return false
	}
	return true
}

// username is the account's, for the password managers.
func (c *Enrol) username() string {
	if c.Account == nil {
		return ""
	}
	return c.Account.User.Username
}

// enable confirms the pending secret with a code of it.
func (c *Enrol) enable(ctx app.Context) {
	code := validate.NormalizeCode(c.code)
	c.errs = form.Problems{}
	if rule := validate.SixDigitCode(code); rule != "" {
		c.errs.SetRule("code", rule)
		form.FocusLater(ctx, "totp-code")
		return
	}
	c.busy = true
	ctx.Async(func() {
		res, err := apiclient.TOTPEnable(ctx, code)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy = false
			switch {
			case err != nil:
				form.Answer{
					Fields: codeFields, AlertID: "enrol-error", OnSignedOut: c.OnSignedOut, Refused: c.enableRefused,
				}.Failed(ctx, err, &c.errs)
			case c.OnEnabled != nil:
				c.OnEnabled(ctx, res)
			}
		})
	})
}

// enableRefused handles the refusals of enable: a wrong code is an error
// of its field; bad_request means the pending secret is gone (it lasts 15
// minutes).
func (c *Enrol) enableRefused(ctx app.Context, err error) bool {
	switch {
	case form.CodeRefused(ctx, err, &c.errs, &c.code, "totp-code", i18n.T("totp.enrol.code.wrong")):
	case apiclient.Is(err, api.CodeBadRequest):
		c.phase, c.setup = phaseFailed, nil
		c.errs.Alert = i18n.T("totp.enrol.expired")
	default:
		return false
	}
	return true
}

// copyKey puts the key (without spaces) on the clipboard.
func (c *Enrol) copyKey(ctx app.Context, e app.Event) {
	if c.setup == nil {
		return
	}
	secret := c.setup.Secret
	c.copyMsg = ""
	ctx.Async(func() {
		err := browser.CopyText(secret)
		ctx.Dispatch(func(ctx app.Context) {
			if err != nil {
				c.copyMsg = i18n.T("totp.enrol.key.copy_failed")
				return
			}
			c.copyMsg = i18n.T("totp.enrol.key.copied")
		})
	})
}
