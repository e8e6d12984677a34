package console

import (
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/backupcode"
	"twofold/app/console/form"
	"twofold/app/console/passkey"
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
	dialogPassword   = "password"   // Change password
)

// offlineRetry is how often the settings page tries the server again
// while it cannot reach it.
const offlineRetry = 5 * time.Second

// settingsTab is one tab of the settings page, as in the seed: a URL, the
// section it shows alone, and its title.
type settingsTab struct {
	Path string
	// ID is the id of the tab's section ("basic"); the tab link is
	// "tab-<ID>".
	ID string
	// Title is the tab's name and section heading, in the language in use.
	Title func() string
	// render draws the section's content under its heading.
	render func(p *settings) app.UI
}

// settingsTabs are the settings page's tabs, in order. A tab is one line
// here: Register routes its path to the settings page, which shows its
// link, marks it current on its URL and renders its section alone.
var settingsTabs = []settingsTab{
	{
		Path: PathSettings, ID: "basic", render: (*settings).renderBasic,
		Title: func() string { return i18n.T("settings.basic.title") },
	},
	{
		Path: PathSecurity, ID: "security", render: (*settings).renderSecurity,
		Title: func() string { return i18n.T("settings.security.title") },
	},
	{
		Path: PathDevices, ID: "devices", render: (*settings).renderDevices,
		Title: func() string { return i18n.T("settings.devices.title") },
	},
}

// tabOf returns the tab of a path (the first tab for an unknown one).
func tabOf(path string) settingsTab {
	for _, t := range settingsTabs {
		if t.Path == path {
			return t
		}
	}
	return settingsTabs[0]
}

// settings is the settings page: one tab at a time (settingsTabs), the
// account's basic settings (2FA state, email, email verification) or its
// security settings (password, backup codes, disabling 2FA), with the
// dialogs they open. A change's step-up is asked where the change is
// made, so the page never shows two code fields.
//
// Offline it shows the account it had, or the view kept in the browser
// (offline.go), with a banner and every control disabled, and tries the
// server again every few seconds and when the browser is back online.
type settings struct {
	app.Compo

	mounted bool
	tab     settingsTab
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
	// notice says what the last action did (in the language in use); the
	// next action clears it.
	notice notice
	// actions counts the user's actions, so that the forms clear their
	// own "Saved." too.
	actions int
	// ctx is the page's own context, for work after a dialog closes: a
	// handler inside the dialog has a context that goes with it.
	ctx app.Context
}

// newSettings makes the page of tab; its route knows the tab, so the first
// render already marks it.
func newSettings(tab settingsTab) *settings { return &settings{status: statusLoading, tab: tab} }

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

