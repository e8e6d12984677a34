package console

import (
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// usersPerPage is the user table's page size.
const usersPerPage = api.AdminDefaultPerPage

// adminUsers is the administrators' user table: a search by username or
// email, one page of users at a time with their 2FA state, email
// verification, last sign-in and markers (2FA enforced, administrator,
// locked, disabled), and "New user".
type adminUsers struct {
	app.Compo
	adminGate

	q      string // the search typed
	query  string // the search of the page shown
	page   int
	result *api.AdminUsers
	// busy: a search or a page is loading (the table stays).
	busy    bool
	listErr string
	// creating: the New user dialog is open.
	creating bool
	// pagerFocus is the pager's button that loaded the page: the focus
	// stays on the pager once it is there.
	pagerFocus string
	ctx        app.Context
}

// OnMount marks the page as the WASM's.
func (p *adminUsers) OnMount(ctx app.Context) {
	p.mounted = true
	p.ctx = ctx
}

// OnNav loads the account, then the first page of users.
func (p *adminUsers) OnNav(ctx app.Context) {
	setTitle(ctx, "admin.users.page_title")
	if app.IsServer {
		return
	}
	takeArrival(ctx, "admin-title")
	p.start(ctx, app.Event{})
}

// start loads the account, then the users.
func (p *adminUsers) start(ctx app.Context, e app.Event) {
	p.loadAccount(ctx, func(ctx app.Context) {
		if p.page == 0 {
			p.page = 1
		}
		p.list(ctx)
	})
}

// list loads the page of users of the current search.
func (p *adminUsers) list(ctx app.Context) {
	p.busy, p.listErr = true, ""
	q, page := p.query, p.page
	ctx.Async(func() {
		res, err := apiclient.AdminUsers(ctx, q, page, usersPerPage)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			switch {
			case err == nil:
				p.result, p.status = res, statusLoaded
				if id := p.pagerFocus; id != "" {
					p.pagerFocus = ""
					p.ctx.Defer(func(app.Context) { focusPager(id) })
				}
			case p.result != nil && !apiclient.SignedOut(err) && !apiclient.Is(err, api.CodeForbidden):
				p.listErr = form.ErrorText(err)
				form.FocusLater(p.ctx, "users-error")
			default:
				p.failed(ctx, err)
			}
		})
	})
}

func (p *adminUsers) Render() app.UI {
	return p.frame("admin-users-page", PathAdminUsers, p.start, func() []app.UI {
		return []app.UI{
			app.H1().ID("admin-title").Class("page-title").TabIndex(-1).Text(i18n.T("admin.users.title")),
			adminNav(PathAdminUsers),
			app.Section().ID("users").Class("card").Aria("labelledby", "admin-title").DataSet("busy", p.busy).Body(
				p.renderSearch(),
				widget.Alert{ID: "users-error", Text: p.listErr}.UI(),
				p.renderTable(),
				p.renderPager(),
			),
			app.If(p.creating, func() app.UI {
				return &adminCreate{Account: p.account, OnClose: p.closeCreate, OnCreated: p.created}
			}),
		}
	})
}

// renderSearch is the search form and the New user button.
func (p *adminUsers) renderSearch() app.UI {
	return app.Div().Class("admin-toolbar").Body(
		app.Form().ID("users-search").Class("search").Role("search").NoValidate(true).OnSubmit(p.search).Body(
			app.Div().Class("field").Body(
				app.Label().For("users-q").Class("label").Text(i18n.T("admin.users.search.label")),
				app.Div().Class("search-row").Body(
					app.Input().ID("users-q").Type("search").Class("input").Value(p.q).MaxLength(254).
						Attr("autocomplete", "off").Spellcheck(false).Aria("describedby", "users-q-hint").
						OnInput(func(ctx app.Context, e app.Event) { p.q = widget.InputValue(ctx) }),
					widget.Button{ID: "users-search-submit", Label: i18n.T("admin.users.search.submit"),
						Kind: widget.ButtonSecondary, Busy: p.busy}.UI(),
				),
				app.P().ID("users-q-hint").Class("hint").Text(i18n.T("admin.users.search.hint")),
			),
		),
		widget.Button{ID: "users-new", Label: i18n.T("admin.create.open"), Type: "button", OnClick: p.openCreate}.UI(),
	)
}

