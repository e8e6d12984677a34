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

// enrolFields are the enrolment form's fields: the step-up code (renewing)
// and the code of the new secret share the JSON name "code", one at a
// time.
var (
	codeFields = []form.Field{{Name: "code", InputID: "totp-code"}}
)

// phase is where the enrolment is.
type phase int

const (
	phaseLoading phase = iota // POST setup in flight
	phaseStepUp               // renewing: a code of the current secret first
	phaseScan                 // QR code, key and the confirming code
	phaseFailed               // setup failed or expired: start again
)

// Enrol sets up TOTP as the seed shows it: it asks the server for a new
// secret (after a step-up code when renewing and not elevated), shows the
// QR code and the key with a copy button, and enables the secret with a
// code of it. It is a modal dialog (settings: Enable 2FA, Renew 2FA) or,
// Inline, part of the enrolment page.
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

	renew   bool
	phase   phase
	setup   *api.TOTPSetup
	stepUp  form.StepUp
	code    string
	busy    bool
	errs    form.Problems
	copyMsg string
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
		form.FocusLater(ctx, "enrol-stepup-code")
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
		return app.Div().Class("form").Body(
			app.P().ID("enrol-stepup-text").Text(i18n.T("totp.renew.stepup")),
			form.StepUpCodeField("enrol-stepup-code", c.stepUp.Code, c.errs.Msg("code"),
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
			app.Div().Class("scan").Body(
				app.Img().ID("totp-qr").Class("qr").Src(s.QRPNG).
					Alt(i18n.T("totp.enrol.qr.alt")).Width(200).Height(200),
				app.Div().Class("scan-key").Body(
					app.P().ID("totp-key-label").Class("muted").Text(i18n.T("totp.enrol.key.label")),
					app.Code().ID("totp-key").Class("key").Text(GroupKey(s.Secret)),
					app.Div().Class("key-actions").Body(
						widget.Button{
							ID: "totp-copy", Label: i18n.T("totp.enrol.key.copy"), Type: "button",
							Kind: widget.ButtonSecondary, Small: true, OnClick: c.copyKey,
						}.UI(),
						app.A().ID("totp-open").Class("link").Href(s.OTPAuthURL).Text(i18n.T("totp.enrol.open_app")),
					),
					app.P().ID("totp-copy-status").Class("hint").Role("status").Aria("live", "polite").Text(c.copyMsg),
				),
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
		if rule := validate.TFACode(c.stepUp.Code); rule != "" {
			c.errs.SetRule("code", rule)
			form.FocusLater(ctx, "enrol-stepup-code")
			return
		}
		c.begin(ctx, true)
	case phaseScan:
		c.enable(ctx)
	case phaseFailed:
		c.stepUp = form.StepUp{Asked: c.stepUp.Asked}
		if c.renew && c.stepUp.NeedsCode(c.Account) {
			c.phase, c.errs = phaseStepUp, form.Problems{}
			form.FocusLater(ctx, "enrol-stepup-code")
			return
		}
		c.begin(ctx, true)
	}
}

// begin asks the server for a new pending secret. byUser says the user
// just acted (focus follows to the next field).
func (c *Enrol) begin(ctx app.Context, byUser bool) {
	req := api.StepUp{Code: strings.TrimSpace(c.stepUp.Code)}
	c.phase, c.busy, c.errs, c.setup = phaseLoading, true, form.Problems{}, nil
	ctx.Async(func() {
		s, err := apiclient.TOTPSetup(ctx, req)
		ctx.Dispatch(func(ctx app.Context) {
			c.busy, c.stepUp.Code = false, ""
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
			case form.StepUpFailed(ctx, err, &c.stepUp, &c.errs, "code", "enrol-stepup-code"):
				c.phase = phaseStepUp
				form.FocusLater(ctx, "enrol-stepup-code")
			default:
				c.phase = phaseFailed
				c.errs = form.FromError(err, nil)
				form.FocusLater(ctx, "enrol-error")
			}
		})
	})
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
