package console

import (
	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// Paths of the administrators' pages (API.md, "Administration").
const (
	// PathAdminUsers is the searchable user table.
	PathAdminUsers = "/admin/users"
	// PathAdminUser is one user's page: ?id=<user id>.
	PathAdminUser = "/admin/user"
	// PathAdminEvents is the audit log: ?user_id=&type= filter it.
	PathAdminEvents = "/admin/events"
)

// adminPaths are the administrators' pages, for the route table.
var adminPaths = []string{PathAdminUsers, PathAdminUser, PathAdminEvents}

// adminGate is what every administrator's page does first: it loads the
// signed-in account (for the header, and for the step-ups of the
// actions), and shows a clear "not allowed" state to anyone who is not
// an administrator (the server refuses their requests anyway: 403).
type adminGate struct {
	mounted bool
	status  loadStatus
	account *api.Account
	loadErr string
	// forbidden: the signed-in user is not an administrator.
	forbidden bool
}

// loadAccount loads the account, then calls then with it when the user
// is an administrator.
func (g *adminGate) loadAccount(ctx app.Context, then func(ctx app.Context)) {
	g.status, g.loadErr = statusLoading, ""
	ctx.Async(func() {
		acc, err := apiclient.Account(ctx)
		ctx.Dispatch(func(ctx app.Context) {
			switch {
			case signedOutOr(ctx, err):
			case err != nil:
				g.status, g.loadErr = statusFailed, form.ErrorText(err)
			case pageFor(acc) != PathSettings:
				goTo(ctx, pageFor(acc))
			default:
				g.account = acc
				if !acc.User.IsAdmin {
					g.status, g.forbidden = statusLoaded, true
					return
				}
				then(ctx)
			}
		})
	})
}

// failed shows the error of a request for the page's data: a 403 means
// the user is no longer an administrator.
func (g *adminGate) failed(ctx app.Context, err error) {
	switch {
	case signedOutOr(ctx, err):
	case apiclient.Is(err, api.CodeForbidden):
		g.status, g.forbidden = statusLoaded, true
	default:
		g.status, g.loadErr = statusFailed, form.ErrorText(err)
	}
}

// frame is the page's frame with the administrators' navigation.
func (g *adminGate) frame(id, current string, retry app.EventHandler, content func() []app.UI) app.UI {
	if g.status == "" {
		g.status = statusLoading
	}
	body := []app.UI{}
	switch {
	case g.forbidden:
		body = append(body,
			app.H1().ID("admin-title").Class("page-title").TabIndex(-1).Text(i18n.T("admin.title")),
			app.Div().ID("admin-forbidden").Class("card").Body(
				widget.Alert{ID: "admin-forbidden-text", Text: i18n.T("admin.forbidden")}.UI(),
				app.A().ID("admin-to-settings").Class("link").Href(PathSettings).Text(i18n.T("admin.to_settings")),
			))
	case g.status != statusLoaded:
		body = append(body,
			app.H1().ID("admin-title").Class("page-title").TabIndex(-1).Text(i18n.T("admin.title")),
			loadCard(g.status, "admin", g.loadErr, retry))
	default:
		body = append(body, content()...)
	}
	f := frame{ID: id, Mounted: g.mounted, Account: g.account, AdminPage: true}
	return f.UI(app.Div().Class("container").Body(body...)).
		DataSet("state", string(g.status)).DataSet("forbidden", g.forbidden).DataSet("current", current)
}

// adminNav is the administrators' section links, the current one marked.
func adminNav(current string) app.UI {
	link := func(id, path, text string) app.UI {
		a := app.A().ID(id).Class("tab").Href(path).Text(text)
		if path == current {
			a = a.Aria("current", "page").Class("tab-current")
		}
		return a
	}
	return app.Nav().ID("admin-nav").Class("admin-nav").Aria("label", i18n.T("admin.nav_label")).Body(
		link("admin-nav-users", PathAdminUsers, i18n.T("admin.users.title")),
		link("admin-nav-events", PathAdminEvents, i18n.T("admin.events.title")),
	)
}

// tfaBadge is a user's 2FA state as a badge: not enabled, enabled or
// expired.
func tfaBadge(tfa api.TFA) app.UI {
	switch tfa.State {
	case api.TFAEnabled:
		return app.Span().Class("badge badge-green").DataSet("tfa", tfa.State).Text(i18n.T("admin.tfa.enabled"))
	case api.TFAExpired:
		return app.Span().Class("badge badge-amber").DataSet("tfa", tfa.State).Text(i18n.T("admin.tfa.expired"))
	}
	return app.Span().Class("badge").DataSet("tfa", tfa.State).Text(i18n.T("admin.tfa.not_enabled"))
}

// userBadges are the markers of a user: 2FA enforced, administrator,
// locked, disabled.
func userBadges(u *api.AdminUser) []app.UI {
	var out []app.UI
	if u.TFA.Enforced {
		out = append(out, app.Span().Class("badge badge-blue").DataSet("marker", "enforced").Text(i18n.T("admin.tfa.enforced")))
	}
	if u.IsAdmin {
		out = append(out, app.Span().Class("badge badge-blue").DataSet("marker", "admin").Text(i18n.T("admin.marker.admin")))
	}
	if u.LockedUntil != nil {
		out = append(out, app.Span().Class("badge badge-amber").DataSet("marker", "locked").
			Title(i18n.T("admin.locked_until", "date", formatDateTime(*u.LockedUntil))).Text(i18n.T("admin.marker.locked")))
	}
	if u.Disabled {
		out = append(out, app.Span().Class("badge badge-red").DataSet("marker", "disabled").Text(i18n.T("admin.marker.disabled")))
	}
	return out
}

// onOff says whether a setting is on.
func onOff(on bool) string {
	if on {
		return i18n.T("admin.on")
	}
	return i18n.T("admin.off")
}

// lastLogin is a user's last sign-in, or "never".
func lastLogin(t *api.AdminUser) string {
	if t.LastLogin == nil {
		return i18n.T("admin.never")
	}
	return formatDateTime(*t.LastLogin)
}
