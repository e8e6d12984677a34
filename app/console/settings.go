package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/widget"
	"twofold/shared/api"
)

// loadStatus drives what a page that loads data shows.
type loadStatus string

const (
	statusLoading loadStatus = "loading"
	statusLoaded  loadStatus = "loaded"
	statusFailed  loadStatus = "failed"
)

// settings is the settings page ("/settings"): the account, its basic
// settings (email, email verification) and its security settings
// (password, 2FA).
type settings struct {
	app.Compo

	mounted bool
	status  loadStatus
	account *api.Account
	loadErr string
}

func newSettings() *settings { return &settings{status: statusLoading} }

func (p *settings) OnMount(ctx app.Context) { p.mounted = true }

// OnNav loads the account. It also runs on the server while it
// pre-renders the page, without the browser's cookie: there it only sets
// the title. A navigation inside the page (#basic, #security) keeps what
// is loaded.
func (p *settings) OnNav(ctx app.Context) {
	ctx.Page().SetTitle("Settings · Twofold")
	if app.IsServer || p.account != nil {
		return
	}
	p.load(ctx)
}

func (p *settings) load(ctx app.Context) {
	p.status, p.loadErr = statusLoading, ""
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case apiclient.SignedOut(err):
				ctx.Navigate(PathSignIn)
			case err != nil:
				p.status, p.loadErr = statusFailed, errorText(err)
				focusLater(ctx, "settings-error")
			default:
				p.status, p.account = statusLoaded, acc
			}
		})
	})
}

// refresh reloads the account quietly (after a change that moves the
// elevation, such as a password change).
func (p *settings) refresh(ctx app.Context) {
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case apiclient.SignedOut(err):
				ctx.Navigate(PathSignIn)
			case err == nil:
				p.account = acc
			}
		})
	})
}

func (p *settings) setAccount(ctx app.Context, acc *api.Account) { p.account = acc }

func (p *settings) Render() app.UI {
	username := ""
	if p.account != nil {
		username = p.account.User.Username
	}
	return shell("settings-page", p.mounted, username,
		app.Div().Class("container").Body(
			app.H1().Class("page-title").Text("Settings"),
			p.renderBody(),
		),
	).DataSet("state", string(p.status))
}

func (p *settings) renderBody() app.UI {
	switch p.status {
	case statusFailed:
		return app.Div().Class("card").Body(
			widget.Alert{ID: "settings-error", Text: p.loadErr}.UI(),
			widget.Button{
				ID: "settings-retry", Label: "Try again", Type: "button",
				OnClick: func(ctx app.Context, e app.Event) { p.load(ctx) },
			}.UI(),
		)
	case statusLoading:
		return app.Div().Class("card loading").Role("status").Body(
			app.Span().Class("spinner spinner-dark").Aria("hidden", true),
			app.Span().Text("Loading your account…"),
		)
	}
	acc := p.account
	return app.Div().Class("settings").Body(
		app.Nav().Class("settings-nav").Aria("label", "Settings sections").Body(
			app.A().Href("#basic").Text("Basic Settings"),
			app.A().Href("#security").Text("Security Settings"),
		),
		app.Div().Class("settings-sections").Body(
			app.Section().ID("basic").Class("card").Aria("labelledby", "basic-title").Body(
				app.H2().ID("basic-title").Class("card-title").Text("Basic Settings"),
				app.Div().Class("profile").Body(
					app.Span().Class("avatar avatar-lg").Aria("hidden", true).Text(initial(acc.User.Username)),
					app.Div().Body(
						app.P().ID("account-username").Class("profile-name").Text(acc.User.Username),
						app.If(acc.User.IsAdmin, func() app.UI {
							return app.Span().Class("badge badge-blue").Text("Administrator")
						}),
					),
				),
				&tfaState{TFA: acc.TFA},
				&basicForm{Account: acc, OnSaved: p.setAccount},
			),
			app.Section().ID("security").Class("card").Aria("labelledby", "security-title").Body(
				app.H2().ID("security-title").Class("card-title").Text("Security Settings"),
				app.H3().Class("section-title").Text("Change password"),
				&passwordForm{Username: acc.User.Username, OnChanged: p.refresh},
			),
		),
	)
}
