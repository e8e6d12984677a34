package console

import (
	"context"
	"strconv"
	"time"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
	"twofold/shared/useragent"
)

// PathDevices is the settings page's Manage Signed Devices tab: the
// user's own sessions (API.md, "Own sessions").
const PathDevices = "/settings/devices"

// devices is the Manage Signed Devices tab: the user's sessions and
// bearer tokens, newest first, each with its browser and system ("Firefox
// on Linux"), IP address, start and last activity, the current one
// marked; "Sign out" ends one, "Sign out all other sessions" the others,
// both after a step-up in a dialog.
type devices struct {
	app.Compo

	Account *api.Account
	Offline bool
	// OnChanged is called after a session ended (the step-up may have
	// elevated the session: the page reloads the account).
	OnChanged func(ctx app.Context)

	status   loadStatus
	sessions []api.SessionInfo
	loadErr  string
	// ending is the session the dialog ends (0: the others).
	ending int64
	dialog bool
	notice string
	// returnFocus is where the focus goes when the dialog closes.
	returnFocus string
	ctx         app.Context
}

// OnMount loads the sessions.
func (d *devices) OnMount(ctx app.Context) {
	d.ctx = ctx
	d.load(ctx)
}

// load asks the server for the sessions.
func (d *devices) load(ctx app.Context) {
	if d.sessions == nil {
		d.status, d.loadErr = statusLoading, ""
	}
	ctx.Async(func() {
		list, err := apiclient.Sessions(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case signedOutOr(ctx, err):
			case err != nil:
				if d.sessions == nil {
					d.status, d.loadErr = statusFailed, form.ErrorText(err)
				}
			default:
				d.status, d.sessions = statusLoaded, list
			}
		})
	})
}

func (d *devices) Render() app.UI {
	body := []app.UI{
		app.P().ID("devices-intro").Class("muted").Text(i18n.T("devices.intro")),
		app.P().ID("devices-notice").Class("saved settings-notice").Role("status").TabIndex(-1).Text(d.notice),
	}
	switch d.status {
	case statusFailed:
		body = append(body, widget.Alert{ID: "devices-error", Text: d.loadErr}.UI(),
			widget.Button{ID: "devices-retry", Label: i18n.T("page.retry"), Type: "button",
				OnClick: func(ctx app.Context, e app.Event) { d.load(ctx) }}.UI())
	case statusLoaded:
		items := make([]app.UI, len(d.sessions))
		others := 0
		for i, s := range d.sessions {
			items[i] = d.renderSession(s)
			if !s.Current {
				others++
			}
		}
		body = append(body,
			app.Ul().ID("devices-list").Class("devices").Aria("label", i18n.T("devices.list_label")).Body(items...),
			app.Div().Class("security-row").Body(
				app.P().ID("devices-others-hint").Class("hint").Text(i18n.T("devices.end_others.hint")),
				app.Button().ID("devices-end-others").Type("button").Class("btn btn-danger").
					Aria("describedby", "devices-others-hint").Disabled(d.Offline || others == 0).
					OnClick(d.openEndOthers).Text(i18n.T("devices.end_others")),
			),
		)
	default:
		body = append(body, loadingCard(i18n.T("devices.loading")))
	}
	if d.dialog {
		body = append(body, d.renderDialog())
	}
	return app.Div().ID("devices-tab").DataSet("state", string(d.status)).Body(body...)
}

// renderSession is one session: what it is, where and when, and its
// Sign out button (the current one is marked instead: the header signs
// it out).
func (d *devices) renderSession(s api.SessionInfo) app.UI {
	id := "session-" + form.Itoa(int(s.ID))
	item := app.Li().ID(id).Class("device").DataSet("current", s.Current).DataSet("id", s.ID)
	return item.Body(
		app.Div().Class("device-main").Body(
			app.P().ID(id+"-name").Class("device-name").Body(
				app.Text(sessionName(s)),
				app.If(s.Current, func() app.UI {
					return app.Span().ID("session-current").Class("badge badge-green").Text(i18n.T("devices.current"))
				}),
			),
			app.Dl().Class("device-facts").Body(
				app.If(s.ClientID != "", func() app.UI { return app.Dt().Text(i18n.T("devices.client_id")) }),
				app.If(s.ClientID != "", func() app.UI { return app.Dd().Class("device-client-id").Text(s.ClientID) }),
				app.Dt().Text(i18n.T("devices.ip")), app.Dd().Class("device-ip").Text(orDash(s.IP)),
				app.Dt().Text(i18n.T("devices.created")), app.Dd().Text(formatDateTime(s.CreatedAt)),
				app.Dt().Text(i18n.T("devices.last_seen")), app.Dd().Text(formatDateTime(s.LastSeen)),
			),
		),
		app.If(!s.Current, func() app.UI {
			return app.Button().ID(id+"-end").Type("button").Class("btn btn-secondary").
				Aria("describedby", id+"-name").Disabled(d.Offline).DataSet("session", s.ID).
				OnClick(d.openEnd).Text(i18n.T("devices.end"))
		}),
	)
}

