package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/backupcode"
	"twofold/app/console/form"
	"twofold/app/console/totp"
	"twofold/app/i18n"
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

// The settings page's dialogs; one at a time.
const (
	dialogNone       = ""
	dialogEnrol      = "enrol"      // Enable 2FA, Renew 2FA
	dialogCodes      = "codes"      // new backup codes, shown once
	dialogRegenerate = "regenerate" // Regenerate backup codes
	dialogDisable    = "disable"    // Disable 2FA
)

// settings is the settings page ("/settings"): the account, its basic
// settings (2FA state, email, email verification) and its security
// settings (password, 2FA: backup codes, disable), with the 2FA dialogs.
type settings struct {
	app.Compo

	mounted bool
	status  loadStatus
	account *api.Account
	loadErr string

	dialog string
	codes  []string // the codes dialog's codes
	// returnFocus is where the focus goes when the dialog closes.
	returnFocus string
	// tfaNotice tells what the last 2FA action did.
	tfaNotice string
	// ctx is the page's own context, for work after a dialog closes: a
	// handler inside the dialog has a context that goes with it.
	ctx app.Context
}

func newSettings() *settings { return &settings{status: statusLoading} }

func (p *settings) OnMount(ctx app.Context) {
	p.mounted = true
	p.ctx = ctx
}

// OnNav loads the account. It also runs on the server while it
// pre-renders the page, without the browser's cookie: there it only sets
// the title. A navigation inside the page (#basic, #security) keeps what
// is loaded.
func (p *settings) OnNav(ctx app.Context) {
	ctx.Page().SetTitle(i18n.T("settings.page_title"))
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
			case signedOutOr(ctx, err):
			case err != nil:
				p.status, p.loadErr = statusFailed, form.ErrorText(err)
				form.FocusLater(ctx, "settings-error")
			case pageFor(acc) != PathSettings:
				ctx.Navigate(pageFor(acc))
			default:
				p.status, p.account = statusLoaded, acc
			}
		})
	})
}

// refresh reloads the account quietly (after a change that moves the
// elevation or the backup codes left).
func (p *settings) refresh(ctx app.Context) {
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case signedOutOr(ctx, err):
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
			app.H1().Class("page-title").Text(i18n.T("settings.title")),
			p.renderBody(),
		),
	).DataSet("state", string(p.status)).DataSet("dialog", p.dialog)
}

// loadingCard is a card that says what is loading.
func loadingCard(text string) app.UI {
	return app.Div().Class("card loading").Role("status").Body(
		app.Span().Class("spinner spinner-dark").Aria("hidden", true),
		app.Span().Text(text),
	)
}

func (p *settings) renderBody() app.UI {
	switch p.status {
	case statusFailed:
		return app.Div().Class("card").Body(
			widget.Alert{ID: "settings-error", Text: p.loadErr}.UI(),
			widget.Button{
				ID: "settings-retry", Label: i18n.T("page.retry"), Type: "button",
				OnClick: func(ctx app.Context, e app.Event) { p.load(ctx) },
			}.UI(),
		)
	case statusLoading:
		return loadingCard(i18n.T("page.loading_account"))
	}
	acc := p.account
	return app.Div().Class("settings").Body(
		app.Nav().Class("settings-nav").Aria("label", i18n.T("settings.nav_label")).Body(
			app.A().Href("#basic").Text(i18n.T("settings.basic.title")),
			app.A().Href("#security").Text(i18n.T("settings.security.title")),
		),
		app.Div().Class("settings-sections").Body(
			app.Section().ID("basic").Class("card").Aria("labelledby", "basic-title").Body(
				app.H2().ID("basic-title").Class("card-title").Text(i18n.T("settings.basic.title")),
				app.Div().Class("profile").Body(
					app.Span().Class("avatar avatar-lg").Aria("hidden", true).Text(initial(acc.User.Username)),
					app.Div().Body(
						app.P().ID("account-username").Class("profile-name").Text(acc.User.Username),
						app.If(acc.User.IsAdmin, func() app.UI {
							return app.Span().Class("badge badge-blue").Text(i18n.T("settings.admin_badge"))
						}),
					),
				),
				&tfaState{TFA: acc.TFA, Notice: p.tfaNotice, OnEnable: p.openEnrol},
				&basicForm{Account: acc, OnSaved: p.setAccount},
			),
			app.Section().ID("security").Class("card").Aria("labelledby", "security-title").Body(
				app.H2().ID("security-title").Class("card-title").Text(i18n.T("settings.security.title")),
				app.H3().Class("section-title").Text(i18n.T("password.title")),
				&passwordForm{Account: acc, OnChanged: p.refresh},
				&tfaSecurity{
					TFA: acc.TFA, OnEnable: p.openEnrol,
					OnRegenerate: p.openRegenerate, OnDisable: p.openDisable,
				},
			),
		),
		p.renderDialog(),
	)
}

