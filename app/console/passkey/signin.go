package passkey

import (
	"context"
	"net/netip"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	sp "twofold/shared/passkey"
)

// VerifyKey is the second sign-in step with a security key: "Use your
// security key" (POST /api/auth/passkey/challenge, the browser's
// assertion, POST /api/auth/passkey/verify).
type VerifyKey struct {
	app.Compo

	// OnVerified receives the answer (a full session); OnExpired: the
	// pending sign-in is gone.
	OnVerified func(ctx app.Context, resp *api.LoginResponse)
	OnExpired  func(ctx app.Context)

	busy  bool
	alert string
}

// OnMount puts the focus on the key's button: it is offered first.
func (c *VerifyKey) OnMount(ctx app.Context) { form.FocusLater(ctx, "verify-passkey") }

func (c *VerifyKey) Render() app.UI {
	return app.Div().ID("verify-passkey-form").Class("form").Body(
		widget.Alert{ID: "verify-passkey-error", Text: c.alert}.UI(),
		app.Div().Class("form-actions").Body(
			widget.Button{
				ID: "verify-passkey", Label: i18n.T("passkey.use"), BusyLabel: i18n.T("passkey.using"),
				Type: "button", Busy: c.busy, Icon: "lock", OnClick: c.use,
			}.UI(),
		),
	)
}

func (c *VerifyKey) use(ctx app.Context, e app.Event) {
	run(ctx, &c.busy, &c.alert, "verify-passkey-error", apiclient.AuthPasskeyChallenge, apiclient.AuthPasskeyVerify,
		c.OnVerified, c.OnExpired, i18n.T("error.invalid_code"))
}

// SignIn is "Sign in with a passkey" on the sign-in page: a passkey alone
// (discoverable, with user verification) signs in.
type SignIn struct {
	app.Compo

	// OnSignedIn receives the answer (a full session).
	OnSignedIn func(ctx app.Context, resp *api.LoginResponse)

	busy  bool
	alert string
}

// onIPAddress reports whether the console is opened at an IP address:
// WebAuthn refuses those, so the server has security keys off there.
func onIPAddress() bool {
	host := strings.Trim(app.Window().Get("location").Get("hostname").String(), "[]")
	_, err := netip.ParseAddr(host)
	return err == nil
}

func (c *SignIn) Render() app.UI {
	if app.IsServer || !browser.WebAuthn() || onIPAddress() {
		return app.Div().ID("signin-passkey-box")
	}
	return app.Div().ID("signin-passkey-box").Class("signin-passkey").Body(
		widget.Alert{ID: "signin-passkey-error", Text: c.alert}.UI(),
		widget.Button{
			ID: "signin-passkey", Label: i18n.T("signin.passkey"), BusyLabel: i18n.T("signin.passkey.busy"),
			Type: "button", Kind: widget.ButtonSecondary, Busy: c.busy, Icon: "lock", OnClick: c.use,
		}.UI(),
	)
}

func (c *SignIn) use(ctx app.Context, e app.Event) {
	run(ctx, &c.busy, &c.alert, "signin-passkey-error", apiclient.PasskeyLoginBegin, apiclient.PasskeyLogin,
		c.OnSignedIn, nil, i18n.T("signin.passkey.refused"))
}

// run asks for a challenge (begin), the browser's assertion, and sends it
// (finish); the outcome goes to done, or to *alert (focus on alertID).
func run(ctx app.Context, busy *bool, alert *string, alertID string,
	begin func(context.Context) (*sp.RequestOptions, error),
	finish func(context.Context, *sp.Assertion) (*api.LoginResponse, error),
	done func(app.Context, *api.LoginResponse), expired func(app.Context), refused string) {
	if *busy {
		return
	}
	*busy, *alert = true, ""
	ctx.Async(func() {
		var resp *api.LoginResponse
		opts, err := begin(ctx)
		var a *sp.Assertion
		if err == nil {
			a, err = browser.GetKey(*opts)
		}
		if err == nil {
			resp, err = finish(ctx, a)
		}
		ctx.Dispatch(func(ctx app.Context) {
			*busy = false
			switch {
			case err == nil:
				done(ctx, resp)
				return
			case expired != nil && apiclient.SignedOut(err):
				expired(ctx)
				return
			case form.KeyAlert(err) != "":
				*alert = form.KeyAlert(err)
			case apiclient.Is(err, api.CodeInvalidCode):
				*alert = refused
			case apiclient.Is(err, api.CodeForbidden):
				*alert = i18n.T("signin.passkey.off")
			default:
				*alert = form.FromError(err, nil).Alert
			}
			form.FocusLater(ctx, alertID)
		})
	})
}