// sessionName is what a session is: a RustDesk client's device name, or
// the browser and the system of a console session ("Firefox on Linux").
func sessionName(s api.SessionInfo) string {
	if s.Kind == api.SessionRustDesk {
		if s.Device != nil && *s.Device != "" {
			return i18n.T("devices.rustdesk_named", "device", *s.Device)
		}
		return i18n.T("devices.rustdesk")
	}
	return clientName(s.UserAgent)
}

// clientName names the browser and the system of a User-Agent.
func clientName(ua string) string {
	c := useragent.Parse(ua)
	switch {
	case c.Browser != "" && c.OS != "":
		return i18n.T("devices.browser_on_os", "browser", c.Browser, "os", c.OS)
	case c.Browser != "":
		return c.Browser
	case c.OS != "":
		return i18n.T("devices.unknown_on_os", "os", c.OS)
	}
	return i18n.T("devices.unknown")
}

// orDash shows an empty value as a dash.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// formatDateTime shows a time in the browser's time zone, in the layout
// of the language in use.
func formatDateTime(t time.Time) string { return t.Local().Format(i18n.T("format.datetime")) }

func (d *devices) openEnd(ctx app.Context, e app.Event) {
	d.notice = ""
	d.ending, _ = strconv.ParseInt(ctx.JSSrc().Get("dataset").Get("session").String(), 10, 64)
	d.returnFocus = ctx.JSSrc().Get("id").String()
	d.dialog = true
}

func (d *devices) openEndOthers(ctx app.Context, e app.Event) {
	d.notice = ""
	d.ending = 0
	d.returnFocus = "devices-end-others"
	d.dialog = true
}

// renderDialog confirms ending one session, or all the others.
func (d *devices) renderDialog() app.UI {
	dlg := &form.StepUpDialog{
		Account: d.Account, Kind: widget.ButtonDanger,
		OnClose: d.closeDialog, OnSignedOut: sessionExpired,
	}
	if d.ending == 0 {
		dlg.ID, dlg.Title, dlg.Text = "end-others", i18n.T("devices.end_others"), i18n.T("devices.end_others.text")
		dlg.Submit, dlg.Submitting = i18n.T("devices.end_others.submit"), i18n.T("devices.ending")
		dlg.Send = func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
			err := apiclient.EndOtherSessions(ctx, req)
			return func(ctx app.Context) { d.ended(i18n.T("devices.ended_others"), "devices-notice") }, err
		}
		return dlg
	}
	id := d.ending
	name := ""
	for _, s := range d.sessions {
		if s.ID == id {
			name = sessionName(s)
		}
	}
	dlg.ID, dlg.Title = "end-session", i18n.T("devices.end.title")
	dlg.Text = i18n.T("devices.end.text", "device", name)
	dlg.Submit, dlg.Submitting = i18n.T("devices.end"), i18n.T("devices.ending")
	dlg.Send = func(ctx context.Context, req api.StepUp) (func(app.Context), error) {
		err := apiclient.EndSession(ctx, id, req)
		if apiclient.Is(err, api.CodeNotFound) {
			err = nil // ended meanwhile: it is gone either way
		}
		return func(ctx app.Context) { d.ended(i18n.T("devices.ended", "device", name), "devices-notice") }, err
	}
	return dlg
}

// ended closes the dialog, says what ended and reloads the list; the
// focus goes to the notice's neighbour, the list's introduction.
func (d *devices) ended(notice, focus string) {
	d.returnFocus = focus
	d.closeDialog(d.ctx, app.Event{})
	d.notice = notice
	d.load(d.ctx)
	if d.OnChanged != nil {
		d.OnChanged(d.ctx)
	}
}

// closeDialog closes the dialog and gives the focus back.
func (d *devices) closeDialog(ctx app.Context, e app.Event) {
	d.dialog = false
	ret := d.returnFocus
	d.ctx.Defer(func(app.Context) {
		if !form.Focus(ret) {
			form.Focus("devices-title")
		}
	})
}