// renderDialog is the open dialog, if any.
func (p *settings) renderDialog() app.UI {
	acc := p.account
	switch p.dialog {
	case dialogEnrol:
		return &totp.Enrol{
			Account: acc, OnEnabled: p.enabled, OnCancel: p.closeDialog, OnSignedOut: p.signedOut,
		}
	case dialogCodes:
		return &backupcode.Codes{Codes: p.codes, Username: acc.User.Username, OnDone: p.closeDialog}
	case dialogRegenerate:
		return &backupcode.Regenerate{
			Account: acc, OnDone: p.regenerated, OnClose: p.closeDialog, OnSignedOut: p.signedOut,
		}
	case dialogDisable:
		return &totp.Disable{
			Account: acc, OnDone: p.disabled, OnClose: p.closeDialog, OnSignedOut: p.signedOut,
		}
	}
	return app.Text("")
}

// open shows a dialog; the focus comes back to the element that opened
// it.
func (p *settings) open(ctx app.Context, dialog string) {
	p.dialog, p.tfaNotice = dialog, ""
	p.returnFocus = ctx.JSSrc().Get("id").String()
}

func (p *settings) openEnrol(ctx app.Context, e app.Event)      { p.open(ctx, dialogEnrol) }
func (p *settings) openRegenerate(ctx app.Context, e app.Event) { p.open(ctx, dialogRegenerate) }
func (p *settings) openDisable(ctx app.Context, e app.Event)    { p.open(ctx, dialogDisable) }

// closeDialog closes the dialog and gives the focus back (to the 2FA
// block when the element that opened the dialog is gone).
func (p *settings) closeDialog(ctx app.Context, e app.Event) {
	p.dialog, p.codes = dialogNone, nil
	ret := p.returnFocus
	p.ctx.Defer(func(app.Context) {
		if !form.Focus(ret) {
			form.Focus("tfa")
		}
	})
}

// enabled follows a successful enrolment: the new account, then the
// backup codes.
func (p *settings) enabled(ctx app.Context, res *api.TOTPEnabled) {
	p.account, p.codes, p.dialog = &res.Account, res.BackupCodes, dialogCodes
	p.returnFocus = "tfa"
	p.tfaNotice = i18n.T("tfa.notice.enabled")
}

// regenerated shows the new backup codes and reloads the count.
func (p *settings) regenerated(ctx app.Context, codes []string) {
	p.codes, p.dialog = codes, dialogCodes
	p.tfaNotice = i18n.T("tfa.notice.regenerated")
	p.refresh(p.ctx)
}

// disabled closes the dialog with TOTP off.
func (p *settings) disabled(ctx app.Context, acc *api.Account) {
	p.account = acc
	p.returnFocus = "tfa-enable"
	p.closeDialog(ctx, app.Event{})
	p.tfaNotice = i18n.T("tfa.notice.disabled")
}

func (p *settings) signedOut(ctx app.Context) { leave(ctx, i18n.T("signin.expired")) }
