// Package emailcode is the console's email login verification UI: the
// sign-in step that asks for the 6-digit code sent by email, with its
// resend button and countdown.
package emailcode

import (
	"math"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/validate"
)

// Cooldown is the wait between two mails (API.md: resend after 60 s).
const Cooldown = 60 * time.Second

// VerifyForm is the seed's email verification page body: where the code
// went (the masked address), the code field, and "Resend code" with its
// countdown.
type VerifyForm struct {
	app.Compo

	// Hint is the masked address ("a***@example.com"); empty after a
	// reload (it is never put in the URL).
	Hint string
	// MailFailed: the sign-in's mail could not be sent (503); resending is
	// possible at once (a failed send starts no cooldown).
	MailFailed bool
	// Sent: a mail is known to have gone out (the page says so).
	Sent bool
	// ResendAfter is the wait in seconds before a new code may be asked
	// for (the server's resend_after).
	ResendAfter int
	// OnVerified receives the answer: a full session, or enroll.
	OnVerified func(ctx app.Context, resp *api.LoginResponse)
	// OnExpired: the pending sign-in is gone (10 minutes, 5 wrong codes).
	OnExpired func(ctx app.Context)

	verify     form.Verify
	sent       bool // a mail went out: starts as Sent, follows the resends
	resendBusy bool
	until      time.Time // no resend before
	ticker     int       // the countdown loop that is current
	status     string
}

// OnInit sets what the first render shows (OnMount comes after it): that
// the mail failed, or where it went and the wait before a new one.
func (c *VerifyForm) OnInit() {
	c.sent = c.Sent && !c.MailFailed
	switch {
	case c.MailFailed:
		c.verify.Errs.Alert = i18n.T("emailcode.mail_failed")
	case c.ResendAfter > 0:
		c.until = time.Now().Add(time.Duration(c.ResendAfter) * time.Second)
	}
}

// OnMount starts the countdown and puts the focus in the code field.
func (c *VerifyForm) OnMount(ctx app.Context) {
	if !c.until.IsZero() {
		c.ticker++
		c.tick(ctx, c.ticker)
	}
	form.FocusLater(ctx, form.VerifyCodeID)
}

// sentText says where the code went: "We sent…" once a mail is known to
// have gone out, otherwise only where codes go (the first mail failed, or
// the page was reloaded long after it).
func (c *VerifyForm) sentText() string {
	switch {
	case c.sent && c.Hint != "":
		return i18n.T("emailcode.sent", "email", c.Hint)
	case c.sent:
		return i18n.T("emailcode.sent_generic")
	case c.Hint != "":
		return i18n.T("emailcode.address", "email", c.Hint)
	}
	return i18n.T("emailcode.address_generic")
}

func (c *VerifyForm) Render() app.UI {
	sent := c.sentText()
	left := c.secondsLeft()
	resend := i18n.T("emailcode.resend")
	if left > 0 {
		resend = i18n.T("emailcode.resend_in", "wait", FormatWait(left))
	}
	return app.Div().Class("emailcode").Body(
		app.P().ID("verify-email-hint").Class("sent-to").Text(sent),
		c.verify.Form(c.submit, widget.Field{
			Label: i18n.T("emailcode.code.label"), InputMode: "numeric", Pattern: "[0-9]{6}",
			Placeholder: i18n.T("emailcode.code.placeholder"), Hint: i18n.T("emailcode.code.hint"),
		},
			// What a resend did, next to the field it concerns, announced
			// politely.
			app.P().ID("verify-resend-status").Class("resend-status").Role("status").Aria("live", "polite").Text(c.status),
		),
		app.Div().Class("resend").Body(
			app.P().Class("hint").Text(i18n.T("emailcode.resend_hint")),
			widget.Button{
				ID: "verify-resend", Label: resend, BusyLabel: i18n.T("emailcode.resending"),
				Type: "button", Kind: widget.ButtonSecondary, Busy: c.resendBusy, Disabled: left > 0,
				OnClick: c.resend,
			}.UI(),
		),
	).DataSet("wait", left)
}

// secondsLeft is the countdown before the next resend, rounded up.
func (c *VerifyForm) secondsLeft() int {
	if c.until.IsZero() {
		return 0
	}
	d := time.Until(c.until).Seconds()
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d))
}

// wait starts (or restarts) the countdown: d from now, one render a
// second until it ends. A newer countdown stops the older loop.
func (c *VerifyForm) wait(ctx app.Context, d time.Duration) {
	c.until = time.Now().Add(d)
	c.ticker++
	c.tick(ctx, c.ticker)
}

func (c *VerifyForm) tick(ctx app.Context, ticker int) {
	if ticker != c.ticker || c.secondsLeft() == 0 {
		return
	}
	ctx.After(time.Second, func(ctx app.Context) { c.tick(ctx, ticker) })
}

// FormatWait shows a wait in seconds ("42 s") or, past a minute, as m:ss.
func FormatWait(seconds int) string {
	if seconds <= 60 {
		return i18n.T("time.seconds_short", "n", strconv.Itoa(seconds))
	}
	s := seconds % 60
	pad := ""
	if s < 10 {
		pad = "0"
	}
	return strconv.Itoa(seconds/60) + ":" + pad + strconv.Itoa(s)
}

func (c *VerifyForm) resend(ctx app.Context, e app.Event) {
	if c.resendBusy || c.secondsLeft() > 0 {
		return
	}
	c.resendBusy, c.status = true, ""
	ctx.Async(func() {
		err := apiclient.Resend(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			c.resendBusy = false
			ae := apiclient.APIError(err)
			switch {
			case err == nil:
				// The old code no longer works: it goes, with its error.
				c.verify.Clear(ctx)
				c.sent = true
				c.status = i18n.T("emailcode.resent_generic")
				if c.Hint != "" {
					c.status = i18n.T("emailcode.resent", "email", c.Hint)
				}
				c.wait(ctx, Cooldown)
				// The button is disabled now: the next task is the new code.
				form.FocusLater(ctx, form.VerifyCodeID)
			case apiclient.SignedOut(err):
				c.OnExpired(ctx)
			case apiclient.Is(err, api.CodeRateLimited):
				secs := ae.RetryAfter
				if secs <= 0 {
					secs = int(Cooldown / time.Second)
				}
				c.status = i18n.T("emailcode.resend_wait", "wait", FormatWait(secs))
				c.wait(ctx, time.Duration(secs)*time.Second)
				form.FocusLater(ctx, form.VerifyCodeID)
			case apiclient.Is(err, api.CodeUnavailable):
				c.verify.Errs.Alert = i18n.T("emailcode.resend_failed")
				form.FocusLater(ctx, "verify-error")
			default:
				c.verify.Errs.Alert = form.ErrorText(err)
				form.FocusLater(ctx, "verify-error")
			}
		})
	})
}

// submit sends the emailed code; the resend's message has done its job.
func (c *VerifyForm) submit(ctx app.Context, e app.Event) {
	c.status = ""
	code := validate.NormalizeCode(c.verify.Code)
	c.verify.Submit(ctx, e, code, validate.SixDigitCode(code), i18n.T("emailcode.code.wrong"), c.OnVerified, c.OnExpired)
}