// renderTable is the page of users; a table that scrolls sideways on a
// narrow screen.
func (p *adminUsers) renderTable() app.UI {
	res := p.result
	count := i18n.T("admin.users.count", "n", form.Itoa(int(res.Total)))
	if p.query != "" {
		count = i18n.T("admin.users.count_found", "n", form.Itoa(int(res.Total)), "q", p.query)
	}
	status := app.P().ID("users-count").Class("muted").Role("status").Text(count)
	if len(res.Users) == 0 {
		return app.Div().Body(status, app.P().ID("users-empty").Text(i18n.T("admin.users.none")))
	}
	rows := make([]app.UI, len(res.Users))
	for i := range res.Users {
		u := &res.Users[i]
		id := "user-" + form.Itoa(int(u.ID))
		rows[i] = app.Tr().ID(id).DataSet("username", u.Username).Body(
			app.Th().Scope("row").Body(
				app.A().ID(id+"-link").Class("link user-link").Href(adminUserPath(u.ID)).Text(u.Username),
				app.If(u.Email != "", func() app.UI {
					return app.Span().Class("user-email muted").Text(u.Email)
				}),
			),
			app.Td().Body(app.Div().Class("badges").Body(append([]app.UI{tfaBadge(u.TFA)}, userBadges(u)...)...)),
			app.Td().Text(onOff(u.EmailVerification)),
			app.Td().Text(lastLogin(u)),
		)
	}
	return app.Div().Body(
		status,
		app.Div().ID("users-table").Class("table-wrap").Role("region").TabIndex(0).
			Aria("labelledby", "users-caption").Body(
			app.Table().Class("table").Body(
				app.Caption().ID("users-caption").Class("sr-only").Text(i18n.T("admin.users.caption")),
				app.THead().Body(app.Tr().Body(
					app.Th().Scope("col").Text(i18n.T("admin.col.user")),
					app.Th().Scope("col").Text(i18n.T("admin.col.state")),
					app.Th().Scope("col").Text(i18n.T("admin.col.email_verification")),
					app.Th().Scope("col").Text(i18n.T("admin.col.last_login")),
				)),
				app.TBody().Body(rows...),
			),
		),
	)
}

// renderPager is Previous and Next, with the page number.
func (p *adminUsers) renderPager() app.UI {
	pages := (int(p.result.Total) + usersPerPage - 1) / usersPerPage
	if pages <= 1 {
		return app.Text("")
	}
	return app.Nav().ID("users-pager").Class("pager").Aria("label", i18n.T("admin.pager.label")).Body(
		widget.Button{ID: "users-prev", Label: i18n.T("admin.pager.prev"), Type: "button", Kind: widget.ButtonSecondary,
			Disabled: p.page <= 1 || p.busy, OnClick: p.prev}.UI(),
		app.Span().ID("users-page").Role("status").Aria("live", "polite").Text(i18n.T("admin.pager.page", "page", form.Itoa(p.page), "pages", form.Itoa(pages))),
		widget.Button{ID: "users-next", Label: i18n.T("admin.pager.next"), Type: "button", Kind: widget.ButtonSecondary,
			Disabled: p.page >= pages || p.busy, OnClick: p.next}.UI(),
	)
}

func (p *adminUsers) search(ctx app.Context, e app.Event) {
	e.PreventDefault()
	p.query, p.page = strings.TrimSpace(p.q), 1
	p.list(ctx)
}

func (p *adminUsers) prev(ctx app.Context, e app.Event) {
	p.page--
	p.pagerFocus = "users-prev"
	p.list(ctx)
}

func (p *adminUsers) next(ctx app.Context, e app.Event) {
	p.page++
	p.pagerFocus = "users-next"
	p.list(ctx)
}

// focusPager puts the focus back on the pager's button id once the page
// is loaded (it was disabled meanwhile), or on the other one when id is
// disabled now (the first or the last page).
func focusPager(id string) {
	el := app.Window().GetElementByID(id)
	if el.Truthy() && el.Get("disabled").Bool() {
		other := map[string]string{"users-prev": "users-next", "users-next": "users-prev"}[id]
		el = app.Window().GetElementByID(other)
	}
	if el.Truthy() {
		el.Call("focus")
	}
}

func (p *adminUsers) openCreate(ctx app.Context, e app.Event) { p.creating = true }

// closeCreate closes the New user dialog; the focus goes back to its
// button.
func (p *adminUsers) closeCreate(ctx app.Context, e app.Event) {
	p.creating = false
	p.ctx.Defer(func(app.Context) { form.Focus("users-new") })
	p.list(p.ctx)
}

// created follows a new user: the list shows it once the dialog closes.
func (p *adminUsers) created(ctx app.Context, u *api.AdminUser) {
	p.refreshAccount(p.ctx)
}

// adminUserPath is the page of the user id.
func adminUserPath(id int64) string { return PathAdminUser + "?id=" + form.Itoa(int(id)) }
