package console

import (
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/emailcode"
	"twofold/app/console/passkey"
	"twofold/app/console/totp"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// verifyPage is the second sign-in step ("/verify?method=totp|email"): the
// method's form, and "Back to sign-in", which ends the pending sign-in.
type verifyPage struct {
	app.Compo

	mounted   bool
	navigated bool // OnNav has read the URL
	// ready: the page knows what the pending sign-in waits for (from the
	// sign-in page, or from the server after a reload).
	ready       bool
	method      string
	hint        string
	mailFailed  bool
	sent        bool
	resendAfter int
	backBusy    bool
	// methods are the second factors the pending sign-in accepts.
	methods []string
}

func newVerify() *verifyPage { return &verifyPage{} }

func (p *verifyPage) OnMount(ctx app.Context) { p.mounted = true }

// OnNav reads the method from the URL and what the sign-in page handed
// over. Without that (a reload, a bookmark) it asks the server what the
// pending sign-in waits for, and sends the browser back to the sign-in
// page when there is none. It also goes on when the browser is already
// signed in (a reload after the last step, another tab).
func (p *verifyPage) OnNav(ctx app.Context) {
	setTitle(ctx, "verify.page_title")
	if app.IsServer {
		return
	}
	p.navigated = true
	// The method's form puts the focus in its code field: the page's task.
	takeArrival(ctx, "")
	p.method = methodOf(ctx.Page().URL().Query().Get("method"))
	p.hint, p.mailFailed, p.sent, p.resendAfter, p.ready = "", false, false, 0, false
	p.methods = nil
	if handoff.method != "" && handoff.method == p.method {
		p.hint, p.mailFailed, p.resendAfter = handoff.hint, handoff.mailFailed, handoff.resendAfter
		p.sent, p.ready, p.methods = !handoff.mailFailed, true, handoff.methods
	}
	handoff.method, handoff.hint, handoff.mailFailed, handoff.resendAfter, handoff.methods = "", "", false, 0, nil
	ready := p.ready
	ctx.Async(func() {
		if acc, err := apiclient.Account(ctx); err == nil {
			ctx.Dispatch(func(ctx app.Context) { goTo(ctx, pageFor(acc)) })
			return
		}
		if ready {
			return
		}
		pend, err := apiclient.Pending(ctx)
		ctx.Dispatch(func(ctx app.Context) { p.restore(ctx, pend, err) })
	})
}

// restore shows the pending sign-in the server described.
func (p *verifyPage) restore(ctx app.Context, pend *api.Pending, err error) {
	switch {
	case err == nil && methodOf(pend.Method) != "":
		p.method, p.hint, p.resendAfter, p.methods = pend.Method, pend.EmailHint, pend.ResendAfter, pend.Methods
		p.sent = pend.ResendAfter > 0
	case apiclient.SignedOut(err) && p.method != "":
		sessionExpired(ctx)
		return
	case apiclient.Is(err, api.CodeEnrollmentRequired):
		// A sign-in that went on to enrolment (this page reloaded).
		goTo(ctx, PathEnroll)
		return
	}
	// Otherwise (offline, no method known) the page shows what the URL
	// says.
	p.ready = true
}

// methodOf returns m if it is a second-step method the page knows, or "".
func methodOf(m string) string {
	if m == api.MethodTOTP || m == api.MethodEmail || m == api.MethodPasskey {
		return m
	}
	return ""
}

func (p *verifyPage) Render() app.UI {
	title, intro := i18n.T("verify.title"), i18n.T("verify.intro")
	var body app.UI
	switch {
	case app.IsServer:
		// The server does not know the pending sign-in: the page shows
		// what it waits for once the WASM runs.
		body = loadingCard(i18n.T("page.loading"))
	case p.navigated && !p.ready:
		body = loadingCard(i18n.T("verify.submitting"))
	case p.method == api.MethodPasskey || slices.Contains(p.methods, api.MethodPasskey) && browser.WebAuthn():
		// The key first (it cannot be phished); the codes on the same page.
		title, intro = i18n.T("verify.passkey.title"), i18n.T("verify.passkey.intro")
		body = app.Div().Body(
			&passkey.VerifyKey{OnVerified: p.verified, OnExpired: sessionExpired},
			app.H2().ID("verify-other").Class("section-title verify-other").Text(i18n.T("verify.passkey.other")),
			&totp.VerifyForm{OnVerified: p.verified, OnExpired: sessionExpired, NoFocus: true,
				BackupOnly: len(p.methods) > 0 && !slices.Contains(p.methods, api.MethodTOTP)},
		)
	case p.method == api.MethodTOTP:
		title, intro = i18n.T("verify.totp.title"), i18n.T("verify.totp.intro")
		body = &totp.VerifyForm{OnVerified: p.verified, OnExpired: sessionExpired}
	case p.method == api.MethodEmail:
		title, intro = i18n.T("verify.email.title"), i18n.T("verify.email.intro")
		body = &emailcode.VerifyForm{
			Hint: p.hint, MailFailed: p.mailFailed, Sent: p.sent, ResendAfter: p.resendAfter,
			OnVerified: p.verified, OnExpired: sessionExpired,
		}
	default:
		// Reached without a sign-in (a typed address): nothing to verify.
		// Nothing is said before OnNav has read the URL.
		text := ""
		if p.navigated {
			text = i18n.T("verify.none")
		}
		body = widget.Alert{ID: "verify-none", Kind: widget.AlertInfo, Text: text}.UI()
	}
	return frame{ID: "verify-page", Mounted: p.mounted}.UI(
		app.Div().Class("auth").Body(
			app.Div().ID("verify-card").Class("card auth-card").DataSet("method", p.method).Body(
				app.H1().Class("card-title").Text(title),
				app.P().Class("muted").Text(intro),
				body,
				app.Div().Class("auth-back").Body(
					widget.Button{
						ID: "verify-back", Label: i18n.T("verify.back"), BusyLabel: i18n.T("verify.back_busy"),
						Type: "button", Kind: widget.ButtonSecondary, Busy: p.backBusy, Disabled: app.IsServer,
						OnClick: p.back,
					}.UI(),
				),
			),
		),
	)
}

// verified goes where the last step leads: the settings, or the
// enrolment page when 2FA is required and not set up yet.
func (p *verifyPage) verified(ctx app.Context, resp *api.LoginResponse) {
	next := nextPage(resp)
	if next == "" || resp.Status == api.StatusVerify {
		next = PathSettings
	}
	goTo(ctx, next)
}

// back ends the pending sign-in, then shows the sign-in page.
func (p *verifyPage) back(ctx app.Context, e app.Event) { logOut(ctx, &p.backBusy) }
