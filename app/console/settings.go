package console

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/backupcode"
	"twofold/app/console/form"
	"twofold/app/console/totp"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// The settings page's dialogs; one at a time.
const (
	dialogNone       = ""
	dialogEnrol      = "enrol"      // Enable 2FA, Renew 2FA
	dialogCodes      = "codes"      // new backup codes, shown once
	dialogRegenerate = "regenerate" // Regenerate backup codes
	dialogDisable    = "disable"    // Disable 2FA
)

// offlineRetry is how often the settings page tries the server again
// while it cannot reach it.
const offlineRetry = 5 * time.Second

// settings is the settings page ("/settings"): the account, its basic
// settings (2FA state, email, email verification) and its security
// settings (password, 2FA: backup codes, disable), with the 2FA dialogs.
//
// Offline it shows the account it had, or the view kept in the browser
// (offline.go), with a banner and every action disabled, and tries the
// server again every few seconds and when the browser is back online.
type settings struct {
	app.Compo

	mounted bool
	status  loadStatus
	account *api.Account
	loadErr string
	// offline: the server cannot be reached.
	offline bool
	// kept is the view kept in the browser that account comes from, while
	// the server has not answered; nil once it has.
	kept *accountView
	// retries counts the retry loops, so that only the last one runs.
	retries int
	// stopEvents removes the window's online and offline listeners.
	stopEvents []func()

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

// OnMount follows the browser's connection: back online, the page asks
// the server again at once; offline, it disables the actions.
func (p *settings) OnMount(ctx app.Context) {
	p.mounted = true
	p.ctx = ctx
	p.stopEvents = []func(){
		browser.OnWindowEvent("online", func() {
			ctx.Dispatch(func(ctx app.Context) {
				if p.offline {
					p.load(ctx)
				}
			})
		}),
		browser.OnWindowEvent("offline", func() {
			ctx.Dispatch(func(ctx app.Context) {
				if p.account != nil && !p.offline {
					p.goOffline(ctx)
				}
			})
		}),
	}
}

// OnDismount stops following the connection.
func (p *settings) OnDismount() {
	for _, stop := range p.stopEvents {
		stop()
	}
	p.stopEvents = nil
	p.retries++
}

// OnNav loads the account. It also runs on the server while it
// pre-renders the page, without the browser's cookie: there it only sets
// the title. A navigation inside the page (#basic, #security) keeps what
// is loaded.
func (p *settings) OnNav(ctx app.Context) {
	setTitle(ctx, "settings.page_title")
	if app.IsServer || p.account != nil {
		return
	}
	p.load(ctx)
}

// load asks the server for the account; with an account shown already it
// does so quietly (after a change, or to leave the offline state).
func (p *settings) load(ctx app.Context) {
	if p.account == nil && !p.offline {
		p.status, p.loadErr = statusLoading, ""
	}
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case signedOutOr(ctx, err):
			case apiclient.Unreachable(err):
				p.goOffline(ctx)
			case err != nil:
				if p.account == nil {
					p.status, p.loadErr = statusFailed, form.ErrorText(err)
					form.FocusLater(ctx, "settings-error")
				}
			case pageFor(acc) != PathSettings:
				ctx.Navigate(pageFor(acc))
			default:
				p.show(acc)
			}
		})
	})
}

// refresh reloads the account quietly (after a change that moves the
// elevation or the backup codes left).
func (p *settings) refresh(ctx app.Context) { p.load(ctx) }

// show shows the server's account, online, and keeps its view for
// offline use.
func (p *settings) show(acc *api.Account) {
	p.status, p.account, p.kept, p.offline, p.loadErr = statusLoaded, acc, nil, false, ""
	p.retries++ // ends a retry loop
	keepAccount(acc)
}

