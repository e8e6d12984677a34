package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
)

// header is the top bar: the product name and, when signed in, the
// username and the Sign out button.
type header struct {
	app.Compo

	// Username is the signed-in user; empty on the sign-in page.
	Username string

	busy bool
	err  string
}

func (h *header) Render() app.UI {
	return app.Header().Class("topbar").Body(
		app.Div().Class("topbar-inner").Body(
			app.A().Href(PathSignIn).Class("brand").Body(
				app.Span().Class("brand-logo").Aria("hidden", true),
				app.Span().Text(i18n.T("app.name")),
			),
			app.If(h.Username != "", func() app.UI {
				return app.Div().Class("user").Body(
					app.Span().Class("avatar").Aria("hidden", true).Text(initial(h.Username)),
					app.Span().Class("user-name").Body(
						app.Span().Class("sr-only").Text(i18n.T("header.signed_in_as")),
						app.Text(h.Username),
					),
					widget.Button{
						ID: "signout", Label: i18n.T("header.sign_out"), BusyLabel: i18n.T("header.signing_out"),
						Type: "button", Kind: widget.ButtonSecondary, Busy: h.busy,
						OnClick: h.signOut,
					}.UI(),
				)
			}),
		),
		widget.Alert{ID: "signout-error", Text: h.err}.UI(),
	)
}

// signOut ends the session on the server, then shows the sign-in page.
// Nothing about the account is kept in the browser: the pages hold it in
// their state only, and that goes with them.
func (h *header) signOut(ctx app.Context, e app.Event) {
	if h.busy {
		return
	}
	h.busy, h.err = true, ""
	ctx.Async(func() {
		err := apiclient.Logout(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			h.busy = false
			if err != nil && !apiclient.SignedOut(err) {
				h.err = i18n.T("header.sign_out_failed", "detail", form.ErrorText(err))
				form.FocusLater(ctx, "signout-error")
				return
			}
			ctx.Navigate(PathSignIn)
		})
	})
}

// initial is the letter shown in the avatar.
func initial(name string) string {
	for _, r := range name {
		return strings.ToUpper(string(r))
	}
	return "?"
}
