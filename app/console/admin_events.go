package console

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"

	"twofold/app/apiclient"
	"twofold/app/console/form"
	"twofold/app/i18n"
	"twofold/app/widget"
	"twofold/shared/api"
)

// eventTypes are the event types of the audit page's filter
// (docs/admin-api.md); "audit.type.<type>" names each.
var eventTypes = []string{
	"login", "logout", "session_ended", "sessions_ended", "password_changed", "email_changed",
	"settings_changed", "step_up", "step_up_failed", "code_failed", "tfa_enabled", "tfa_renewed",
	"tfa_disabled", "tfa_reset", "backup_code_used", "backup_codes_regenerated",
	"password_reset_requested", "password_reset",
	"user_created", "user_disabled", "user_enabled", "admin_granted", "admin_revoked",
	"tfa_enforced", "tfa_not_enforced", "unlocked",
}

// eventsPerPage is how many events "Load more" adds.
const eventsPerPage = api.AdminDefaultEvents

// adminEvents is the audit page: every user's events, newest first,
// filtered by user and by type, with "Load more" for older ones.
type adminEvents struct {
	app.Compo
	adminGate

	// The filter as typed, and as applied to the list shown.
	username, typ string
	userID        int64
	appliedType   string
	filterErr     string

	events  []api.AdminEvent
	next    *int64
	busy    bool
	listErr string
	// ctx is the page's own context, for the focus after "Load more"
	// (whose button goes with the last page).
	ctx app.Context
}

// OnMount marks the page as the WASM's.
func (p *adminEvents) OnMount(ctx app.Context) {
	p.mounted = true
	p.ctx = ctx
}

// OnNav reads the filter of the URL (?user_id=&type=) and loads the
// account, then the events.
func (p *adminEvents) OnNav(ctx app.Context) {
	setTitle(ctx, "admin.events.page_title")
	if app.IsServer {
		return
	}
	q := ctx.Page().URL().Query()
	p.userID, _ = strconv.ParseInt(q.Get("user_id"), 10, 64)
	p.typ = q.Get("type")
	p.appliedType, p.username = p.typ, ""
	takeArrival(ctx, "admin-title")
	p.start(ctx, app.Event{})
}

func (p *adminEvents) start(ctx app.Context, e app.Event) {
	p.loadAccount(ctx, func(ctx app.Context) {
		if p.userID > 0 {
			p.nameUser(ctx)
		}
		p.list(ctx, false)
	})
}

// nameUser fills the user filter with the username of the URL's user.
func (p *adminEvents) nameUser(ctx app.Context) {
	id := p.userID
	ctx.Async(func() {
		u, err := apiclient.AdminUser(ctx, id)
		if err == nil {
			ctx.Dispatch(func(ctx app.Context) {
				if p.userID == id {
					p.username = u.Username
				}
			})
		}
	})
}

// list loads the newest events of the filter, or (more) the next older
// page.
func (p *adminEvents) list(ctx app.Context, more bool) {
	var before int64
	if more && p.next != nil {
		before = *p.next
	}
	p.busy, p.listErr = true, ""
	userID, typ := p.userID, p.appliedType
	ctx.Async(func() {
		res, err := apiclient.AdminEvents(ctx, userID, typ, before, eventsPerPage)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			switch {
			case err == nil:
				if more {
					p.events = append(p.events, res.Events...)
					if len(res.Events) > 0 {
						form.FocusLater(p.ctx, "event-"+strconv.FormatInt(res.Events[0].ID, 10))
					}
				} else {
					p.events = res.Events
				}
				p.next, p.status = res.NextBefore, statusLoaded
			case p.status == statusLoaded && !apiclient.SignedOut(err) && !apiclient.Is(err, api.CodeForbidden):
				p.listErr = form.ErrorText(err)
				form.FocusLater(p.ctx, "events-error")
			default:
				p.failed(ctx, err)
			}
		})
	})
}

func (p *adminEvents) Render() app.UI {
	return p.frame("admin-events-page", PathAdminEvents, p.start, func() []app.UI {
		return []app.UI{
			app.H1().ID("admin-title").Class("page-title").TabIndex(-1).Text(i18n.T("admin.events.title")),
			adminNav(PathAdminEvents),
			app.Section().ID("events").Class("card").Aria("labelledby", "admin-title").DataSet("busy", p.busy).Body(
				p.renderFilter(),
				widget.Alert{ID: "events-error", Text: p.listErr}.UI(),
				p.renderList(),
			),
		}
	})
}

// renderFilter is the user and type filter.
func (p *adminEvents) renderFilter() app.UI {
	options := []app.UI{app.Option().Value("").Selected(p.typ == "").Text(i18n.T("admin.events.all_types"))}
	for _, t := range eventTypes {
		options = append(options, app.Option().Value(t).Selected(p.typ == t).Text(eventTypeName(t)))
	}
	return app.Form().ID("events-filter").Class("filter").NoValidate(true).OnSubmit(p.apply).Body(
		widget.Field{ID: "events-user", Label: i18n.T("admin.events.user"), Value: p.username,
			Autocomplete: "off", Hint: i18n.T("admin.events.user_hint"), Error: p.filterErr, Code: true,
			OnInput: func(ctx app.Context, e app.Event) { p.username = widget.InputValue(ctx) }}.UI(),
		app.Div().Class("field").Body(
			app.Label().For("events-type").Class("label").Text(i18n.T("admin.events.type")),
			app.Select().ID("events-type").Class("input select").
				OnChange(func(ctx app.Context, e app.Event) { p.typ = widget.InputValue(ctx) }).Body(options...),
		),
		app.Div().Class("form-actions").Body(
			widget.Button{ID: "events-apply", Label: i18n.T("admin.events.apply"), Kind: widget.ButtonSecondary, Busy: p.busy}.UI(),
		),
	)
}