// goOffline shows the page without the server: the account it has, else
// the view kept in the browser, with every action disabled; and tries
// again later.
func (p *settings) goOffline(ctx app.Context) {
	p.offline = true
	if p.account == nil {
		if v := keptAccount(); v != nil {
			p.account, p.kept, p.status = v.account(), v, statusLoaded
		} else {
			p.status, p.loadErr = statusFailed, i18n.T("error.offline")
		}
	}
	p.retries++
	loop := p.retries
	ctx.After(offlineRetry, func(ctx app.Context) {
		if loop == p.retries && p.offline {
			p.load(ctx)
		}
	})
}

func (p *settings) setAccount(ctx app.Context, acc *api.Account) { p.show(acc) }

func (p *settings) Render() app.UI {
	return frame{ID: "settings-page", Mounted: p.mounted, Account: p.account, Offline: p.offline}.UI(
		app.Div().Class("container").Body(
			app.H1().Class("page-title").Text(i18n.T("settings.title")),
			p.renderOffline(),
			p.renderBody(),
		),
	).DataSet("state", string(p.status)).DataSet("dialog", p.dialog).DataSet("offline", p.offline)
}

// renderOffline is the offline banner: what the page cannot do, and how
// old the account shown is.
func (p *settings) renderOffline() app.UI {
	if !p.offline || p.account == nil {
		return app.Text("")
	}
	detail := ""
	if p.kept != nil {
		detail = i18n.T("offline.as_of", "date", p.kept.SavedAt.Local().Format(i18n.T("format.datetime")))
	}
	return widget.Alert{ID: "offline-banner", Kind: widget.AlertWarning, Text: i18n.T("offline.title"), Detail: detail}.UI()
}

func (p *settings) renderBody() app.UI {
	if card := loadCard(p.status, "settings", p.loadErr, func(ctx app.Context, e app.Event) { p.load(ctx) }); card != nil {
		return card
	}
	acc := p.account
	// Offline, a disabled fieldset disables every control of both
	// sections at once (the dialogs stay outside it).
	sections := app.FieldSet().Class("settings-sections")
	if p.offline {
		sections = sections.Disabled(true)
	}
	return app.Div().Class("settings").Body(
		app.Nav().Class("settings-nav").Aria("label", i18n.T("settings.nav_label")).Body(
			app.A().Href("#basic").Text(i18n.T("settings.basic.title")),
			app.A().Href("#security").Text(i18n.T("settings.security.title")),
		),
		sections.Body(
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
				p.renderBasic(),
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

// renderBasic is the basic settings form, or, from the view kept
// offline, the masked email it knows (the form needs the real one).
func (p *settings) renderBasic() app.UI {
	if p.kept == nil {
		return &basicForm{Account: p.account, OnSaved: p.setAccount}
	}
	if p.kept.Email == "" {
		return app.Text("")
	}
	return app.Dl().Class("kept").Body(
		app.Dt().Text(i18n.T("basic.email.label")),
		app.Dd().ID("account-email").Text(p.kept.Email),
	)
}

// renderDialog is the open dialog, if any.
func (p *settings) renderDialog() app.UI {
	acc := p.account
	switch p.dialog {
	case dialogEnrol:
		return &totp.Enrol{
			Account: acc, OnEnabled: p.enabled, OnCancel: p.closeDialog, OnSignedOut: sessionExpired,
		}
	case dialogCodes:
		return &backupcode.Codes{Codes: p.codes, Username: acc.User.Username, OnDone: p.closeDialog}
	case dialogRegenerate:
		return backupcode.Regenerate{
			Account: acc, OnDone: p.regenerated, OnClose: p.closeDialog, OnSignedOut: sessionExpired,
		}.UI()
	case dialogDisable:
		return totp.Disable{
			Account: acc, OnDone: p.disabled, OnClose: p.closeDialog, OnSignedOut: sessionExpired,
		}.UI()
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
	p.show(&res.Account)
	p.codes, p.dialog = res.BackupCodes, dialogCodes
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
	p.show(acc)
	p.returnFocus = "tfa-enable"
	p.closeDialog(ctx, app.Event{})
	p.tfaNotice = i18n.T("tfa.notice.disabled")
}