// OnNav shows the tab of the URL and loads the account. It also runs on
// the server while it pre-renders the page, without the browser's
// cookie: there it only sets the tab and the title. Going from tab to tab
// keeps what is loaded and counts as the next action (notices clear).
func (p *settings) OnNav(ctx app.Context) {
	p.tab = tabOf(ctx.Page().URL().Path)
	setTitle(ctx, "settings.page_title")
	if app.IsServer {
		return
	}
	p.acted()
	// Another tab (or the browser's Back) closes a dialog, except the new
	// backup codes: they are shown once, and only their dialog closes
	// them.
	if p.dialog != dialogCodes {
		p.dialog = dialogNone
	}
	takeArrival(ctx, "settings-title")
	if p.account != nil {
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
				goTo(ctx, pageFor(acc))
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
// the view kept in the browser, with every control disabled; and tries
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

// acted clears the notice of the last action: the user does something
// else now.
func (p *settings) acted() {
	p.notice = noticeNone
	p.actions++
}

// notice is what the last action did, shown above the section.
type notice int

const (
	noticeNone notice = iota
	noticeEnabled
	noticeRegenerated
	noticeDisabled
	noticePassword
)

// noticeText is the notice in the language in use.
func (p *settings) noticeText() string {
	switch p.notice {
	case noticeEnabled:
		return i18n.T("tfa.notice.enabled")
	case noticeRegenerated:
		return i18n.T("tfa.notice.regenerated")
	case noticeDisabled:
		return i18n.T("tfa.notice.disabled")
	case noticePassword:
		return i18n.T("password.saved")
	}
	return ""
}

// basicSaved follows a change of the basic settings.
func (p *settings) basicSaved(ctx app.Context, acc *api.Account) { p.show(acc) }

func (p *settings) Render() app.UI {
	return frame{ID: "settings-page", Mounted: p.mounted, Account: p.account, Offline: p.offline}.UI(
		app.Div().Class("container").Body(
			app.H1().ID("settings-title").Class("page-title").TabIndex(-1).Text(i18n.T("settings.title")),
			p.renderOffline(),
			p.renderBanners(),
			app.Div().Class("settings").Body(
				p.renderTabs(),
				app.Div().Class("settings-panel").Body(p.renderPanel()),
			),
			p.renderDialog(),
		),
	).DataSet("state", string(p.status)).DataSet("dialog", p.dialog).DataSet("offline", p.offline).
		DataSet("tab", p.tab.ID)
}

// renderTabs is the seed's tab list: one link per tab, the current one
// marked (aria-current). They are plain links, so they work in the
// server's page before the WASM runs too.
func (p *settings) renderTabs() app.UI {
	links := make([]app.UI, len(settingsTabs))
	for i, t := range settingsTabs {
		a := app.A().ID("tab-" + t.ID).Class("tab").Href(t.Path).Text(t.Title())
		if t.ID == p.tab.ID {
			a = a.Aria("current", "page").Class("tab-current")
		}
		links[i] = a
	}
	return app.Nav().ID("settings-tabs").Class("settings-nav").Aria("label", i18n.T("settings.nav_label")).Body(links...)
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

// renderPanel is the current tab's section, or what stands for it while
// the account loads.
func (p *settings) renderPanel() app.UI {
	if card := loadCard(p.status, "settings", p.loadErr, func(ctx app.Context, e app.Event) { p.load(ctx) }); card != nil {
		return card
	}
	// Offline, a disabled fieldset disables every control of the section
	// at once (the dialogs stay outside it); the controls say so too.
	section := app.FieldSet().Class("settings-sections")
	if p.offline {
		section = section.Disabled(true)
	}
	return app.Div().Body(
		app.P().ID("settings-notice").Class("saved settings-notice").Role("status").Text(p.noticeText()),
		section.Body(
			app.Section().ID(p.tab.ID).Class("card").Aria("labelledby", p.tab.ID+"-title").Body(
				app.H2().ID(p.tab.ID+"-title").Class("card-title").Text(p.tab.Title()),
				p.tab.render(p),
			),
		),
	)
}

// renderBasic is the Basic Settings tab: the user, the 2FA state (Enable
// 2FA, the green 2FA badge, or the amber Renew 2FA), the email and email
// verification form.
func (p *settings) renderBasic() app.UI {
	acc := p.account
	return app.Div().Body(
		app.Div().Class("profile").Body(
			app.P().ID("account-username").Class("profile-name").Text(acc.User.Username),
			app.If(acc.User.IsAdmin, func() app.UI {
				return app.Span().Class("badge badge-blue").Text(i18n.T("settings.admin_badge"))
			}),
		),
		&tfaState{TFA: acc.TFA, Offline: p.offline, OnEnable: p.openEnrol},
		&basicForm{
			Account: acc, Kept: p.kept != nil, Offline: p.offline, Actions: p.actions,
			OnSaved: p.basicSaved, OnAction: func(app.Context) { p.acted() },
		},
	)
}

// renderSecurity is the Security Settings tab: the password, and 2FA's
// state with its backup codes, renewal and switch-off.
func (p *settings) renderSecurity() app.UI {
	return app.Div().Body(
		app.Div().ID("security-password").Class("security-row").Body(
			app.Div().Body(
				app.H3().Class("section-title").Text(i18n.T("password.row_title")),
				app.P().ID("password-open-hint").Class("hint").Text(i18n.T("password.row_hint")),
			),
			app.Button().ID("password-open").Type("button").Class("btn btn-secondary").
				Aria("describedby", "password-open-hint").Disabled(p.offline).
				OnClick(p.openPassword).Text(i18n.T("password.submit")),
		),
		&tfaSecurity{
			TFA: p.account.TFA, Offline: p.offline,
			OnRenew: p.openEnrol, OnRegenerate: p.openRegenerate, OnDisable: p.openDisable,
		},
		&passkey.Keys{
			Account: p.account, Offline: p.offline, OnSignedOut: sessionExpired,
			OnAccount: func(ctx app.Context, acc *api.Account) { p.show(acc) },
			OnCodes: func(ctx app.Context, codes []string) {
				p.returnFocus = "passkeys-title"
				p.codes, p.dialog = codes, dialogCodes
			},
		},
	)
}

// renderDevices is the Manage Signed Devices tab (devices.go).
func (p *settings) renderDevices() app.UI {
	return &devices{Account: p.account, Offline: p.offline, OnChanged: p.refresh}
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
	case dialogPassword:
		return &passwordDialog{Account: acc, OnChanged: p.passwordChanged, OnClose: p.closeDialog}
	}
	return app.Text("")
}

// open shows a dialog; the focus comes back to the element that opened
// it. Opening is the next action: the last notice clears.
func (p *settings) open(ctx app.Context, dialog string) {
	p.acted()
	p.dialog = dialog
	p.returnFocus = ctx.JSSrc().Get("id").String()
}

func (p *settings) openEnrol(ctx app.Context, e app.Event)      { p.open(ctx, dialogEnrol) }
func (p *settings) openRegenerate(ctx app.Context, e app.Event) { p.open(ctx, dialogRegenerate) }
func (p *settings) openDisable(ctx app.Context, e app.Event)    { p.open(ctx, dialogDisable) }
func (p *settings) openPassword(ctx app.Context, e app.Event)   { p.open(ctx, dialogPassword) }

// closeDialog closes the dialog and gives the focus back to the element
// that opened it, or to what replaced it (returnFocus), else the tab's
// heading.
func (p *settings) closeDialog(ctx app.Context, e app.Event) {
	p.dialog, p.codes = dialogNone, nil
	ret, heading := p.returnFocus, p.tab.ID+"-title"
	p.ctx.Defer(func(app.Context) {
		if !form.Focus(ret) {
			form.Focus(heading)
		}
	})
}

// enabled follows a successful enrolment: the new account, then the
// backup codes; afterwards the focus goes to the 2FA state that replaced
// the button (the green badge, on Basic Settings).
func (p *settings) enabled(ctx app.Context, res *api.TOTPEnabled) {
	p.show(&res.Account)
	p.codes, p.dialog = res.BackupCodes, dialogCodes
	if p.tab.ID == "basic" {
		p.returnFocus = "tfa-state"
	}
	p.notice = noticeEnabled
}

// regenerated shows the new backup codes and reloads the count.
func (p *settings) regenerated(ctx app.Context, codes []string) {
	p.codes, p.dialog = codes, dialogCodes
	p.notice = noticeRegenerated
	p.refresh(p.ctx)
}

// disabled closes the dialog with TOTP off.
func (p *settings) disabled(ctx app.Context, acc *api.Account) {
	p.show(acc)
	p.returnFocus = "security-tfa-title"
	p.closeDialog(ctx, app.Event{})
	p.notice = noticeDisabled
}

// passwordChanged closes the password dialog and says what happened.
func (p *settings) passwordChanged(ctx app.Context) {
	p.closeDialog(ctx, app.Event{})
	p.notice = noticePassword
	p.refresh(p.ctx)
}