// colHead is a column's header of a table that reads as cards on a
// narrow screen.
func colHead(key string) app.UI {
	return app.Th().Scope("col").Role("columnheader").Text(i18n.T(key))
}

// cardCell is a cell of such a table: data-label names its column in the
// card.
func cardCell(key string) app.HTMLTd {
	return app.Td().Role("cell").DataSet("label", i18n.T(key))
}

// renderList is the table of events and "Load more".
func (p *adminEvents) renderList() app.UI {
	if p.status != statusLoaded {
		return app.Text("")
	}
	if len(p.events) == 0 {
		return app.P().ID("events-empty").Role("status").Text(i18n.T("admin.events.none"))
	}
	rows := make([]app.UI, len(p.events))
	for i := range p.events {
		ev := &p.events[i]
		rows[i] = app.Tr().ID("event-"+strconv.FormatInt(ev.ID, 10)).Role("row").TabIndex(-1).DataSet("type", ev.Type).Body(
			cardCell("admin.col.time").Class("nowrap").Text(formatDateTime(ev.Time)),
			cardCell("admin.col.user").Body(app.A().Class("link").Href(adminUserPath(ev.UserID)).Text(ev.Username)),
			cardCell("admin.col.event").Body(
				app.Span().Class("event-type").Text(eventTypeName(ev.Type)),
				app.If(ev.Detail != "", func() app.UI {
					return app.Span().Class("event-detail muted").Body(app.Code().Text(ev.Detail))
				}),
			),
			cardCell("admin.col.actor").Text(actorName(ev.Actor)),
			cardCell("admin.col.reason").Class("event-reason").Text(ev.Reason),
			cardCell("admin.col.client").Body(
				app.Span().Class("event-client").Text(clientName(ev.UserAgent)),
				app.If(ev.IP != "", func() app.UI { return app.Span().Class("muted").Body(app.Code().Text(ev.IP)) }),
			),
		)
	}
	return app.Div().Body(
		app.P().ID("events-count").Class("muted").Role("status").Text(i18n.T("admin.events.count", "n", form.Itoa(len(p.events)))),
		app.Div().ID("events-table").Class("table-wrap").Role("region").TabIndex(0).Aria("labelledby", "events-caption").Body(
			// On a narrow screen the rows read as cards (CSS); the explicit
			// roles keep the table's semantics, which browsers drop from
			// tables whose display changes.
			app.Table().Class("table table-cards").Role("table").Aria("labelledby", "events-caption").Body(
				app.Caption().ID("events-caption").Class("sr-only").Text(i18n.T("admin.events.caption")),
				app.THead().Role("rowgroup").Body(app.Tr().Role("row").Body(
					colHead("admin.col.time"), colHead("admin.col.user"), colHead("admin.col.event"),
					colHead("admin.col.actor"), colHead("admin.col.reason"), colHead("admin.col.client"),
				)),
				app.TBody().Role("rowgroup").Body(rows...),
			),
		),
		app.If(p.next != nil, func() app.UI {
			return app.Div().Class("form-actions").Body(
				widget.Button{ID: "events-more", Label: i18n.T("admin.events.more"), BusyLabel: i18n.T("page.loading"),
					Type: "button", Kind: widget.ButtonSecondary, Busy: p.busy,
					OnClick: func(ctx app.Context, e app.Event) { p.list(ctx, true) }}.UI(),
			)
		}),
	)
}

// apply applies the filter: a username is looked up first (the API
// filters by user id).
func (p *adminEvents) apply(ctx app.Context, e app.Event) {
	e.PreventDefault()
	if p.busy {
		return
	}
	p.filterErr, p.appliedType = "", p.typ
	name := strings.TrimSpace(p.username)
	if name == "" {
		p.userID = 0
		p.list(ctx, false)
		return
	}
	p.busy = true
	ctx.Async(func() {
		res, err := apiclient.AdminUsers(ctx, name, 1, api.AdminMaxPerPage)
		ctx.Dispatch(func(ctx app.Context) {
			p.busy = false
			if err != nil {
				p.failed(ctx, err)
				return
			}
			for _, u := range res.Users {
				if strings.EqualFold(u.Username, name) {
					p.userID = u.ID
					p.list(ctx, false)
					return
				}
			}
			p.filterErr = i18n.T("admin.events.no_user", "username", name)
			form.FocusLater(ctx, "events-user")
		})
	})
}

// eventTypeName is an event type in words; an unknown one shows as is.
func eventTypeName(t string) string {
	if key := "audit.type." + t; i18n.Has(key) {
		return i18n.T(key)
	}
	return t
}

// actorName is who made a change: the user, an administrator, the
// command line.
func actorName(actor string) string {
	switch actor {
	case "":
		return i18n.T("admin.events.by_user")
	case "cli":
		return i18n.T("admin.events.by_cli")
	}
	return actor
}
