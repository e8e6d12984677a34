package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/browser"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
)

// languageNames name the switch's languages in themselves (the buttons'
// tooltips and descriptions); they are not translated.
var languageNames = map[string]string{
	i18n.English: "English",
	i18n.French:  "Français",
}

// header is the top bar, as in the seed: the product name, the language
// switch, the light/dark switch and, when signed in, the username and the
// Sign out button. Below it, the prompt to reload when a new version of
// the app is ready. In the server's pre-rendered page its buttons are
// disabled: they work once the WASM runs.
type header struct {
	app.Compo

	// Username is the signed-in user; empty on the sign-in pages.
	Username string
	// Offline disables Sign out: it needs the server.
	Offline bool
	// Admin shows the Users link of the administrators' pages; AdminPage
	// marks it current.
	Admin, AdminPage bool

	updateReady bool
	busy        bool
	err         string
	dark        bool
	stopScheme  func()
}

// OnInit shows the update prompt when the update came before this page,
// and the theme in use.
func (h *header) OnInit() {
	h.updateReady = newVersion
	h.dark = darkTheme()
}

// OnMount starts the update check of the app's start and follows the
// system's colours (the switch shows the theme in use).
func (h *header) OnMount(ctx app.Context) {
	checkForUpdateOnce()
	h.stopScheme = browser.OnColorSchemeChange(func() {
		ctx.Dispatch(func(ctx app.Context) { h.dark = darkTheme() })
	})
}

// OnDismount stops following the system's colours.
func (h *header) OnDismount() {
	if h.stopScheme != nil {
		h.stopScheme()
		h.stopScheme = nil
	}
}

// OnAppUpdate is go-app's news that a service worker activated: when it
// serves a new version, the page (which still runs the old one until it
// reloads) offers to reload.
func (h *header) OnAppUpdate(ctx app.Context) {
	ctx.Async(func() {
		if !newVersionActive() {
			return
		}
		ctx.Dispatch(func(ctx app.Context) {
			newVersion, h.updateReady = true, true
		})
	})
}

func (h *header) Render() app.UI {
	return app.Header().Class("topbar").Body(
		app.Div().Class("topbar-inner").Body(
			app.A().Href(PathSignIn).Class("brand").Body(
				app.Span().Class("brand-logo").Aria("hidden", true),
				app.Span().Class("brand-name").Text(i18n.T("app.name")),
			),
			app.Div().Class("topbar-tools").Body(
				app.If(h.Admin, h.adminLink),
				h.languageSwitch(),
				h.themeSwitch(),
				app.If(h.Username != "", func() app.UI {
					return app.Div().Class("user").Body(
						app.Span().Class("avatar").Aria("hidden", true).Text(initial(h.Username)),
						app.Span().Class("user-name").Body(
							app.Span().Class("sr-only").Text(i18n.T("header.signed_in_as")),
							app.Text(h.Username),
						),
						widget.Button{
							ID: "signout", Label: i18n.T("header.sign_out"), BusyLabel: i18n.T("header.signing_out"),
							Type: "button", Kind: widget.ButtonSecondary, Busy: h.busy, Disabled: h.Offline || app.IsServer,
							OnClick: h.signOut,
						}.UI(),
					)
				}),
			),
		),
		app.If(h.updateReady, func() app.UI {
			return app.Div().ID("update-banner").Class("update").Role("status").Body(
				app.P().ID("update-text").Text(i18n.T("update.available")),
				widget.Button{
					ID: "update-reload", Label: i18n.T("update.reload"), Type: "button", Small: true,
					OnClick: func(ctx app.Context, e app.Event) { ctx.Reload() },
				}.UI(),
			)
		}),
		widget.Alert{ID: "signout-error", Text: h.err}.UI(),
	)
}

// adminLink is the administrators' entry: the user table.
func (h *header) adminLink() app.UI {
	a := app.A().ID("header-admin").Class("header-link").Href(PathAdminUsers).Text(i18n.T("header.admin"))
	if h.AdminPage {
		a = a.Aria("current", "page")
	}
	return a
}

// languageSwitch is one toggle button per language, showing its code and
// described by its name, both in that language (lang); the current one is
// pressed. The name is the visible code, so speech input can say it.
func (h *header) languageSwitch() app.UI {
	buttons := make([]app.UI, len(i18n.Languages))
	for i, lang := range i18n.Languages {
		buttons[i] = app.Button().ID("lang-"+lang).Type("button").Class("lang-button").
			Lang(lang).Title(languageNames[lang]).Aria("pressed", lang == i18n.Lang()).
			Disabled(app.IsServer).OnClick(h.chooseLanguage).Text(strings.ToUpper(lang))
	}
	return app.Div().ID("lang-switch").Class("lang-switch").Role("group").
		Aria("label", i18n.T("header.language")).Body(buttons...)
}

// themeSwitch is the seed's light/dark switch: one toggle button, pressed
// while the page is dark, named by what it turns on ("Dark theme").
func (h *header) themeSwitch() app.UI {
	icon := "icon-sun"
	if h.dark {
		icon = "icon-moon"
	}
	return app.Button().ID("theme-switch").Type("button").Class("theme-button").
		Title(i18n.T("header.theme_dark")).Aria("label", i18n.T("header.theme_dark")).
		Aria("pressed", h.dark).Disabled(app.IsServer).OnClick(h.toggleTheme).Body(
		app.Span().Class("icon "+icon).Aria("hidden", true),
	)
}

// toggleTheme switches between light and dark and keeps the choice on the
// device.
func (h *header) toggleTheme(ctx app.Context, e app.Event) {
	h.dark = !h.dark
	if h.dark {
		setTheme(ThemeDark)
	} else {
		setTheme(ThemeLight)
	}
}

// chooseLanguage switches the language of the button clicked. The click's
// update renders the header and the page around it again.
func (h *header) chooseLanguage(ctx app.Context, e app.Event) {
	switchLanguage(ctx.JSSrc().Get("lang").String())
}

// signOut ends the session on the server, then shows the sign-in page.
// The account view kept for offline use is removed (apiclient tells
// Start's hook once the session is gone).
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
			goTo(ctx, PathSignIn)
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
